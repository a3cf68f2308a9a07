import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { maxGap } from './fakes';
import { Rig } from './rig';

describe('bridge: stale sources are released, never held', () => {
  it('a source unplugged → release written within one cycle, then no writes; back → resumes', async () => {
    const rig = new Rig({ monitors: [{}, {}] });
    rig.start();
    await rig.run(20_000);
    const cut = rig.clock.now();
    rig.monitor.connected = false;
    await rig.run(40_000);
    for (const c of rig.chargers) {
      const after = c.writes().filter((w) => w.at > cut);
      // First voltage write after the cut is the release, within one voltage cycle; temperature
      // is released at the next cycle too (its monitor is gone), not only at its own cycle.
      assert.equal(after[0]?.raw, 'FFFF', `${c.id}: ${JSON.stringify(after.slice(0, 3))}`);
      assert.ok((after[0]?.at ?? Infinity) - cut <= 3100, 'within one cycle');
      const tRelease = after.find((w) => w.register === 0x2003);
      assert.equal(tRelease?.raw, 'FF7F');
      assert.ok((tRelease?.at ?? Infinity) - cut <= 3100);
      // Exactly one release each, then silence.
      assert.deepEqual(
        after.map((w) => w.raw),
        ['FFFF', 'FF7F'],
      );
      assert.deepEqual(c.inUse(), { voltage: null, temperature: null });
    }
    const r = rig.last();
    assert.ok(r.chargers.every((c) => c.state === 'released'));
    assert.equal(r.voltage.value, null);
    assert.match(r.voltage.reason ?? '', /bmv1/);
    assert.ok(rig.activeCodes().includes('SOURCE_STALE'));
    assert.ok(rig.activeCodes().includes('VOLTAGE_UNAVAILABLE'));
    assert.equal(r.status.text, '-- V -- °C → 0/3 MPPT');
    assert.equal(r.status.fill, 'yellow');

    const back = rig.clock.now();
    rig.monitor.connected = true;
    await rig.run(20_000);
    for (const c of rig.chargers) {
      const resumed = c.writes(0x2002).filter((w) => w.at > back);
      assert.ok(resumed.length >= 5 && resumed.every((w) => w.value === 13.28));
      assert.ok((resumed[0]?.at ?? Infinity) - back <= 4000);
    }
    assert.ok(rig.last().chargers.every((c) => c.state === 'sensing'));
    assert.ok(!rig.activeCodes().includes('SOURCE_STALE'));
    rig.checkInvariants();
  });

  it('a monitor that goes quiet (port open, no frames) is stale after the freshness limit', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}] });
    rig.start();
    await rig.run(15_000);
    const quiet = rig.clock.now();
    rig.monitor.sending = false;
    await rig.run(30_000);
    const after = rig.charger.writes().filter((w) => w.at > quiet);
    assert.deepEqual(after.map((w) => w.raw).slice(0, 2).sort(), ['FF7F', 'FFFF']);
    assert.ok(after.every((w) => w.value === null));
    const lastValue = rig.charger.writes(0x2002).filter((w) => w.value !== null).at(-1);
    // Never written older than 5 s.
    assert.ok((lastValue?.at ?? 0) - quiet <= 5000);
  });

  it('with requireAllSources off, one monitor lost leaves the others in use (alarmed)', async () => {
    const rig = new Rig({ monitors: [{ voltage: 13.3 }, { voltage: 13.25 }], chargers: [{}], config: { requireAllSources: false, voltageStrategy: 'average' } });
    rig.start();
    await rig.run(15_000);
    assert.equal(rig.charger.writes(0x2002).at(-1)?.value, 13.28); // 13.275 → 13.28
    rig.monitor.connected = false;
    await rig.run(10_000);
    assert.equal(rig.charger.writes(0x2002).at(-1)?.value, 13.25);
    assert.ok(rig.activeCodes().includes('SOURCE_STALE'));
    assert.ok(!rig.activeCodes().includes('VOLTAGE_UNAVAILABLE'));
  });

  it('an unplugged temperature sensor (T → "---") releases 0x2003 with 0x7FFF and raises an alarm; voltage goes on', async () => {
    const rig = new Rig({ monitors: [{ temperature: 20 }], chargers: [{}] });
    rig.start();
    await rig.run(15_000);
    const cut = rig.clock.now();
    rig.monitor.temperatureValue = null;
    await rig.run(30_000);
    const t = rig.charger.writes(0x2003).filter((w) => w.at > cut);
    assert.deepEqual(
      t.map((w) => w.raw),
      ['FF7F'],
    );
    assert.ok(rig.charger.writes(0x2002).filter((w) => w.at > cut && w.value === 13.28).length >= 9);
    assert.ok(rig.activeCodes().includes('TEMPERATURE_SENSOR_LOST'));
    assert.equal(rig.last().temperature.value, null);
    assert.equal(rig.last().sources[0]?.temperature, null);
    assert.equal(rig.last().sources[0]?.temperatureState, 'no-sensor');
  });

  it('a monitor without a temperature sensor: 0x2003 is never written, and "no sensor" is never a number', async () => {
    const rig = new Rig({ monitors: [{ temperature: null }, { temperature: null, hex: false }], chargers: [{}] });
    rig.start();
    await rig.run(60_000);
    assert.equal(rig.charger.writes(0x2003).length, 0);
    assert.ok(rig.charger.writes(0x2002).length >= 19);
    const r = rig.last();
    for (const s of r.sources) {
      assert.equal(s.temperature, null);
      assert.equal(s.temperatureState, 'no-sensor');
    }
    assert.equal(r.temperature.value, null);
    assert.equal(r.temperature.reason, 'no temperature sensor');
    assert.ok(!rig.activeCodes().includes('TEMPERATURE_UNAVAILABLE'));
    assert.equal(r.status.text, '13.28 V → 1/1 MPPT', 'a temperature no monitor can measure is left out of the badge');
    assert.equal(JSON.stringify(r).includes('382'), false);
  });

  it('a temperature outside the plausible window is not written', async () => {
    const rig = new Rig({ monitors: [{ temperature: 85 }], chargers: [{}] });
    rig.start();
    await rig.run(20_000);
    assert.equal(rig.charger.writes(0x2003).length, 0);
    assert.ok(rig.activeCodes().includes('SOURCE_OUT_OF_RANGE'));
  });
});

