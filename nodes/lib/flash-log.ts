/**
 * When each flash-backed setting of each device was last written, and with what bytes, for
 * the whole runtime: a flash cell wears out with writes, so `ve-direct-set` writes such a
 * setting only when the value changes and no more often than its minimum interval — also
 * when several nodes, or a redeployed one, write the same setting. Keyed by the device's
 * serial number (the port path when the serial is unknown) and the register id.
 */

import { formatRegisterId } from '../../lib/protocol/catalog/registers';

export interface FlashWrite {
  /** Wall-clock time of the write, ms. */
  readonly at: number;
  /** The value bytes written, hex as on the wire. */
  readonly raw: string;
}

export class FlashWriteLog {
  private readonly writes = new Map<string, FlashWrite>();

  static key(device: string, register: number): string {
    return `${device}/${formatRegisterId(register)}`;
  }

  last(key: string): FlashWrite | undefined {
    return this.writes.get(key);
  }

  /** Note a write about to go out; returns the undo, for a write that never left. */
  reserve(key: string, write: FlashWrite): () => void {
    const previous = this.writes.get(key);
    this.writes.set(key, write);
    return () => {
      if (this.writes.get(key) !== write) return;
      if (previous === undefined) this.writes.delete(key);
      else this.writes.set(key, previous);
    };
  }

  /** Forget every write (tests start from a clean runtime). */
  clear(): void {
    this.writes.clear();
  }
}

/** The runtime's log (Node-RED loads this module once for all nodes). */
export const flashWriteLog = new FlashWriteLog();
