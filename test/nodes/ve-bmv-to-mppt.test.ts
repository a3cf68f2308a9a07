/**
 * ve-bmv-to-mppt in a real Node-RED runtime (node-red-node-test-helper), on the real link stack,
 * against simulated battery monitors and MPPTs (`sim:` ports, real time): what the chargers
 * received (their host logs and remote-sense state), what the node sent on its two outputs,
 * its badge, and the order of the release and the port close on a redeploy. Intervals are the
 * shortest the configuration allows (voltage 1 s, temperature 2 s), so each test runs in
 * seconds. Every test ends by checking that no flash-backed setting was written.
 */

import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeStatus } from 'node-red';
import bridgeModule from '../../nodes/ve-bmv-to-mppt';
import type { Alarm, AlarmChange, BridgeReport } from '../../lib/bridge/types';
import { systemClock } from '../../lib/clock';
import { Command, encodeFrame, registerPayload } from '../../lib/protocol/hex-codec';
import { defaultSimRegistry, getSimDevice, mpptOf, resetSimDevices } from '../../lib/sim';
import { helper, load, recordStatus, translated, waitFor, type Flow } from '../helpers/nodered';
import { collect, portNode, redeploy, sleep, type ErrorMsg, type Msg } from '../helpers/vedirect-flows';

const bridgeNode = translated('ve-bmv-to-mppt', bridgeModule);

const BMV = 'sim:bmv712';
const SHUNT_T = 'sim:smartshunt-temp';
const SHUNT = 'sim:smartshunt';
const MPPT_A = 'sim:smartsolar-100-30';
const MPPT_B = 'sim:smartsolar-250-70';
const MPPT_C = 'sim:smartsolar-100-30#2';
const OLD_MPPT = 'sim:bluesolar-75-15';

const RELEASE_V = ':8022000FFFF2D';
const RELEASE_T = ':8032000FF7FAC';

/** Fast, within the library's bounds. */
const FAST = { voltageInterval: 1, temperatureInterval: 2 };

type ReportMsg = Msg & { payload: BridgeReport; topic: string; _msgid: string };
type AlarmMsg = Msg & { payload: AlarmChange; topic: string };

interface Setup {
  readonly monitors: Readonly<Record<string, string>>;
  readonly chargers: Readonly<Record<string, string>>;
  readonly bridge?: Record<string, unknown>;
}

/** Port nodes (id → sim path), the bridge b1 wired to h1 (reports) and h2 (alarms), a Catch node to h3. */
function flowOf(s: Setup): Flow {
  const ports = { ...s.monitors, ...s.chargers };
  return [
    // Short stale limit: an unplugged device shows as such within 1.5 s.
    ...Object.entries(ports).map(([id, path]) => ({ id, type: 've-direct-port', name: path.slice(4), path, staleAfter: 1.5 })),
    {
      id: 'b1',
      type: 've-bmv-to-mppt',
      sources: Object.keys(s.monitors),
      targets: Object.keys(s.chargers),
      ...FAST,
      ...s.bridge,
      wires: [['h1'], ['h2']],
    },
    { id: 'h1', type: 'helper' },
    { id: 'h2', type: 'helper' },
    { id: 'k1', type: 'catch', scope: ['b1'], uncaught: false, wires: [['h3']] },
    { id: 'h3', type: 'helper' },
  ];
}

interface Running {
  readonly reports: ReportMsg[];
  readonly alarms: AlarmMsg[];
  readonly errors: ErrorMsg[];
  readonly statuses: NodeStatus[];
}

async function deploy(s: Setup): Promise<Running> {
  await load([portNode, bridgeNode], flowOf(s));
  return {
    reports: collect('h1') as ReportMsg[],
    alarms: collect('h2') as AlarmMsg[],
    errors: collect('h3') as ErrorMsg[],
    statuses: recordStatus(helper.getNode('b1')),
  };
}

