/**
 * A node's own request state painted over its port's badge: blue dot while a request is in
 * flight, red ring "error: <code>" after a failure — for a few seconds or until the next
 * success — then the port's badge again. The port node repaints its users on every port state
 * change, which replaces this overlay: news about the port wins over news about a request.
 */

import type { NodeAPI } from 'node-red';
import { isVeError } from '../../lib/errors';
import { busyStatus, noPortStatus, PORT_NS, shorten } from './status';
import type { PortConfigNode, PortUser } from './types';

/** How long a failed request keeps its red badge when nothing else happens. */
export const ERROR_BADGE_MS = 5000;

export class RequestBadge {
  private inFlight = 0;
  private lastWhat = '';
  private errorTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly RED: NodeAPI,
    private readonly node: PortUser,
    private readonly portNode: PortConfigNode | null,
    private readonly errorMs = ERROR_BADGE_MS,
  ) {}

  /** Run one request under the blue badge; the badge afterwards says how it went. */
  async run<T>(what: string, request: () => Promise<T>): Promise<T> {
    this.inFlight++;
    this.lastWhat = what;
    this.clearError();
    this.paint(busyStatus(this.RED, what));
    try {
      const result = await request();
      this.inFlight--;
      this.showPort();
      return result;
    } catch (err) {
      this.inFlight--;
      this.failed(err);
      throw err;
    }
  }

  /** A failure that needed no request (bad input): red ring, then the port badge. */
  failed(err: unknown): void {
    const reason = isVeError(err) ? err.code : err instanceof Error ? err.message : String(err);
    this.clearError();
    this.paint({ fill: 'red', shape: 'ring', text: shorten(this.RED._(`${PORT_NS}.status.error`, { reason })) });
    this.errorTimer = setTimeout(() => {
      this.errorTimer = undefined;
      if (this.inFlight > 0) this.paint(busyStatus(this.RED, this.lastWhat));
      else this.showPort();
    }, this.errorMs);
  }

  /** Stop painting (the node closes; the port node clears the badge on deregister). */
  close(): void {
    this.closed = true;
    this.clearError();
  }

  private showPort(): void {
    if (this.inFlight > 0 || this.errorTimer !== undefined) return;
    this.paint(this.portNode ? this.portNode.portStatus() : noPortStatus(this.RED));
  }

  private clearError(): void {
    if (this.errorTimer !== undefined) clearTimeout(this.errorTimer);
    this.errorTimer = undefined;
  }

  private paint(status: Parameters<PortUser['status']>[0]): void {
    if (!this.closed) this.node.status(status);
  }
}
