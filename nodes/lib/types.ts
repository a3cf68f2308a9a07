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

/** A node that uses a port: its badge (nodes/lib/badge.ts) shows the port's state. */
export interface PortUser extends Node {
  status(status: NodeStatus): void;
}

/**
 * How a node takes part in its port's life. The bridge uses it: it must write its release
 * values before the port closes.
 */
export interface RegisterOptions {
  /**
   * Called when the port node closes (redeploy, removal). The port stays open until the returned
   * promise settles, at most PORT_CLOSE_HOLD_MS: Node-RED closes a config node at the same time
   * as the nodes that use it, so without this a user's last writes would meet a closed port.
   */
  readonly beforeClose?: () => Promise<void>;
}

/** How long a closing port waits for its users' `beforeClose` (Node-RED allows a close 15 s). */
export const PORT_CLOSE_HOLD_MS = 10_000;

/** The config node, as the nodes that name it use it. */
export interface PortConfigNode extends Node {
  /** The path from the configuration. */
  readonly path: string;
  /** The shared port, once a user registered; null before, or when the port cannot be had. */
  readonly port: VeDirectPort | null;
  /** Why there is no port (another config node owns the path, no path configured). */
  readonly portError: Error | null;
  /** Start using the port: opens it on the first user. */
  register(user: PortUser, options?: RegisterOptions): VeDirectPort | null;
  /** Stop using it (the port closes with this config node, not with its last user). */
  deregister(user: PortUser): void;
  /** The badge the port's state asks for right now. */
  portStatus(): NodeStatus;
}
