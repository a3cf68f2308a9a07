/**
 * What the nodes of this package share: the `ve-direct-port` config node as its users see it,
 * and the status badge shape.
 */

import type { Node, NodeDef, NodeStatus } from 'node-red';
import type { VeDirectPort } from '../../lib/link/port';

/** The editor's saved fields of a `ve-direct-port` config node. */
export interface PortNodeDef extends NodeDef {
  path: string;
  expectedSerial?: string;
  /** HEX reply timeout per attempt, ms. */
  requestTimeout?: string | number;
  /** Resends after a timeout. */
  retries?: string | number;
  /** Values and the port count as stale after this long without data, s. */
  staleAfter?: string | number;
  /** Reopen the port after this long without any valid data, s. */
  reconnectAfter?: string | number;
}

/** A node that uses a port: it gets the port's badge painted while it is idle. */
export interface PortUser extends Node {
  status(status: NodeStatus): void;
}

/** The config node, as the nodes that name it use it. */
export interface PortConfigNode extends Node {
  /** The path from the configuration. */
  readonly path: string;
  /** The shared port, once a user registered; null before, or when the port cannot be had. */
  readonly port: VeDirectPort | null;
  /** Why there is no port (another config node owns the path, no path configured). */
  readonly portError: Error | null;
  /** Start using the port: opens it on the first user, paints the port's badge on `user`. */
  register(user: PortUser): VeDirectPort | null;
  /** Stop using it; clears the user's badge. */
  deregister(user: PortUser): void;
  /** The badge the port's state asks for right now. */
  portStatus(): NodeStatus;
}
