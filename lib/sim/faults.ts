/**
 * Faults on demand for a simulated device: line noise (bit flips, dropped bytes) in both
 * directions, garbage bursts, an unplugged cable, slow, lost and late replies. It decides
 * and counts; the device applies (it owns the transmitter and the clock). The counters let
 * a soak test compare a host's reject counters with what was injected.
 */

import type { Random } from './random';

export interface FaultSettings {
  /** Probability per byte sent to the host that one of its bits flips. */
  readonly bitErrorRate: number;
  /** Probability per byte sent to the host that it is lost. */
  readonly dropRate: number;
  /** Probability per byte the host sends that one of its bits flips on the way. */
  readonly hostBitErrorRate: number;
  /** A burst of random bytes every this many ms; 0 = never. */
  readonly garbageIntervalMs: number;
  /** Length of each garbage burst, bytes. */
  readonly garbageLength: number;
  /** Time from a request's last byte to the start of its reply, ms (slow replies when large). */
  readonly replyDelayMs: number;
  /** Probability that a reply is never sent. */
  readonly lostReplyRate: number;
  /** Probability that a reply comes `lateReplyMs` later than usual (after the host gave up). */
  readonly lateReplyRate: number;
  readonly lateReplyMs: number;
  /**
   * Probability that an async `:A` frame is sent between two records of a Text block instead
   * of after it, as real MPPTs do (VE.Direct Protocol 3.33 "Asynchronous HEX-messages … can
   * interrupt a regular Text-mode frame").
   */
  readonly asyncInsideBlockRate: number;
}

export const DEFAULT_FAULTS: FaultSettings = {
  bitErrorRate: 0,
  dropRate: 0,
  hostBitErrorRate: 0,
  garbageIntervalMs: 0,
  garbageLength: 16,
  // Real devices answer within a few milliseconds.
  replyDelayMs: 3,
  lostReplyRate: 0,
  lateReplyRate: 0,
  lateReplyMs: 1500,
  asyncInsideBlockRate: 0,
};

export interface FaultStats {
  /** Text blocks of which at least one byte was flipped or dropped. */
  blocksCorrupted: number;
  /** HEX frames (replies, async) of which at least one byte was flipped or dropped. */
  framesCorrupted: number;
  bytesFlipped: number;
  bytesDropped: number;
  garbageBursts: number;
  garbageBytes: number;
  /** Host writes (one frame each, as hosts send them) that reached the device with a flipped bit. */
  hostFramesCorrupted: number;
  hostBytesFlipped: number;
  repliesLost: number;
  repliesLate: number;
  /** Bytes either way that went nowhere because the cable was unplugged. */
  bytesLostUnplugged: number;
  reboots: number;
}

export function emptyFaultStats(): FaultStats {
  return {
    blocksCorrupted: 0,
    framesCorrupted: 0,
    bytesFlipped: 0,
    bytesDropped: 0,
    garbageBursts: 0,
    garbageBytes: 0,
    hostFramesCorrupted: 0,
    hostBytesFlipped: 0,
    repliesLost: 0,
    repliesLate: 0,
    bytesLostUnplugged: 0,
    reboots: 0,
  };
}

/** What happens to one reply. */
export interface ReplyFate {
  readonly lost: boolean;
  /** Milliseconds from the request to the reply's start. */
  readonly delayMs: number;
}

/** The kind of unit a byte run belongs to, for the per-unit counters. */
export type UnitKind = 'text' | 'hex' | 'garbage';

export class Faults {
  readonly stats: FaultStats = emptyFaultStats();
  private settings: FaultSettings = DEFAULT_FAULTS;
  private unplugged = false;
  private loseNext = 0;
  private lateNext: number[] = [];
  private readonly corruptedUnits = new Set<number>();
  private readonly random: Random;
  private readonly onChange: () => void;

  constructor(random: Random, onChange: () => void = () => undefined) {
    this.random = random;
    this.onChange = onChange;
  }

  get current(): FaultSettings {
    return this.settings;
  }

  /** Change some settings; the rest stay. */
  set(changes: Partial<FaultSettings>): void {
    this.settings = { ...this.settings, ...changes };
    this.onChange();
  }

