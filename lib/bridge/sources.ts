/**
 * Reading the sources: which monitors (and the external input) deliver a fresh, plausible
 * voltage, temperature and current right now, and the one value per quantity they combine to.
 *
 * Rules (dbus-systemcalc-py batterysense.py / systemcalc and the VE.Direct Protocol, and the
 * stricter choices of this bridge):
 * - only battery monitors (BMV / SmartShunt) are sources; never a charger's own values;
 * - a value older than `freshnessMs`, or from a port that stopped delivering, is not used;
 * - a temperature comes only from a real sensor: Text `T` = `---`, an absent `T` and HEX
 *   0xEDEC = 0xFFFF are "no sensor" — never a number;
 * - no silent fallback: with average / min / max and `requireAllSources`, one expected source
 *   missing means nothing is shared (the GX likewise uses no monitor at all when the selected
 *   one disappears). `first-fresh` is an explicitly configured fallback order;
 * - a monitor that once had a temperature and now reports none lost its sensor: an alarm,
 *   never a quiet switch to another sensor (venus issue #438);
 * - the current is the battery current of the first fresh monitor among the voltage sources
 *   (one battery has one shunt: currents of several monitors are not added up or averaged),
 *   never from the external input.
 */

import { VeError } from '../errors';
import type { AlarmDraft } from './alarms';
import { encodeSense } from './encoding';
import { isMonitor } from './gating';
import { NO_TEMPERATURE_SENSOR } from './report';
import { isSaneCurrent, isSaneVoltage, isPlausibleTemperature } from './plausibility';
import { sharesQuantity } from './config';
import { combine, spread, type Sample } from './strategies';
import { SENSE_REGISTER, type BridgeConfig, type Strategy, type CombinedReport, type MonitorSource, type Quantity, type SourceValueState, type TimedValue } from './types';

export const EXTERNAL_ID = 'external';
const EXTERNAL_LABEL = 'external input';
/** How far in the future an external timestamp may lie (clock skew between flows). */
export const EXTERNAL_FUTURE_TOLERANCE_MS = 2000;

/** What the bridge remembers about one monitor. */
export interface SourceRuntime {
  readonly source: MonitorSource;
  /** The adapter was listed explicitly (else found by "all monitors"). */
  readonly explicit: boolean;
  /** May supply this quantity (the configuration may restrict a monitor to one). */
  readonly supplies: Readonly<Record<Quantity, boolean>>;
  /**
   * It has delivered a temperature since the bridge started, or its temperature input is
   * configured (a sensor belongs there): from now on it is expected to deliver one.
   */
  temperatureSeen: boolean;
  /** It has identified as a monitor since the bridge started. */
  wasMonitor: boolean;
}

/** A value from the node's input (another flow). `null` value: the sender said "not available". */
interface ExternalValue {
  readonly value: number | null;
  readonly receivedAt: number;
}

/** The external source: readings pushed in from another flow, under the same freshness rules. */
export class ExternalSource {
  voltage: ExternalValue | null = null;
  temperature: ExternalValue | null = null;

  /**
   * Take `msg.payload`: `{ voltage?, temperature?, timestamp? }`, numbers (or null for "not
   * available"). Everything is checked before anything is taken: a bad message changes
   * nothing and throws VE_BAD_INPUT. `timestamp` is wall-clock ms and needs `wallNow`.
   */
  accept(input: unknown, now: number, config: BridgeConfig, wallNow: (() => number) | undefined): void {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new VeError('VE_BAD_INPUT', 'an external reading must be an object { voltage?, temperature?, timestamp? }', { input });
    }
    const record = input as Record<string, unknown>;
    const hasV = record.voltage !== undefined;
    const hasT = record.temperature !== undefined;
    if (!hasV && !hasT) throw new VeError('VE_BAD_INPUT', 'an external reading needs "voltage" or "temperature"', { input });
    const voltage = hasV ? checkNumber('voltage', record.voltage) : undefined;
    const temperature = hasT ? checkNumber('temperature', record.temperature) : undefined;
    if (hasV && !config.externalVoltage) {
      throw new VeError('VE_BAD_INPUT', 'an external voltage is not accepted: enable "external voltage" (externalVoltage) first', { input });
    }
    if (hasT && !config.externalTemperature) {
      throw new VeError('VE_BAD_INPUT', 'an external temperature is not accepted: enable "external temperature" (externalTemperature) first', { input });
    }
    let receivedAt = now;
    if (record.timestamp !== undefined) {
      const ts = record.timestamp;
      if (typeof ts !== 'number' || !Number.isFinite(ts)) throw new VeError('VE_BAD_INPUT', 'timestamp must be a number (ms since 1970)', { input });
      if (wallNow === undefined) throw new VeError('VE_BAD_INPUT', 'timestamp cannot be used: the bridge has no wall clock', { input });
      const wall = wallNow();
      if (ts > wall + EXTERNAL_FUTURE_TOLERANCE_MS) {
        throw new VeError('VE_BAD_INPUT', `timestamp lies ${Math.round(ts - wall)} ms in the future`, { input });
      }
      receivedAt = now - Math.max(0, wall - ts);
    }
    if (voltage !== undefined) this.voltage = { value: voltage, receivedAt };
    if (temperature !== undefined) this.temperature = { value: temperature, receivedAt };
  }
}