/** A Set the device received: when (device clock = systemClock), register, value bytes, frame. */
interface SetFrame {
  readonly at: number;
  readonly register: number;
  readonly raw: string;
  readonly frame: string;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

function sets(path: string, register?: number): SetFrame[] {
  const out: SetFrame[] = [];
  for (const f of getSimDevice(path).hostLog) {
    const c = f.command;
    if (c === undefined || c.type !== 'set') continue;
    if (register !== undefined && c.register !== register) continue;
    out.push({ at: f.at, register: c.register, raw: hex(c.value), frame: f.frame });
  }
  return out;
}

const isRelease = (s: SetFrame): boolean => s.frame === RELEASE_V || s.frame === RELEASE_T;
const values = (list: SetFrame[]): SetFrame[] => list.filter((s) => !isRelease(s));

/** Largest gap between value writes (not releases) of `register` in [from, to], ms. */
function maxGap(path: string, register: number, from: number, to: number): number {
  let prev = from;
  let gap = 0;
  for (const s of values(sets(path, register)).filter((x) => x.at >= from && x.at <= to)) {
    gap = Math.max(gap, s.at - prev);
    prev = s.at;
  }
  return Math.max(gap, to - prev);
}

const MPPT_146 = 'sim:smartsolar-250-70#fw146';
const RELEASE_I = 'FFFFFF7F';

/** Every Text `I` (A) a monitor sent from now on, with the time it went out. */
function textCurrents(path: string): Array<{ at: number; value: number }> {
  const seen: Array<{ at: number; value: number }> = [];
  let buffer = '';
  const line = /\r\nI\t(-?\d+)\r\n/;
  getSimDevice(path).onOutput((bytes) => {
    buffer += Buffer.from(bytes).toString('latin1');
    for (let m = line.exec(buffer); m !== null; m = line.exec(buffer)) {
      seen.push({ at: systemClock.now(), value: Number(m[1]) / 1000 });
      buffer = buffer.slice(m.index + m[0].length - 2);
    }
    if (buffer.length > 4096) buffer = buffer.slice(-256);
  });
  return seen;
}

/** When each port lets go of its simulated device. */
function closeTimes(paths: readonly string[]): Map<string, number> {
  const closedAt = new Map<string, number>();
  for (const path of paths) {
    const device = getSimDevice(path);
    const connect = device.connect.bind(device);
    device.connect = (sink) => {
      const detach = connect(sink);
      return () => {
        if (!closedAt.has(path)) closedAt.set(path, systemClock.now());
        detach();
      };
    };
  }
  return closedAt;
}

/** Largest gap between the given writes in [from, to], ms. */
function maxGapOf(list: readonly SetFrame[], from: number, to: number): number {
  let prev = from;
  let gap = 0;
  for (const x of list.filter((y) => y.at >= from && y.at <= to)) {
    gap = Math.max(gap, x.at - prev);
    prev = x.at;
  }
  return Math.max(gap, to - prev);
}

function assertNoFlashWrites(): void {
  for (const [path, device] of defaultSimRegistry().entries()) assert.equal(device.flashWriteCount, 0, `${path}: no flash-backed setting written`);
}

const isGreen = (s: NodeStatus): boolean => s.fill === 'green' && s.shape === 'dot';

async function sharing(run: Running, chargers: number): Promise<NodeStatus> {
  return waitFor(() => run.statuses.find((s) => isGreen(s) && String(s.text).endsWith(`→ ${chargers}/${chargers} MPPT`)), `green "→ ${chargers}/${chargers} MPPT"`, 12_000);
}

function lastReport(run: Running): BridgeReport {
  const r = run.reports.at(-1)?.payload;
  assert.ok(r, 'a report');
  return r;
}

function raised(run: Running): Alarm[] {
  return run.alarms.flatMap((m) => m.payload.raised);
}

/**
 * Send a message to the bridge and wait for it to come back on output 1 (the runtime gives it
 * its `_msgid` on receipt).
 */
async function ask(run: Running, msg: Msg): Promise<ReportMsg> {
  helper.getNode('b1').receive(msg);
  const id = msg._msgid;
  assert.equal(typeof id, 'string');
  return waitFor(() => run.reports.find((r) => r._msgid === id), 'the input message back on output 1', 8000);
}

/** The badge a node showed last, from the helper's spy (it also sees what was painted before recordStatus). */
function lastBadge(id: string): unknown {
  const spy = Object.getPrototypeOf(helper.getNode(id)).status as { getCalls(): Array<{ thisValue: { id: string }; args: unknown[] }> };
  return spy.getCalls().filter((c) => c.thisValue.id === id).at(-1)?.args[0];
}

/** A log line of the runtime contains `text`. */
function logged(text: string): boolean {
  const line = (entry: unknown): string => (typeof entry === 'object' && entry !== null && 'msg' in entry ? String(entry.msg) : String(entry));
  return (helper.log().args as unknown[][]).some((args) => args.some((entry) => line(entry).includes(text)));
}

describe('ve-bmv-to-mppt', () => {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    await helper.unload();
    resetSimDevices();
  });

