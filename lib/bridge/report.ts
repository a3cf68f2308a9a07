/**
 * The status badge: one short line of what is being shared and with how many chargers
 * ("13.28 V 21.5 °C → 3/3 MPPT"; with the current, compact: "13.28V 21.5°C -4.2A → 3/3 MPPT"), with a colour and shape that follow the package's badge
 * vocabulary (green dot working, yellow ring degraded or stale, red ring refused, grey stopped).
 */

import type { BridgeStatus, ChargerReport, CombinedReport, Quantity } from './types';

export interface StatusInput {
  readonly phase: 'idle' | 'running' | 'stopping' | 'stopped';
  readonly enabled: boolean;
  readonly voltage: CombinedReport;
  readonly temperature: CombinedReport;
  readonly current: CombinedReport;
  readonly chargers: readonly ChargerReport[];
}

/** No selected monitor has a temperature input at all (a BMV-702 on a starter battery, …). */
export const NO_TEMPERATURE_SENSOR = 'no temperature sensor';

/**
 * Shared and applicable: a temperature that no selected monitor can measure is left out of
 * the badge (and does not keep it yellow); the report and its alarms still say so.
 */
function applies(c: CombinedReport): boolean {
  return c.shared && !(c.quantity === 'temperature' && c.value === null && c.reason === NO_TEMPERATURE_SENSOR);
}

const UNIT: Readonly<Record<Quantity, string>> = { voltage: 'V', temperature: '°C', current: 'A' };

/** The value as written to the chargers: voltage to 0.01 V, temperature to 0.1 °C, current to 0.1 A (whole amps from 100 A). */
function digits(c: CombinedReport, value: number): number {
  if (c.quantity === 'voltage') return 2;
  return c.quantity === 'current' && Math.abs(value) >= 100 ? 0 : 1;
}

/** `compact`: no space before the unit, so that three values and the charger count fit a badge. */
function valueText(c: CombinedReport, compact: boolean): string | null {
  if (!applies(c)) return null;
  const unit = `${compact ? '' : ' '}${UNIT[c.quantity]}`;
  if (c.written === null) return `--${unit}`;
  return `${c.written.toFixed(digits(c, c.written))}${unit}`;
}

export function buildStatus(input: StatusInput): BridgeStatus {
  const total = input.chargers.length;
  const sensing = input.chargers.filter((c) => c.state === 'sensing').length;
  const compact = applies(input.current);
  const values = [input.voltage, input.temperature, input.current]
    .map((c) => valueText(c, compact))
    .filter((t): t is string => t !== null)
    .join(' ');
  const text = `${values} → ${sensing}/${total} MPPT`;
  const params = { values, sensing, total };
  if (input.phase === 'stopped' || input.phase === 'stopping') return { fill: 'grey', shape: 'dot', text: 'stopped', key: 'stopped', params };
  if (!input.enabled) return { fill: 'grey', shape: 'ring', text: `disabled → ${total} MPPT`, key: 'disabled', params };
  if (input.chargers.some((c) => c.state === 'conflict')) return { fill: 'red', shape: 'ring', text, key: 'conflict', params };
  if (input.chargers.some((c) => c.state === 'rejected' || c.state === 'unsupported')) return { fill: 'red', shape: 'ring', text, key: 'rejected', params };
  const shared = [input.voltage, input.temperature, input.current].filter(applies);
  if (shared.length > 0 && shared.every((c) => c.written === null)) return { fill: 'yellow', shape: 'ring', text, key: 'released', params };
  if (total > 0 && sensing === total && shared.every((c) => c.written !== null)) return { fill: 'green', shape: 'dot', text, key: 'sharing', params };
  if (input.chargers.every((c) => c.state === 'checking')) return { fill: 'blue', shape: 'ring', text, key: 'waiting', params };
  return { fill: 'yellow', shape: 'ring', text, key: 'sharing', params };
}

export function sameStatus(a: BridgeStatus | null, b: BridgeStatus): boolean {
  return a !== null && a.fill === b.fill && a.shape === b.shape && a.text === b.text && a.key === b.key;
}
