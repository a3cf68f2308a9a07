/**
 * The charge-limit manager on simulated MPPTs through the real link stack (lib/bridge/
 * charge-limit.ts over `sim:` ports, ManualClock): the bytes each charger received, the limit
 * it holds, its charge current, and the manager's reports, alarms and badge.
 */

import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isVeError } from '../../../lib/errors';
import { encodeFrame, registerPayload, Response } from '../../../lib/protocol/hex-codec';
import { LimitBench, limitAmps } from './limit-harness';

const SMALL = 'sim:smartsolar-100-30'; // 30 A
const BIG = 'sim:smartsolar-250-70'; // 70 A

let bench: LimitBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

/** Registers written to a charger, as a sorted set. */
function written(b: LimitBench, path: string): number[] {
  return [...new Set(b.sets(path).map((s) => s.register))].sort((x, y) => x - y);
}

function current(b: LimitBench, path: string): number {
  const i = b.target(path).current();
  assert.ok(i !== null, `${path} reports its current`);
  return i;
}

describe('charge limit on simulated chargers', () => {
  it('40 A over a 100/30 and a 250/70: 12 + 28 A by rating, refreshed every 10 s, under external control 0x05, nothing else written', async () => {
    const b = (bench = new LimitBench([SMALL, BIG]));
    await b.run(3000);
    await b.until(b.manager.setLimit(40));
    await b.feed(40, 180_000);
    assert.equal(b.held(SMALL), 12);
    assert.equal(b.held(BIG), 28);
    for (const path of [SMALL, BIG]) {
      assert.deepEqual(written(b, path), [0x200e, 0x2015], `${path}: only 0x200E and 0x2015`);
      assert.ok(b.sets(path, 0x200e).every((s) => s.raw === '05'), '0x200E only ever 0x05 while limiting');
      const limits = b.sets(path, 0x2015);
      const gaps = limits.slice(1).map((s, i) => s.at - (limits[i]?.at ?? 0));
      assert.ok(Math.max(...gaps) <= 11_000, `${path}: refreshed at least every 11 s (max gap ${Math.max(...gaps)} ms)`);
      assert.ok(limits.length >= 17, `${path}: ${limits.length} refreshes in 3 min`);
      assert.equal(b.mppt(path).chargeLimit.counts.lapses, 0, 'the limit never lapsed');
    }
    assert.ok(current(b, SMALL) <= 12.05, `100/30 charges ≤ 12 A: ${current(b, SMALL)}`);
    assert.ok(current(b, BIG) <= 28.05, `250/70 charges ≤ 28 A: ${current(b, BIG)}`);
    const last = b.manager.report();
    assert.equal(last?.status.text, '40 A → 12 + 28 A');
    assert.equal(last?.status.fill, 'green');
    assert.deepEqual(last?.chargers.map((c) => [c.state, c.share, c.readBack, c.usingLimit]), [
      ['limiting', 12, 12, true],
      ['limiting', 28, 28, true],
    ]);
    assert.equal(b.flashWrites(), 0, 'the BMS bit never set: nothing in flash');
  });

  it('never above a rating: 150 A gives 30 + 70 A; equal split 80 A gives 30 + 50 A', async () => {
    const b = (bench = new LimitBench([SMALL, BIG]));
    await b.run(3000);
    await b.until(b.manager.setLimit(150));
    assert.deepEqual([b.held(SMALL), b.held(BIG)], [30, 70]);
    await b.close();
    const e = (bench = new LimitBench([SMALL, BIG], { split: 'equal' }));
    await e.run(3000);
    await e.until(e.manager.setLimit(80));
    assert.deepEqual([e.held(SMALL), e.held(BIG)], [30, 50]);
  });

  it('0 A stops charging on every charger', async () => {
    const b = (bench = new LimitBench([SMALL, BIG]));
    await b.run(20_000);
    assert.ok(current(b, SMALL) > 1 && current(b, BIG) > 1, 'charging in the sun before');
    await b.until(b.manager.setLimit(0));
    await b.run(5000);
    assert.deepEqual([b.held(SMALL), b.held(BIG)], [0, 0]);
    assert.deepEqual([current(b, SMALL), current(b, BIG)], [0, 0]);
    assert.equal(b.manager.report()?.status.text, '0 A → 0 + 0 A');
  });

  it('null releases once (0x2015 = 0xFFFF, 0x200E = 0x00), then writes nothing', async () => {
    const b = (bench = new LimitBench([SMALL, BIG]));
    await b.run(3000);
    await b.until(b.manager.setLimit(40));
    await b.run(15_000);
    const before = new Map(b.paths.map((p) => [p, b.sets(p).length]));
    await b.until(b.manager.setLimit(null));
    await b.run(120_000);
    for (const path of b.paths) {
      const after = b.sets(path).slice(before.get(path));
      assert.deepEqual(after.map((s) => [s.register, s.raw]), [
        [0x2015, 'FFFF'],
        [0x200e, '00'],
      ], `${path}: one release, then silence`);
      assert.equal(b.held(path), null);
    }
    assert.equal(b.manager.report()?.status.text, 'released');
  });

  it('a total older than `timeout` is released once, with an INPUT_STALE alarm', async () => {
    const b = (bench = new LimitBench([SMALL, BIG], { timeoutMs: 30_000 }));
    await b.run(3000);
    await b.until(b.manager.setLimit(40));
    await b.run(25_000);
    assert.equal(b.held(SMALL), 12, 'still limited before the timeout');
    await b.run(20_000);
    for (const path of b.paths) {
      const releases = b.sets(path, 0x2015).filter((s) => s.raw === 'FFFF');
      assert.equal(releases.length, 1, `${path}: released once`);
      assert.equal(b.held(path), null);
    }
    const count = b.sets(SMALL).length;
    await b.run(60_000);
    assert.equal(b.sets(SMALL).length, count, 'silence after the release');
    const raised = b.alarms.flatMap((a) => a.raised.map((x) => x.code));
    assert.ok(raised.includes('INPUT_STALE'));
    assert.equal(b.manager.report()?.status.text, 'input stale: released');
    // A fresh total limits again.
    await b.until(b.manager.setLimit(10));
    assert.deepEqual([b.held(SMALL), b.held(BIG)], [3, 7]);
  });

  it('stop releases every charger and drops the claims', async () => {
    const b = (bench = new LimitBench([SMALL, BIG]));
    await b.run(3000);
    await b.until(b.manager.setLimit(40));
    await b.until(b.manager.stop());
    for (const path of b.paths) {
      assert.deepEqual(b.sets(path).slice(-2).map((s) => [s.register, s.raw]), [
        [0x2015, 'FFFF'],
        [0x200e, '00'],
      ]);
      assert.equal(b.held(path), null);
      assert.equal(b.claims.holder(path, 'limit'), null);
    }
    assert.equal(b.statuses.at(-1)?.text, 'stopped');
    const count = b.sets(SMALL).length;
    await b.run(30_000);
    assert.equal(b.sets(SMALL).length, count, 'nothing after stop');
  });

  it('a charger under a GX is left alone (nothing written to it) and the other takes the total within its rating', async () => {
    const b = (bench = new LimitBench([{ path: SMALL, options: { otherMaster: 'gx' } }, BIG]));
    await b.run(3000);
    await b.until(b.manager.setLimit(40));
    await b.run(30_000);
    assert.deepEqual(b.sets(SMALL), [], 'nothing written to the GX-controlled charger');
    assert.equal(b.held(BIG), 40);
    const r = b.manager.report();
    assert.equal(r?.chargers[0]?.state, 'conflict');
    assert.match(r?.chargers[0]?.reason ?? '', /0x200E network mode 0x05/);
    assert.equal(r?.status.fill, 'red');
    const alarm = b.alarms.flatMap((a) => a.raised).find((a) => a.code === 'CHARGER_CONFLICT');
    assert.equal(alarm?.errorCode, 'VE_CONFLICT');
    // Stop: still nothing to the GX's charger, not even a release.
    await b.until(b.manager.stop());
    assert.deepEqual(b.sets(SMALL), []);
  });

  it('a charger in BMS mode or a VE.Smart network is left alone too', async () => {
    const b = (bench = new LimitBench([{ path: SMALL, options: { otherMaster: 'bms' } }, { path: BIG, options: { otherMaster: 'vesmart' } }]));
    await b.run(3000);
    await b.until(b.manager.setLimit(40));
    await b.run(15_000);
    assert.deepEqual([b.sets(SMALL), b.sets(BIG)], [[], []]);
    assert.deepEqual(b.manager.report()?.chargers.map((c) => c.state), ['conflict', 'conflict']);
  });

  it('a charger going offline leaves its share to the other, within its rating; back, it is checked and limited again', async () => {
    const b = (bench = new LimitBench([SMALL, BIG]));
    await b.run(3000);
    await b.until(b.manager.setLimit(40));
    assert.deepEqual([b.held(SMALL), b.held(BIG)], [12, 28]);
    b.device(BIG).faults.unplug();
    await b.feed(40, 40_000);
    assert.equal(b.held(SMALL), 30, 'the 100/30 takes what it can: 30 A, its rating');
    let r = b.manager.report();
    assert.equal(r?.chargers[1]?.state, 'offline');
    assert.equal(r?.status.text, '40 A → 30 + – A');
    assert.ok(r?.alarms.some((a) => a.code === 'CHARGER_OFFLINE'));
    b.device(BIG).faults.replug();
    await b.feed(40, 40_000);
    r = b.manager.report();
    assert.deepEqual([b.held(SMALL), b.held(BIG)], [12, 28]);
    assert.equal(r?.status.text, '40 A → 12 + 28 A');
    // Down before up: the 100/30 went to 12 A before the 250/70 got 28 A back.
    const back = b.sets(BIG, 0x2015).filter((s) => s.raw !== 'FFFF').at(-1);
    const down = b.sets(SMALL, 0x2015).find((s) => limitAmps(s.raw) === 12 && s.at > 43_000);
    assert.ok(down !== undefined && back !== undefined && down.at <= back.at);
  });

  it('a refusing charger is left alone and its share goes to the other at once', async () => {
    const b = (bench = new LimitBench([SMALL, BIG]));
    await b.run(3000);
    // The 250/70 answers every 0x2015 Set with "parameter error".
    b.device(BIG).addBehaviour((command) => (command.type === 'set' && command.register === 0x2015 ? [encodeFrame(Response.Set, registerPayload(0x2015, 0x04, [0xbc, 0x02]))] : undefined));
    const r = await b.until(b.manager.setLimit(40));
    assert.equal(b.held(SMALL), 30);
    assert.equal(r.chargers[1]?.state, 'rejected');
    const alarm = r.alarms.find((a) => a.code === 'CHARGER_REJECTED');
    assert.equal(alarm?.severity, 'critical');
  });

  it('a second manager on a charger already limited is refused with VE_CONFLICT and claims nothing', async () => {
    const b = (bench = new LimitBench([SMALL, BIG]));
    const second = b.newManager();
    assert.throws(
      () => second.start(),
      (err: unknown) => isVeError(err) && err.code === 'VE_CONFLICT' && /already limited by limit A/.test(err.message),
    );
    assert.equal(b.claims.holder(SMALL, 'limit')?.owner, 'limit A');
  });

  it('every write passes the write policy: a share above the rating and the BMS bit are refused before a byte goes out', async () => {
    const b = (bench = new LimitBench([SMALL], {}, { start: false }));
    await b.run(3000);
    const target = b.target(SMALL);
    await assert.rejects(b.until(target.write(0x2015, 30.1)), (err: unknown) => isVeError(err) && err.code === 'VE_RANGE' && /rated charge current of the SmartSolar MPPT 100\|30/.test(err.message));
    await assert.rejects(b.until(target.write(0x200e, 0x0d)), (err: unknown) => isVeError(err) && err.code === 'VE_FLASH_GUARD');
    assert.deepEqual(b.sets(SMALL), [], 'nothing reached the charger');
    assert.equal(b.flashWrites(), 0);
  });

  it('a bad total is refused with VE_BAD_INPUT and changes nothing', async () => {
    const b = (bench = new LimitBench([SMALL]));
    await b.run(3000);
    await b.until(b.manager.setLimit(20));
    for (const bad of [-1, Number.NaN, '20' as unknown as number]) {
      assert.throws(() => b.manager.setLimit(bad), (err: unknown) => isVeError(err) && err.code === 'VE_BAD_INPUT');
    }
    await b.run(12_000);
    assert.equal(b.held(SMALL), 20);
  });
});