  it('2 monitors × 3 chargers: writes 0x2002 / 0x2003 to each charger, reports each cycle, green badge', async () => {
    const run = await deploy({ monitors: { m1: BMV, m2: SHUNT_T }, chargers: { c1: MPPT_A, c2: MPPT_B, c3: MPPT_C } });
    const green = await sharing(run, 3);
    assert.match(String(green.text), /^\d+\.\d\d V -?\d+\.\d °C → 3\/3 MPPT$/);
    const from = systemClock.now();
    await sleep(4500);
    const to = systemClock.now();
    const report = lastReport(run);
    const msg = run.reports.at(-1)!;
    assert.equal(msg.topic, 've-bmv-to-mppt');
    assert.equal(report.trigger, 'timer');
    // Times are wall-clock ms.
    assert.ok(Math.abs(report.at - Date.now()) < 5000, `at ${report.at} is wall-clock time`);
    assert.deepEqual(report.sources.map((s) => [s.id, s.product, s.voltageState, s.temperatureState]), [
      ['m1', 'BMV-712 Smart', 'fresh', 'fresh'],
      ['m2', 'SmartShunt 500A/50mV', 'fresh', 'fresh'],
    ]);
    for (const s of report.sources) {
      assert.equal(typeof s.voltage, 'number');
      assert.ok(s.voltageAgeMs !== null && s.voltageAgeMs <= 5000, `${s.id}: voltage age ${s.voltageAgeMs}`);
    }
    // Default strategy: the highest voltage.
    const highest = Math.max(...report.sources.map((s) => s.voltage ?? -Infinity));
    if (report.due.includes('voltage')) assert.equal(report.voltage.value, highest);
    assert.deepEqual(report.chargers.map((c) => [c.id, c.state, c.sensingVoltage, c.sensingTemperature]), [
      ['c1', 'sensing', true, true],
      ['c2', 'sensing', true, true],
      ['c3', 'sensing', true, true],
    ]);
    assert.deepEqual(report.alarms, []);
    for (const [id, path] of [['c1', MPPT_A], ['c2', MPPT_B], ['c3', MPPT_C]] as const) {
      assert.ok(maxGap(path, 0x2002, from, to) <= 1600, `${path}: voltage written at least every 1.6 s`);
      assert.ok(maxGap(path, 0x2003, from, to) <= 2600, `${path}: temperature written at least every 2.6 s`);
      assert.deepEqual([...new Set(sets(path).map((s) => s.register))].sort(), [0x2002, 0x2003], 'only 0x2002 / 0x2003 written');
      // What the report says was written is what the charger received and uses.
      const last = report.chargers.find((c) => c.id === id)!.lastWrite.voltage!;
      assert.ok(last.ok && !last.release);
      assert.ok(sets(path, 0x2002).some((s) => s.raw === last.raw), `${path} received ${last.raw}`);
      const sense = mpptOf(getSimDevice(path))!.remoteSense;
      assert.ok(sense.voltage !== null && Math.abs(sense.voltage - (report.voltage.written ?? NaN)) <= 0.05, `${path} uses ${sense.voltage} V`);
      assert.notEqual(sense.temperature, null);
    }
    assert.deepEqual(run.errors, []);
    assertNoFlashWrites();
  });

  it('a monitor unplugged → the release within one cycle, then no writes; plugged back → sharing resumes', async () => {
    const run = await deploy({ monitors: { m1: BMV }, chargers: { c1: MPPT_A, c2: MPPT_B }, bridge: { freshness: 2 } });
    await sharing(run, 2);
    const cut = systemClock.now();
    getSimDevice(BMV).faults.unplug();
    await waitFor(() => [MPPT_A, MPPT_B].every((p) => sets(p).some((s) => s.at > cut && s.frame === RELEASE_T)), 'both releases at both chargers', 8000);
    await sleep(3000);
    for (const path of [MPPT_A, MPPT_B]) {
      const after = sets(path).filter((s) => s.at > cut);
      const releases = after.filter(isRelease);
      assert.deepEqual(releases.map((s) => s.frame).sort(), [RELEASE_V, RELEASE_T], `${path}: each released once`);
      // Freshness 2 s plus one 1 s cycle (and the request time).
      assert.ok(releases[0]!.at - cut <= 3500, `${path}: released ${Math.round(releases[0]!.at - cut)} ms after the cut`);
      assert.ok(values(after).every((s) => s.at < releases[0]!.at), `${path}: no value after the release`);
      assert.equal(after.filter((s) => s.at > releases.at(-1)!.at).length, 0, `${path}: nothing after the release`);
      const sense = mpptOf(getSimDevice(path))!.remoteSense;
      assert.equal(sense.voltage, null);
      assert.equal(sense.temperature, null);
    }
    const report = lastReport(run);
    assert.equal(report.voltage.value, null);
    assert.equal(report.sources[0]?.voltageState, 'stale');
    assert.equal(report.status.fill, 'yellow');

    const back = systemClock.now();
    getSimDevice(BMV).faults.replug();
    await waitFor(() => [MPPT_A, MPPT_B].every((p) => values(sets(p, 0x2002)).filter((s) => s.at > back).length >= 2), 'values again at both chargers', 10_000);
    run.statuses.length = 0;
    await sharing(run, 2);
    assertNoFlashWrites();
  });

