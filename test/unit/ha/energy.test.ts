/**
 * The never-decreasing energy total: day rollovers, restarts across a day change, a user's
 * reset of the charger's own total, and its file surviving a restart.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../lib/clock';
import { EnergyStore } from '../../../lib/ha/energy-store';
import { EnergyTotal } from '../../../lib/ha/energy-total';

test('starts from the charger\'s own total and adds what today\'s yield grows by', () => {
  const e = new EnergyTotal();
  assert.equal(e.update({ todayKWh: 0.1, userTotalKWh: 48.03, day: 18 }), 48.03);
  assert.equal(e.update({ todayKWh: 0.35, userTotalKWh: 48.28, day: 18 }), 48.28);
  assert.equal(e.update({ todayKWh: 0.35, userTotalKWh: 48.28, day: 18 }), 48.28, 'no growth, no change');
});

test('the day rollover: today drops to 0, the total does not go back, and yesterday\'s last bit is counted', () => {
  const e = new EnergyTotal();
  e.update({ todayKWh: 1.2, userTotalKWh: 100, day: 40 });
  // The last reading of day 40 was 1.2; the charger ended the day at 1.25 (H22 on day 41).
  const totals = [
    e.update({ todayKWh: 0, userTotalKWh: 100.05, yesterdayKWh: 1.25, day: 41 }),
    e.update({ todayKWh: 0.02, userTotalKWh: 100.07, yesterdayKWh: 1.25, day: 41 }),
  ];
  assert.deepEqual(totals, [100.05, 100.07]);
});

test('HSDS wraps from 364 to 0: still the next day', () => {
  const e = new EnergyTotal({ totalKWh: 10, todayKWh: 2, day: 364 });
  assert.equal(e.update({ todayKWh: 0.1, yesterdayKWh: 2.5, day: 0 }), 10.6);
});

test('a restart that missed several days adds today only (the days between are unknown, never negative)', () => {
  const e = new EnergyTotal({ totalKWh: 10, todayKWh: 2, day: 5 });
  assert.equal(e.update({ todayKWh: 0.4, yesterdayKWh: 3, day: 8 }), 10.4);
});

test('a user resetting the charger\'s total (H19 → 0) does not move this total back', () => {
  const e = new EnergyTotal();
  e.update({ todayKWh: 0.5, userTotalKWh: 500, day: 3 });
  assert.equal(e.update({ todayKWh: 0.6, userTotalKWh: 0, day: 3 }), 500.1);
});

test('a charger without HSDS (old firmware): a drop of today\'s yield is the new day', () => {
  const e = new EnergyTotal();
  e.update({ todayKWh: 0.8, userTotalKWh: 20 });
  assert.equal(e.update({ todayKWh: 0.05, yesterdayKWh: 0.9 }), 20.15);
  assert.equal(e.update({ todayKWh: 0.1 }), 20.2);
});

test('the store: totals survive a restart in the file; writes are held back but a day change is written at once', () => {
  const dir = mkdtempSync(join(tmpdir(), 've-energy-'));
  const file = join(dir, 'sub', 've-direct-energy.json');
  try {
    const clock = new ManualClock(1_000_000);
    const store = new EnergyStore(file, { clock, saveEveryMs: 60_000 });
    store.save('HQ1', { totalKWh: 1, todayKWh: 0.1, day: 1 });
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { HQ1: { totalKWh: 1, todayKWh: 0.1, day: 1 } }, 'the first save is written');
    store.save('HQ1', { totalKWh: 1.2, todayKWh: 0.3, day: 1 });
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).HQ1.totalKWh, 1, 'held back');
    clock.advance(60_000);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).HQ1.totalKWh, 1.2, 'written within the interval');
    store.save('HQ1', { totalKWh: 1.25, todayKWh: 0, day: 2 }, true);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).HQ1.day, 2, 'a new day at once');

    // "Restart": a new store reads the file, and the total goes on from there.
    const again = new EnergyStore(file, { clock });
    const e = new EnergyTotal(again.load('HQ1'));
    assert.equal(e.update({ todayKWh: 0.5, userTotalKWh: 3, day: 2 }), 1.75);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the store: a damaged file is reported and the totals go on in memory', () => {
  const dir = mkdtempSync(join(tmpdir(), 've-energy-'));
  const file = join(dir, 've-direct-energy.json');
  try {
    writeFileSync(file, '{ not json');
    const errors: Error[] = [];
    const store = new EnergyStore(file, { onError: (e) => errors.push(e) });
    assert.equal(errors.length, 1);
    assert.equal(store.load('HQ1'), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
