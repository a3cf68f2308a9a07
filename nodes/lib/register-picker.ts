/**
 * The server side of the get and set dialogs' register picker: the catalogue entries as the
 * picker lists them — the values people watch first (battery voltage, current, power, state
 * of charge, charge state, PV power, yield…), then the rest in groups (other live values,
 * control, settings, history, device information, device commands), each group by name — with
 * what a write needs (no opt-in, the flash opt-in, the command opt-in, or impossible) and the
 * range a value must lie in for the device behind the port, as the write policy says.
 */

import type { DeviceIdentity } from '../../lib/link/device';
import { describeWrite, type OptIn, type WriteRange } from '../../lib/link/write-policy';
import type { RegisterDef } from '../../lib/protocol/catalog/types';

/** The picker's groups, in the order it shows them. */
export const PICKER_GROUPS = ['common', 'live', 'control', 'settings', 'history', 'device', 'command'] as const;
export type PickerGroup = (typeof PICKER_GROUPS)[number];

/**
 * The values most flows want, most wanted first: what the device's display and VictronConnect
 * show on their first page (monitors, then chargers), then the next most asked for.
 */
export const COMMON_REGISTERS: readonly string[] = [
  // Battery voltage and current: a monitor's own, a charger's at its battery terminals.
  'batteryVoltage',
  'chargerVoltage',
  'batteryCurrent',
  'chargerCurrent',
  'batteryPower',
  'stateOfCharge',
  'deviceState',
  'panelPower',
  'yieldToday',
  'panelVoltage',
  'maxPowerToday',
  'consumedAmpHours',
  'timeToGo',
  'batteryTemperature',
  'chargerErrorCode',
  'loadCurrent',
  'auxVoltage',
  'midPointDeviation',
];

/** A register as the picker lists it. */
export interface PickerRegister {
  readonly id: number;
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly access: RegisterDef['access'];
  readonly storage: RegisterDef['storage'];
  readonly type: RegisterDef['type'];
  readonly families: RegisterDef['families'];
  readonly group: PickerGroup;
  /** What a write needs (the write policy's answer for this device). */
  readonly optIn: OptIn;
  /** The range a value must lie in for this device, and where it comes from. */
  readonly range: WriteRange | null;
  readonly min?: number;
  readonly max?: number;
  /** The catalogue's note on quirks (a BMS bit that lands in flash, firmware limits), cited. */
  readonly note?: string;
}

/** History records: the monitors' 0x03xx counters, the chargers' 0x104F… daily records. */
function isHistory(def: RegisterDef): boolean {
  return (def.id >= 0x0300 && def.id <= 0x0311) || (def.id >= 0x104f && def.id <= 0x106e);
}

/** Identity and information: product, serial, firmware, capabilities, uptime. */
function isDeviceInfo(def: RegisterDef): boolean {
  return def.id >= 0x0100 && def.id <= 0x01ff;
}

export function pickerGroup(def: RegisterDef, optIn: OptIn): PickerGroup {
  if (optIn === 'command') return 'command';
  if (COMMON_REGISTERS.includes(def.name)) return 'common';
  if (isHistory(def)) return 'history';
  if (isDeviceInfo(def)) return 'device';
  if (optIn === 'flash') return 'settings';
  if (optIn === 'none') return 'control';
  return 'live';
}

export function pickerRegister(def: RegisterDef, identity: DeviceIdentity | null): PickerRegister {
  const { optIn, range } = describeWrite(def, identity);
  return {
    id: def.id,
    name: def.name,
    description: def.description,
    unit: def.unit,
    access: def.access,
    storage: def.storage,
    type: def.type,
    families: def.families,
    group: pickerGroup(def, optIn),
    optIn,
    range,
    ...(def.min !== undefined ? { min: def.min } : {}),
    ...(def.max !== undefined ? { max: def.max } : {}),
    ...(def.note !== undefined ? { note: def.note } : {}),
  };
}

/** Common values in their own order; every other group by name (history days by day). */
function compare(a: PickerRegister, b: PickerRegister): number {
  const group = PICKER_GROUPS.indexOf(a.group) - PICKER_GROUPS.indexOf(b.group);
  if (group !== 0) return group;
  if (a.group === 'common') return COMMON_REGISTERS.indexOf(a.name) - COMMON_REGISTERS.indexOf(b.name);
  return a.name.localeCompare(b.name, 'en', { numeric: true, sensitivity: 'base' });
}

/** The registers in the picker's order. */
export function pickerRegisters(defs: readonly RegisterDef[], identity: DeviceIdentity | null): PickerRegister[] {
  return defs.map((def) => pickerRegister(def, identity)).sort(compare);
}