  /** Back to a clean line and prompt replies (counters stay). */
  clear(): void {
    this.settings = DEFAULT_FAULTS;
    this.loseNext = 0;
    this.lateNext = [];
    this.unplugged = false;
    this.onChange();
  }

  /** Pull the cable: nothing gets through either way until `replug()`. */
  unplug(): void {
    this.unplugged = true;
  }

  replug(): void {
    this.unplugged = false;
  }

  get isUnplugged(): boolean {
    return this.unplugged;
  }

  /** The next `count` replies are never sent. */
  loseReplies(count = 1): void {
    this.loseNext += count;
  }

  /** The next `count` replies start `delayMs` after their request (past a host's timeout). */
  delayReplies(count = 1, delayMs = this.settings.lateReplyMs): void {
    for (let i = 0; i < count; i++) this.lateNext.push(delayMs);
  }

  /** Decide the fate of the reply to a request that just arrived. */
  replyFate(): ReplyFate {
    const { replyDelayMs } = this.settings;
    if (this.loseNext > 0) {
      this.loseNext--;
      this.stats.repliesLost++;
      return { lost: true, delayMs: replyDelayMs };
    }
    const late = this.lateNext.shift();
    if (late !== undefined) {
      this.stats.repliesLate++;
      return { lost: false, delayMs: late };
    }
    if (this.random.chance(this.settings.lostReplyRate)) {
      this.stats.repliesLost++;
      return { lost: true, delayMs: replyDelayMs };
    }
    if (this.random.chance(this.settings.lateReplyRate)) {
      this.stats.repliesLate++;
      return { lost: false, delayMs: this.settings.lateReplyMs };
    }
    return { lost: false, delayMs: replyDelayMs };
  }

  /** Whether an async frame goes inside the Text block in progress. */
  asyncInsideBlock(): boolean {
    return this.random.chance(this.settings.asyncInsideBlockRate);
  }

  /**
   * Line noise on bytes going to the host, part of unit `unitId` of kind `kind`. Returns the
   * bytes as they arrive (null when unplugged).
   */
  toHost(bytes: Uint8Array, kind: UnitKind, unitId: number): Uint8Array | null {
    if (this.unplugged) {
      this.stats.bytesLostUnplugged += bytes.length;
      return null;
    }
    const { bitErrorRate, dropRate } = this.settings;
    if (bitErrorRate <= 0 && dropRate <= 0) return bytes;
    const out: number[] = [];
    let damaged = false;
    for (const b of bytes) {
      if (this.random.chance(dropRate)) {
        this.stats.bytesDropped++;
        damaged = true;
        continue;
      }
      if (this.random.chance(bitErrorRate)) {
        this.stats.bytesFlipped++;
        damaged = true;
        out.push(b ^ (1 << this.random.int(8)));
        continue;
      }
      out.push(b);
    }
    if (damaged && kind !== 'garbage' && !this.corruptedUnits.has(unitId)) {
      this.corruptedUnits.add(unitId);
      if (kind === 'text') this.stats.blocksCorrupted++;
      else this.stats.framesCorrupted++;
      // Only the latest units can still be sending; keep the set small.
      if (this.corruptedUnits.size > 64) this.corruptedUnits.delete(this.corruptedUnits.values().next().value as number);
    }
    return Uint8Array.from(out);
  }

  /** Line noise on bytes from the host (null when unplugged). */
  fromHost(bytes: Uint8Array): Uint8Array | null {
    if (this.unplugged) {
      this.stats.bytesLostUnplugged += bytes.length;
      return null;
    }
    const rate = this.settings.hostBitErrorRate;
    if (rate <= 0) return bytes;
    const out = Uint8Array.from(bytes);
    let damaged = false;
    for (let i = 0; i < out.length; i++) {
      if (this.random.chance(rate)) {
        out[i] = out[i]! ^ (1 << this.random.int(8));
        this.stats.hostBytesFlipped++;
        damaged = true;
      }
    }
    if (damaged) this.stats.hostFramesCorrupted++;
    return out;
  }

  /** Random bytes for a garbage burst (any value: `:`, `\r`, `\n` included, as on a real line). */
  garbage(length = this.settings.garbageLength): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.random.int(256);
    this.stats.garbageBursts++;
    this.stats.garbageBytes += length;
    return out;
  }
}
