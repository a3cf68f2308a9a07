/**
 * Shared current sense (`shareCurrent`): the battery current of the first fresh monitor to each
 * charger's 0x200A, through the real link stack against simulated devices on one ManualClock
 * (sim-harness.ts), and against fakes where a charger must answer what the simulator does not
 * (a register it lacks). What the chargers received is read from their host logs and their
 * remote-sense state; what the monitor sent, from its own output bytes.
 */

import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SimBench, maxSetGap, senseValue } from './sim-harness';
import { Rig } from './rig';

const BMV = 'sim:bmv712';
const SHUNT = 'sim:smartshunt';
const NEW_MPPT = 'sim:smartsolar-100-30';
/** 0x200A and ISENSE exist from 1.44, but current is sent only from 1.47. */
const MPPT_146 = { path: 'sim:smartsolar-250-70', options: { firmware: '1.46' } } as const;
const RELEASE_I = 'FFFFFF7F';

let bench: SimBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

/** Every Text `I` (mA) a monitor sent, with the device time it went out. */
function textCurrents(b: SimBench, path: string): Array<{ at: number; value: number }> {
  const seen: Array<{ at: number; value: number }> = [];
  let buffer = '';
  b.device(path).onOutput((bytes) => {
    buffer += Buffer.from(bytes).toString('latin1');
    for (let m = /\r\nI\t(-?\d+)\r\n/.exec(buffer); m !== null; m = /\r\nI\t(-?\d+)\r\n/.exec(buffer)) {
      seen.push({ at: b.clock.now(), value: Number(m[1]) / 1000 });
      buffer = buffer.slice(m.index + m[0].length - 2);
    }
    if (buffer.length > 4096) buffer = buffer.slice(-256);
  });
  return seen;
}

