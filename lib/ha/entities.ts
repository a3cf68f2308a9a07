/**
 * What Home Assistant is told about each value: which entity kind, its name, unit, device
 * class and state class, from the Text field and register catalogues. Device classes and state
 * classes are Home Assistant's (sensor and number integrations); energy counters are
 * `total_increasing`, instantaneous values `measurement`, texts (charge state, error) none.
 */

import type { DeviceIdentity } from '../link/device';
import { describeWrite } from '../link/write-policy';
import { findRegister } from '../protocol/catalog/registers';
import { TEXT_FIELDS } from '../protocol/catalog/text-fields';
import type { RegisterDef, TextFieldDef } from '../protocol/catalog/types';
import { VeError } from '../errors';

export type HaComponent = 'sensor' | 'number';
export type StateClass = 'measurement' | 'total' | 'total_increasing';

export interface HaEntity {
  /** The value's catalogue name (`batteryVoltage`): object id, topic level and unique id part. */
  readonly key: string;
  /** Shown in Home Assistant (English, from the catalogue). */
  readonly name: string;
  readonly component: HaComponent;
  readonly unit?: string;
  readonly deviceClass?: string;
  readonly stateClass?: StateClass;
  /** Counters and identifiers that are not everyday values. */
  readonly diagnostic?: boolean;
  /** Where the state comes from. */
  readonly source: 'text' | 'register' | 'energy';
  /** For a `number` (a command topic): the range and step the write policy allows. */
  readonly command?: { readonly min: number; readonly max: number; readonly step: number; readonly register: string };
}

/** Text fields that name the device rather than measure it: they go into the device block. */
const IDENTITY_FIELDS: ReadonlySet<string> = new Set(['productId', 'firmware', 'firmwareExtended', 'serialNumber', 'bmvModel', 'hardwareRevision']);

/** Energy counters that only grow (or reset to zero: Home Assistant then starts a new cycle). */
const ENERGY_COUNTERS: ReadonlySet<string> = new Set(['yieldTotal', 'yieldToday', 'chargedEnergy', 'dischargedEnergy', 'yieldUser', 'yieldSystem']);

/** Counts that only grow. */
const COUNTS: ReadonlySet<string> = new Set(['chargeCycles', 'fullDischarges', 'automaticSyncs', 'lowVoltageAlarms', 'highVoltageAlarms', 'lowAuxVoltageAlarms', 'highAuxVoltageAlarms']);

/** History and bookkeeping values, shown under "diagnostic" in Home Assistant. */
const DIAGNOSTIC: ReadonlySet<string> = new Set([
  'daySequenceNumber',
  'deepestDischarge',
  'lastDischarge',
  'averageDischarge',
  'cumulativeAmpHours',
  'minimumVoltage',
  'maximumVoltage',
  'minimumAuxVoltage',
  'maximumAuxVoltage',
  'secondsSinceFullCharge',
  'offReason',
  'trackerMode',
  'dcMonitorMode',
  'bleCapabilities',
  ...COUNTS,
]);

/** Home Assistant's device class for a unit (and, for %, the value). */
function deviceClassOf(unit: string, key: string): string | undefined {
  switch (unit) {
    case 'V':
      return 'voltage';
    case 'A':
      return 'current';
    case 'W':
      return 'power';
    case 'VA':
      return 'apparent_power';
    case 'kWh':
      return 'energy';
    case '°C':
      return 'temperature';
    case 's':
    case 'min':
    case 'h':
      return 'duration';
    case '%':
      return key === 'stateOfCharge' ? 'battery' : undefined;
    default:
      return undefined;
  }
}

function stateClassOf(unit: string, key: string, numeric: boolean): StateClass | undefined {
  if (!numeric) return undefined;
  if (ENERGY_COUNTERS.has(key) || COUNTS.has(key)) return 'total_increasing';
  // Yesterday's yield is a finished day's amount, not a counter nor a measurement: Home
  // Assistant allows neither `measurement` for energy nor would a total make sense.
  if (unit === 'kWh') return undefined;
  if (key === 'daySequenceNumber') return undefined;
  return 'measurement';
}

