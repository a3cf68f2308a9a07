/**
 * The HEX registers one simulated device has: for each id, its catalogue entry, how to read
 * its value bytes and, when writable, what a Set does. Values travel as little-endian
 * integers of the catalogue type's width (BlueSolar HEX protocol MPPT rev 10 §1; BMV-7xx HEX
 * protocol §1); strings zero-padded.
 */

import { Flag } from '../protocol/hex-codec';
import { findRegister, formatRegisterId } from '../protocol/catalog/registers';
import type { RegisterDef, RegisterType } from '../protocol/catalog/types';
import { decodeInteger } from '../protocol/value-codec';

/** What a Set answers: the flags and the value bytes to echo; `stored` when the value took. */
export interface SetOutcome {
  readonly flags: number;
  readonly value: Uint8Array;
  readonly stored: boolean;
}

export interface RegisterSlot {
  readonly def: RegisterDef;
  /** Current value bytes; absent for write-only registers. */
  read?(): Uint8Array;
  /**
   * Flags a Get answers with along with the value (default 0): an MPPT answers a daily history
   * record without data with an empty record and flags 0x04 (BlueSolar HEX protocol MPPT).
   */
  readFlags?(): number;
  /** Handles a Set with the value bytes as received; absent for read-only registers. */
  write?(value: Uint8Array): SetOutcome;
}

const WIDTH: Partial<Record<RegisterType, number>> = { un8: 1, sn8: 1, un16: 2, sn16: 2, un24: 3, un32: 4, sn32: 4 };

/** Byte width of an integer type, undefined for strings and raw bytes. */
export function typeWidth(type: RegisterType): number | undefined {
  return WIDTH[type];
}

function isSigned(type: RegisterType): boolean {
  return type.startsWith('sn');
}

/** The catalogue entry for an id the simulator uses; a missing one is a programming error. */
export function registerDef(id: number): RegisterDef {
  const def = findRegister(id);
  if (!def) throw new Error(`register ${formatRegisterId(id)} is not in the catalogue`);
  return def;
}

/** Little-endian two's-complement bytes of `raw` at the width of `def`'s type. */
export function encodeRaw(def: RegisterDef, raw: number): Uint8Array {
  const width = typeWidth(def.type) ?? 2;
  const out = new Uint8Array(width);
  let rest = Math.round(raw);
  if (rest < 0) rest += 2 ** (8 * width);
  for (let i = 0; i < width; i++) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return out;
}

/** The integer in a Set's value bytes, or undefined when the length does not fit the type. */
export function decodeRaw(def: RegisterDef, bytes: Uint8Array): number | undefined {
  const width = typeWidth(def.type);
  if (width === undefined || bytes.length !== width) return undefined;
  return decodeInteger(bytes, isSigned(def.type));
}

/** A string value as devices send it: latin1, then NULs up to `length` (at least one NUL). */
export function stringBytes(text: string, length = text.length + 1): Uint8Array {
  const out = new Uint8Array(Math.max(length, text.length + 1));
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** Smallest and largest raw value of a type. */
export function typeRange(type: RegisterType): { min: number; max: number } {
  const width = typeWidth(type) ?? 2;
  const span = 2 ** (8 * width);
  return isSigned(type) ? { min: -span / 2, max: span / 2 - 1 } : { min: 0, max: span - 1 };
}

/**
 * The raw "not available" value: the catalogue's, else the type's default — all ones unsigned,
 * the largest value signed (0xFFFF, 0x7FFF, 0x7FFFFFFF; Victron register dictionary).
 */
export function notAvailableRaw(def: RegisterDef): number {
  if (def.notAvailable !== undefined && def.notAvailable !== null) return def.notAvailable;
  return typeRange(def.type).max;
}

/** The raw write range of a register: its type, narrowed by the catalogue's min / max. */
export function rawRange(def: RegisterDef): { min: number; max: number } {
  const range = typeRange(def.type);
  const offset = def.offset ?? 0;
  const toRaw = (v: number): number => Math.round((v - offset) / def.scale);
  return {
    min: def.min !== undefined ? Math.max(range.min, toRaw(def.min)) : range.min,
    max: def.max !== undefined ? Math.min(range.max, toRaw(def.max)) : range.max,
  };
}

/** A read-only register whose raw integer comes from `get`. */
export function liveSlot(id: number, get: () => number): RegisterSlot {
  const def = registerDef(id);
  return { def, read: () => encodeRaw(def, get()) };
}

/** A read-only register with fixed bytes (identity, strings). */
export function fixedSlot(id: number, bytes: Uint8Array): RegisterSlot {
  return { def: registerDef(id), read: () => bytes };
}

export interface SettingOptions {
  /** Raw limits, when narrower than the catalogue's. */
  readonly min?: number;
  readonly max?: number;
  /** After a value took. */
  readonly onStored?: (raw: number) => void;
}

/**
 * A writable register kept in `store` (raw integers by id). Out-of-range values are refused
 * with flags 0x04 and the nearest valid value, which is not stored: the BMV-7xx HEX protocol
 * example sets 0 Ah, gets `:8001004010038` (1 Ah) back, and a Get still reads the old 500 Ah.
 */
export function settingSlot(id: number, store: Map<number, number>, initial: number, options: SettingOptions = {}): RegisterSlot {
  const def = registerDef(id);
  if (!store.has(id)) store.set(id, initial);
  const range = rawRange(def);
  const min = Math.max(range.min, options.min ?? range.min);
  const max = Math.min(range.max, options.max ?? range.max);
  const current = (): Uint8Array => encodeRaw(def, store.get(id) ?? initial);
  return {
    def,
    read: current,
    write(value) {
      const raw = decodeRaw(def, value);
      if (raw === undefined) return { flags: Flag.ParameterError, value: current(), stored: false };
      if (raw < min || raw > max) {
        return { flags: Flag.ParameterError, value: encodeRaw(def, Math.min(max, Math.max(min, raw))), stored: false };
      }
      store.set(id, raw);
      options.onStored?.(raw);
      return { flags: 0, value: encodeRaw(def, raw), stored: true };
    },
  };
}

/** A write-only command register (restore defaults, clear history): the data is ignored. */
export function commandSlot(id: number, run: () => void): RegisterSlot {
  const def = registerDef(id);
  return {
    def,
    write(value) {
      run();
      return { flags: 0, value, stored: true };
    },
  };
}