  it('a charger unplugged → the others go on; it shows offline and raises CHARGER_OFFLINE', async () => {
    const run = await deploy({ monitors: { m1: BMV }, chargers: { c1: MPPT_A, c2: MPPT_B, c3: MPPT_C } });
    await sharing(run, 3);
    const cut = systemClock.now();
    getSimDevice(MPPT_B).faults.unplug();
    const alarm = await waitFor(() => raised(run).find((a) => a.code === 'CHARGER_OFFLINE'), 'CHARGER_OFFLINE on output 2', 12_000);
    assert.equal(alarm.subject.id, 'c2');
    const end = systemClock.now();
    for (const path of [MPPT_A, MPPT_C]) {
      assert.ok(maxGap(path, 0x2002, cut, end) <= 1600, `${path}: voltage gap ${Math.round(maxGap(path, 0x2002, cut, end))} ms`);
    }
    await waitFor(() => lastReport(run).chargers.find((c) => c.id === 'c2')?.state === 'offline', 'c2 offline in the report');
    assert.match(String(run.statuses.at(-1)?.text), /→ 2\/3 MPPT$/);
    assertNoFlashWrites();
  });

  it('a charger with firmware before 1.29 is never written to: CHARGER_UNSUPPORTED on output 2, red badge', async () => {
    const run = await deploy({ monitors: { m1: BMV }, chargers: { c1: OLD_MPPT, c2: MPPT_A } });
    const alarm = await waitFor(() => raised(run).find((a) => a.code === 'CHARGER_UNSUPPORTED'), 'CHARGER_UNSUPPORTED', 10_000);
    assert.equal(alarm.subject.id, 'c1');
    assert.equal(alarm.severity, 'critical');
    assert.match(alarm.message, /1\.16 is below 1\.29/);
    assert.equal(run.alarms.find((m) => m.payload.raised.includes(alarm))?.topic, 've-bmv-to-mppt');
    await waitFor(() => values(sets(MPPT_A, 0x2002)).length >= 3, 'the other charger served');
    await waitFor(() => run.statuses.at(-1)?.fill === 'red', 'a red badge');
    assert.equal(sets(OLD_MPPT).length, 0, 'not one Set to the old charger');
    assertNoFlashWrites();
  });

  it('a charger refusing a value → CHARGER_REJECTED on output 2 and no more writes; msg.retry after the fix → shares again', async () => {
    const run = await deploy({ monitors: { m1: BMV }, chargers: { c1: MPPT_A, c2: MPPT_B } });
    await sharing(run, 2);
    // From now on c1 answers every 0x2002 Set with "parameter error" (flags 0x04).
    const refuse = getSimDevice(MPPT_A).addBehaviour((command) =>
      command.type === 'set' && command.register === 0x2002 ? [encodeFrame(Command.Set, registerPayload(0x2002, 0x04, [0xff, 0xff]))] : undefined,
    );
    const alarm = await waitFor(() => raised(run).find((a) => a.code === 'CHARGER_REJECTED'), 'CHARGER_REJECTED', 8000);
    assert.equal(alarm.subject.id, 'c1');
    assert.equal(alarm.errorCode, 'VE_PARAMETER');
    const stoppedAt = systemClock.now();
    await sleep(2500);
    assert.deepEqual(sets(MPPT_A).filter((x) => x.at > stoppedAt + 500), [], 'no more writes to the refusing charger');
    assert.ok(values(sets(MPPT_B, 0x2002)).filter((x) => x.at > stoppedAt).length >= 2, 'the other charger goes on');
    assert.equal(run.statuses.at(-1)?.fill, 'red');
    refuse();
    const retried = systemClock.now();
    await ask(run, { retry: true });
    await waitFor(() => values(sets(MPPT_A, 0x2002)).some((x) => x.at > retried), 'writes again after msg.retry');
    const cleared = await waitFor(() => run.alarms.flatMap((m) => m.payload.cleared).find((a) => a.code === 'CHARGER_REJECTED'), 'the alarm cleared');
    assert.equal(cleared.subject.id, 'c1');
    run.statuses.length = 0;
    await sharing(run, 2);
    assertNoFlashWrites();
  });

