import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../lib/clock';
import { isVeError } from '../../../lib/errors';
import { SenseBridge } from '../../../lib/bridge/sense-bridge';
import { FakeCharger, FakeMonitor, MPPT, flush, maxGap } from './fakes';
import { Rig, WALL_EPOCH } from './rig';

describe('bridge: stop, redeploy, disable', () => {
  it('stop() writes the release to every charger that was receiving, before it resolves; then nothing', async () => {
    const rig = new Rig();
    rig.start();
    await rig.run(20_500);
    let resolvedAt: number | null = null;
    const stopAt = rig.clock.now();
    void rig.bridge.stop().then(() => (resolvedAt = rig.clock.now()));
    await rig.run(3000, 10);
    assert.notEqual(resolvedAt, null);
    for (const c of rig.chargers) {
      const after = c.writes().filter((w) => w.at >= stopAt);
      assert.deepEqual(
        after.map((w) => w.raw),
        ['FFFF', 'FF7F'],
      );
      assert.ok(after.every((w) => w.at < (resolvedAt ?? 0)));
      assert.deepEqual(c.inUse(), { voltage: null, temperature: null });
    }
    const final = rig.last();
    assert.equal(final.trigger, 'stop');
    assert.equal(final.running, false);
    assert.equal(rig.statuses.at(-1)?.key, 'stopped');
    // No timers left behind by the bridge.
    assert.equal(rig.clock.pending, rig.baseTimers);
    const count = rig.chargers.map((c) => c.requests.length);
    await rig.run(60_000);
    assert.deepEqual(
      rig.chargers.map((c) => c.requests.length),
      count,
    );
    rig.checkInvariants();
  });

  it('stop() waits for a write in flight, then releases', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{ latencyMs: 400 }] });
    rig.start();
    await rig.run(21_000, 50);
    // A voltage write is in flight now (cycle at 21 000).
    assert.equal(rig.charger.requests.at(-1)?.kind, 'write');
    let done = false;
    void rig.bridge.stop().then(() => (done = true));
    await rig.run(2500, 50);
    assert.equal(done, true);
    const last = rig.charger.writes().slice(-2);
    assert.deepEqual(
      last.map((w) => w.raw),
      ['FFFF', 'FF7F'],
    );
  });

  it('stop() is bounded: a charger that never answers does not hold it beyond stopTimeoutMs', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}, {}], config: { stopTimeoutMs: 2000 } });
    rig.start();
    await rig.run(20_500);
    const stuck = rig.charger;
    stuck.latencyMs = 60_000; // the request goes out, the answer never comes in time
    let resolvedAt: number | null = null;
    const stopAt = rig.clock.now();
    void rig.bridge.stop().then(() => (resolvedAt = rig.clock.now()));
    await rig.run(5000, 50);
    assert.ok(resolvedAt !== null && resolvedAt - stopAt <= 2000, `resolved after ${String(resolvedAt)}`);
    assert.deepEqual(
      rig.chargers[1]?.writes().filter((w) => w.at >= stopAt).map((w) => w.raw),
      ['FFFF', 'FF7F'],
    );
  });

  it('stop() on a charger that is offline sends nothing, and still resolves at once', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}] });
    rig.start();
    await rig.run(10_500);
    rig.charger.connected = false;
    await rig.run(3000);
    const before = rig.charger.requests.length;
    let done = false;
    void rig.bridge.stop().then(() => (done = true));
    await flush();
    assert.equal(done, true);
    assert.equal(rig.charger.requests.length, before);
  });

  it('a redeploy: the old bridge releases before the new one starts; the new one then shares', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}] });
    rig.start();
    await rig.run(20_500);
    await Promise.all([rig.bridge.stop(), rig.run(3000, 10)]);
    assert.deepEqual(rig.charger.inUse(), { voltage: null, temperature: null });
    const next = new SenseBridge({ clock: rig.clock, sources: rig.monitors, targets: rig.chargers });
    next.start();
    await rig.run(10_000);
    // The release cleared the bits, so the new bridge sees no foreign sensing: no conflict.
    assert.equal(next.report()?.chargers[0]?.state, 'sensing');
    await Promise.all([next.stop(), rig.run(3000, 10)]);
  });

  it('disable releases once and stops writing; enable resumes', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}, {}] });
    rig.start();
    await rig.run(20_500);
    const off = rig.clock.now();
    await Promise.all([rig.bridge.setEnabled(false), rig.run(1000, 10)]);
    await rig.run(60_000);
    for (const c of rig.chargers) {
      assert.deepEqual(
        c.writes().filter((w) => w.at >= off).map((w) => w.raw),
        ['FFFF', 'FF7F'],
      );
    }
    assert.equal(rig.last().status.key, 'disabled');
    assert.equal(rig.last().status.fill, 'grey');
    assert.ok(rig.last().chargers.every((c) => c.state === 'released'));
    const on = rig.clock.now();
    await rig.bridge.setEnabled(true);
    await rig.run(15_000);
    for (const c of rig.chargers) assert.ok(c.writes(0x2002).filter((w) => w.at >= on && w.value === 13.28).length >= 3);
    assert.equal(rig.last().status.fill, 'green');
  });

  it('a disable takes effect even for a cycle already waiting on a slow charger', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{ latencyMs: 900 }] });
    rig.start();
    await rig.run(20_900, 50);
    const off = rig.clock.now();
    const done = rig.bridge.setEnabled(false);
    await rig.run(5000, 50);
    await done;
    const after = rig.charger.writes().filter((w) => w.at >= off);
    assert.ok(after.every((w) => w.value === null), JSON.stringify(after));
    assert.deepEqual(rig.charger.inUse(), { voltage: null, temperature: null });
  });

  it('a serial number that becomes known later does not make the bridge forget what it sent', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}] });
    rig.charger.identityValue = { ...MPPT, serial: null };
    rig.start();
    await rig.run(10_000);
    rig.charger.identityValue = { ...MPPT, serial: 'HQ1000' };
    await rig.run(10_000);
    let resolved = false;
    void rig.bridge.stop().then(() => (resolved = true));
    await rig.run(1000, 10);
    assert.ok(resolved);
    assert.deepEqual(rig.charger.writes().slice(-2).map((w) => w.raw), ['FFFF', 'FF7F']);
  });

  it('refuses to start again after a stop, and a trigger when not running', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}] });
    await assert.rejects(rig.bridge.trigger(), (err: unknown) => isVeError(err) && err.code === 'VE_BAD_INPUT');
    rig.start();
    await rig.bridge.stop();
    assert.throws(() => rig.bridge.start(), (err: unknown) => isVeError(err) && err.code === 'VE_BAD_INPUT');
  });
});