function checkNumber(key: string, value: unknown): number | null {
  if (value === null) return null;
  // Strings are refused, not parsed: "---" or "13.2 V" must never turn into a number here.
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new VeError('VE_BAD_INPUT', `${key} must be a number or null, got ${JSON.stringify(value)}`, { key, value });
  }
  return value;
}

// ── Evaluation ───────────────────────────────────────────────────────────────────────────────

export interface SourcePart {
  readonly value: number | null;
  readonly ageMs: number | null;
  readonly state: SourceValueState;
  readonly used: boolean;
  readonly via: 'hex' | 'text' | 'external' | null;
}

export interface Evaluation {
  readonly quantity: Quantity;
  readonly combined: CombinedReport;
  /** Per source id (monitors and, when configured, `external`). */
  readonly parts: ReadonlyMap<string, SourcePart>;
  /** The combined value with the time of its oldest contribution, for the writer. */
  readonly share: { readonly value: number | null; readonly receivedAt: number | null; readonly reason: string | null };
  readonly alarms: readonly AlarmDraft[];
}

interface Candidate {
  readonly id: string;
  readonly label: string;
  readonly kind: 'monitor' | 'external';
  readonly expected: boolean;
  readonly state: SourceValueState;
  readonly value: number | null;
  readonly receivedAt: number | null;
  readonly via: 'hex' | 'text' | 'external' | null;
  /** Appears in the report (an auto-found non-monitor does not). */
  readonly listed: boolean;
}

function subject(c: { id: string; label: string }): AlarmDraft['subject'] {
  return { kind: 'source', id: c.id, label: c.label };
}

/** Identity check shared by both quantities; returns the state to report when the source cannot be used. */
function identityState(rt: SourceRuntime): { state: SourceValueState | null; listed: boolean } {
  const identity = rt.source.identity();
  if (identity === null) return { state: 'unidentified', listed: rt.explicit || rt.wasMonitor };
  if (!isMonitor(identity)) return { state: 'not-monitor', listed: rt.explicit };
  rt.wasMonitor = true;
  return { state: null, listed: true };
}

function timed(v: TimedValue | null, now: number, freshnessMs: number, online: boolean, plausible: (x: number) => boolean): Pick<Candidate, 'state' | 'value' | 'receivedAt'> {
  if (v === null) return { state: online ? 'missing' : 'stale', value: null, receivedAt: null };
  const base = { value: v.value, receivedAt: v.receivedAt };
  if (!online || now - v.receivedAt > freshnessMs) return { ...base, state: 'stale' };
  if (!plausible(v.value)) return { ...base, state: 'out-of-range' };
  return { ...base, state: 'fresh' };
}

function voltageCandidates(sources: readonly SourceRuntime[], external: ExternalSource, config: BridgeConfig, now: number): Candidate[] {
  const out: Candidate[] = [];
  for (const rt of sources) {
    if (!rt.supplies.voltage) continue;
    const id = identityState(rt);
    const common = { id: rt.source.id, label: rt.source.label, kind: 'monitor' as const, via: null, listed: id.listed };
    // Expected: explicitly chosen, or found and identified as a monitor at some point.
    const expected = id.listed;
    if (id.state !== null) {
      out.push({ ...common, expected, state: id.state, value: null, receivedAt: null });
      continue;
    }
    out.push({ ...common, expected, ...timed(rt.source.voltage(), now, config.freshnessMs, rt.source.online(), isSaneVoltage) });
  }
  if (config.externalVoltage) {
    const ext = external.voltage;
    const v = ext === null || ext.value === null ? null : { value: ext.value, receivedAt: ext.receivedAt };
    const t = timed(v, now, config.freshnessMs, true, isSaneVoltage);
    out.push({ id: EXTERNAL_ID, label: EXTERNAL_LABEL, kind: 'external', via: 'external', listed: true, expected: ext !== null, ...t });
  }
  return out;
}