  it('a charger under another master (GX) → refused: not one write, CHARGER_CONFLICT on output 2', async () => {
    mpptOf(getSimDevice(MPPT_A))!.setOtherMaster('gx');
    const run = await deploy({ monitors: { m1: BMV }, chargers: { c1: MPPT_A, c2: MPPT_B } });
    const alarm = await waitFor(() => raised(run).find((a) => a.code === 'CHARGER_CONFLICT'), 'CHARGER_CONFLICT', 10_000);
    assert.equal(alarm.subject.id, 'c1');
    assert.equal(alarm.errorCode, 'VE_CONFLICT');
    assert.match(alarm.message, /0x200E network mode/);
    await waitFor(() => values(sets(MPPT_B, 0x2002)).length >= 3, 'the other charger served');
    assert.equal(sets(MPPT_A).length, 0, 'not one Set to the charger under a GX');
    assert.equal(lastReport(run).chargers.find((c) => c.id === 'c1')?.state, 'conflict');
    assert.equal(run.statuses.at(-1)?.fill, 'red');
    assertNoFlashWrites();
  });

  it('redeploy: the release reaches every charger before its port closes; the new node shares again', async () => {
    const s: Setup = { monitors: { m1: BMV }, chargers: { c1: MPPT_A, c2: MPPT_B } };
    // When each charger's port lets go of the simulated device.
    const closedAt = new Map<string, number>();
    for (const path of [MPPT_A, MPPT_B]) {
      const device = getSimDevice(path);
      const connect = device.connect.bind(device);
      device.connect = (sink) => {
        const detach = connect(sink);
        return () => {
          if (!closedAt.has(path)) closedAt.set(path, systemClock.now());
          detach();
        };
      };
    }
    const run = await deploy(s);
    await sharing(run, 2);
    const stopAt = systemClock.now();
    await helper.unload();
    for (const path of [MPPT_A, MPPT_B]) {
      const closed = closedAt.get(path);
      assert.ok(closed !== undefined && !getSimDevice(path).connected, `${path}: port closed when unload is done`);
      const after = sets(path).filter((x) => x.at >= stopAt);
      assert.deepEqual(after.filter(isRelease).map((x) => x.frame), [RELEASE_V, RELEASE_T], `${path}: released once`);
      assert.ok(after.every((x) => x.at <= closed), `${path}: the release came before the close`);
      assert.ok(closed - stopAt <= 3500, `${path}: closed ${Math.round(closed - stopAt)} ms after the stop began (bounded)`);
      assert.equal(mpptOf(getSimDevice(path))!.remoteSense.voltage, null, `${path} back on its own sensing`);
    }
    const again = await deploy(s);
    await sharing(again, 2);
    assertNoFlashWrites();
  });

  it('a deploy that changes only a charger\'s port: released before that port closes, then the same node rebuilds and shares again', async () => {
    // Two chargers: Node-RED marks a node changed with its config node only for a single id in a property.
    const s: Setup = { monitors: { m1: BMV }, chargers: { c1: MPPT_A, c2: MPPT_B } };
    const run = await deploy(s);
    await sharing(run, 2);
    const node = helper.getNode('b1');
    const stopAt = systemClock.now();
    const flow = flowOf(s).map((n) => (n.id === 'c1' ? { ...n, staleAfter: 2 } : n));
    await redeploy(flow, 'nodes');
    assert.equal(helper.getNode('b1'), node, 'the bridge node itself was not restarted');
    for (const path of [MPPT_A, MPPT_B]) {
      const releases = sets(path).filter((x) => x.at >= stopAt && isRelease(x));
      assert.deepEqual(releases.map((x) => x.frame), [RELEASE_V, RELEASE_T], `${path}: released while the old port was still open`);
    }
    run.statuses.length = 0;
    await sharing(run, 2);
    assert.ok(values(sets(MPPT_A, 0x2002)).some((x) => x.at > stopAt + 100), 'values again after the rebuild');
    assertNoFlashWrites();
  });

  it('a monitor without a temperature sensor: 0x2003 is never written, and never a number in the report', async () => {
    const run = await deploy({ monitors: { m1: SHUNT }, chargers: { c1: MPPT_A } });
    await waitFor(() => values(sets(MPPT_A, 0x2002)).length >= 3, 'voltage written');
    await sleep(2500);
    assert.equal(sets(MPPT_A, 0x2003).length, 0);
    const report = lastReport(run);
    assert.equal(report.sources[0]?.temperature, null);
    assert.equal(report.sources[0]?.temperatureState, 'no-sensor');
    assert.equal(report.temperature.value, null);
    assert.equal(report.temperature.reason, 'no temperature sensor');
    assert.equal(mpptOf(getSimDevice(MPPT_A))!.remoteSense.temperature, null);
    // A temperature no selected monitor can measure is left out of the badge.
    assert.match(String(run.statuses.at(-1)?.text), /^\d+\.\d\d V → 1\/1 MPPT$/);
    assertNoFlashWrites();
  });