describe('bridge: manual trigger', () => {
  it('runs a cycle now and resolves with its report', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}], config: { voltageIntervalMs: 20_000, temperatureIntervalMs: 20_000 } });
    rig.start();
    await rig.run(5000);
    const writes = rig.charger.writes().length;
    const pending = rig.bridge.trigger();
    await rig.run(1000);
    const report = await pending;
    assert.equal(report.trigger, 'manual');
    assert.deepEqual(report.due, ['voltage', 'temperature']);
    assert.equal(rig.charger.writes().length, writes + 2);
    assert.equal(report.chargers[0]?.writes.length, 2);
  });

  it('a storm of triggers never writes a register to a charger more than once a second', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}, {}] });
    rig.start();
    await rig.run(5000);
    for (let i = 0; i < 100; i++) {
      void rig.bridge.trigger().catch(() => undefined);
      await rig.run(100, 10);
    }
    for (const c of rig.chargers) {
      for (const reg of [0x2002, 0x2003] as const) {
        const times = c.writes(reg).map((w) => w.at);
        for (let i = 1; i < times.length; i++) assert.ok((times[i] ?? 0) - (times[i - 1] ?? 0) >= 1000, `${c.id} ${reg}: ${times.join(',')}`);
      }
      assert.ok(maxGap(c, 0x2002, 5000, rig.clock.now()) <= 3500);
    }
    rig.checkInvariants();
  });
});

