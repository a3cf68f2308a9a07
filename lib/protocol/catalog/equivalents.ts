/**
 * Registers that hold the same quantity in different device families: a battery monitor's
 * battery voltage is 0xED8D, a charger's is 0xEDD5. Users who know one family ask another
 * for the register they know; the device answers "unknown id", and this says which
 * register of its own family to ask instead.
 *
 * Pure catalogue knowledge: no I/O.
 */

import { REGISTERS, formatRegisterId } from './registers';
import type { DeviceFamily, RegisterDef } from './types';

/**
 * Groups of registers measuring the same thing, one per family that has it. Only true
 * equivalents belong here (same quantity, same unit): a suggestion must never make a user read
 * something else than what they meant.
 */
const EQUIVALENT_NAMES: readonly (readonly string[])[] = [
  // Battery voltage at the monitor's shunt / at the charger's battery terminals.
  ['batteryVoltage', 'chargerVoltage'],
  // Battery current at the shunt / the charger's output current (battery + load on MPPTs).
  ['batteryCurrent', 'chargerCurrent'],
];

const BY_NAME = new Map(REGISTERS.map((r) => [r.name, r]));

const GROUPS: readonly (readonly RegisterDef[])[] = EQUIVALENT_NAMES.map((names) =>
  names.map((name) => {
    const def = BY_NAME.get(name);
    if (def === undefined) throw new Error(`equivalents: ${name} is not in the register catalogue`);
    return def;
  }),
);

/** The family names as users know them. */
const FAMILY_TEXT: Readonly<Record<DeviceFamily, string>> = {
  bmv: 'BMV battery monitors',
  smartshunt: 'SmartShunts',
  mppt: 'MPPT solar chargers',
  inverter: 'inverters',
  charger: 'AC chargers',
  dcdc: 'DC-DC chargers',
  other: 'other devices',
};

/** "BMV battery monitors and SmartShunts" for a register's families. */
export function familiesText(families: readonly DeviceFamily[]): string {
  const names = families.map((f) => FAMILY_TEXT[f]);
  if (names.length <= 1) return names[0] ?? 'no device family';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`;
}

/**
 * The registers of `family` that hold what `def` holds on the families it belongs to; empty
 * when the family has `def` itself, or has no equivalent.
 */
export function equivalentRegisters(def: RegisterDef, family: DeviceFamily): RegisterDef[] {
  if (def.families.includes(family)) return [];
  const out: RegisterDef[] = [];
  for (const group of GROUPS) {
    if (!group.includes(def)) continue;
    for (const other of group) if (other !== def && other.families.includes(family) && !out.includes(other)) out.push(other);
  }
  return out;
}

/**
 * What to tell a user whose device of `family` does not know `def`: which register of its
 * family to read instead, or whose register `def` is. Undefined when the catalogue says the
 * family has `def` (then the device's firmware lacks it, and there is nothing to suggest).
 */
export function otherFamilyHint(def: RegisterDef, family: DeviceFamily): string | undefined {
  if (def.families.includes(family)) return undefined;
  const whose = `${def.name} is a register of ${familiesText(def.families)}`;
  const instead = equivalentRegisters(def, family);
  if (instead.length === 0) return `${whose}; the catalogue knows no register of ${FAMILY_TEXT[family]} for the same value`;
  const names = instead.map((r) => `${r.name} (${formatRegisterId(r.id)})`).join(' or ');
  return `${whose}; on ${FAMILY_TEXT[family]} read ${names}`;
}
