import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BMV712, MPPT, maxGap } from './fakes';
import { Rig } from './rig';

describe('bridge: chargers that go away, refuse or ignore', () => {
  it('a charger unplugged → the others unaffected; no requests to it; back → resumes by itself', async () => {
    const rig = new Rig();
    rig.start();
    await rig.run(15_000);
    const [c1, c2, c3] = rig.chargers;
    assert.ok(c1 && c2 && c3);
    const cut = rig.clock.now();
    c2.connected = false;
    await rig.run(90_000);
    const end = rig.clock.now();
    assert.equal(c2.requests.filter((r) => r.at > cut).length, 0, 'nothing sent to a port that is not delivering');
    for (const c of [c1, c3]) {
      assert.ok(maxGap(c, 0x2002, cut, end) <= 3500);
      assert.ok(maxGap(c, 0x2003, cut, end) <= 10_500);
    }
    assert.equal(rig.last().chargers[1]?.state, 'offline');
    assert.ok(rig.activeCodes().includes('CHARGER_OFFLINE'));
    assert.equal(rig.last().status.text, '13.28 V 21.5 °C → 2/3 MPPT');
    assert.equal(rig.last().status.fill, 'yellow');

    const back = rig.clock.now();
    c2.connected = true;
    await rig.run(10_000);
    const after = c2.requests.filter((r) => r.at > back);
    // Checked again for another master before the first write after the reconnect.
    assert.equal(after[0]?.kind, 'read');
    assert.equal(after[0]?.register, 0x200e);
    assert.ok(c2.writes(0x2002).filter((w) => w.at > back && w.value === 13.28).length >= 2);
    assert.equal(rig.last().chargers[1]?.state, 'sensing');
    assert.ok(!rig.activeCodes().includes('CHARGER_OFFLINE'));
    rig.checkInvariants();
  });

  it('a charger that does not answer (night) is tried at most once per offlineRetryMs, then resumes by itself', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}, {}] });
    rig.start();
    await rig.run(15_000);
    const quiet = rig.clock.now();
    rig.charger.behaviour = 'silent';
    await rig.run(300_000);
    const attempts = rig.charger.requests.filter((r) => r.at > quiet);
    // 300 s / 15 s = 20 attempts, one request each: no flood, no retry loop.
    assert.ok(attempts.length <= 21, `attempts: ${attempts.length}`);
    const starts = attempts.map((r) => r.at);
    for (let i = 1; i < starts.length; i++) assert.ok((starts[i] ?? 0) - (starts[i - 1] ?? 0) >= 14_000);
    const report = rig.last().chargers[0];
    assert.equal(report?.state, 'not-sensing');
    assert.match(report?.reason ?? '', /does not answer/);
    assert.ok(rig.activeCodes().includes('CHARGER_OFFLINE'));
    assert.ok(maxGap(rig.chargers[1] ?? rig.charger, 0x2002, quiet, rig.clock.now()) <= 3500, 'the other charger is unaffected');

    const morning = rig.clock.now();
    rig.charger.behaviour = 'ok';
    await rig.run(30_000);
    const resumed = rig.charger.writes(0x2002).filter((w) => w.at > morning && w.value !== null);
    assert.ok(resumed.length >= 3);
    assert.ok((resumed[0]?.at ?? Infinity) - morning <= 15_100);
    assert.equal(rig.last().chargers[0]?.state, 'sensing');
    rig.checkInvariants();
  });

  it('a "pv only" charger silent at night gets no requests and an info-level alarm', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{ identity: { ...MPPT, productId: 0xa041, product: 'BlueSolar MPPT 150|35', pvOnly: true } }] });
    rig.start();
    await rig.run(15_000);
    const dusk = rig.clock.now();
    rig.charger.connected = false;
    await rig.run(600_000);
    assert.equal(rig.charger.requests.filter((r) => r.at > dusk).length, 0);
    const alarm = rig.last().alarms.find((a) => a.code === 'CHARGER_OFFLINE');
    assert.equal(alarm?.severity, 'info');
    assert.match(alarm?.message ?? '', /pv only/);
  });

  it('a charger rejecting the value ("unknown id", old firmware) → stopped for good, alarmed; the others go on', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}, {}] });
    rig.charger.behaviour = 'unknown-id';
    rig.start();
    await rig.run(900_000, 500);
    assert.equal(rig.charger.writes().length, 1, 'one write, refused, then never again');
    assert.equal(rig.last().chargers[0]?.state, 'rejected');
    const alarm = rig.last().alarms.find((a) => a.code === 'CHARGER_REJECTED');
    assert.equal(alarm?.errorCode, 'VE_UNKNOWN_ID');
    assert.equal(rig.raisedCodes().filter((c) => c === 'CHARGER_REJECTED').length, 1);
    assert.ok((rig.chargers[1]?.writes(0x2002).length ?? 0) >= 299);
    assert.equal(rig.last().status.fill, 'red');
  });

  it('a charger answering "parameter error" → stopped, released, alarmed; tried again after rejectRetryMs', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}] });
    rig.start();
    await rig.run(16_000);
    const cut = rig.clock.now();
    rig.charger.behaviour = 'parameter';
    await rig.run(120_000);
    const after = rig.charger.writes().filter((w) => w.at > cut);
    // The refused voltage write, then one release of each value it may still be using from earlier writes.
    assert.deepEqual(
      after.map((w) => w.raw),
      ['3005', 'FFFF', 'FF7F'],
    );
    assert.equal(rig.last().chargers[0]?.state, 'rejected');
    assert.equal(rig.last().alarms.find((a) => a.code === 'CHARGER_REJECTED')?.errorCode, 'VE_PARAMETER');
    rig.charger.behaviour = 'ok';
    await rig.run(600_000, 1000);
    assert.equal(rig.last().chargers[0]?.state, 'sensing');
    assert.ok(!rig.activeCodes().includes('CHARGER_REJECTED'));
  });

  it('an echo with another value (flags 0) → released at once, stopped, alarmed', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}] });
    rig.start();
    await rig.run(16_000);
    const cut = rig.clock.now();
    rig.charger.behaviour = 'echo-mismatch';
    await rig.run(60_000);
    const after = rig.charger.writes().filter((w) => w.at > cut);
    assert.deepEqual(
      after.map((w) => w.raw),
      ['3005', 'FFFF', 'FF7F'],
    );
    assert.equal(rig.last().alarms.find((a) => a.code === 'CHARGER_REJECTED')?.errorCode, 'VE_ECHO_MISMATCH');
    rig.checkInvariants();
  });

  it('a charger that acknowledges but does not use the value (0x200F bits stay clear) → stopped and alarmed', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}] });
    rig.charger.behaviour = 'ignore';
    rig.start();
    await rig.run(120_000);
    const r = rig.last();
    assert.equal(r.chargers[0]?.state, 'rejected');
    assert.ok(rig.activeCodes().includes('CHARGER_NOT_SENSING'));
    assert.equal(r.chargers[0]?.sensingVoltage, false);
    const last = rig.charger.writes().at(-1);
    assert.equal(last?.value, null, 'ends with a release');
    const stoppedAt = last?.at ?? 0;
    assert.ok(stoppedAt < 45_000, `stopped at ${stoppedAt}`);
    assert.equal(rig.charger.writes().filter((w) => w.at > stoppedAt).length, 0);
  });

  it('never writes to a device that is not an MPPT, or to an MPPT below firmware 1.29', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{ identity: BMV712 }, { identity: { ...MPPT, firmware: '1.28' } }, {}] });
    rig.start();
    await rig.run(30_000);
    const [a, b, c] = rig.chargers;
    assert.equal(a?.requests.length, 0);
    assert.equal(b?.requests.length, 0);
    assert.ok((c?.writes(0x2002).length ?? 0) >= 9);
    const r = rig.last();
    assert.deepEqual(
      r.chargers.map((x) => x.state),
      ['unsupported', 'unsupported', 'sensing'],
    );
    assert.match(r.chargers[1]?.reason ?? '', /1\.28 is below 1\.29/);
    assert.equal(r.alarms.filter((x) => x.code === 'CHARGER_UNSUPPORTED').length, 2);
  });

  it('a source that is not a battery monitor is refused (alarm; nothing shared while it is required)', async () => {
    const rig = new Rig({ monitors: [{ identity: MPPT }], chargers: [{}] });
    rig.start();
    await rig.run(20_000);
    assert.equal(rig.charger.writes().length, 0);
    assert.ok(rig.activeCodes().includes('SOURCE_NOT_MONITOR'));
  });

  it('waits for an identity before writing', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{ identity: null }] });
    rig.start();
    await rig.run(10_000);
    assert.equal(rig.charger.requests.length, 0);
    assert.equal(rig.last().chargers[0]?.state, 'checking');
    rig.charger.identityValue = MPPT;
    await rig.run(10_000);
    assert.ok(rig.charger.writes(0x2002).length >= 2);
  });
});

