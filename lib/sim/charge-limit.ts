/**
 * An MPPT's external charge-current limit, 0x2015 (un16, 0.1 A), as the BlueSolar HEX
 * protocol MPPT rev 10 and the Victron register dictionary describe it:
 * - the charger uses min(0x2015, 0xEDF0): the limit can only lower the current;
 * - 0xFFFF means "no limit": back to the charger's own maximum at once;
 * - above the rated current the charger answers flags 0x04 with the rated value and keeps the
 *   old limit (as it does for any out-of-range value);
 * - the value must be written "regularly (more than once a minute) together with 0x200E"; it
 *   lapses after its timeout. The dictionary says 60 s; a field report (esphome-victron-vedirect
 *   #1) saw it reset after about 50 s, so the simulator lapses at 50 s by default: a host that
 *   only just keeps the documented minute is caught here, not on a real charger.
 * Whether a real charger honours 0x2015 without external control (0x200E bit 2) is not
 * documented. The model applies it only while external control is on, so a host that forgets
 * 0x200E sees its limit unused (0x200F bit 4, ICHARGE, clear from fw 1.44).
 */

import type { Clock, TimerHandle } from '../clock';
import { Flag } from '../protocol/hex-codec';

export const CHARGE_LIMIT_NOT_AVAILABLE = 0xffff;
/** The field report's ~50 s, the short end of "~50-60 s". */
export const CHARGE_LIMIT_LAPSE_MS = 50_000;
/** 0x200F bit 4: "using remote charge current" (fw ≥ 1.44). */
export const STATUS_ICHARGE = 0x10;

export interface ChargeLimitOptions {
  readonly clock: Clock;
  /** Rated charge current, A: the largest limit accepted. */
  readonly ratedA: number;
  readonly lapseMs?: number;
}

/** A Set reply: flags and the raw value to echo. */
export interface ChargeLimitWriteResult {
  readonly flags: number;
  readonly raw: number;
}

export class ExternalChargeLimit {
  private readonly clock: Clock;
  private readonly maxRaw: number;
  private readonly lapseMs: number;
  private raw: number | null = null;
  private timer: TimerHandle | null = null;
  private accepted = 0;
  private lapsed = 0;

  constructor(options: ChargeLimitOptions) {
    this.clock = options.clock;
    this.maxRaw = Math.round(options.ratedA * 10);
    this.lapseMs = options.lapseMs ?? CHARGE_LIMIT_LAPSE_MS;
  }

  write(raw: number): ChargeLimitWriteResult {
    if (raw === CHARGE_LIMIT_NOT_AVAILABLE) {
      this.drop();
      return { flags: 0, raw };
    }
    if (raw > this.maxRaw) return { flags: Flag.ParameterError, raw: this.maxRaw };
    this.raw = raw;
    this.accepted++;
    this.timer?.cancel();
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.raw = null;
      this.lapsed++;
    }, this.lapseMs);
    return { flags: 0, raw };
  }

  /** 0x2015 as a Get reads it: the limit held, else 0xFFFF. */
  readRaw(): number {
    return this.raw ?? CHARGE_LIMIT_NOT_AVAILABLE;
  }

  /** The limit in force, A, or null: none held, or external control is off. */
  limitA(externalControl: boolean): number | null {
    return externalControl && this.raw !== null ? this.raw / 10 : null;
  }

  /** Accepted limits so far (releases not counted), and how many lapsed unrefreshed. */
  get counts(): { readonly writes: number; readonly lapses: number } {
    return { writes: this.accepted, lapses: this.lapsed };
  }

  /** Forget the limit (a restart, or a release). */
  drop(): void {
    this.timer?.cancel();
    this.timer = null;
    this.raw = null;
  }
}
