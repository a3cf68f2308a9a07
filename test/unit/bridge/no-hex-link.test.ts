/**
 * The bridge and a charger whose link carries no HEX (a receive-only relay: the charger's Text
 * arrives, its HEX replies never do): nothing is taken for written, the charger is refused with
 * an alarm that names the reason (`VE_NO_HEX`), and no write is sent once the link is known.
 * In-process simulators on the real link stack, one ManualClock.
 */

import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SimBench } from './sim-harness';

let bench: SimBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

describe('bridge and a charger on a link without HEX', () => {
  it('refuses the charger with a critical alarm naming VE_NO_HEX and stops sending to it', async () => {
    const charger = 'sim:smartsolar-100-30';
    const b = (bench = new SimBench({
      monitors: ['sim:smartshunt-temp'],
      chargers: [{ path: charger, options: { faults: { lostReplyRate: 1 } } }],
    }));
    await b.run(60_000);
    const port = b.ports.get(charger);
    assert.equal(port?.carriesHex, false, 'the charger port knows its link carries no HEX');
    const state = port?.state;
    assert.equal(state?.kind === 'connected' && state.noHex, true);
    const active = b.alarms.at(-1)?.active ?? [];
    const alarm = active.find((a) => a.subject.id === charger);
    assert.ok(alarm, `an alarm for the charger: ${JSON.stringify(active)}`);
    assert.equal(alarm.errorCode, 'VE_NO_HEX');
    assert.equal(alarm.code, 'CHARGER_NO_HEX');
    assert.equal(alarm.severity, 'critical');
    assert.match(alarm.message, /this link carries no HEX/);
    // Once known, requests are refused before a byte goes out: nothing reaches the charger
    // beyond the probe pings.
    const framesAt = b.device(charger).hostLog.length;
    await b.run(20_000);
    const later = b.device(charger).hostLog.slice(framesAt).map((f) => f.frame);
    assert.ok(
      later.every((f) => f === ':154'),
      `only probe pings after the link is known: ${later.join(' ')}`,
    );
    assert.equal(b.sets(charger).length, 0, 'no Set reached the charger: the checks before writing failed first');
  });
});
