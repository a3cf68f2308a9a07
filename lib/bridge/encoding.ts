/**
 * The bytes of a remote sense write, made in one place with the catalogue's encoder: 0x2002 is
 * un16 in 0.01 V, 0x2003 sn16 in 0.01 °C (not K), 0x200A sn32 in 0.001 A, little-endian,
 * values rounded half away from zero to the register's step (BlueSolar HEX protocol MPPT rev
 * 10, remote control registers). A type-confused
 * value is what made a GX send 0 °C to chargers once (venus issue #874, fixed by
 * "explicitly write a float to LINK_TSENSE"), so nothing here guesses.
 *
 * "Not available": 0x2002 = 0xFFFF, 0x2003 = 0x7FFF (note 3 of the same table), 0x200A =
 * 0x7FFFFFFF (the sn32 sentinel; chargers announce it so at a timeout). 0xFFFF must
 * never reach 0x2003: as sn16 it is −0.01 °C, and an older Victron register dictionary even
 * called it "not available" there. The one temperature that encodes to FF FF, −0.01 °C, is
 * written as −0.02 °C (the colder side, which keeps a lithium low-temperature cut-off on the
 * safe side).
 */

import { VeError } from '../errors';
import { findRegister } from '../protocol/catalog/registers';
import { decodeRegisterValue, encodeRegisterValue } from '../protocol/value-codec';
import { ISENSE, TSENSE, VSENSE, type SenseRegister } from './types';

export interface EncodedSense {
  readonly register: SenseRegister;
  /** The value the charger will decode (V / °C), or null for "not available". */
  readonly value: number | null;
  /** The value bytes, uppercase hex, little-endian. */
  readonly raw: string;
}

const RELEASE_RAW: Readonly<Record<SenseRegister, string>> = { [VSENSE]: 'FFFF', [TSENSE]: 'FF7F', [ISENSE]: 'FFFFFF7F' };

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).toUpperCase().padStart(2, '0');
  return out;
}

function definition(register: SenseRegister) {
  const def = findRegister(register);
  if (def === undefined) throw new VeError('VE_UNKNOWN_REGISTER', `register 0x${register.toString(16)} is missing from the catalogue`);
  return def;
}

/**
 * Encode a sense value (V for 0x2002, °C for 0x2003, A for 0x200A), or null for the release sentinel.
 * Throws VE_RANGE / VE_TYPE for a value the register cannot carry, and refuses (VE_RANGE) to
 * produce FF FF for 0x2003 or a sentinel for a number.
 */
export function encodeSense(register: SenseRegister, value: number | null): EncodedSense {
  const def = definition(register);
  let bytes = encodeRegisterValue(def, value);
  let raw = hex(bytes);
  if (value === null) {
    if (raw !== RELEASE_RAW[register]) {
      throw new VeError('VE_RANGE', `the "not available" value of 0x${register.toString(16).toUpperCase()} encodes as ${raw}, expected ${RELEASE_RAW[register]}`);
    }
    return { register, value: null, raw };
  }
  if (register === TSENSE && raw === 'FFFF') {
    bytes = encodeRegisterValue(def, -0.02);
    raw = hex(bytes);
  }
  if (raw === RELEASE_RAW[register] || (register === TSENSE && raw === 'FFFF')) {
    throw new VeError('VE_RANGE', `${value} would be written as the "not available" value ${raw}`, { register, value });
  }
  const decoded = decodeRegisterValue(def, bytes).value;
  if (typeof decoded !== 'number') throw new VeError('VE_TYPE', `${value} does not decode back to a number`, { register, value });
  return { register, value: decoded, raw };
}

export function releaseRaw(register: SenseRegister): string {
  return RELEASE_RAW[register];
}
