import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { maxGap } from './fakes';
import { Rig } from './rig';

describe('bridge: writes never wait on reads', () => {
  it('a monitor that stops answering HEX delays no voltage write to any charger', async () => {
    // Text keeps flowing from both monitors; one of them no longer answers 0xEDEC, so each of
    // its temperature reads takes 2.5 s to give up.
    const rig = new Rig({ monitors: [{}, {}], chargers: [{}, {}, {}], config: { requireAllSources: false } });
    rig.start();
    await rig.run(20_000);
    const cut = rig.clock.now();
    const silent = rig.monitors[1];
    assert.ok(silent);
    silent.hexSilent = true;
    const readsBefore = silent.temperatureReads;
    silent.hexGiveUpMs = 4000; // longer than a voltage interval: a wait would show as a gap
    await rig.run(60_000);
    for (const c of rig.chargers) {
      const gap = maxGap(c, 0x2002, cut, rig.clock.now());
      assert.ok(gap <= 3100, `${c.id}: largest voltage gap ${gap} ms`);
    }
    // Its reads run on their own schedule, never two at once.
    const reads = silent.temperatureReads - readsBefore;
    assert.ok(reads >= 5 && reads <= 9, `${reads} reads in 60 s`);
    // The temperature still goes out: the silent monitor's whole-degree Text T is fresh.
    assert.ok(rig.charger.writes(0x2003).filter((w) => w.at > cut + 10_000 && w.raw !== 'FF7F').length >= 4);
    rig.checkInvariants();
  });

  it('every monitor silent at once: voltage keeps its cadence', async () => {
    const rig = new Rig({ monitors: [{}, {}, {}], chargers: [{}, {}] });
    rig.start();
    await rig.run(10_000);
    const cut = rig.clock.now();
    for (const m of rig.monitors) {
      m.hexSilent = true;
      m.hexGiveUpMs = 5000;
    }
    await rig.run(45_000);
    for (const c of rig.chargers) assert.ok(maxGap(c, 0x2002, cut, rig.clock.now()) <= 3100, c.id);
  });

  it('the HEX temperature is read ahead of the temperature cycle, so the cycle finds it fresh', async () => {
    const rig = new Rig({ monitors: [{ temperature: 21.53 }], chargers: [{}] });
    rig.start();
    await rig.run(40_000);
    const values = rig.charger.writes(0x2003).map((w) => w.value);
    assert.ok(values.length >= 4);
    assert.ok(
      values.every((v) => v === 21.53),
      `0.01 °C resolution every time: ${JSON.stringify(values)}`,
    );
  });
});

describe('bridge: a fault in its own code', () => {
  it('raises INTERNAL, logs it, releases what the chargers had; clears when a cycle completes again', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}, {}] });
    rig.start();
    await rig.run(12_000);
    for (const c of rig.chargers) assert.deepEqual(c.inUse(), { voltage: 13.28, temperature: 21.53 });
    const cut = rig.clock.now();
    const m = rig.monitor;
    const real = m.voltage.bind(m);
    m.voltage = () => {
      throw new Error('boom');
    };
    await rig.run(3500);
    const alarm = rig.last().alarms.find((a) => a.code === 'INTERNAL');
    assert.equal(alarm?.severity, 'critical');
    assert.match(alarm?.message ?? '', /a cycle failed \(boom\)/);
    assert.ok(rig.errors.some((e) => /a cycle failed: Error: boom/.test(e)), JSON.stringify(rig.errors));
    for (const c of rig.chargers) {
      assert.deepEqual(
        c
          .writes()
          .filter((w) => w.at > cut)
          .map((w) => w.raw),
        ['FFFF', 'FF7F'],
        c.id,
      );
    }
    m.voltage = real;
    await rig.run(10_000);
    assert.ok(!rig.activeCodes().includes('INTERNAL'));
    assert.deepEqual(rig.alarms.at(-1)?.cleared.map((a) => a.code), ['INTERNAL']);
    for (const c of rig.chargers) assert.ok(c.writes(0x2002).filter((w) => w.at > cut && w.raw !== 'FFFF').length >= 2);
  });

  it('a fault while serving one charger: INTERNAL for that charger, logged, its values released; the others go on', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}, {}] });
    rig.start();
    await rig.run(13_500); // between two cycles
    const [c1, c2] = rig.chargers;
    assert.ok(c1 && c2);
    const cut = rig.clock.now();
    const real = c1.terminalVoltage.bind(c1);
    let faults = 1; // the next call only: the one the cycle's decision makes
    c1.terminalVoltage = () => {
      if (faults-- > 0) throw new Error('adapter bug');
      return real();
    };
    await rig.run(3500);
    const alarm = rig.last().alarms.find((a) => a.code === 'INTERNAL');
    assert.equal(alarm?.subject.id, 'mppt1');
    assert.match(alarm?.message ?? '', /internal error: adapter bug/);
    assert.ok(rig.errors.some((e) => e.includes('adapter bug')));
    assert.deepEqual(
      c1
        .writes()
        .filter((w) => w.at > cut)
        .map((w) => w.raw),
      ['FFFF', 'FF7F'],
    );
    assert.ok(maxGap(c2, 0x2002, cut, rig.clock.now()) <= 3100);
  });

  it('a fault that breaks even the report: logged, no unhandled rejection, the bridge keeps running', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}] });
    rig.charger.terminalVoltage = () => {
      throw new Error('always');
    };
    rig.start();
    await rig.run(10_000);
    assert.equal(rig.reports.length, 0);
    assert.ok(rig.errors.some((e) => e.includes('no report could be made: always')), JSON.stringify(rig.errors));
    assert.ok(rig.bridge.status().text.length > 0);
    await rig.bridge.stop();
  });
});