  it('an external temperature in msg.payload is shared under the same freshness rules; bad readings fail with VE_BAD_INPUT', async () => {
    const run = await deploy({ monitors: { m1: SHUNT }, chargers: { c1: MPPT_A }, bridge: { externalTemperature: true, freshness: 2 } });
    await waitFor(() => values(sets(MPPT_A, 0x2002)).length >= 1, 'voltage written');
    const reply = await ask(run, { payload: { temperature: 21.5 }, topic: 'pi 1-wire' });
    assert.equal(reply.topic, 've-bmv-to-mppt');
    const feeding = setInterval(() => helper.getNode('b1').receive({ payload: { temperature: 21.5, timestamp: Date.now() } }), 700);
    try {
      const used = await waitFor(() => run.reports.map((r) => r.payload.sources.find((x) => x.id === 'external')).find((x) => x?.usedForTemperature), 'the external temperature used');
      assert.deepEqual([used.kind, used.temperature, used.temperatureVia, used.temperatureState], ['external', 21.5, 'external', 'fresh']);
      // 21.50 °C = 2150 = 0x0866, little-endian.
      await waitFor(() => sets(MPPT_A, 0x2003).some((x) => x.raw === '6608'), '0x2003 = 21.50 °C at the charger', 8000);
      await waitFor(() => mpptOf(getSimDevice(MPPT_A))!.remoteSense.temperature === 21.5, 'the charger uses 21.5 °C');
    } finally {
      clearInterval(feeding);
    }
    // No more readings: released once the last one is older than the freshness limit.
    const stoppedAt = systemClock.now();
    await waitFor(() => sets(MPPT_A).some((x) => x.at > stoppedAt && x.frame === RELEASE_T), 'temperature released', 6000);

    for (const [payload, pattern] of [
      [{ temperature: '21.5' }, /temperature must be a number/],
      [{ voltage: 13.2 }, /external voltage is not accepted/],
      [{ temperature: 20, timestamp: Date.now() + 60_000 }, /in the future/],
      [{ temp: 20 }, /needs "voltage" or "temperature"/],
    ] as const) {
      const before = run.errors.length;
      helper.getNode('b1').receive({ payload });
      const err = await waitFor(() => run.errors[before], `an error for ${JSON.stringify(payload)}`);
      assert.equal(err.error.code, 'VE_BAD_INPUT');
      assert.match(err.error.message, pattern);
      assert.equal(err.error.source.id, 'b1');
    }
    assertNoFlashWrites();
  });

  it('an input message runs a cycle at once and comes back on output 1 with its report', async () => {
    // Long intervals: between inputs, the timer writes nothing.
    const run = await deploy({ monitors: { m1: BMV }, chargers: { c1: MPPT_A }, bridge: { voltageInterval: 20, temperatureInterval: 20 } });
    await waitFor(() => getSimDevice(MPPT_A).connected && run.reports.length >= 1, 'the first cycle');
    await sleep(2500); // the ports identify their devices
    const first = await ask(run, { payload: Date.now(), topic: 'tick', keep: 'me' });
    assert.equal(first.keep, 'me', 'the input message itself comes back');
    assert.equal(first.payload.trigger, 'manual');
    const written = values(sets(MPPT_A, 0x2002)).length;
    assert.ok(written >= 1, 'the cycle wrote the voltage');
    await sleep(1500);
    assert.equal(values(sets(MPPT_A, 0x2002)).length, written, 'nothing between inputs');
    const inject = { payload: Date.now() };
    const second = await ask(run, inject);
    assert.equal(second._msgid, (inject as Msg)._msgid);
    assert.equal(values(sets(MPPT_A, 0x2002)).length, written + 1, 'one more write per input');
    assert.equal(run.reports.filter((r) => r.payload.trigger === 'manual').length, 2, 'one report per input');
    assertNoFlashWrites();
  });

