import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { maxGap } from './fakes';
import { Rig } from './rig';
import type { Strategy } from '../../../lib/bridge/types';

describe('bridge: steady state', () => {
  it('2 monitors × 3 chargers: voltage at least every 3.5 s, temperature every 10.5 s, the strategy result within rounding', async () => {
    const rig = new Rig({
      monitors: [
        { voltage: 13.28, temperature: 21.53 },
        { voltage: 13.31, temperature: 22.1 },
      ],
      config: { voltageStrategy: 'average', temperatureStrategy: 'average' },
    });
    rig.start();
    await rig.run(120_000);
    for (const c of rig.chargers) {
      assert.ok(maxGap(c, 0x2002, 5000, 120_000) <= 3500, `${c.id} voltage gap ${maxGap(c, 0x2002, 5000, 120_000)}`);
      assert.ok(maxGap(c, 0x2003, 5000, 120_000) <= 10_500, `${c.id} temperature gap`);
      const volts = new Set(c.writes(0x2002).map((w) => w.value));
      const temps = new Set(c.writes(0x2003).map((w) => w.value));
      assert.deepEqual([...volts], [13.3]); // (13.28 + 13.31) / 2 = 13.295 → 13.30
      assert.deepEqual([...temps], [21.82]); // (21.53 + 22.10) / 2 = 21.815 → 21.82
      assert.deepEqual(c.inUse(), { voltage: 13.3, temperature: 21.82 });
      // 20 voltage and 6.7 temperature writes a minute, nothing else written.
      const perMinute = c.writes().length / 2;
      assert.ok(perMinute >= 26 && perMinute <= 28, `writes per minute ${perMinute}`);
    }
    const r = rig.last();
    assert.deepEqual(
      r.chargers.map((c) => [c.state, c.sensingVoltage, c.sensingTemperature]),
      [
        ['sensing', true, true],
        ['sensing', true, true],
        ['sensing', true, true],
      ],
    );
    assert.equal(r.status.text, '13.30 V 21.8 °C → 3/3 MPPT');
    assert.equal(r.status.fill, 'green');
    assert.ok(r.status.text.length <= 32);
    assert.deepEqual(r.alarms, []);
    assert.equal(rig.alarms.length, 0, 'no alarm messages in steady state');
    // Per monitor: value, age, used.
    assert.deepEqual(
      r.sources.map((s) => [s.id, s.voltageState, s.usedForVoltage, s.temperatureVia]),
      [
        ['bmv1', 'fresh', true, 'hex'],
        ['bmv2', 'fresh', true, 'hex'],
      ],
    );
    for (const s of r.sources) assert.ok((s.voltageAgeMs ?? Infinity) <= 1000);
    // Age of the value when written stays within one Text period.
    for (const c of r.chargers) assert.ok((c.lastWrite.voltage?.ageMs ?? Infinity) <= 1000);
    rig.checkInvariants();
  });

  it('writes even when the value does not change (only a write refreshes the 60 s timeout)', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}] });
    rig.start();
    await rig.run(30_000);
    assert.ok(rig.charger.writes(0x2002).length >= 10);
    assert.equal(new Set(rig.charger.writes(0x2002).map((w) => w.raw)).size, 1);
  });

  it('keeps the configured intervals, up to 20 s', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}], config: { voltageIntervalMs: 20_000, temperatureIntervalMs: 20_000 } });
    rig.start();
    await rig.run(120_000);
    // The schedule is 20 s; a gap may exceed it only by the write's own latency.
    assert.ok(maxGap(rig.charger, 0x2002, 1000, 120_000) <= 20_100, String(maxGap(rig.charger, 0x2002, 1000, 120_000)));
    assert.ok(maxGap(rig.charger, 0x2003, 1000, 120_000) <= 20_100);
    assert.ok(rig.charger.writes(0x2002).length <= 7);
  });

  const cases: Array<[Strategy, number, number]> = [
    ['average', 13.25, 20.5],
    ['min', 13.2, 19],
    ['max', 13.3, 22],
    ['first-fresh', 13.3, 19],
  ];
  for (const [strategy, volts, temp] of cases) {
    it(`strategy ${strategy}`, async () => {
      const rig = new Rig({
        monitors: [
          { voltage: 13.3, temperature: 19 },
          { voltage: 13.2, temperature: 22 },
        ],
        chargers: [{}],
        config: { voltageStrategy: strategy, temperatureStrategy: strategy },
      });
      rig.start();
      await rig.run(10_000);
      assert.equal(rig.charger.writes(0x2002).at(-1)?.value, volts);
      assert.equal(rig.charger.writes(0x2003).at(-1)?.value, temp);
      assert.deepEqual(rig.last().voltage.used, strategy === 'average' ? ['bmv1', 'bmv2'] : strategy === 'min' ? ['bmv2'] : ['bmv1']);
    });
  }

  it('first-fresh falls back in priority order, and back again', async () => {
    const rig = new Rig({ monitors: [{ voltage: 13.3 }, { voltage: 13.25 }], chargers: [{}], config: { voltageStrategy: 'first-fresh' } });
    rig.start();
    await rig.run(15_000);
    assert.equal(rig.charger.writes(0x2002).at(-1)?.value, 13.3);
    rig.monitor.connected = false;
    await rig.run(6000);
    assert.equal(rig.charger.writes(0x2002).at(-1)?.value, 13.25);
    assert.ok(rig.activeCodes().includes('SOURCE_STALE'), 'the fallback is never silent');
    rig.monitor.connected = true;
    await rig.run(6000);
    assert.equal(rig.charger.writes(0x2002).at(-1)?.value, 13.3);
  });

  it('raises a disagreement alarm once when the monitors differ by more than maxSpread, and clears it', async () => {
    const rig = new Rig({ monitors: [{ voltage: 13.2, temperature: 20 }, { voltage: 13.6, temperature: 28 }], chargers: [{ terminal: 13.5 }] });
    rig.start();
    await rig.run(60_000);
    const raised = rig.raisedCodes();
    assert.deepEqual(raised.filter((c) => c === 'VOLTAGE_SPREAD').length, 1);
    assert.deepEqual(raised.filter((c) => c === 'TEMPERATURE_SPREAD').length, 1);
    assert.match(rig.last().alarms.find((a) => a.code === 'VOLTAGE_SPREAD')?.message ?? '', /0\.400 V/);
    assert.equal(rig.charger.writes(0x2002).at(-1)?.value, 13.6, 'alarm only: max is still written');
    const m2 = rig.monitors[1];
    assert.ok(m2);
    m2.voltageValue = 13.25;
    m2.temperatureValue = 21;
    await rig.run(20_000);
    assert.ok(!rig.activeCodes().includes('VOLTAGE_SPREAD'));
    assert.ok(!rig.activeCodes().includes('TEMPERATURE_SPREAD'));
    assert.deepEqual(rig.alarms.at(-1)?.cleared.map((a) => a.code).sort(), ['TEMPERATURE_SPREAD', 'VOLTAGE_SPREAD']);
  });

  it('prefers the 0.01 K HEX temperature and falls back to Text T (whole °C)', async () => {
    const rig = new Rig({ monitors: [{ temperature: 21.53 }], chargers: [{}] });
    rig.start();
    await rig.run(2000);
    assert.equal(rig.charger.writes(0x2003)[0]?.value, 21.53);
    assert.ok(rig.monitor.temperatureReads >= 1);
    const noHex = new Rig({ monitors: [{ temperature: 21.53, hex: false }], chargers: [{}] });
    noHex.start();
    await noHex.run(2000);
    assert.equal(noHex.charger.writes(0x2003)[0]?.value, 22);
    assert.equal(noHex.last().sources[0]?.temperatureVia, 'text');
  });

  it('reads the charger terminal voltage over HEX (0xEDD5) when Text V stops', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}] });
    rig.charger.terminalFrozenAt = 0;
    rig.start();
    await rig.run(10_000);
    assert.ok(rig.charger.requests.some((r) => r.kind === 'read' && r.register === 0xedd5));
    assert.ok(rig.charger.writes(0x2002).length >= 3);
    rig.checkInvariants();
  });

  it('without Text V, 0xEDD5 is read after the voltage write, never between the tick and the write: the cadence holds', async () => {
    // A slow link (300 ms a request): a read ahead of the write would put 300 ms between the tick and the write.
    const rig = new Rig({ monitors: [{}], chargers: [{ latencyMs: 300 }] });
    rig.charger.terminalFrozenAt = 0;
    rig.start();
    await rig.run(60_000);
    const writes = rig.charger.writes(0x2002);
    assert.ok(writes.length >= 19, `${writes.length} voltage writes`);
    // From the second write on (the first cycle also asks who else is in control).
    const gaps = writes.slice(2).map((w, i) => w.at - writes[i + 1]!.at);
    assert.ok(Math.max(...gaps) - Math.min(...gaps) <= 100, `voltage gaps ${gaps.join(', ')} ms`);
    // Only the first cycle reads before its write; afterwards every read follows a write of its cycle.
    const requests = rig.charger.requests;
    const terminalReads = requests.filter((r) => r.kind === 'read' && r.register === 0xedd5);
    assert.ok(terminalReads.length >= writes.length - 2, `${terminalReads.length} 0xEDD5 reads for ${writes.length} writes: plausibility is still checked every cycle`);
    for (const read of terminalReads.slice(1)) {
      const before = requests[requests.indexOf(read) - 1];
      assert.equal(before?.kind, 'write', `0xEDD5 at ${read.at} ms follows a write`);
    }
    assert.deepEqual(rig.last().alarms, []);
    rig.checkInvariants();
  });

  it('auto selection: monitors found are sources, MPPTs found are targets, a charger is never its own source', async () => {
    const rig = new Rig({ monitors: [{ voltage: 13.3 }], chargers: [{}, {}], autoPorts: true });
    rig.start();
    await rig.run(10_000);
    const r = rig.last();
    assert.deepEqual(r.sources.map((s) => s.id), ['bmv1']);
    assert.deepEqual(r.chargers.map((c) => c.id), ['mppt1', 'mppt2']);
    for (const c of rig.chargers) assert.equal(c.writes(0x2002).at(-1)?.value, 13.3);
    assert.deepEqual(r.alarms, []);
    assert.equal(r.status.text, '13.30 V 21.5 °C → 2/2 MPPT');
  });
});
