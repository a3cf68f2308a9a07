/**
 * The `ve-bmv-to-mppt` editor's saved fields, and their translation into the sense bridge's
 * configuration. Nothing is clamped or guessed here: a blank field means the library's default,
 * anything else goes to the library as given (seconds become milliseconds), and the library
 * refuses what is out of bounds with VE_BAD_INPUT naming the setting.
 */

import type { NodeDef } from 'node-red';
import type { BridgeConfigInput } from '../../lib/bridge/types';

/** A number field as the editor saves it (text, or a number in flows written by hand). */
type NumberField = string | number | undefined;

/** The editor's saved fields. */
export interface BridgeNodeDef extends NodeDef {
  /** ve-direct-port node ids of the battery monitors, in priority order. */
  sources?: string[];
  /** Every deployed ve-direct-port whose device is a BMV / SmartShunt (then `sources` is ignored). */
  sourcesAll?: boolean;
  /** ve-direct-port node ids of the MPPT solar chargers. */
  targets?: string[];
  /** Every deployed ve-direct-port whose device is an MPPT (then `targets` is ignored). */
  targetsAll?: boolean;
  share?: string;
  /** Share the battery current (0x200A) as well. */
  shareCurrent?: boolean;
  voltageStrategy?: string;
  /** Blank: by chemistry (min for lithium, else max). */
  temperatureStrategy?: string;
  requireAllSources?: boolean;
  chemistry?: string;
  /** °C. */
  lowTemperatureLimit?: NumberField;
  /** V. */
  maxSpreadVoltage?: NumberField;
  /** °C. */
  maxSpreadTemperature?: NumberField;
  /** s. */
  voltageInterval?: NumberField;
  /** s. */
  temperatureInterval?: NumberField;
  /** s. */
  freshness?: NumberField;
  /** V per 12 V of system voltage. */
  plausibilityWindow?: NumberField;
  /** "auto", or 12 / 24 / 36 / 48. */
  systemVoltage?: NumberField;
  externalVoltage?: boolean;
  externalTemperature?: boolean;
  /** The battery has a BMS that can disconnect it from the chargers. */
  bmsDisconnect?: boolean;
  /** … and the user chose to share anyway. */
  bmsAccept?: boolean;
  /** Start sharing at deploy (else start paused; `msg.enabled = true` resumes). */
  enabled?: boolean;
}

/** Editor field → library setting, for numbers the editor keeps in seconds. */
const SECONDS: ReadonlyArray<readonly [keyof BridgeNodeDef, keyof BridgeConfigInput]> = [
  ['voltageInterval', 'voltageIntervalMs'],
  ['temperatureInterval', 'temperatureIntervalMs'],
  ['freshness', 'freshnessMs'],
];

/** Editor field → library setting, same unit. */
const PLAIN: ReadonlyArray<readonly [keyof BridgeNodeDef, keyof BridgeConfigInput]> = [
  ['maxSpreadVoltage', 'maxSpreadVoltage'],
  ['maxSpreadTemperature', 'maxSpreadTemperature'],
  ['plausibilityWindow', 'plausibilityWindow'],
  ['lowTemperatureLimit', 'lowTemperatureLimit'],
];

/** The editor field behind a library setting (for messages that name it), or null. */
export function editorField(setting: string): keyof BridgeNodeDef | null {
  const found = [...SECONDS, ...PLAIN].find(([, key]) => key === setting);
  if (found !== undefined) return found[0];
  const same: ReadonlyArray<keyof BridgeNodeDef> = ['share', 'voltageStrategy', 'temperatureStrategy', 'chemistry', 'systemVoltage', 'sources', 'targets', 'bmsAccept'];
  return same.find((f) => f === setting) ?? null;
}

/**
 * A number field: undefined when blank (the library's default); a number when it reads as
 * one; else the text itself, so that the library's refusal quotes what the user typed.
 */
function numberField(value: unknown): number | string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  const text = String(value).trim();
  if (text === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

function textField(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  return value.trim();
}

/** A checkbox; old or hand-written flows may hold "true" / "false". */
export function checkbox(value: unknown, fallback: boolean): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return fallback;
}

/**
 * The library configuration for these fields. Values of the wrong kind are passed on
 * unchanged (typed loosely on purpose) so that `resolveConfig` refuses them by name.
 */
export function bridgeConfig(def: BridgeNodeDef): BridgeConfigInput {
  const out: Record<string, unknown> = {
    sourceSelection: checkbox(def.sourcesAll, false) ? 'auto' : 'explicit',
    targetSelection: checkbox(def.targetsAll, false) ? 'auto' : 'explicit',
    requireAllSources: checkbox(def.requireAllSources, true),
    externalVoltage: checkbox(def.externalVoltage, false),
    externalTemperature: checkbox(def.externalTemperature, false),
    shareCurrent: checkbox(def.shareCurrent, false),
  };
  for (const key of ['share', 'voltageStrategy', 'temperatureStrategy', 'chemistry'] as const) {
    const value = textField(def[key]);
    if (value !== undefined) out[key] = value;
  }
  for (const [field, key] of SECONDS) {
    const value = numberField(def[field]);
    // Whole milliseconds: 2.3 s is 2300 ms, not 2299.9999999999995.
    if (value !== undefined) out[key] = typeof value === 'number' ? Math.round(value * 1000) : value;
  }
  for (const [field, key] of PLAIN) {
    const value = numberField(def[field]);
    if (value !== undefined) out[key] = value;
  }
  const system = numberField(def.systemVoltage);
  if (system !== undefined) out.systemVoltage = system;
  return out as BridgeConfigInput; // checked by resolveConfig, which names any bad value
}