describe('bridge: external source', () => {
  it('an external temperature (1-wire on the Pi) is shared under the same freshness rules, and released when it stops', async () => {
    const rig = new Rig({ monitors: [{ temperature: null }], chargers: [{}], config: { externalTemperature: true } });
    rig.start();
    for (let i = 0; i < 10; i++) {
      rig.bridge.external({ temperature: 4.25 });
      void rig.bridge.trigger().catch(() => undefined);
      await rig.run(2000);
    }
    assert.equal(rig.charger.writes(0x2003).at(-1)?.value, 4.25);
    const ext = rig.last().sources.find((s) => s.kind === 'external');
    assert.equal(ext?.temperatureVia, 'external');
    assert.equal(ext?.usedForTemperature, true);
    const stop = rig.clock.now();
    await rig.run(15_000);
    const after = rig.charger.writes(0x2003).filter((w) => w.at > stop);
    assert.deepEqual(
      after.map((w) => w.raw),
      ['FF7F'],
    );
    assert.ok((after[0]?.at ?? Infinity) - stop <= 5000 + 3100);
    assert.ok(rig.activeCodes().includes('SOURCE_STALE'));
  });

  it('honours the timestamp (wall clock): an old reading is stale at once', async () => {
    const rig = new Rig({ monitors: [{ temperature: null }], chargers: [{}], config: { externalTemperature: true } });
    rig.start();
    await rig.run(1000);
    rig.bridge.external({ temperature: 20, timestamp: WALL_EPOCH + rig.clock.now() - 8000 });
    await rig.run(10_000);
    assert.equal(rig.charger.writes(0x2003).length, 0);
    assert.equal(rig.last().sources.find((s) => s.kind === 'external')?.temperatureState, 'stale');
  });

  it('an external voltage is accepted only when enabled, and only as a number', async () => {
    const rig = new Rig({ monitors: [], chargers: [{}], config: { externalVoltage: true } });
    rig.start();
    const bad: unknown[] = [null, 42, 'x', [], {}, { voltage: '13.2' }, { voltage: '---' }, { voltage: Number.NaN }, { temperature: 20 }, { voltage: 13, timestamp: 'now' }];
    for (const b of bad) assert.throws(() => rig.bridge.external(b), (err: unknown) => isVeError(err) && err.code === 'VE_BAD_INPUT', JSON.stringify(b));
    assert.throws(
      () => rig.bridge.external({ voltage: 13, timestamp: WALL_EPOCH + rig.clock.now() + 60_000 }),
      (err: unknown) => isVeError(err) && /future/.test(err.message),
    );
    for (let i = 0; i < 5; i++) {
      rig.bridge.external({ voltage: 13.31 });
      await rig.run(1000);
    }
    assert.equal(rig.charger.writes(0x2002).at(-1)?.value, 13.31);
    // null: the sender says "not available" → released.
    rig.bridge.external({ voltage: null });
    await rig.run(4000);
    assert.equal(rig.charger.writes(0x2002).at(-1)?.raw, 'FFFF');
  });

  it('without a wall clock, a timestamp is refused rather than guessed', () => {
    const clock = new ManualClock();
    const bridge = new SenseBridge({ clock, sources: [], targets: [], config: { externalTemperature: true } });
    assert.throws(() => bridge.external({ temperature: 20, timestamp: 1 }), (err: unknown) => isVeError(err) && err.code === 'VE_BAD_INPUT');
  });
});

describe('bridge: lithium low temperature', () => {
  it('alarms when the coldest sensor is below the limit, whatever the strategy', async () => {
    const rig = new Rig({ monitors: [{ temperature: 3.5 }, { temperature: 9 }], chargers: [{}], config: { chemistry: 'lithium', temperatureStrategy: 'max' } });
    rig.start();
    await rig.run(20_000);
    const alarm = rig.last().alarms.find((a) => a.code === 'LITHIUM_LOW_TEMPERATURE');
    assert.match(alarm?.message ?? '', /3\.5 °C, below the low-temperature limit of 5 °C/);
    assert.equal(rig.charger.writes(0x2003).at(-1)?.value, 9, 'still shared (max), the alarm says why to worry');
  });

  it('a sensor missing from the start on a monitor set up for one blocks temperature sharing (not mistaken for no input)', async () => {
    const rig = new Rig({
      monitors: [{ temperature: 15 }, { temperature: null, temperatureInput: true }],
      chargers: [{}],
      config: { chemistry: 'lithium' },
    });
    rig.start();
    await rig.run(30_000);
    assert.equal(rig.charger.writes(0x2003).filter((w) => w.value !== null).length, 0, 'no temperature written while the coldest sensor may be the missing one');
    assert.ok(rig.activeCodes().includes('TEMPERATURE_SENSOR_LOST'));
    assert.ok(rig.charger.writes(0x2002).length > 0, 'voltage still shared');
  });

  it('asks only battery monitors for 0xEDEC: a charger listed as a source ("all found") is left alone', async () => {
    const rig = new Rig({ monitors: [{ temperature: 15 }, { identity: MPPT, temperature: 30 }], chargers: [{}], config: { sourceSelection: 'auto' } });
    rig.start();
    await rig.run(30_000);
    assert.ok(rig.monitors[0]!.temperatureReads > 0);
    assert.equal(rig.monitors[1]!.temperatureReads, 0);
    assert.equal(rig.charger.writes(0x2003).at(-1)?.value, 15);
  });

  it('with no temperature input anywhere, sharing "both" shows green for the voltage alone', async () => {
    const rig = new Rig({ monitors: [{ temperature: null, temperatureInput: false }], chargers: [{}] });
    rig.start();
    await rig.run(30_000);
    assert.equal(rig.last().status.text, '13.28 V → 1/1 MPPT');
    assert.equal(rig.last().status.fill, 'green');
    assert.equal(rig.last().temperature.reason, 'no temperature sensor');
    assert.equal(rig.charger.writes(0x2003).length, 0);
  });

  it('a monitor without a temperature input does not block the temperature of one with a sensor', async () => {
    const rig = new Rig({
      monitors: [{ temperature: 15 }, { temperature: null, temperatureInput: false }],
      chargers: [{}],
      config: { chemistry: 'lithium' },
    });
    rig.start();
    await rig.run(30_000);
    assert.equal(rig.charger.writes(0x2003).at(-1)?.value, 15);
    assert.ok(!rig.activeCodes().includes('TEMPERATURE_SENSOR_LOST'));
  });

  it('alarms when the temperature is unknown while lithium is configured', async () => {
    const rig = new Rig({ monitors: [{ temperature: null }], chargers: [{}], config: { chemistry: 'lithium' } });
    rig.start();
    await rig.run(20_000);
    assert.ok(rig.activeCodes().includes('LITHIUM_TEMPERATURE_UNKNOWN'));
  });
});

