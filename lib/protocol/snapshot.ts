/**
 * TextSnapshot: merges the Text blocks of one device into one view per cycle, and forgets
 * what stops coming.
 *
 * Some devices split each cycle into several blocks, each with its own checksum: a BMV or
 * SmartShunt sends a history block (H1…H18) and a main block (PID, V, I, …); a SmartSolar
 * 150/70 rev2 sends PID…OR, then ERR…HSDS. A block's *kind* is its first label. The snapshot
 * keeps the latest block of each kind and merges them; a new block of a kind replaces that
 * kind's fields wholesale, so a field that vanishes from its block (`T` when the temperature
 * sensor is unplugged) vanishes from the snapshot at once, instead of being kept forever as
 * Victron's reference framehandler does. A kind not seen for `expiryMs` is dropped entirely.
 *
 * A cycle is complete when every kind seen recently has arrived since the last cycle; the
 * cycle is learned from the stream (the first time a kind repeats), so the first complete
 * snapshot comes after about two cycles.
 *
 * Pure: time is passed in by the caller (milliseconds, any monotonic origin).
 */

export interface SnapshotView {
  /** Merged raw values, label → value as sent. */
  readonly fields: Readonly<Record<string, string>>;
  /** When the block carrying each label arrived. */
  readonly receivedAt: Readonly<Record<string, number>>;
  /** When the newest block of the cycle arrived. */
  readonly at: number;
}

export interface TextSnapshotOptions {
  /** Drop a block kind's fields when no block of that kind came for this long. */
  readonly expiryMs?: number;
}

interface Contribution {
  readonly fields: Readonly<Record<string, string>>;
  readonly at: number;
}

export const DEFAULT_SNAPSHOT_EXPIRY_MS = 10_000;

export class TextSnapshot {
  private readonly expiryMs: number;
  private readonly byKind = new Map<string, Contribution>();
  private readonly pending = new Set<string>();
  private learned = false;

  constructor(options: TextSnapshotOptions = {}) {
    this.expiryMs = options.expiryMs ?? DEFAULT_SNAPSHOT_EXPIRY_MS;
  }

  /**
   * Take one checksum-valid block. Returns the merged view when this block completes a cycle
   * (or when a cycle ended without one of its kinds), else null.
   */
  update(fields: Readonly<Record<string, string>>, now: number): SnapshotView | null {
    this.expire(now);
    const kind = Object.keys(fields)[0] ?? '';
    let completed: SnapshotView | null = null;
    if (this.pending.has(kind)) {
      // The kind came round again: the cycle is known now, or one of its kinds went missing.
      if (this.learned) completed = this.view();
      this.learned = true;
      this.pending.clear();
    }
    this.byKind.set(kind, { fields, at: now });
    this.pending.add(kind);
    if (this.learned && [...this.byKind.keys()].every((k) => this.pending.has(k))) {
      this.pending.clear();
      return this.view();
    }
    return completed;
  }

  /** The merged view now, after dropping expired kinds; null when nothing is known. */
  current(now: number): SnapshotView | null {
    this.expire(now);
    return this.byKind.size === 0 ? null : this.view();
  }

  /** Forget everything (another device appeared behind the port, or the port reopened). */
  clear(): void {
    this.byKind.clear();
    this.pending.clear();
    this.learned = false;
  }

  private expire(now: number): void {
    for (const [kind, contribution] of this.byKind) {
      if (now - contribution.at > this.expiryMs) {
        this.byKind.delete(kind);
        this.pending.delete(kind);
      }
    }
  }

  private view(): SnapshotView {
    const fields: Record<string, string> = {};
    const receivedAt: Record<string, number> = {};
    let at = -Infinity;
    for (const contribution of this.byKind.values()) {
      for (const [label, value] of Object.entries(contribution.fields)) {
        fields[label] = value;
        receivedAt[label] = contribution.at;
      }
      at = Math.max(at, contribution.at);
    }
    return { fields, receivedAt, at };
  }
}
