/**
 * Register references as users type them: a catalogue name (`batteryVoltage`, any case) or an
 * id (`0xED8D`, or the number). Ids the catalogue does not know are allowed (they are read as
 * plain integers or bytes); names it does not know are an error.
 */

import { VeError, cutInput, quoteInput } from '../errors';
import { findRegister } from '../protocol/catalog/registers';
import type { RegisterDef } from '../protocol/catalog/types';

export type RegisterRef = string | number;

export interface ResolvedRegister {
  readonly id: number;
  /** The catalogue entry, undefined for an id the catalogue does not know. */
  readonly def: RegisterDef | undefined;
}

export function resolveRegister(ref: RegisterRef): ResolvedRegister {
  if (typeof ref === 'number') {
    if (!Number.isInteger(ref) || ref < 0 || ref > 0xffff) {
      throw new VeError('VE_UNKNOWN_REGISTER', `register id ${cutInput(ref)} is not 0x0000–0xFFFF`, { register: ref });
    }
    return { id: ref, def: findRegister(ref) };
  }
  const def = findRegister(ref);
  if (def !== undefined) return { id: def.id, def };
  const match = /^0x([0-9a-f]{1,4})$/i.exec(ref.trim());
  if (match?.[1] !== undefined) return { id: Number.parseInt(match[1], 16), def: undefined };
  throw new VeError('VE_UNKNOWN_REGISTER', `unknown register ${quoteInput(ref)}. Give a catalogue name (batteryVoltage) or an id (0xED8D).`, { register: ref });
}