describe('bridge: construction and outputs', () => {
  it('refuses a port that is both source and target, duplicate ids, and unknown source ids', () => {
    const clock = new ManualClock();
    const m = new FakeMonitor(clock, { id: 'a' });
    const c = new FakeCharger(clock, { id: 'a' });
    const c2 = new FakeCharger(clock, { id: 'b' });
    const bad = (fn: () => unknown): void => assert.throws(fn, (err: unknown) => isVeError(err) && err.code === 'VE_BAD_INPUT');
    bad(() => new SenseBridge({ clock, sources: [m], targets: [c] }));
    bad(() => new SenseBridge({ clock, sources: [m, m], targets: [] }));
    bad(() => new SenseBridge({ clock, sources: [], targets: [c2, c2] }));
    bad(() => new SenseBridge({ clock, sources: [m], targets: [], config: { voltageSources: ['zz'] } }));
    bad(() => new SenseBridge({ clock, sources: [], targets: [], config: { voltageIntervalMs: 60_000 } }));
  });

  it('voltage and temperature may come from different monitors', async () => {
    const rig = new Rig({
      monitors: [
        { voltage: 13.3, temperature: null },
        { voltage: 12.9, temperature: 15 },
      ],
      chargers: [{}],
      config: { voltageSources: ['bmv1'], temperatureSources: ['bmv2'] },
    });
    rig.start();
    await rig.run(10_000);
    assert.equal(rig.charger.writes(0x2002).at(-1)?.value, 13.3);
    assert.equal(rig.charger.writes(0x2003).at(-1)?.value, 15);
  });

  it('sends alarms only when they change, and keeps going when a listener throws', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}] });
    rig.bridge.on('report', () => {
      throw new Error('listener bug');
    });
    rig.start();
    await rig.run(30_000);
    rig.monitor.connected = false;
    await rig.run(60_000);
    rig.monitor.connected = true;
    await rig.run(60_000);
    // One change when the monitor goes; when it is back, the voltage clears at the next voltage
    // cycle and the temperature at the next temperature cycle. Nothing in between.
    const summary = rig.alarms.map((a) => [a.raised.map((x) => x.code).sort(), a.cleared.map((x) => x.code).sort()]);
    assert.deepEqual(summary, [
      [['SOURCE_STALE', 'TEMPERATURE_UNAVAILABLE', 'VOLTAGE_UNAVAILABLE'], []],
      [[], ['VOLTAGE_UNAVAILABLE']],
      [[], ['SOURCE_STALE', 'TEMPERATURE_UNAVAILABLE']],
    ]);
    assert.equal(rig.alarms.at(-1)?.active.length, 0);
    assert.match(String(rig.bridge.listenerError), /listener bug/);
    assert.ok(rig.charger.writes(0x2002).length >= 28, "the bridge went on despite the listener");
  });

  it('reports per monitor and per charger what was read and written, with ages, echoes and flags', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}] });
    rig.start();
    await rig.run(12_000);
    const r = rig.last();
    const c = r.chargers[0];
    assert.ok(c);
    assert.equal(c.product, 'SmartSolar MPPT 100|20');
    assert.equal(c.firmware, '1.61');
    assert.equal(c.networkStatus, 0xc4);
    assert.equal(c.offset, -0.12);
    assert.equal(c.terminalVoltage, 13.4);
    const w = c.lastWrite.voltage;
    assert.equal(w?.raw, '3005');
    assert.equal(w?.echo, '3005');
    assert.equal(w?.flags, 0);
    assert.equal(w?.ok, true);
    assert.ok((w?.ageMs ?? -1) >= 0);
    assert.equal(r.voltage.written, 13.28);
    assert.equal(r.sources[0]?.product, 'BMV-712 Smart');
    assert.ok(JSON.stringify(r).length > 100, 'serialisable');
  });
});
