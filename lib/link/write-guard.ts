/**
 * Write guard: decides, from the register catalogue alone, whether a write may go out and
 * what bytes it is — before any byte is sent. Read-only registers are refused, flash-backed
 * settings and device commands need an explicit opt-in (a flash cell wears out; a command
 * such as 0x0004 restores every setting to factory defaults), and values must fit the
 * register's type and documented range (a bad setting can stop an MPPT with error 119 until
 * someone intervenes, BlueSolar HEX protocol MPPT note 5).
 */

import { VeError } from '../errors';
import { formatRegisterId } from '../protocol/catalog/registers';
import type { RegisterDef } from '../protocol/catalog/types';
import { encodeRegisterValue } from '../protocol/value-codec';
import { resolveRegister, type RegisterRef } from './register-ref';

export interface PreparedWrite {
  readonly id: number;
  readonly def: RegisterDef;
  /** The value bytes to send, little-endian. */
  readonly bytes: Uint8Array;
}

/** Refuse a write the catalogue forbids: VE_READ_ONLY, or VE_FLASH_GUARD without the opt-in. */
export function checkWritable(def: RegisterDef, allowFlash: boolean): void {
  const name = `${formatRegisterId(def.id)} ${def.name}`;
  const details = { register: formatRegisterId(def.id), name: def.name, storage: def.storage };
  if (def.access === 'ro') throw new VeError('VE_READ_ONLY', `${name} is read-only`, details);
  if (allowFlash) return;
  if (def.storage === 'flash') {
    throw new VeError('VE_FLASH_GUARD', `${name} is a setting stored in flash memory, which wears out with repeated writes: allow flash writes explicitly to change it`, details);
  }
  if (def.storage === 'command') {
    throw new VeError('VE_FLASH_GUARD', `${name} is a device command (${def.description}): allow it explicitly to send it`, details);
  }
}

/**
 * Check and encode a write by catalogue name or id: VE_UNKNOWN_REGISTER for a register the
 * catalogue does not know (its type is unknown; raw bytes are the way), VE_READ_ONLY,
 * VE_FLASH_GUARD, and VE_RANGE / VE_TYPE from the value codec. `null` is the register's
 * "not available" value.
 */
export function prepareWrite(ref: RegisterRef, value: number | string | null, allowFlash: boolean): PreparedWrite {
  const { id, def } = resolveRegister(ref);
  if (def === undefined) {
    throw new VeError('VE_UNKNOWN_REGISTER', `${formatRegisterId(id)} is not in the register catalogue, so its type is unknown: write raw bytes instead`, {
      register: formatRegisterId(id),
    });
  }
  checkWritable(def, allowFlash);
  return { id, def, bytes: encodeRegisterValue(def, value) };
}

/** Hex text of value bytes as on the wire ("2D05", "0x2D05", "2d 05") → bytes. */
export function parseHexBytes(text: string): Uint8Array {
  const clean = text.replace(/^0x/i, '').replace(/\s+/g, '');
  if (!/^(?:[0-9a-f]{2})*$/i.test(clean)) {
    throw new VeError('VE_BAD_INPUT', `raw value must be hex bytes as on the wire (little-endian), e.g. "2D05"; got "${text}"`, { value: text });
  }
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}