  it('"disabled" in the node: nothing written; msg.enabled = true shares; msg.enabled = false releases once', async () => {
    const run = await deploy({ monitors: { m1: BMV }, chargers: { c1: MPPT_A, c2: MPPT_B }, bridge: { enabled: false } });
    const paused = await waitFor(() => run.statuses.find((s) => s.fill === 'grey' && s.shape === 'ring'), 'the grey "disabled" badge');
    assert.equal(paused.text, 'disabled → 2 MPPT');
    await sleep(4000);
    assert.equal(sets(MPPT_A).length + sets(MPPT_B).length, 0, 'nothing written while disabled');
    const on = await ask(run, { enabled: true });
    assert.equal(on.payload.enabled, true);
    await sharing(run, 2);
    const offAt = systemClock.now();
    const off = await ask(run, { enabled: false });
    assert.equal(off.payload.enabled, false);
    for (const path of [MPPT_A, MPPT_B]) {
      assert.deepEqual(sets(path).filter((x) => x.at >= offAt).map((x) => x.frame), [RELEASE_V, RELEASE_T], `${path}: released once`);
    }
    await sleep(2500);
    for (const path of [MPPT_A, MPPT_B]) assert.equal(sets(path).filter((x) => x.at >= offAt).length, 2, `${path}: nothing after the release`);
    assert.equal(run.statuses.at(-1)?.text, 'disabled → 2 MPPT');
    const before = run.errors.length;
    helper.getNode('b1').receive({ enabled: 'no' });
    const err = await waitFor(() => run.errors[before], 'an error for msg.enabled = "no"');
    assert.equal(err.error.code, 'VE_BAD_INPUT');
    assertNoFlashWrites();
  });

  it('"all monitors found" and "all chargers found": every deployed port, each in the role its device has', async () => {
    const run = await deploy({
      monitors: { m1: BMV, m2: SHUNT_T },
      chargers: { c1: MPPT_A, c2: MPPT_B },
      bridge: { sources: [], targets: [], sourcesAll: true, targetsAll: true },
    });
    await sharing(run, 2);
    const report = lastReport(run);
    assert.deepEqual(report.sources.map((s) => s.id).sort(), ['m1', 'm2']);
    assert.deepEqual(report.chargers.map((c) => c.id).sort(), ['c1', 'c2']);
    for (const monitor of [BMV, SHUNT_T]) assert.equal(sets(monitor).length, 0, `${monitor}: a monitor is never written to`);
    assertNoFlashWrites();
  });

  it('a chosen monitor that is not deployed: not started, nothing written at all (no fallback to the others)', async () => {
    const run = await deploy({ monitors: { m1: BMV }, chargers: { c1: MPPT_A, c2: MPPT_B }, bridge: { sources: ['m1', 'gone'] } });
    assert.deepEqual(lastBadge('b1'), { fill: 'red', shape: 'ring', text: 'port not usable: gone' });
    assert.ok(logged('not started, nothing is shared: the chosen ve-direct-port gone is not deployed'), 'node.error names the missing port');
    await sleep(3000);
    assert.deepEqual([...sets(MPPT_A), ...sets(MPPT_B)], [], 'not one write');
    helper.getNode('b1').receive({ payload: 1 });
    const err = await waitFor(() => run.errors[0], 'an error for the message');
    assert.equal(err.error.code, 'VE_BAD_INPUT');
    assertNoFlashWrites();
  });

  it('a battery whose BMS can disconnect it: nothing shared without the opt-in; with it, shared and a warning logged', async () => {
    await deploy({ monitors: { m1: BMV }, chargers: { c1: MPPT_A }, bridge: { bmsDisconnect: true } });
    assert.deepEqual(lastBadge('b1'), { fill: 'red', shape: 'ring', text: 'BMS battery: not shared' });
    assert.ok(logged('"share anyway" is not ticked: nothing is shared'));
    await sleep(2000);
    assert.deepEqual(sets(MPPT_A), []);
    await helper.unload();
    const run = await deploy({ monitors: { m1: BMV }, chargers: { c1: MPPT_A }, bridge: { bmsDisconnect: true, bmsAccept: true } });
    assert.ok(logged('sharing with a battery whose BMS can disconnect it'));
    await sharing(run, 1);
    assertNoFlashWrites();
  });

