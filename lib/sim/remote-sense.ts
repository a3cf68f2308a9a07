/**
 * An MPPT's remote sense inputs, 0x2002 battery voltage sense (un16, 0.01 V), 0x2003 battery
 * temperature sense (sn16, 0.01 °C) and 0x200A battery current (sn32, 0.001 A, fw ≥ 1.44), as
 * the BlueSolar HEX protocol MPPT rev 10 describes them ("Remote sensor data", remote control
 * registers notes 3 and 8, §1.2):
 * - a voltage is accepted only within ±5 V of the charger's terminal voltage;
 * - 0xFFFF (voltage) / 0x7FFF (temperature) / 0x7FFFFFFF (current) mean "no longer
 *   available": back to internal sensing at once;
 * - each value is used for 60 s after its last write, then dropped, and from fw 1.26 the
 *   charger announces that with async frames 0x2002 = 0xFFFF and 0x2003 = 0x7FFF;
 * - 0x200F bits 7 / 6 (VSENSE / TSENSE, fw ≥ 1.26) and 5 (ISENSE, fw ≥ 1.44) say whether a
 *   value is in use; the current times out like the others (60 s, then async 0x7FFFFFFF).
 * Any current an sn32 carries is taken: the document names no range for it.
 * What a real charger answers to a voltage outside the window is not documented; the default
 * here is a parameter error (flags 0x04) with the nearest accepted value, the way the BMV-7xx
 * HEX protocol answers out-of-range writes. `rejectMode: 'ignore'` instead acknowledges and
 * silently does not use the value, so a host must check 0x200F to notice.
 */

import type { Clock, TimerHandle } from '../clock';
import { Flag } from '../protocol/hex-codec';
import { BATTERY_CURRENT, TSENSE, VSENSE } from '../protocol/catalog/register-ids';
import { findRegister } from '../protocol/catalog/registers';

export const VSENSE_REGISTER = VSENSE;
export const TSENSE_REGISTER = TSENSE;
export const ISENSE_REGISTER = BATTERY_CURRENT;
export const ISENSE_NOT_AVAILABLE = 0x7fffffff;
export const VSENSE_NOT_AVAILABLE = 0xffff;
export const TSENSE_NOT_AVAILABLE = 0x7fff;
/** "Both have a timeout of 60s" (BlueSolar HEX protocol MPPT, "Remote sensor data"). */
export const REMOTE_SENSE_TIMEOUT_MS = 60_000;
/** "The voltage information has to be within ±5V with respect to the voltage on the charger terminals." */
export const VSENSE_WINDOW_V = 5;
/** 0x200F network status bits (fw ≥ 1.26; ISENSE fw ≥ 1.44). */
export const STATUS_ISENSE = 0x20;
export const STATUS_TSENSE = 0x40;
export const STATUS_VSENSE = 0x80;

export type SenseRejectMode = 'parameter-error' | 'ignore';

export interface RemoteSenseOptions {
  readonly clock: Clock;
  readonly timeoutMs?: number;
  readonly rejectMode?: SenseRejectMode;
  /** Called when a value is dropped after its timeout (not on release or reset). */
  readonly onTimeout?: (register: number) => void;
}

/** A Set reply: flags and the raw value to echo. */
export interface SenseWriteResult {
  readonly flags: number;
  readonly raw: number;
}

interface Input {
  raw: number | null;
  timer: TimerHandle | null;
  writes: number;
}

function rawLimits(register: number): { min: number; max: number } {
  const def = findRegister(register);
  const scale = def?.scale ?? 0.01;
  // The catalogue gives the documented range in scaled units.
  return {
    min: Math.round((def?.min ?? -327.67) / scale),
    max: Math.round((def?.max ?? 327.66) / scale),
  };
}

export class RemoteSense {
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly rejectMode: SenseRejectMode;
  private readonly onTimeout: (register: number) => void;
  private readonly voltageInput: Input = { raw: null, timer: null, writes: 0 };
  private readonly temperatureInput: Input = { raw: null, timer: null, writes: 0 };
  private readonly currentInput: Input = { raw: null, timer: null, writes: 0 };
  private readonly temperatureLimits = rawLimits(TSENSE_REGISTER);

  constructor(options: RemoteSenseOptions) {
    this.clock = options.clock;
    this.timeoutMs = options.timeoutMs ?? REMOTE_SENSE_TIMEOUT_MS;
    this.rejectMode = options.rejectMode ?? 'parameter-error';
    this.onTimeout = options.onTimeout ?? (() => undefined);
  }

