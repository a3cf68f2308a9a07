/**
 * The one status badge of a node that uses a port. It paints, in this order of precedence:
 *   1. the port's trouble — connecting, stale, error, wrong device, stopped, no port: news
 *      about the device wins over news about the node;
 *   2. a request in flight (blue dot);
 *   3. the node's last failure (red ring "error: <code>"), which stays until the node's next
 *      success — a badge that turns green again by itself hides a refused write;
 *   4. the node's own news while the port is fine: a value ("13.38 V 81 %"), what it wrote,
 *      or a state such as "paused";
 *   5. the port's identity (green dot "<product> <serial>").
 * It is the only code that paints a badge: the port node paints none, and a node that uses
 * several ports (the bridge) takes a badge of its own (`Badge.own`), which paints 2 to 4.
 * Texts are keys of the ve-direct-port catalogue, so every node uses the same words.
 */

import type { NodeAPI, NodeStatus } from 'node-red';
import { isVeError } from '../../lib/errors';
import type { Remover } from '../../lib/link/listeners';
import type { PortState, VeDirectPort } from '../../lib/link/port';
import { busyStatus, noPortStatus, portStatus, PORT_NS, shorten } from './status';
import type { PortConfigNode, PortUser, RegisterOptions } from './types';

/**
 * How the node's own news looks: value (green dot, the default) a value or a success; paused
 * (grey ring) a deliberate pause; stopped (grey dot); warning (yellow ring) working, but not
 * everywhere; fault (red ring) not working; waiting (blue ring) checking before it works.
 */
export type BadgeLook = 'value' | 'paused' | 'stopped' | 'warning' | 'fault' | 'waiting';

const LOOKS: Readonly<Record<BadgeLook, Pick<NodeStatus, 'fill' | 'shape'>>> = {
  value: { fill: 'green', shape: 'dot' },
  paused: { fill: 'grey', shape: 'ring' },
  stopped: { fill: 'grey', shape: 'dot' },
  warning: { fill: 'yellow', shape: 'ring' },
  fault: { fill: 'red', shape: 'ring' },
  waiting: { fill: 'blue', shape: 'ring' },
};

/** What the node itself has to say while its port is fine. */
export interface BadgeNews {
  readonly text: string;
  readonly look?: BadgeLook;
}

/** No port behind the badge: the node shows only its own news (a node of several ports). */
const OWN = Symbol('own badge');

export class Badge {
  private inFlight = 0;
  private lastWhat = '';
  private failure: NodeStatus | null = null;
  private news: BadgeNews | null = null;
  private closed = false;
  private readonly removers: Remover[] = [];
  // Nothing painted yet looks like an empty badge: a node with no news yet sends none.
  private lastPainted = '{}';

  /**
   * Register `node` with its port node (if any), and paint from now on. `port` is the shared
   * port, or null when none could be had.
   */
  static attach(RED: NodeAPI, node: PortUser, portNode: PortConfigNode | null, options: RegisterOptions = {}): { badge: Badge; port: VeDirectPort | null } {
    const port = portNode ? portNode.register(node, options) : null;
    const badge = new Badge(RED, node, portNode, port);
    return { badge, port };
  }

  /** A badge for a node that uses several ports and says itself how they do (the bridge). */
  static own(RED: NodeAPI, node: PortUser): Badge {
    return new Badge(RED, node, OWN, null);
  }

  private constructor(
    private readonly RED: NodeAPI,
    private readonly node: PortUser,
    private readonly portNode: PortConfigNode | null | typeof OWN,
    private readonly port: VeDirectPort | null,
  ) {
    if (port) this.removers.push(port.on('state', () => this.paint()));
    this.paint();
  }

  /** Run one request under the blue badge; a success clears an earlier failure. */
  async run<T>(what: string, request: () => Promise<T>, describe?: (result: T) => string | null): Promise<T> {
    this.inFlight++;
    this.lastWhat = what;
    this.paint();
    try {
      const result = await request();
      this.inFlight--;
      this.failure = null;
      const text = describe?.(result);
      if (text) this.news = { text };
      this.paint();
      return result;
    } catch (err) {
      this.inFlight--;
      this.failed(err);
      throw err;
    }
  }

  /** A failure, with or without a request: red ring until the next success. */
  failed(err: unknown): void {
    const reason = isVeError(err) ? err.code : err instanceof Error ? err.message : String(err);
    this.failure = { fill: 'red', shape: 'ring', text: shorten(this.RED._(`${PORT_NS}.status.error`, { reason })) };
    // Painted even when the badge already looks so: each refusal is news.
    this.paint(true);
  }

  /** The node's news while the port is fine (a value, a pause); null: the port's identity. Clears a failure. */
  show(news: BadgeNews | null): void {
    this.failure = null;
    this.news = news;
    this.paint();
  }

  /** Stop painting and clear the badge (the node closes). */
  close(): void {
    for (const remove of this.removers.splice(0)) remove();
    this.node.status({});
    this.closed = true;
  }

  /** The badge as it should look now. */
  current(): NodeStatus {
    let state: PortState | null = null;
    if (this.portNode !== OWN) {
      if (!this.portNode) return noPortStatus(this.RED);
      if (!this.port) return this.portNode.portStatus();
      state = this.port.state;
      if (state.kind !== 'connected') return portStatus(this.RED, state);
    }
    if (this.inFlight > 0) return busyStatus(this.RED, this.lastWhat);
    if (this.failure) return this.failure;
    if (this.news) return { ...LOOKS[this.news.look ?? 'value'], text: shorten(this.news.text) };
    return state ? portStatus(this.RED, state) : {};
  }

  private paint(always = false): void {
    if (this.closed) return;
    const status = this.current();
    // A port repaints on every state event; an unchanged badge is not sent again.
    const key = JSON.stringify(status);
    if (key === this.lastPainted && !always) return;
    this.lastPainted = key;
    this.node.status(status);
  }
}