function build(key: string, name: string, unit: string, numeric: boolean, source: HaEntity['source']): HaEntity {
  const deviceClass = numeric ? deviceClassOf(unit, key) : undefined;
  const stateClass = stateClassOf(unit, key, numeric);
  return {
    key,
    name,
    component: 'sensor',
    ...(numeric && unit !== '' ? { unit } : {}),
    ...(deviceClass ? { deviceClass } : {}),
    ...(stateClass ? { stateClass } : {}),
    ...(DIAGNOSTIC.has(key) ? { diagnostic: true } : {}),
    source,
  };
}

/** Whether a Text field becomes an entity (identity fields describe the device instead). */
export function isEntityField(name: string): boolean {
  return !IDENTITY_FIELDS.has(name);
}

/** The entity of a Text field (by catalogue name), or undefined for an identity field. */
export function textFieldEntity(field: TextFieldDef): HaEntity | undefined {
  if (!isEntityField(field.name)) return undefined;
  const numeric = field.kind === 'int';
  return build(field.name, field.description, field.unit ?? '', numeric, 'text');
}

/** The entity of a Text field the device sent, found by name; unknown labels become plain text sensors. */
export function textEntityByName(name: string): HaEntity | undefined {
  const field = TEXT_FIELDS.find((f) => f.name === name);
  if (field) return textFieldEntity(field);
  return isEntityField(name) ? build(name, name, '', false, 'text') : undefined;
}

function numericRegister(def: RegisterDef): boolean {
  return def.type !== 'string' && def.type !== 'bytes' && def.type !== 'none' && def.enumTexts === undefined && def.bitTexts === undefined;
}

/** A register to read periodically and show as a sensor. */
export function registerEntity(ref: string): HaEntity {
  const def = findRegister(ref);
  if (!def) throw new VeError('VE_UNKNOWN_REGISTER', `Unknown register "${ref}". Give a catalogue name (batteryTemperature) or an id (0xEDEC).`, { register: ref });
  if (def.access === 'w') throw new VeError('VE_BAD_INPUT', `${def.name} cannot be read: it is a device command`, { register: def.id });
  if (def.type === 'bytes' || def.type === 'none') throw new VeError('VE_BAD_INPUT', `${def.name} is a raw record, not a value Home Assistant can show`, { register: def.id });
  return build(def.name, def.description, def.unit, numericRegister(def), 'register');
}

/**
 * A register Home Assistant may write (a `number` with a command topic). Only registers the
 * write policy lets through without an opt-in qualify: volatile link values such as the
 * charge current limit, never a flash-backed setting or a device command. The range is the
 * policy's for this device (the 100|30's 30 A), so Home Assistant's slider matches what the
 * policy will accept.
 */
export function commandEntity(ref: string, identity: DeviceIdentity | null): HaEntity {
  const def = findRegister(ref);
  if (!def) throw new VeError('VE_UNKNOWN_REGISTER', `Unknown register "${ref}". Give a catalogue name (chargeCurrentLimit) or an id (0x2015).`, { register: ref });
  const write = describeWrite(def, identity);
  if (write.optIn !== 'none' || !numericRegister(def) || write.range === null) {
    throw new VeError(
      'VE_BAD_INPUT',
      `${def.name} cannot be a Home Assistant command: only volatile numeric registers can (this one ${write.optIn === 'none' ? 'is not numeric' : `needs the ${write.optIn} opt-in`})`,
      { register: def.id, optIn: write.optIn },
    );
  }
  const base = build(def.name, def.description, def.unit, true, 'register');
  return { ...base, component: 'number', command: { min: write.range.min, max: write.range.max, step: def.scale, register: def.name } };
}

/**
 * The never-decreasing solar energy total a charger's yield gives Home Assistant's energy
 * dashboard (energy-total.ts).
 */
export const ENERGY_TOTAL_ENTITY: HaEntity = {
  key: 'energyTotal',
  name: 'Solar energy (for the energy dashboard)',
  component: 'sensor',
  unit: 'kWh',
  deviceClass: 'energy',
  stateClass: 'total_increasing',
  source: 'energy',
};