/** Monitors only (never the external input), in their configured order. */
function currentCandidates(sources: readonly SourceRuntime[], config: BridgeConfig, now: number): Candidate[] {
  const out: Candidate[] = [];
  for (const rt of sources) {
    if (!rt.supplies.current) continue;
    const id = identityState(rt);
    const common = { id: rt.source.id, label: rt.source.label, kind: 'monitor' as const, via: null, listed: id.listed, expected: id.listed };
    if (id.state !== null) {
      out.push({ ...common, state: id.state, value: null, receivedAt: null });
      continue;
    }
    out.push({ ...common, ...timed(rt.source.current(), now, config.freshnessMs, rt.source.online(), isSaneCurrent) });
  }
  return out;
}

function temperatureCandidates(sources: readonly SourceRuntime[], external: ExternalSource, config: BridgeConfig, now: number): Candidate[] {
  const out: Candidate[] = [];
  const plausible = (t: number): boolean => isPlausibleTemperature(t, config.temperatureMin, config.temperatureMax);
  for (const rt of sources) {
    if (!rt.supplies.temperature) continue;
    const id = identityState(rt);
    const common = { id: rt.source.id, label: rt.source.label, kind: 'monitor' as const, listed: id.listed };
    if (id.state !== null) {
      out.push({ ...common, via: null, expected: rt.temperatureSeen && id.listed, state: id.state, value: null, receivedAt: null });
      continue;
    }
    const reading = rt.source.temperature();
    const online = rt.source.online();
    // A monitor that has shown a temperature is expected to keep doing so (a sensor can be
    // unplugged), and so is one whose temperature input is set up but reports no sensor: a
    // sensor missing from the start must not be mistaken for a monitor without one (the
    // coldest reading of a lithium bank could be the one not there).
    if (reading.kind === 'value' || (reading.kind === 'no-sensor' && reading.configured)) rt.temperatureSeen = true;
    const expected = rt.temperatureSeen;
    switch (reading.kind) {
      case 'unknown':
        out.push({ ...common, via: null, expected, state: online ? 'missing' : 'stale', value: null, receivedAt: null });
        break;
      case 'no-sensor':
        out.push({ ...common, via: null, expected, state: online ? 'no-sensor' : 'stale', value: null, receivedAt: reading.receivedAt });
        break;
      case 'value':
        out.push({ ...common, via: reading.via, expected, ...timed(reading, now, config.freshnessMs, online, plausible) });
        break;
    }
  }
  if (config.externalTemperature) {
    const ext = external.temperature;
    const v = ext === null || ext.value === null ? null : { value: ext.value, receivedAt: ext.receivedAt };
    const t = timed(v, now, config.freshnessMs, true, plausible);
    out.push({ id: EXTERNAL_ID, label: EXTERNAL_LABEL, kind: 'external', via: 'external', listed: true, expected: ext !== null, ...t });
  }
  return out;
}

const UNIT: Readonly<Record<Quantity, string>> = { voltage: 'V', temperature: '°C', current: 'A' };
/** Digits shown in messages. */
const DIGITS: Readonly<Record<Quantity, number>> = { voltage: 2, temperature: 1, current: 2 };
const UNAVAILABLE: Readonly<Record<Quantity, AlarmDraft['code']>> = { voltage: 'VOLTAGE_UNAVAILABLE', temperature: 'TEMPERATURE_UNAVAILABLE', current: 'CURRENT_UNAVAILABLE' };

function candidatesOf(quantity: Quantity, sources: readonly SourceRuntime[], external: ExternalSource, config: BridgeConfig, now: number): Candidate[] {
  switch (quantity) {
    case 'voltage':
      return voltageCandidates(sources, external, config, now);
    case 'temperature':
      return temperatureCandidates(sources, external, config, now);
    case 'current':
      return currentCandidates(sources, config, now);
  }
}

