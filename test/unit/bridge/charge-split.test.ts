/**
 * The split of a total charge current (lib/bridge/charge-split.ts): by rating or equal, each
 * share within its charger's rating, the sum never above the total, 0.1 A steps.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitCurrent, type SplitCharger, type SplitMode } from '../../../lib/bridge/charge-split';

const c = (id: string, rating: number): SplitCharger => ({ id, rating });
const sum = (xs: number[]): number => Math.round(xs.reduce((s, x) => s + x, 0) * 10) / 10;

test('40 A over a 100/30 and a 250/70: 12 + 28 A by rating, 20 + 20 A equal', () => {
  assert.deepEqual(splitCurrent(40, [c('a', 30), c('b', 70)], 'rated'), [12, 28]);
  assert.deepEqual(splitCurrent(40, [c('a', 30), c('b', 70)], 'equal'), [20, 20]);
});

test('a share that would exceed its rating is held at the rating and the rest goes to the others', () => {
  // Equal: 80 A over 30 and 70 → 30 + 50.
  assert.deepEqual(splitCurrent(80, [c('a', 30), c('b', 70)], 'equal'), [30, 50]);
  // More than all can take: each at its rating.
  assert.deepEqual(splitCurrent(150, [c('a', 30), c('b', 70)], 'rated'), [30, 70]);
  assert.deepEqual(splitCurrent(150, [c('a', 30), c('b', 70)], 'equal'), [30, 70]);
  // One charger left (the other offline): it takes the total, up to its rating.
  assert.deepEqual(splitCurrent(40, [c('b', 70)], 'rated'), [40]);
  assert.deepEqual(splitCurrent(40, [c('a', 30)], 'rated'), [30]);
});

test('0 A is 0 for everyone; no chargers, no shares', () => {
  assert.deepEqual(splitCurrent(0, [c('a', 30), c('b', 70)], 'rated'), [0, 0]);
  assert.deepEqual(splitCurrent(10, [], 'rated'), []);
});

test('rounding: 0.1 A steps, taken down, the tenths left over to the largest remainders; the sum is the total rounded down', () => {
  // 10 A over three equal 15 A chargers: 3.4 + 3.3 + 3.3.
  assert.deepEqual(splitCurrent(10, [c('a', 15), c('b', 15), c('c', 15)], 'equal'), [3.4, 3.3, 3.3]);
  // 10.05 A → 10.0 A in total, never 10.1.
  assert.equal(sum(splitCurrent(10.05, [c('a', 15), c('b', 15), c('c', 15)], 'equal')), 10);
  // A sweep: every share a multiple of 0.1, within its rating, sum = total rounded down (or capacity).
  const sets: SplitCharger[][] = [
    [c('a', 30), c('b', 70)],
    [c('a', 15), c('b', 50), c('c', 100)],
    [c('a', 10), c('b', 10), c('c', 10), c('d', 35)],
  ];
  for (const chargers of sets) {
    const capacity = chargers.reduce((s, x) => s + x.rating, 0);
    for (const mode of ['rated', 'equal'] as SplitMode[]) {
      for (let t = 0; t <= capacity + 20; t += 0.7) {
        const shares = splitCurrent(t, chargers, mode);
        shares.forEach((s, i) => {
          assert.ok(Math.abs(s * 10 - Math.round(s * 10)) < 1e-9, `${s} is a 0.1 A step`);
          assert.ok(s <= (chargers[i]?.rating ?? 0), `${s} within rating ${chargers[i]?.rating}`);
        });
        const expected = Math.min(Math.floor(t * 10 + 1e-6), capacity * 10) / 10;
        assert.equal(sum(shares), expected, `${mode} ${t} A over ${chargers.map((x) => x.rating).join('/')}`);
      }
    }
  }
});

test('a total that is not a number ≥ 0 is refused', () => {
  assert.throws(() => splitCurrent(-1, [c('a', 30)], 'rated'), RangeError);
  assert.throws(() => splitCurrent(Number.NaN, [c('a', 30)], 'rated'), RangeError);
  assert.throws(() => splitCurrent(Number.POSITIVE_INFINITY, [c('a', 30)], 'rated'), RangeError);
});
