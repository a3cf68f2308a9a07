/**
 * A charge limit and the sense bridge on one charger (different registers): the bridge does
 * not take the 0x200E = 0x05 the charge limit keeps set for another master, and both keep
 * writing; once the limit is released the charger is stand-alone again at once.
 */

import { afterEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChargeLimitManager } from '../../../lib/bridge/charge-limit';
import { PortLimitTarget } from '../../../lib/bridge/limit-target';
import { SimBench, maxSetGap } from './sim-harness';

let bench: SimBench | undefined;
let limit: ChargeLimitManager | undefined;
afterEach(async () => {
  if (limit !== undefined) await bench?.until(limit.stop(), 5000);
  await bench?.close();
  bench = undefined;
  limit = undefined;
});

it('bridge and charge limit share a charger: voltage sense keeps flowing while 0x2015 holds the limit', async () => {
  const CHARGER = 'sim:smartsolar-100-30';
  const b = (bench = new SimBench({ monitors: ['sim:bmv712'], chargers: [CHARGER], config: { conflictCheckIntervalMs: 10_000 } }));
  const port = b.ports.get(CHARGER);
  assert.ok(port !== undefined);
  const m = (limit = new ChargeLimitManager({ clock: b.clock, chargers: [new PortLimitTarget(port, { clock: b.clock })], owner: 'limit' }));
  m.start();
  await b.run(2000);
  for (let t = 0; t < 90_000; t += 15_000) {
    void m.setLimit(20);
    await b.run(15_000);
  }
  const end = b.clock.now();
  assert.equal(b.mppt(CHARGER).chargeLimit.readRaw(), 200, 'limited to 20 A');
  assert.ok(maxSetGap(b.sets(CHARGER, 0x2002), 20_000, end) <= 3500, 'voltage sense every ≤ 3.5 s all along');
  const last = b.reports.at(-1)?.chargers[0];
  assert.equal(last?.state, 'sensing', `the bridge sees no other master: ${last?.reason ?? ''}`);
  assert.equal(m.report()?.chargers[0]?.state, 'limiting');
  assert.equal(b.flashWrites(), 0);
});