describe('bridge: another master → refuse and say so', () => {
  it('0x200E set by a GX / BMS → no writes at all; the alarm names the evidence', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}, {}] });
    rig.charger.networkMode = 0x05;
    rig.start();
    await rig.run(120_000);
    assert.equal(rig.charger.writes().length, 0);
    assert.ok((rig.chargers[1]?.writes(0x2002).length ?? 0) >= 38);
    const alarm = rig.last().alarms.find((a) => a.code === 'CHARGER_CONFLICT');
    assert.equal(alarm?.errorCode, 'VE_CONFLICT');
    assert.match(alarm?.message ?? '', /0x200E network mode 0x05 \(Networked, External control\)/);
    assert.equal(rig.last().chargers[0]?.state, 'conflict');
    assert.equal(rig.last().status.key, 'conflict');
    assert.equal(rig.last().status.fill, 'red');
    // Checked again every 15 s, reads only.
    assert.ok(rig.charger.requests.every((r) => r.kind === 'read'));
    assert.ok(rig.charger.requests.length <= 40);
  });

  it('0x200F role not stand-alone → conflict', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}] });
    rig.charger.role = 0x00;
    rig.start();
    await rig.run(20_000);
    assert.equal(rig.charger.writes().length, 0);
    assert.match(rig.last().alarms.find((a) => a.code === 'CHARGER_CONFLICT')?.message ?? '', /0x200F network status 0x00: role Slave, not stand-alone/);
  });

  it('sense bits already set before the bridge wrote (VE.Smart network) → conflict; gone → proceeds', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}] });
    rig.charger.foreignBits = 0x80;
    rig.start();
    await rig.run(40_000);
    assert.equal(rig.charger.writes().length, 0);
    assert.match(rig.last().alarms.find((a) => a.code === 'CHARGER_CONFLICT')?.message ?? '', /remote voltage already in use, not sent by this bridge/);
    rig.charger.foreignBits = 0;
    await rig.run(20_000);
    assert.ok(rig.charger.writes(0x2002).length >= 1);
    assert.ok(!rig.activeCodes().includes('CHARGER_CONFLICT'));
  });

  it('a networked battery temperature in 0xEDEC (VE.Smart) → conflict', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}] });
    rig.charger.networkedTemperature = 18.5;
    rig.start();
    await rig.run(10_000);
    assert.equal(rig.charger.writes().length, 0);
    assert.match(rig.last().alarms.find((a) => a.code === 'CHARGER_CONFLICT')?.message ?? '', /0xEDEC.*18\.50 °C/);
  });

  it('a master appearing while sharing → what the bridge sent is released once, then nothing', async () => {
    const rig = new Rig({ monitors: [{}], chargers: [{}] });
    rig.start();
    await rig.run(20_000);
    const cut = rig.clock.now();
    rig.charger.networkMode = 0x0d;
    await rig.run(180_000);
    const after = rig.charger.writes().filter((w) => w.at > cut);
    const releases = after.filter((w) => w.value === null);
    assert.deepEqual(releases.map((w) => w.raw).sort(), ['FF7F', 'FFFF']);
    const lastWrite = after.at(-1)?.at ?? 0;
    assert.ok(lastWrite - cut <= 63_000, 'detected at the next periodic check');
    assert.equal(rig.last().chargers[0]?.state, 'conflict');
    assert.match(rig.last().alarms.find((a) => a.code === 'CHARGER_CONFLICT')?.message ?? '', /BMS controlled/);
  });

  it('the bridge never writes 0x200E (or anything but 0x2002 / 0x2003)', async () => {
    const rig = new Rig();
    rig.start();
    await rig.run(300_000, 500);
    for (const c of rig.chargers) assert.deepEqual([...new Set(c.writes().map((w) => w.register))].sort(), [0x2002, 0x2003]);
    rig.checkInvariants();
  });
});
