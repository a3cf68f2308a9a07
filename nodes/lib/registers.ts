/**
 * Register lists as nodes receive them: the editor's text ("batteryVoltage, 0xED8F"), or a
 * message property holding a name, an id (text or number) or an array of them. Parsing only:
 * whether a name exists is for `resolveRegister`, so the error says which one is unknown.
 */

import { resolveRegister, type RegisterRef, type ResolvedRegister } from '../../lib/link/register-ref';
import { formatRegisterId } from '../../lib/protocol/catalog/registers';

/**
 * The refs in `value`: empty for undefined, null or blank text; null when `value` is not text,
 * a number or an array of those (an object, a boolean).
 */
export function registerList(value: unknown): RegisterRef[] | null {
  if (value === undefined || value === null) return [];
  if (typeof value === 'number') return [value];
  if (typeof value === 'string') {
    return value
      .split(/[\s,;]+/)
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }
  if (!Array.isArray(value)) return null;
  const items: readonly unknown[] = value;
  const refs: RegisterRef[] = [];
  for (const item of items) {
    if (typeof item !== 'string' && typeof item !== 'number') return null;
    refs.push(...(registerList(item) ?? []));
  }
  return refs;
}

/** A resolved register and the name a user knows it by. */
export interface NamedRegister extends ResolvedRegister {
  /** Catalogue name, or the id ("0x2211") for registers the catalogue does not know. */
  readonly label: string;
  /** "batteryVoltage (0xED8D)", for messages. */
  readonly display: string;
}

export function named(ref: RegisterRef): NamedRegister {
  const resolved = resolveRegister(ref);
  const id = formatRegisterId(resolved.id);
  const label = resolved.def?.name ?? id;
  return { ...resolved, label, display: resolved.def ? `${label} (${id})` : id };
}