  it('shareCurrent: the monitor\'s current to a charger ≥ 1.47 every cycle, confirmed by ISENSE; none to a 1.46 charger; released before the port closes', async () => {
    getSimDevice(MPPT_146, { firmware: '1.46' });
    const sent = textCurrents(BMV);
    const closedAt = closeTimes([MPPT_A, MPPT_146]);
    const run = await deploy({ monitors: { m1: BMV }, chargers: { c1: MPPT_A, c2: MPPT_146 }, bridge: { shareCurrent: true } });
    const green = await sharing(run, 2);
    assert.match(String(green.text), /^\d+\.\d\dV -?\d+\.\d°C -?\d+(\.\d)?A → 2\/2 MPPT$/);
    const from = systemClock.now();
    await sleep(4500);
    const to = systemClock.now();
    const current = sets(MPPT_A, 0x200a).filter((x) => x.raw !== RELEASE_I);
    // Written with the voltage (every 1 s here): at least 3 in 4.5 s, and no gap over 1.6 s.
    assert.ok(current.filter((x) => x.at >= from && x.at <= to).length >= 3, `${current.length} current writes`);
    assert.ok(maxGapOf(current, from, to) <= 1600, `current gap ${Math.round(maxGapOf(current, from, to))} ms`);
    for (const x of current) {
      const value = Buffer.from(x.raw, 'hex').readInt32LE(0) / 1000;
      const recent = sent.filter((t) => t.at <= x.at && x.at - t.at <= 5000).map((t) => t.value);
      assert.ok(recent.slice(-2).includes(value), `${value} A written; the monitor had sent ${recent.slice(-2).join(', ')} A`);
    }
    const report = lastReport(run);
    const [c1, c2] = report.chargers;
    assert.deepEqual([c1?.state, c1?.sensingCurrent], ['sensing', true], 'ISENSE confirms it');
    assert.equal(c2?.state, 'sensing');
    assert.match(c2?.reason ?? '', /current: firmware 1\.46 is below 1\.47/);
    assert.equal(sets(MPPT_146, 0x200a).length, 0, 'not one 0x200A write to the 1.46 charger');
    assert.ok(values(sets(MPPT_146, 0x2002)).length >= 4, 'which still gets the voltage');
    assert.deepEqual(raised(run), [], 'no alarm for the old firmware');
    assert.notEqual(mpptOf(getSimDevice(MPPT_A))!.remoteSense.current, null);

    const stopAt = systemClock.now();
    await helper.unload();
    const released = sets(MPPT_A, 0x200a).filter((x) => x.at >= stopAt);
    assert.deepEqual(released.map((x) => x.raw), [RELEASE_I], 'the current released once');
    const closed = closedAt.get(MPPT_A);
    assert.ok(closed !== undefined && released[0]!.at <= closed, 'the release came before the port closed');
    assert.equal(mpptOf(getSimDevice(MPPT_A))!.remoteSense.current, null, 'the charger is back on its own current');
    assertNoFlashWrites();
  });

  it('shareCurrent: the monitor unplugged → 0x200A released once within a cycle of the freshness limit, then nothing', async () => {
    const run = await deploy({ monitors: { m1: BMV }, chargers: { c1: MPPT_A }, bridge: { shareCurrent: true, freshness: 2 } });
    await sharing(run, 1);
    const cut = systemClock.now();
    getSimDevice(BMV).faults.unplug();
    await waitFor(() => sets(MPPT_A, 0x200a).some((x) => x.at > cut && x.raw === RELEASE_I), 'the current released', 8000);
    await sleep(2500);
    const after = sets(MPPT_A, 0x200a).filter((x) => x.at > cut);
    const releases = after.filter((x) => x.raw === RELEASE_I);
    assert.equal(releases.length, 1, 'released once');
    assert.ok(releases[0]!.at - cut <= 3500, `released ${Math.round(releases[0]!.at - cut)} ms after the cut`);
    assert.ok(after.every((x) => x.raw === RELEASE_I || x.at < releases[0]!.at), 'no value after the release');
    assert.equal(mpptOf(getSimDevice(MPPT_A))!.remoteSense.current, null);
    const report = lastReport(run);
    assert.equal(report.current.value, null);
    assert.equal(report.sources[0]?.currentState, 'stale');
    assertNoFlashWrites();
  });

  it('an invalid setting is refused: red badge, an error, no writes; messages fail with VE_BAD_INPUT', async () => {
    const run = await deploy({ monitors: { m1: BMV }, chargers: { c1: MPPT_A }, bridge: { voltageInterval: 0.5 } });
    assert.deepEqual(lastBadge('b1'), { fill: 'red', shape: 'ring', text: 'invalid setting: Write voltage' });
    assert.ok(logged('the configuration was refused: voltageIntervalMs must lie within 1000..20000, got 500'), 'the refusal is logged');
    helper.getNode('b1').receive({ payload: 1 });
    const err = await waitFor(() => run.errors[0], 'an error for the message');
    assert.equal(err.error.code, 'VE_BAD_INPUT');
    assert.match(err.error.message, /configuration was refused/);
    await sleep(1500);
    assert.equal(sets(MPPT_A).length, 0);
    assertNoFlashWrites();
  });
});
