/**
 * The skeleton of the nodes of this package. `registerNode`: registration with Node-RED, the
 * input handler (handleInput: one `done` per message), and a close that runs the node's own
 * clean-up (awaited when it returns a promise), then the skeleton's, `done` always called.
 * `registerPortNode`, for a node that uses one ve-direct-port, adds the port node looked up
 * from the config, registration with it and the badge (Badge.attach); its close clears the
 * badge and deregisters. A node of several ports (the bridge) takes `registerNode` and a
 * `Badge.own`. A node type gives only its own part: `setup` builds it and returns its input
 * body and clean-up.
 */

import type { NodeAPI, NodeDef } from 'node-red';
import type { VeDirectPort } from '../../lib/link/port';
import { Badge } from './badge';
import { noPortError } from './errors';
import { handleInput, type InputBody } from './input';
import type { PortConfigNode, PortUser, RegisterOptions } from './types';

/** The saved fields every port-using node has. */
export interface PortUserDef extends NodeDef {
  /** The id of its ve-direct-port config node. */
  port: string;
}

/** What a node's setup gets. */
export interface PortNodeParts<C extends PortUserDef> {
  readonly node: PortUser;
  readonly config: C;
  /** The config node, or null when none is configured (or it is not deployed). */
  readonly portNode: PortConfigNode | null;
  /** The shared port, or null when it could not be had (`portNode.portError` says why). */
  readonly port: VeDirectPort | null;
  readonly badge: Badge;
  /** The port, or the error "no port" (on the badge too) for a message that needs one. */
  requirePort(): VeDirectPort;
}

/** What a node type adds to the skeleton; all optional. */
export interface NodeHandlers {
  /** The body of the input handler: resolve when the message is handled, throw to fail it. */
  readonly input?: InputBody;
  /**
   * The node's clean-up on close (listeners, timers, last messages, last writes), before the
   * skeleton's own; a promise is awaited (Node-RED allows a close 15 s).
   */
  readonly close?: () => void | Promise<void>;
}


export interface PortNodeType<C extends PortUserDef> {
  /** How the node takes part in its port's life (a last write before the port closes). */
  readonly register?: RegisterOptions;
  setup(parts: PortNodeParts<C>): NodeHandlers;
}

/**
 * Register node type `type`: `setup` builds each node; `after` is the skeleton's own clean-up,
 * run after the node's even when that fails.
 */
export function registerNode<C extends NodeDef>(RED: NodeAPI, type: string, setup: (node: PortUser, config: C) => NodeHandlers & { readonly after?: () => void }): void {
  function SkeletonNode(this: PortUser, config: C): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const handlers = setup(node, config);
    if (handlers.input) handleInput(node, handlers.input);
    // Declared with two parameters: the runtime then waits for `done`.
    node.on('close', (_removed: boolean, done: () => void) => {
      Promise.resolve()
        .then(() => handlers.close?.())
        .catch((err: unknown) => node.warn(err instanceof Error ? err.message : String(err)))
        .finally(() => {
          try {
            handlers.after?.();
          } finally {
            done();
          }
        });
    });
  }
  // The typings want a constructor of plain nodes; this one's `this` is a port user.
  RED.nodes.registerType(type, SkeletonNode as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
}

/** Register node type `type`, a node that uses one port, on the skeleton. */
export function registerPortNode<C extends PortUserDef>(RED: NodeAPI, type: string, spec: PortNodeType<C>): void {
  registerNode<C>(RED, type, (node, config) => {
    // The runtime types config nodes as plain nodes; this one is a ve-direct-port (editor type).
    const portNode = RED.nodes.getNode(config.port) as PortConfigNode | null;
    const { badge, port } = Badge.attach(RED, node, portNode, spec.register);
    const requirePort = (): VeDirectPort => {
      if (port) return port;
      const err = noPortError(RED, type, portNode);
      badge.failed(err);
      throw err;
    };
    const handlers = spec.setup({ node, config, portNode, port, badge, requirePort });
    return {
      ...handlers,
      after: () => {
        badge.close();
        portNode?.deregister(node);
      },
    };
  });
}