describe('bridge: plausibility against each charger', () => {
  it('a sense voltage far below the charger terminals: that charger gets neither value (both released once), the others go on', async () => {
    const rig = new Rig({ monitors: [{ voltage: 13.2 }], chargers: [{ terminal: 13.4 }, { terminal: 13.4 }] });
    rig.start();
    await rig.run(15_000);
    const [c1, c2] = rig.chargers;
    assert.ok(c1 && c2);
    const cut = rig.clock.now();
    c1.terminal = 14.2; // a fuse opened between the sense point and this charger
    await rig.run(30_000);
    const after = c1.writes().filter((w) => w.at > cut);
    // One release each, voltage first, then nothing: the monitor is not trusted for this charger.
    assert.deepEqual(
      after.map((w) => [w.register, w.raw]),
      [
        [0x2002, 'FFFF'],
        [0x2003, 'FF7F'],
      ],
    );
    assert.ok((after[1]?.at ?? Infinity) - cut <= 3100, 'the temperature is released in the same cycle');
    assert.ok(maxGap(c2, 0x2002, cut, rig.clock.now()) <= 3500, 'the other charger is unaffected');
    assert.ok(c2.writes(0x2003).filter((w) => w.at > cut && w.raw !== 'FF7F').length >= 3, 'the other charger still gets the temperature');
    const report = rig.last().chargers[0];
    assert.equal(report?.offset, -1);
    assert.equal(report?.state, 'released');
    assert.match(report?.reason ?? '', /temperature: the voltage is implausible for this charger, so the temperature is withheld too/);
    const alarm = rig.last().alarms.find((a) => a.code === 'VOLTAGE_IMPLAUSIBLE');
    assert.equal(alarm?.subject.id, 'mppt1');
    assert.match(alarm?.message ?? '', /below the charger terminals/);

    // Plausible again: both shared only after the hold time (30 s), without flapping.
    const fixed = rig.clock.now();
    c1.terminal = 13.4;
    await rig.run(25_000);
    assert.equal(c1.writes().filter((w) => w.at > fixed).length, 0);
    await rig.run(15_000); // the hold, plus up to one temperature interval (9 s)
    assert.ok(c1.writes(0x2002).filter((w) => w.at > fixed && w.value === 13.2).length >= 1);
    assert.ok(c1.writes(0x2003).filter((w) => w.at > fixed && w.raw !== 'FF7F').length >= 1);
    assert.ok(!rig.activeCodes().includes('VOLTAGE_IMPLAUSIBLE'));
  });

  it('sharing the temperature only, a monitor far from the charger voltage still gives its temperature', async () => {
    const rig = new Rig({ monitors: [{ voltage: 11.49, temperature: 21.5 }], chargers: [{ terminal: 13.35 }], config: { share: 'temperature' } });
    rig.start();
    await rig.run(20_000);
    assert.equal(rig.charger.writes(0x2002).length, 0);
    assert.ok(rig.charger.writes(0x2003).filter((w) => w.value === 21.5).length >= 2);
    assert.ok(!rig.activeCodes().includes('VOLTAGE_IMPLAUSIBLE'));
  });

  it('a charger reporting a 12 V system at 26.7 V: nothing written, and the alarm says so', async () => {
    const rig = new Rig({ monitors: [{ voltage: 26.6 }], chargers: [{ terminal: 26.7 }] });
    rig.charger.systemVoltage = 12;
    rig.start();
    await rig.run(20_000);
    assert.deepEqual(rig.charger.writes().filter((w) => w.register === 0x2002 || w.register === 0x2003), []);
    const alarm = rig.last().alarms.find((a) => a.code === 'VOLTAGE_IMPLAUSIBLE');
    assert.equal(alarm?.severity, 'critical');
    assert.equal(alarm?.details.reason, 'system-mismatch');
    assert.match(alarm?.message ?? '', /the charger reports a 12 V system \(0xEDEF\) at 26\.70 V on the charger terminals/);
    // Said once, not "voltage not shared: voltage not shared: …".
    assert.equal(alarm?.message.match(/not shared/g)?.length ?? 0, 1);
  });

  it('scales the window with the system voltage (24 V: 1 V)', async () => {
    const rig = new Rig({ monitors: [{ voltage: 26.7 }], chargers: [{ terminal: 27.5 }] });
    rig.charger.systemVoltage = 24;
    rig.start();
    await rig.run(10_000);
    assert.equal(rig.charger.writes(0x2002).at(-1)?.value, 26.7);
    assert.equal(rig.last().chargers[0]?.nominalVoltage, 24);
  });

  it('does not write a voltage while the charger terminal voltage is unknown', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}] });
    rig.charger.terminalFrozenAt = 0;
    rig.charger.terminal = 0; // 0xEDD5 answers nonsense too
    rig.start();
    await rig.run(20_000);
    assert.equal(rig.charger.writes(0x2002).length, 0);
    assert.ok(rig.charger.writes(0x2003).length >= 2);
    assert.ok(rig.activeCodes().includes('VOLTAGE_IMPLAUSIBLE'));
  });
});