describe('bridge: shared current sense (0x200A)', () => {
  it("writes the monitor's current to a charger ≥ 1.47 at least every 3.5 s, confirmed by ISENSE; a 1.46 charger gets none and a report line", async () => {
    const b = (bench = new SimBench({ monitors: [BMV], chargers: [NEW_MPPT, MPPT_146], config: { shareCurrent: true } }));
    const sent = textCurrents(b, BMV);
    await b.run(90_000);
    const end = b.clock.now();

    const current = b.sets(NEW_MPPT, 0x200a);
    assert.ok(current.length >= 25, `${current.length} current writes in 90 s`);
    assert.ok(maxSetGap(current, 10_000, end) <= 3500, `current gap ${maxSetGap(current, 10_000, end)} ms`);
    assert.ok(!current.some((s) => s.raw === RELEASE_I), 'never released while the monitor delivers');
    // Each value is what the monitor sent in one of its last Text blocks before the write.
    for (const s of current) {
      const value = senseValue(0x200a, s.raw);
      const recent = sent.filter((t) => t.at <= s.at && s.at - t.at <= 5000).map((t) => t.value);
      assert.ok(recent.slice(-2).includes(value), `${value} A written at ${s.at}; the monitor had sent ${recent.slice(-2).join(', ')} A`);
    }
    const inUse = b.mppt(NEW_MPPT).remoteSense.current;
    assert.equal(inUse, senseValue(0x200a, current.at(-1)!.raw), 'the charger uses the last value written');

    // The 1.46 charger: voltage and temperature, never the current.
    assert.equal(b.sets(MPPT_146.path, 0x200a).length, 0);
    assert.ok(b.sets(MPPT_146.path, 0x2002).length >= 25);
    assert.equal(b.mppt(MPPT_146.path).remoteSense.current, null);

    const r = b.reports.at(-1)!;
    assert.equal(r.current.shared, true);
    assert.equal(r.current.strategy, 'first-fresh');
    assert.deepEqual(r.current.used, [BMV]);
    assert.equal(r.sources[0]?.currentState, 'fresh');
    assert.equal(r.sources[0]?.usedForCurrent, true);
    const [fresh, old] = r.chargers;
    assert.deepEqual([fresh?.state, fresh?.sensingCurrent, fresh?.lastWrite.current?.ok], ['sensing', true, true]);
    assert.equal(old?.state, 'sensing', 'the 1.46 charger still senses voltage and temperature');
    assert.equal(old?.sensingCurrent, false);
    assert.match(old?.reason ?? '', /current: firmware 1\.46 is below 1\.47/);
    assert.equal(old?.lastWrite.current, null);
    assert.match(r.status.text, /^\d+\.\d\dV -?\d+\.\d°C -?\d+(\.\d)?A → 2\/2 MPPT$/);
    assert.ok(r.status.text.length <= 32, r.status.text);
    assert.equal(r.status.fill, 'green');
    assert.deepEqual(r.alarms, [], 'no alarm for the old firmware either');
    assert.equal(b.alarms.length, 0);
    assert.equal(b.flashWrites(), 0);
  });

  it('takes the first fresh monitor in the list: the second only while the first is stale', async () => {
    const b = (bench = new SimBench({ monitors: [SHUNT, BMV], chargers: [NEW_MPPT], config: { shareCurrent: true, voltageStrategy: 'first-fresh' } }));
    await b.run(15_000);
    assert.deepEqual(b.reports.at(-1)!.current.used, [SHUNT]);
    b.device(SHUNT).faults.unplug();
    await b.run(10_000);
    assert.deepEqual(b.reports.at(-1)!.current.used, [BMV]);
    b.device(SHUNT).faults.replug();
    await b.run(15_000);
    assert.deepEqual(b.reports.at(-1)!.current.used, [SHUNT]);
  });

  it('the monitor goes silent → 0x200A released once (0x7FFFFFFF), then nothing; back → shared again', async () => {
    const b = (bench = new SimBench({ monitors: [BMV], chargers: [NEW_MPPT], config: { shareCurrent: true } }));
    await b.run(20_000);
    assert.notEqual(b.mppt(NEW_MPPT).remoteSense.current, null);
    const cut = b.clock.now();
    b.device(BMV).faults.unplug();
    await b.run(30_000);
    const after = b.sets(NEW_MPPT, 0x200a).filter((s) => s.at > cut);
    assert.deepEqual(
      after.filter((s) => s.raw === RELEASE_I).map((s) => s.raw),
      [RELEASE_I],
      'released once',
    );
    const release = after.find((s) => s.raw === RELEASE_I)!;
    // Freshness 5 s, then within one 3 s cycle.
    assert.ok(release.at - cut <= 8500, `released ${release.at - cut} ms after the cut`);
    assert.ok(after.every((s) => s.raw === RELEASE_I || s.at < release.at), 'no value after the release');
    assert.equal(b.mppt(NEW_MPPT).remoteSense.current, null, 'the charger is back on its own current');
    const r = b.reports.at(-1)!;
    assert.equal(r.current.value, null);
    assert.ok(r.alarms.some((a) => a.code === 'CURRENT_UNAVAILABLE'));

    const back = b.clock.now();
    b.device(BMV).faults.replug();
    await b.run(20_000);
    assert.ok(b.sets(NEW_MPPT, 0x200a).filter((s) => s.at > back && s.raw !== RELEASE_I).length >= 3, 'shared again');
    assert.notEqual(b.mppt(NEW_MPPT).remoteSense.current, null);
  });

  it('stop releases the current with the voltage and temperature, before the ports close', async () => {
    const b = (bench = new SimBench({ monitors: [BMV], chargers: [NEW_MPPT], config: { shareCurrent: true } }));
    await b.run(20_000);
    const stopAt = b.clock.now();
    await b.until(b.bridge.stop(), 5000);
    const after = b.sets(NEW_MPPT).filter((s) => s.at >= stopAt);
    assert.deepEqual(
      after.map((s) => [s.register, s.raw]),
      [
        [0x2002, 'FFFF'],
        [0x2003, 'FF7F'],
        [0x200a, RELEASE_I],
      ],
    );
    // The port is still open: the releases were answered and the charger dropped the values.
    assert.equal(b.ports.get(NEW_MPPT)?.state.kind, 'connected');
    const sense = b.mppt(NEW_MPPT).remoteSense;
    assert.deepEqual([sense.voltage, sense.temperature, sense.current], [null, null, null]);
    assert.equal(b.reports.at(-1)!.chargers[0]?.lastWrite.current?.release, true);
  });

  it('off by default: not one 0x200A write, no current in the report or the badge', async () => {
    const b = (bench = new SimBench({ monitors: [BMV], chargers: [NEW_MPPT] }));
    await b.run(20_000);
    assert.equal(b.sets(NEW_MPPT, 0x200a).length, 0);
    const r = b.reports.at(-1)!;
    assert.deepEqual([r.current.shared, r.current.value, r.current.reason], [false, null, 'not shared']);
    assert.equal(r.sources[0]?.currentState, 'disabled');
    assert.ok(!r.due.includes('current'));
    assert.doesNotMatch(r.status.text, /\d ?A\b/);
  });

  it('a charger that does not know 0x200A (unknown id): asked once, then only voltage and temperature, no alarm', async () => {
    const rig = new Rig({ monitors: [{ current: 7.25 }], chargers: [{ unknownRegisters: [0x200a] }], config: { shareCurrent: true } });
    rig.start();
    await rig.run(60_000);
    assert.deepEqual(rig.charger.forbidden, [0x200a], 'one attempt only');
    const volts = rig.charger.writes(0x2002).filter((w) => w.answered);
    assert.ok(volts.length >= 19, `${volts.length} voltage writes`);
    const r = rig.last();
    assert.equal(r.chargers[0]?.state, 'sensing');
    assert.match(r.chargers[0]?.reason ?? '', /current: the charger does not take the battery current \(0x200A unknown id\)/);
    assert.deepEqual(r.alarms, []);
    assert.ok(!rig.raisedCodes().includes('CHARGER_REJECTED'));
  });
});