  /** Set 0x2002 with raw (0.01 V) while the charger's terminals are at `terminalV` volts. */
  writeVoltage(raw: number, terminalV: number): SenseWriteResult {
    if (raw === VSENSE_NOT_AVAILABLE) {
      this.drop(this.voltageInput);
      return { flags: 0, raw };
    }
    const terminalRaw = Math.round(terminalV * 100);
    const window = VSENSE_WINDOW_V * 100;
    const nearest = Math.min(terminalRaw + window, Math.max(terminalRaw - window, raw));
    if (nearest !== raw) {
      if (this.rejectMode === 'ignore') return { flags: 0, raw };
      return { flags: Flag.ParameterError, raw: Math.max(0, nearest) };
    }
    this.accept(this.voltageInput, raw, VSENSE_REGISTER);
    return { flags: 0, raw };
  }

  /** Set 0x2003 with raw (sn16, 0.01 °C). */
  writeTemperature(raw: number): SenseWriteResult {
    if (raw === TSENSE_NOT_AVAILABLE) {
      this.drop(this.temperatureInput);
      return { flags: 0, raw };
    }
    const { min, max } = this.temperatureLimits;
    if (raw < min || raw > max) {
      if (this.rejectMode === 'ignore') return { flags: 0, raw };
      return { flags: Flag.ParameterError, raw: Math.min(max, Math.max(min, raw)) };
    }
    this.accept(this.temperatureInput, raw, TSENSE_REGISTER);
    return { flags: 0, raw };
  }

  /** Set 0x200A with raw (sn32, 0.001 A, > 0 charging). */
  writeCurrent(raw: number): SenseWriteResult {
    if (raw === ISENSE_NOT_AVAILABLE) this.drop(this.currentInput);
    else this.accept(this.currentInput, raw, ISENSE_REGISTER);
    return { flags: 0, raw };
  }

  /** The battery current in use, A, or null (none from outside). */
  get current(): number | null {
    const raw = this.currentInput.raw;
    return raw === null ? null : raw / 1000;
  }

  /** 0x200A as a Get reads it: the value in use, else 0x7FFFFFFF. */
  currentRaw(): number {
    return this.currentInput.raw ?? ISENSE_NOT_AVAILABLE;
  }

  /** The sensed battery voltage in use, V, or null (internal sensing). */
  get voltage(): number | null {
    const raw = this.voltageInput.raw;
    return raw === null ? null : raw / 100;
  }

  /** The sensed battery temperature in use, °C, or null. */
  get temperature(): number | null {
    const raw = this.temperatureInput.raw;
    return raw === null ? null : raw / 100;
  }

  /** 0x2002 as a Get reads it: the value in use, else 0xFFFF. */
  voltageRaw(): number {
    return this.voltageInput.raw ?? VSENSE_NOT_AVAILABLE;
  }

  /** 0x2003 as a Get reads it: the value in use, else 0x7FFF. */
  temperatureRaw(): number {
    return this.temperatureInput.raw ?? TSENSE_NOT_AVAILABLE;
  }

  /** 0x200F bits 7 (VSENSE), 6 (TSENSE) and 5 (ISENSE) for the values in use. */
  statusBits(): number {
    return (
      (this.voltageInput.raw !== null ? STATUS_VSENSE : 0) | (this.temperatureInput.raw !== null ? STATUS_TSENSE : 0) | (this.currentInput.raw !== null ? STATUS_ISENSE : 0)
    );
  }

  /** Accepted writes so far, per input. */
  get writes(): { voltage: number; temperature: number; current: number } {
    return { voltage: this.voltageInput.writes, temperature: this.temperatureInput.writes, current: this.currentInput.writes };
  }

  /** Forget every value without notices (a restart). */
  reset(): void {
    this.drop(this.voltageInput);
    this.drop(this.temperatureInput);
    this.drop(this.currentInput);
  }

  private accept(input: Input, raw: number, register: number): void {
    input.raw = raw;
    input.writes++;
    input.timer?.cancel();
    input.timer = this.clock.setTimeout(() => {
      input.timer = null;
      input.raw = null;
      this.onTimeout(register);
    }, this.timeoutMs);
  }

  private drop(input: Input): void {
    input.timer?.cancel();
    input.timer = null;
    input.raw = null;
  }
}
