/**
 * The value decision: whether the value of one cycle may go to one charger, and if not, why.
 * Pure: the session does the reads (the charger's terminal voltage, its system voltage) and
 * hands the answers in.
 *
 * - Nothing while sharing is paused, without a valid value, or with one older than the
 *   freshness limit.
 * - Voltage: plausible against this charger's own terminal voltage and system voltage
 *   (plausibility.ts); after an implausible verdict, plausible again for `implausibleHoldMs`
 *   before it is written again (no flapping).
 * - Temperature and current: within their range (the configured temperature window, the
 *   largest shunt), and only while the voltage is not implausible for this charger: a monitor
 *   that far from a charger is most likely on another battery or mis-wired, and its temperature
 *   or current is no more trustworthy there than its voltage.
 */

import { encodeSense, type EncodedSense } from './encoding';
import { checkSenseVoltage, isPlausibleTemperature, isSaneCurrent, SOURCE_CURRENT_MAX, type Nominal, type NominalSource, type VoltageVerdict } from './plausibility';
import { SENSE_REGISTER, type BridgeConfig, type Quantity, type TimedValue } from './types';

/** The value to share this cycle, as the sources gave it (sources.ts). */
export interface ShareValue {
  readonly value: number | null;
  /** Time of the oldest source value used. */
  readonly receivedAt: number | null;
  readonly reason: string | null;
}

export type ValueDecision = { readonly kind: 'write'; readonly encoded: EncodedSense; readonly receivedAt: number } | { readonly kind: 'withhold'; readonly reason: string };

/** Why the voltage is not shared with this charger although there is a valid value (the alarm). */
export interface VoltageProblem {
  readonly message: string;
  readonly verdict: Extract<VoltageVerdict, { ok: false }>;
}

/** What the voltage check of one charger remembers between cycles. */
export interface VoltageStanding {
  readonly verdict: VoltageVerdict | null;
  /** Last time the voltage was implausible (not merely unknown); null once plausible for the hold time. */
  readonly implausibleAt: number | null;
  readonly problem: VoltageProblem | null;
}

export const CLEAR_STANDING: VoltageStanding = { verdict: null, implausibleAt: null, problem: null };

/** The checks every value passes first: sharing on, a value, fresh. */
export function precheck(quantity: Quantity, share: ShareValue, now: number, config: BridgeConfig, enabled: boolean): ValueDecision {
  if (!enabled) return { kind: 'withhold', reason: 'sharing is disabled' };
  if (share.value === null || share.receivedAt === null) return { kind: 'withhold', reason: share.reason ?? 'no valid value' };
  if (now - share.receivedAt > config.freshnessMs) return staleDecision(quantity);
  return { kind: 'write', encoded: encodeSense(SENSE_REGISTER[quantity], share.value), receivedAt: share.receivedAt };
}

export function staleDecision(quantity: Quantity): ValueDecision {
  return { kind: 'withhold', reason: `the ${quantity} went stale before it could be written` };
}

/** A decision made before a read or two: the value must still be fresh now. */
export function stillFresh(quantity: Quantity, decision: ValueDecision, now: number, config: BridgeConfig): ValueDecision {
  return decision.kind === 'write' && now - decision.receivedAt > config.freshnessMs ? staleDecision(quantity) : decision;
}

/**
 * The temperature or current for one charger: values that follow the voltage's verdict. `voltage`
 * is that charger's voltage standing, or null when the node does not share the voltage (there
 * is then nothing to compare).
 */
export function decideFollower(quantity: Exclude<Quantity, 'voltage'>, candidate: ValueDecision, voltage: VoltageStanding | null, config: BridgeConfig): ValueDecision {
  if (candidate.kind === 'withhold') return candidate;
  if (voltage !== null && voltage.implausibleAt !== null) {
    return { kind: 'withhold', reason: `the voltage is implausible for this charger, so the ${quantity} is withheld too (${voltage.problem?.message ?? 'see the voltage'})` };
  }
  // Checked at the source already; once more on the value about to go out.
  const x = candidate.encoded.value;
  if (quantity === 'current') {
    return x !== null && isSaneCurrent(x) ? candidate : { kind: 'withhold', reason: `current ${String(x)} A is beyond ±${SOURCE_CURRENT_MAX} A` };
  }
  if (x === null || !isPlausibleTemperature(x, config.temperatureMin, config.temperatureMax)) {
    return { kind: 'withhold', reason: `temperature ${String(x)} °C is outside ${config.temperatureMin}..${config.temperatureMax} °C` };
  }
  return candidate;
}

export interface VoltageFacts {
  /** The charger's own terminal voltage, if fresh. */
  readonly terminal: TimedValue | null;
  readonly nominal: { readonly nominal: Nominal; readonly from: NominalSource } | null;
}

/** The voltage for one charger, and what to remember for the next cycle. */
export function decideVoltage(candidate: ValueDecision, facts: VoltageFacts, previous: VoltageStanding, now: number, config: BridgeConfig): { decision: ValueDecision; standing: VoltageStanding } {
  if (candidate.kind === 'withhold') return { decision: candidate, standing: { ...previous, problem: null } };
  // encodeSense returns a number for a number
  const sense = candidate.encoded.value as number;
  const verdict = checkSenseVoltage(sense, facts.terminal?.value ?? null, facts.nominal?.nominal ?? null, config.plausibilityWindow, facts.nominal?.from);
  if (!verdict.ok) {
    const unknown = verdict.reason === 'terminal-unknown' || verdict.reason === 'nominal-unknown';
    return {
      decision: { kind: 'withhold', reason: verdict.message },
      standing: { verdict, implausibleAt: unknown ? previous.implausibleAt : now, problem: { message: verdict.message, verdict } },
    };
  }
  const hold = config.implausibleHoldMs;
  if (previous.implausibleAt !== null && now - previous.implausibleAt < hold) {
    const message = `plausible again for ${((now - previous.implausibleAt) / 1000).toFixed(0)} s of the ${hold / 1000} s required after an implausible voltage`;
    return {
      decision: { kind: 'withhold', reason: message },
      standing: {
        verdict,
        implausibleAt: previous.implausibleAt,
        // The alarm stays up, and says how long is left.
        problem: { message, verdict: { ok: false, reason: previous.problem?.verdict.reason ?? 'below-terminal', offset: verdict.offset, window: verdict.window, message } },
      },
    };
  }
  return { decision: candidate, standing: { verdict, implausibleAt: null, problem: null } };
}
