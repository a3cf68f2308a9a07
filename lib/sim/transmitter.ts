/**
 * The device's serial transmitter: sends queued units (Text blocks, HEX frames, garbage) at
 * VE.Direct's line rate, 19200 baud 8N1 ≈ 0.52 ms per byte (VE.Direct Protocol 3.33, "Serial
 * port configuration"), one segment (a Text record, a whole frame) at a time. Where a new
 * unit goes decides how it mixes with a Text block in progress:
 * - `end`: after everything queued (Text blocks);
 * - `after-unit`: right after the unit being sent, before queued Text (HEX replies of MPPT
 *   fw ≥ 1.53 "wait until the text message finishes", async frames);
 * - `next-record`: at the next record boundary, inside a block in progress (replies of older
 *   firmware, async frames that "can interrupt a regular Text-mode frame").
 */

import type { Clock, TimerHandle } from '../clock';
import type { UnitKind } from './faults';

/** Milliseconds per byte at 19200 baud with 10 bit times per byte. */
export const BYTE_MS = 10_000 / 19_200;

export type Placement = 'end' | 'after-unit' | 'next-record';

export interface Unit {
  readonly id: number;
  readonly kind: UnitKind;
  readonly segments: readonly Uint8Array[];
}

/** Called with each segment as it starts on the wire. */
export type SegmentSink = (bytes: Uint8Array, unit: Unit, last: boolean) => void;

interface Sending {
  readonly unit: Unit;
  next: number;
}

export class Transmitter {
  private readonly clock: Clock;
  private readonly sink: SegmentSink;
  private readonly byteMs: number;
  private nextId = 1;
  private current: Sending | null = null;
  /** Units to send at the next segment boundary, in order. */
  private readonly interrupts: Unit[] = [];
  /** Units to send after the current unit, in order. */
  private readonly priority: Unit[] = [];
  private readonly normal: Unit[] = [];
  private timer: TimerHandle | null = null;
  private interrupting: Sending | null = null;
  private pumping = false;
  private generation = 0;

  constructor(clock: Clock, sink: SegmentSink, byteMs = BYTE_MS) {
    this.clock = clock;
    this.sink = sink;
    this.byteMs = byteMs;
  }

  /** Queue a unit; returns its id. */
  send(kind: UnitKind, segments: readonly Uint8Array[], placement: Placement): number {
    const unit: Unit = { id: this.nextId++, kind, segments };
    if (placement === 'end') this.normal.push(unit);
    else if (placement === 'after-unit') this.priority.push(unit);
    else this.interrupts.push(unit);
    if (this.timer === null && !this.pumping) this.pump();
    return unit.id;
  }

  /** True while a unit is partly sent (a Text block in progress, say). */
  get busy(): boolean {
    return this.current !== null || this.interrupting !== null || this.timer !== null;
  }

  /** Whether a Text block has started and not finished. */
  get inTextBlock(): boolean {
    return this.current !== null && this.current.unit.kind === 'text' && this.current.next < this.current.unit.segments.length;
  }

  /** Drop everything, the unit in progress included (a reboot cuts it off). */
  clear(): void {
    this.generation++;
    this.timer?.cancel();
    this.timer = null;
    this.current = null;
    this.interrupting = null;
    this.interrupts.length = 0;
    this.priority.length = 0;
    this.normal.length = 0;
  }

  private pump(): void {
    this.timer = null;
    const sending = this.pick();
    if (sending === null) return;
    const segment = sending.unit.segments[sending.next]!;
    sending.next++;
    const last = sending.next >= sending.unit.segments.length;
    const generation = this.generation;
    this.pumping = true;
    try {
      this.sink(segment, sending.unit, last);
    } finally {
      this.pumping = false;
    }
    // A sink that cleared the queue (a reboot) ends this segment's line time too.
    if (generation !== this.generation && this.nothingQueued()) return;
    this.timer = this.clock.setTimeout(() => this.pump(), segment.length * this.byteMs);
  }

  /** The unit whose next segment goes out now, or null when idle. */
  private pick(): Sending | null {
    if (this.interrupting && this.interrupting.next < this.interrupting.unit.segments.length) return this.interrupting;
    this.interrupting = null;
    const interrupt = this.interrupts.shift();
    if (interrupt) {
      this.interrupting = { unit: interrupt, next: 0 };
      return this.interrupting;
    }
    if (this.current && this.current.next < this.current.unit.segments.length) return this.current;
    this.current = null;
    const unit = this.priority.shift() ?? this.normal.shift();
    if (!unit || unit.segments.length === 0) return unit ? this.pick() : null;
    this.current = { unit, next: 0 };
    return this.current;
  }

  private nothingQueued(): boolean {
    return this.interrupts.length === 0 && this.priority.length === 0 && this.normal.length === 0;
  }
}
