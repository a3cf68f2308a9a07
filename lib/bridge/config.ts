/**
 * Bridge configuration: defaults, allowed bounds, and the one function that turns a partial
 * configuration (from the node's editor) into a complete, checked one. Anything out of bounds
 * is refused with VE_BAD_INPUT rather than clamped, so a typo never silently becomes a
 * different interval.
 *
 * Where the numbers come from:
 * - voltage and current every 3 s, temperature every 9 s: the GX (dbus-systemcalc-py
 *   batterysense.py, timer of 3 s, TEMPERATURE_INTERVAL = 3 ticks);
 * - current off by default: it needs newer charger firmware than voltage and temperature, and
 *   it changes how the charger ends absorption (tail current), so it is the user's choice;
 * - at most 20 s between writes: the charger drops remote values 60 s after the last write
 *   (BlueSolar HEX protocol MPPT rev 10, "Remote sensor data"), a field report saw ~50 s, and
 *   20 s leaves room for two missed writes;
 * - at least 1 s: faster HEX traffic delays the chargers' Text frames (dbus-systemcalc-py
 *   dvcc.py, comment on ADJUST);
 * - freshness 5 s: battery monitors send a Text block every second (VE.Direct Protocol).
 */

import { VeError } from '../errors';
import type { BridgeConfig, BridgeConfigInput, Chemistry, Quantity, Selection, ShareMode, Strategy, SystemVoltage } from './types';

export const DEFAULT_CONFIG: Omit<BridgeConfig, 'temperatureStrategy'> = {
  share: 'both',
  voltageStrategy: 'max',
  requireAllSources: true,
  maxSpreadVoltage: 0.3,
  maxSpreadTemperature: 5,
  shareCurrent: false,
  voltageIntervalMs: 3000,
  temperatureIntervalMs: 9000,
  freshnessMs: 5000,
  plausibilityWindow: 0.5,
  systemVoltage: 'auto',
  temperatureMin: -30,
  temperatureMax: 70,
  chemistry: 'lead-acid',
  lowTemperatureLimit: 5,
  externalVoltage: false,
  externalTemperature: false,
  sourceSelection: 'explicit',
  targetSelection: 'explicit',
  voltageSources: 'all',
  temperatureSources: 'all',
  verifyIntervalMs: 15_000,
  verifyFailLimit: 3,
  conflictCheckIntervalMs: 60_000,
  offlineRetryMs: 15_000,
  rejectRetryMs: 600_000,
  implausibleHoldMs: 30_000,
  stopTimeoutMs: 3000,
};

/** Inclusive bounds of the numeric settings. */
export const CONFIG_BOUNDS = {
  maxSpreadVoltage: [0.01, 5],
  maxSpreadTemperature: [0.5, 30],
  voltageIntervalMs: [1000, 20_000],
  temperatureIntervalMs: [1000, 20_000],
  freshnessMs: [1000, 10_000],
  plausibilityWindow: [0.1, 1.5],
  temperatureMin: [-30, 70],
  temperatureMax: [-30, 70],
  lowTemperatureLimit: [-30, 30],
  verifyIntervalMs: [3000, 60_000],
  verifyFailLimit: [2, 10],
  conflictCheckIntervalMs: [10_000, 600_000],
  offlineRetryMs: [1000, 60_000],
  rejectRetryMs: [0, 86_400_000],
  implausibleHoldMs: [0, 300_000],
  stopTimeoutMs: [500, 10_000],
} as const satisfies Partial<Record<keyof BridgeConfig, readonly [number, number]>>;

const STRATEGIES: readonly Strategy[] = ['average', 'min', 'max', 'first-fresh'];
const SHARE_MODES: readonly ShareMode[] = ['voltage', 'temperature', 'both'];
const CHEMISTRIES: readonly Chemistry[] = ['lead-acid', 'lithium', 'other'];
const SYSTEM_VOLTAGES: readonly SystemVoltage[] = ['auto', 12, 24, 36, 48];
const SELECTIONS: readonly Selection[] = ['explicit', 'auto'];
const BOOLEAN_KEYS = ['requireAllSources', 'externalVoltage', 'externalTemperature', 'shareCurrent'] as const;
const KNOWN_KEYS: ReadonlySet<string> = new Set<string>([...Object.keys(DEFAULT_CONFIG), 'temperatureStrategy']);

function bad(message: string, details: Record<string, unknown>): VeError {
  return new VeError('VE_BAD_INPUT', message, details);
}

function oneOf<T>(key: string, value: unknown, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) {
    throw bad(`${key} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(value)}`, { key, value });
  }
  return found;
}

/** Complete and check a configuration. Throws VeError VE_BAD_INPUT naming the first bad key. */
export function resolveConfig(input: BridgeConfigInput = {}): BridgeConfig {
  for (const key of Object.keys(input)) {
    if (!KNOWN_KEYS.has(key)) throw bad(`unknown bridge setting "${key}"`, { key });
  }
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const [key, value] of Object.entries(input)) if (value !== undefined) merged[key] = value;

  for (const [key, [min, max]] of Object.entries(CONFIG_BOUNDS)) {
    const value = merged[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw bad(`${key} must be a number, got ${JSON.stringify(value)}`, { key, value });
    if (value < min || value > max) throw bad(`${key} must lie within ${min}..${max}, got ${value}`, { key, value, min, max });
  }
  if (!Number.isInteger(merged.verifyFailLimit)) throw bad('verifyFailLimit must be a whole number', { key: 'verifyFailLimit' });
  for (const key of BOOLEAN_KEYS) {
    if (typeof merged[key] !== 'boolean') throw bad(`${key} must be true or false, got ${JSON.stringify(merged[key])}`, { key });
  }
  const chemistry = oneOf('chemistry', merged.chemistry, CHEMISTRIES);
  const temperatureStrategy =
    merged.temperatureStrategy === undefined ? (chemistry === 'lithium' ? 'min' : 'max') : oneOf('temperatureStrategy', merged.temperatureStrategy, STRATEGIES);
  const config: BridgeConfig = {
    ...(merged as unknown as BridgeConfig), // every key was checked above or is checked below
    share: oneOf('share', merged.share, SHARE_MODES),
    voltageStrategy: oneOf('voltageStrategy', merged.voltageStrategy, STRATEGIES),
    temperatureStrategy,
    chemistry,
    systemVoltage: oneOf('systemVoltage', merged.systemVoltage, SYSTEM_VOLTAGES),
    sourceSelection: oneOf('sourceSelection', merged.sourceSelection, SELECTIONS),
    targetSelection: oneOf('targetSelection', merged.targetSelection, SELECTIONS),
  };
  for (const key of ['voltageSources', 'temperatureSources'] as const) {
    const value = config[key];
    if (value !== 'all' && !(Array.isArray(value) && value.every((id) => typeof id === 'string'))) {
      throw bad(`${key} must be "all" or a list of source ids, got ${JSON.stringify(value)}`, { key, value });
    }
  }
  if (config.temperatureMin >= config.temperatureMax) {
    throw bad(`temperatureMin (${config.temperatureMin}) must be below temperatureMax (${config.temperatureMax})`, { key: 'temperatureMin' });
  }
  if (config.rejectRetryMs !== 0 && config.rejectRetryMs < 60_000) {
    throw bad(`rejectRetryMs must be 0 (never) or at least 60000, got ${config.rejectRetryMs}`, { key: 'rejectRetryMs' });
  }
  return config;
}

export function sharesQuantity(config: BridgeConfig, quantity: Quantity): boolean {
  if (quantity === 'current') return config.shareCurrent;
  return config.share === 'both' || config.share === quantity;
}
