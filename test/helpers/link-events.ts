/** Waiting on link events in integration tests (no fixed sleeps where an event exists). */

import type { PortEvents, PortState, PortStateKind, VeDirectPort } from '../../lib/link/port';

/** Resolves with the first state of `kind` (at once when the port is in it already). */
export function waitForState(port: VeDirectPort, kind: PortStateKind, timeoutMs: number, predicate: (s: PortState) => boolean = () => true): Promise<PortState> {
  return new Promise((resolve, reject) => {
    const now = port.state;
    if (now.kind === kind && predicate(now)) {
      resolve(now);
      return;
    }
    const timer = setTimeout(() => {
      remove();
      reject(new Error(`${port.path}: no "${kind}" state within ${timeoutMs} ms (now ${JSON.stringify(port.state)})`));
    }, timeoutMs);
    const remove = port.on('state', (s) => {
      if (s.kind !== kind || !predicate(s)) return;
      clearTimeout(timer);
      remove();
      resolve(s);
    });
  });
}

/** Resolves with the next `count` events of `event`. */
export function nextEvents<K extends keyof PortEvents>(port: VeDirectPort, event: K, count: number, timeoutMs: number): Promise<Array<PortEvents[K]>> {
  return new Promise((resolve, reject) => {
    const seen: Array<PortEvents[K]> = [];
    const timer = setTimeout(() => {
      remove();
      reject(new Error(`${port.path}: ${seen.length} of ${count} "${String(event)}" events within ${timeoutMs} ms`));
    }, timeoutMs);
    const remove = port.on(event, (value) => {
      seen.push(value);
      if (seen.length < count) return;
      clearTimeout(timer);
      remove();
      resolve(seen);
    });
  });
}
