/**
 * The charge limit's badge: what is asked and what each charger got, in the chargers' order
 * ("40 A → 12 + 28 A"; "–" for a charger not under the limit), or "released", with the
 * package's badge vocabulary: green dot all limited, yellow ring some not (or the total went
 * stale), red ring a charger refused or is under another master, grey ring released, blue
 * ring still checking, grey dot stopped.
 */

import type { LimitChargerReport, LimitDemand, LimitStatus } from './charge-limit-types';

export interface LimitStatusInput {
  readonly phase: 'idle' | 'running' | 'stopping' | 'stopped';
  /** Null before the first cycle. */
  readonly demand: LimitDemand | null;
  readonly chargers: readonly LimitChargerReport[];
}

/** 12 → "12", 12.5 → "12.5". */
export function amps(a: number): string {
  return String(Math.round(a * 10) / 10);
}

export function buildLimitStatus(input: LimitStatusInput): LimitStatus {
  const { demand, chargers } = input;
  const total = chargers.length;
  const limiting = chargers.filter((c) => c.state === 'limiting').length;
  if (input.phase === 'stopped' || input.phase === 'stopping') return { fill: 'grey', shape: 'dot', text: 'stopped', key: 'stopped', params: {} };
  if (demand === null) return { fill: 'blue', shape: 'ring', text: 'checking', key: 'waiting', params: { total } };
  const bad = chargers.some((c) => c.state === 'rejected' || c.state === 'conflict' || c.state === 'unsupported');
  if (demand.state === 'stale') return { fill: bad ? 'red' : 'yellow', shape: 'ring', text: 'input stale: released', key: 'stale', params: { total } };
  if (demand.state === 'none' || demand.total === null) return { fill: bad ? 'red' : 'grey', shape: 'ring', text: 'released', key: 'released', params: { total } };
  const shares = chargers.map((c) => (c.state === 'limiting' && c.share !== null ? amps(c.share) : '–')).join(' + ');
  const text = `${amps(demand.total)} A → ${shares} A`;
  const params = { limit: amps(demand.total), shares, limiting, total };
  if (chargers.some((c) => c.state === 'rejected')) return { fill: 'red', shape: 'ring', text, key: 'rejected', params };
  if (chargers.some((c) => c.state === 'conflict')) return { fill: 'red', shape: 'ring', text, key: 'conflict', params };
  if (limiting === total) return { fill: 'green', shape: 'dot', text, key: 'limiting', params };
  if (limiting === 0 && chargers.every((c) => c.state === 'checking')) return { fill: 'blue', shape: 'ring', text, key: 'waiting', params };
  return { fill: 'yellow', shape: 'ring', text, key: 'limiting', params };
}
