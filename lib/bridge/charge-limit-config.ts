/**
 * The charge-limit manager's settings: defaults and bounds, checked once when it is built, so
 * a bad setting is refused with a VeError (VE_BAD_INPUT, `details.key` naming it) before
 * anything is written.
 *
 * The refresh is bounded at 20 s: the charger drops 0x2015 after its 60 s timeout, and a field
 * report saw it go after about 50 s (esphome-victron-vedirect #1), so two refreshes may be
 * lost before it lapses.
 */

import { VeError } from '../errors';
import type { ChargeLimitConfig, ChargeLimitConfigInput } from './charge-limit-types';
import { SPLIT_MODES, type SplitMode } from './charge-split';

export const DEFAULT_LIMIT_CONFIG: ChargeLimitConfig = {
  split: 'rated',
  refreshMs: 10_000,
  timeoutMs: 60_000,
  conflictCheckIntervalMs: 60_000,
  offlineRetryMs: 15_000,
  rejectRetryMs: 600_000,
  verifyFailLimit: 2,
  stopTimeoutMs: 3000,
};

export const LIMIT_CONFIG_BOUNDS: Readonly<Record<Exclude<keyof ChargeLimitConfig, 'split'>, readonly [number, number]>> = {
  refreshMs: [2000, 20_000],
  timeoutMs: [5000, 86_400_000],
  conflictCheckIntervalMs: [10_000, 600_000],
  offlineRetryMs: [1000, 60_000],
  rejectRetryMs: [0, 86_400_000],
  verifyFailLimit: [1, 10],
  stopTimeoutMs: [500, 10_000],
};

function bad(message: string, details: Record<string, unknown>): VeError {
  return new VeError('VE_BAD_INPUT', `${message}. Nothing was written.`, details);
}

export function resolveLimitConfig(input: ChargeLimitConfigInput = {}): ChargeLimitConfig {
  const merged: Record<string, unknown> = { ...DEFAULT_LIMIT_CONFIG };
  for (const [key, value] of Object.entries(input)) {
    if (!(key in DEFAULT_LIMIT_CONFIG)) throw bad(`unknown charge limit setting "${key}"`, { key });
    if (value !== undefined) merged[key] = value;
  }
  for (const [key, [min, max]] of Object.entries(LIMIT_CONFIG_BOUNDS)) {
    const value = merged[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw bad(`${key} must be a number, got ${JSON.stringify(value)}`, { key, value });
    if (value < min || value > max) throw bad(`${key} must lie within ${min}..${max}, got ${value}`, { key, value, min, max });
  }
  if (!SPLIT_MODES.includes(merged.split as SplitMode)) throw bad(`split must be one of ${SPLIT_MODES.join(', ')}, got ${JSON.stringify(merged.split)}`, { key: 'split', value: merged.split });
  return merged as unknown as ChargeLimitConfig; // every key was checked above
}
