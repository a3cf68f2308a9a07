/**
 * How a total charge current is shared among chargers: each charger's share of the total, in
 * the 0.1 A steps of register 0x2015, such that
 * - no share exceeds that charger's rating (the catalogue's rated charge current), and
 * - the shares never add up to more than the total.
 *
 * `rated`: in proportion to the ratings (40 A over a 30 A and a 70 A charger: 12 + 28 A), so
 * each charger runs at the same fraction of what it can do. `equal`: the same for each. In
 * both, a share that would exceed its charger's rating is held at the rating and the rest is
 * shared among the others the same way (water filling), so a charger left out (offline,
 * refusing, under another master) simply leaves its part to the others.
 *
 * Rounding: the total is taken down to 0.1 A; each exact share is taken down to 0.1 A, then
 * the tenths left over go one by one to the shares that lost the most by rounding (ties: list
 * order), never above a rating. The shares thus add up to the total rounded down — never more.
 * Pure: no I/O, no clock.
 */

export type SplitMode = 'rated' | 'equal';
export const SPLIT_MODES: readonly SplitMode[] = ['rated', 'equal'];

export interface SplitCharger {
  readonly id: string;
  /** Rated charge current, A (> 0). */
  readonly rating: number;
}

/** The register's step: 0x2015 is un16 in 0.1 A. */
export const LIMIT_STEP_A = 0.1;

/** Amps to whole tenths, rounded down (with a margin for binary fractions: 12.3 stays 123). */
function tenthsDown(amps: number): number {
  return Math.floor(amps * 10 + 1e-6);
}

/** The exact shares (A, unrounded) of `total` by water filling. */
function exactShares(total: number, chargers: readonly SplitCharger[], mode: SplitMode): number[] {
  const shares = chargers.map(() => 0);
  let open = chargers.map((_, i) => i);
  let left = total;
  while (open.length > 0 && left > 0) {
    const weight = (i: number): number => (mode === 'rated' ? (chargers[i]?.rating ?? 0) : 1);
    const sum = open.reduce((s, i) => s + weight(i), 0);
    if (sum <= 0) break;
    const capped = open.filter((i) => (left * weight(i)) / sum >= (chargers[i]?.rating ?? 0));
    if (capped.length === 0) {
      for (const i of open) shares[i] = (left * weight(i)) / sum;
      break;
    }
    // Those that reach their rating take it; the rest is shared again among the others.
    for (const i of capped) {
      const rating = chargers[i]?.rating ?? 0;
      shares[i] = rating;
      left -= rating;
    }
    open = open.filter((i) => !capped.includes(i));
  }
  return shares;
}

/**
 * Each charger's share of `totalA` in amps (multiples of 0.1 A), in the chargers' order.
 * `totalA` must be a finite number ≥ 0; ratings > 0.
 */
export function splitCurrent(totalA: number, chargers: readonly SplitCharger[], mode: SplitMode): number[] {
  if (!Number.isFinite(totalA) || totalA < 0) throw new RangeError(`total charge current must be a number ≥ 0, not ${totalA}`);
  for (const c of chargers) {
    if (!Number.isFinite(c.rating) || c.rating <= 0) throw new RangeError(`${c.id}: rating must be a number > 0, not ${c.rating}`);
  }
  const caps = chargers.map((c) => tenthsDown(c.rating));
  const capacity = caps.reduce((s, c) => s + c, 0);
  const units = Math.min(tenthsDown(totalA), capacity);
  const exact = exactShares(units / 10, chargers, mode).map((a) => a * 10);
  const tenths = exact.map((e, i) => Math.min(caps[i] ?? 0, tenthsDown(e / 10)));
  let leftover = units - tenths.reduce((s, t) => s + t, 0);
  const byLoss = exact.map((e, i) => ({ i, loss: e - (tenths[i] ?? 0) })).sort((a, b) => b.loss - a.loss || a.i - b.i);
  while (leftover > 0) {
    const before = leftover;
    for (const { i } of byLoss) {
      if (leftover === 0) break;
      if ((tenths[i] ?? 0) < (caps[i] ?? 0)) {
        tenths[i] = (tenths[i] ?? 0) + 1;
        leftover--;
      }
    }
    if (leftover === before) break;
  }
  return tenths.map((t) => t / 10);
}