/** The current always comes from the first fresh monitor. */
export function strategyOf(quantity: Quantity, config: BridgeConfig): Strategy {
  if (quantity === 'current') return 'first-fresh';
  return quantity === 'voltage' ? config.voltageStrategy : config.temperatureStrategy;
}

function describe(c: Candidate, quantity: Quantity, config: BridgeConfig, now: number): string {
  switch (c.state) {
    case 'stale':
      return c.receivedAt === null
        ? `${c.label}: no ${quantity} (port not delivering)`
        : `${c.label}: ${quantity} is ${((now - c.receivedAt) / 1000).toFixed(1)} s old (limit ${config.freshnessMs / 1000} s)`;
    case 'missing':
      return `${c.label}: no ${quantity} received`;
    case 'no-sensor':
      return `${c.label}: no temperature sensor`;
    case 'out-of-range':
      return `${c.label}: implausible ${quantity} ${String(c.value)} ${UNIT[quantity]}`;
    case 'not-monitor':
      return `${c.label}: not a BMV or SmartShunt battery monitor`;
    case 'unidentified':
      return `${c.label}: device not identified yet`;
    case 'disabled':
    case 'fresh':
      return `${c.label}: ${c.state}`;
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

const NOT_SHARED = 'not shared';

function notShared(quantity: Quantity, strategy: Strategy, now: number): Evaluation {
  return {
    quantity,
    combined: { quantity, shared: false, value: null, written: null, strategy, used: [], ageMs: null, spread: null, reason: NOT_SHARED, evaluatedAt: now },
    parts: new Map(),
    share: { value: null, receivedAt: null, reason: NOT_SHARED },
    alarms: [],
  };
}

/** Evaluate one quantity over every source, at `now`. */
export function evaluate(
  quantity: Quantity,
  sources: readonly SourceRuntime[],
  external: ExternalSource,
  config: BridgeConfig,
  now: number,
): Evaluation {
  const strategy = strategyOf(quantity, config);
  const shared = sharesQuantity(config, quantity);
  // Off by default and then not even read: no current in the report, no alarm about it.
  if (quantity === 'current' && !shared) return notShared(quantity, strategy, now);
  const candidates = candidatesOf(quantity, sources, external, config, now);
  const fresh: Array<Candidate & { value: number }> = [];
  for (const c of candidates) if (c.state === 'fresh' && c.value !== null) fresh.push({ ...c, value: c.value });
  const samples: Sample[] = fresh.map((c) => ({ id: c.id, value: c.value }));
  const missing = candidates.filter((c) => c.expected && c.state !== 'fresh');
  const alarms: AlarmDraft[] = [];

  let reason: string | null = null;
  let result = null;
  if (strategy !== 'first-fresh' && config.requireAllSources && missing.length > 0) {
    reason = `not every source is usable: ${missing.map((c) => describe(c, quantity, config, now)).join('; ')}`;
  } else {
    result = combine(strategy, samples);
    if (result === null) {
      const listed = candidates.filter((c) => c.listed);
      if (listed.length === 0) reason = quantity === 'temperature' ? NO_TEMPERATURE_SENSOR : 'no source';
      else if (quantity === 'temperature' && listed.every((c) => c.state === 'no-sensor' || c.state === 'missing') && !listed.some((c) => c.expected)) {
        reason = NO_TEMPERATURE_SENSOR;
      } else reason = `no usable source: ${listed.map((c) => describe(c, quantity, config, now)).join('; ')}`;
    }
  }
  const used = new Set(result?.used ?? []);
  let oldest: number | null = null;
  for (const c of fresh) if (used.has(c.id) && c.receivedAt !== null) oldest = oldest === null ? c.receivedAt : Math.min(oldest, c.receivedAt);
  // Monitors at different points of a system measure different currents: no disagreement there.
  const spreadValue = quantity === 'current' ? null : spread(samples);
  const maxSpread = quantity === 'voltage' ? config.maxSpreadVoltage : config.maxSpreadTemperature;
  const unit = UNIT[quantity];
  const digits = DIGITS[quantity];

  // Source alarms.
  for (const c of candidates) {
    if (!c.listed) continue;
    if (c.state === 'not-monitor') {
      alarms.push({
        code: 'SOURCE_NOT_MONITOR',
        severity: 'critical',
        message: describe(c, quantity, config, now),
        subject: subject(c),
        errorCode: 'VE_NOT_SUPPORTED_DEVICE',
        details: {},
      });
    } else if (c.expected && (c.state === 'stale' || c.state === 'missing' || c.state === 'unidentified')) {
      alarms.push({ code: 'SOURCE_STALE', severity: 'warning', message: describe(c, quantity, config, now), subject: subject(c), errorCode: 'VE_STALE', details: { quantity } });
    } else if (c.state === 'out-of-range') {
      alarms.push({
        code: 'SOURCE_OUT_OF_RANGE',
        severity: 'critical',
        message: describe(c, quantity, config, now),
        subject: subject(c),
        errorCode: 'VE_RANGE',
        details: { quantity, value: c.value },
      });
    } else if (quantity === 'temperature' && c.expected && c.state === 'no-sensor') {
      alarms.push({
        code: 'TEMPERATURE_SENSOR_LOST',
        severity: 'critical',
        message: `${c.label}: the temperature sensor is gone (the monitor reports none)`,
        subject: subject(c),
        errorCode: 'VE_STALE',
        details: {},
      });
    }
  }
  const bridge = { kind: 'bridge' as const, id: 'bridge', label: 'bridge' };
  if (shared && result === null && reason !== NO_TEMPERATURE_SENSOR) {
    alarms.push({
      code: UNAVAILABLE[quantity],
      severity: 'critical',
      // The alarm's title already says "not shared" (the log shows both): the message is the why.
      message: reason ?? 'no value',
      subject: bridge,
      errorCode: 'VE_STALE',
      details: {},
    });
  }
  if (spreadValue !== null && round(spreadValue, 3) > maxSpread) {
    alarms.push({
      code: quantity === 'voltage' ? 'VOLTAGE_SPREAD' : 'TEMPERATURE_SPREAD',
      severity: 'warning',
      message: `monitors disagree on ${quantity} by ${spreadValue.toFixed(digits + 1)} ${unit} (limit ${maxSpread} ${unit}): ${fresh
        .map((c) => `${c.label} ${c.value.toFixed(digits + 1)} ${unit}`)
        .join(', ')}`,
      subject: bridge,
      errorCode: null,
      details: { spread: round(spreadValue, 3), limit: maxSpread },
    });
  }
  if (quantity === 'temperature' && config.chemistry === 'lithium') {
    // The low-temperature cut-off relies on the coldest sensor, whatever the strategy.
    const coldest = samples.length > 0 ? Math.min(...samples.map((s) => s.value)) : null;
    if (coldest !== null && coldest < config.lowTemperatureLimit) {
      alarms.push({
        code: 'LITHIUM_LOW_TEMPERATURE',
        severity: 'critical',
        message: `lithium battery at ${coldest.toFixed(1)} °C, below the low-temperature limit of ${config.lowTemperatureLimit} °C: do not charge`,
        subject: bridge,
        errorCode: null,
        details: { temperature: coldest, limit: config.lowTemperatureLimit },
      });
    }
    if (result === null) {
      alarms.push({
        code: 'LITHIUM_TEMPERATURE_UNKNOWN',
        severity: 'critical',
        message: `lithium battery temperature unknown (${reason ?? 'no value'}): the chargers' low-temperature cut-off may not work`,
        subject: bridge,
        errorCode: 'VE_STALE',
        details: {},
      });
    }
  }

  const parts = new Map<string, SourcePart>();
  for (const c of candidates) {
    if (!c.listed) continue;
    parts.set(c.id, {
      value: c.value,
      ageMs: c.receivedAt === null ? null : Math.max(0, now - c.receivedAt),
      state: c.state,
      used: used.has(c.id),
      via: c.value === null ? null : c.via,
    });
  }
  return {
    quantity,
    combined: {
      quantity,
      shared,
      value: result?.value ?? null,
      written: result === null ? null : encodeSense(SENSE_REGISTER[quantity], result.value).value,
      strategy,
      used: [...used],
      ageMs: oldest === null ? null : now - oldest,
      spread: spreadValue === null ? null : round(spreadValue, 3),
      reason,
      evaluatedAt: now,
    },
    parts,
    share: { value: result?.value ?? null, receivedAt: oldest, reason },
    alarms,
  };
}
