import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeStatus } from 'node-red';
import { getSimDevice, resetSimDevices } from '../../lib/sim';
import { helper, load, nextMessage, recordStatus, waitFor, type Flow } from '../helpers/nodered';
import { collect, getNode, green, inNode, portNode, readyPort, redeploy, simValue, sleep, yellow, type Msg } from '../helpers/vedirect-flows';

const SHUNT = 'sim:smartshunt';
const BMV = 'sim:bmv712';
const MPPT = 'sim:smartsolar-100-30';
const CHARGER = 'sim:bluesmart-charger';

/** Text blocks four times a second instead of once: the same behaviour, sooner. */
const TEXT_MS = 250;

/** The simulated device behind `path`, created with the fast Text interval. */
function sim(path: string): ReturnType<typeof getSimDevice> {
  return getSimDevice(path, { textIntervalMs: TEXT_MS });
}

function flow(path: string, inConfig: Record<string, unknown>, port: Record<string, unknown> = {}): Flow {
  return [
    { id: 'p1', type: 've-direct-port', path, ...port },
    { id: 'i1', type: 've-direct-in', port: 'p1', wires: [['h1']], ...inConfig },
    { id: 'h1', type: 'helper' },
  ];
}

async function deploy(path: string, inConfig: Record<string, unknown>, port: Record<string, unknown> = {}): Promise<Msg[]> {
  sim(path);
  await load([portNode, inNode, getNode], flow(path, inConfig, port));
  const seen = collect('h1');
  await readyPort('p1');
  return seen;
}

type SnapshotMeta = {
  device: { product: string; productId: number; serial: string; firmware: string };
  units: Record<string, string>;
  raw: Record<string, string>;
  labels: Record<string, string>;
  texts: Record<string, string>;
  ages: Record<string, number>;
  receivedAt: number;
  source: string;
  counters?: { textBlocks: number };
};

const snapshots = (msgs: Msg[]): Msg[] => msgs.filter((m) => m.vedirect?.source === 'text');

describe('ve-direct-in', () => {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    await helper.unload();
    resetSimDevices();
  });

  it('every cycle: the decoded values with units, raw Text values alongside, and the device', async () => {
    const seen = await deploy(SHUNT, { mode: 'every' });
    await waitFor(() => seen.length >= 2, 'two snapshots');
    const msg = seen.at(-1)!;
    const device = sim(SHUNT);
    assert.equal(msg.topic, device.identity.serial);
    const payload = msg.payload as Record<string, unknown>;
    const meta = msg.vedirect as unknown as SnapshotMeta;
    assert.equal(meta.source, 'text');
    assert.deepEqual(meta.device, { product: 'SmartShunt 500A/50mV', productId: 0xa389, serial: device.identity.serial, firmware: '4.14' });
    // Decoded from the raw Text value: V is in mV.
    assert.equal(payload.batteryVoltage, Number(meta.raw.V) / 1000);
    assert.equal(meta.units.batteryVoltage, 'V');
    assert.equal(meta.labels.batteryVoltage, 'V');
    assert.ok(Math.abs(Number(payload.batteryVoltage) - Number(simValue(SHUNT, 0xed8d))) < 0.1, 'what the shunt measures');
    assert.equal(payload.stateOfCharge, Number(meta.raw.SOC) / 10);
    assert.equal(meta.units.stateOfCharge, '%');
    // TTG -1: no number, and why.
    assert.equal(payload.timeToGo, null);
    assert.equal(meta.texts.timeToGo, 'infinite');
    assert.equal(payload.productId, 0xa389);
    assert.equal(typeof meta.ages.batteryVoltage, 'number');
    assert.ok(Math.abs(meta.receivedAt - Date.now()) < 5000);
    assert.equal(meta.counters, undefined);
    const port = await readyPort('p1');
    // Counted right after a message arrived, so none is on its way.
    await nextMessage('h1');
    const before = port.counters.snapshots;
    const count = seen.length;
    await waitFor(() => port.counters.snapshots >= before + 2, 'two more cycles');
    await sleep(50);
    assert.equal(seen.length - count, port.counters.snapshots - before, 'one message per cycle');
  });

  it('"no sensor" is null, not a number (a charger without temperature sensor sends T ---)', async () => {
    const seen = await deploy(CHARGER, { mode: 'every' });
    await waitFor(() => seen.length >= 1, 'a snapshot');
    const payload = seen[0]!.payload as Record<string, unknown>;
    assert.equal((seen[0]!.vedirect as unknown as SnapshotMeta).raw.T, '---');
    assert.equal(payload.batteryTemperature, null);
  });

  it('on change: nothing while the values stand still, a message when one changes', async () => {
    sim(CHARGER).system.setSpeed(0);
    const seen = await deploy(CHARGER, { mode: 'change' });
    const port = await readyPort('p1');
    await waitFor(() => seen.length >= 1, 'the first snapshot');
    const cycles = port.counters.snapshots;
    await waitFor(() => port.counters.snapshots >= cycles + 2, 'two more cycles');
    assert.equal(seen.length, 1, 'unchanged cycles are not sent');
    // An hour of charging per second: the battery voltage moves.
    sim(CHARGER).system.setSpeed(3600);
    await waitFor(() => seen.length >= 2, 'a message after a change', 8000);
    assert.notDeepEqual(seen[1]!.payload, seen[0]!.payload);
  });

  it('at most every N s: the latest cycle, once per interval', async () => {
    const seen = await deploy(SHUNT, { mode: 'interval', interval: 0.6 });
    const arrivals: number[] = [];
    helper.getNode('h1').on('input', () => arrivals.push(Date.now()));
    const port = await readyPort('p1');
    const cycles = port.counters.snapshots;
    await waitFor(() => arrivals.length >= 3, 'three messages', 10_000);
    for (let i = 1; i < arrivals.length; i++) assert.ok(arrivals[i]! - arrivals[i - 1]! >= 550, `spaced ${arrivals[i]! - arrivals[i - 1]!} ms`);
    assert.ok(port.counters.snapshots - cycles > arrivals.length, 'fewer messages than cycles');
    assert.ok(snapshots(seen).length >= 3);
  });

  it('async HEX register updates as separate messages, topic the register name', async () => {
    const seen = await deploy(MPPT, { mode: 'every', asyncUpdates: true });
    // Updates may come while the device is still being identified (device null then).
    const from = seen.length;
    const async = await waitFor(() => seen.slice(from).find((m) => m.vedirect?.source === 'async'), 'an async update', 10_000);
    assert.equal(typeof async.topic, 'string');
    assert.match(String(async.vedirect?.register), /^0x[0-9A-F]{4}$/);
    assert.equal(async.topic, async.vedirect?.name);
    assert.equal((async.vedirect?.device as { serial: string }).serial, sim(MPPT).identity.serial);
    await waitFor(() => snapshots(seen).length >= 1, 'snapshots as well');
  });

  it('without the option, async updates are not sent', async () => {
    const seen = await deploy(MPPT, { mode: 'every' });
    const port = await readyPort('p1');
    await waitFor(() => port.counters.asyncFrames > 0 && seen.length >= 2, 'async frames on the wire and snapshots', 10_000);
    assert.equal(seen.filter((m) => m.vedirect?.source === 'async').length, 0);
  });

  it('stale: a yellow badge and one message with payload null; data and green again after; once per stale period', async () => {
    const seen = await deploy(SHUNT, { mode: 'every', staleMessage: true }, { staleAfter: 0.6, reconnectAfter: 60 });
    const statuses: NodeStatus[] = recordStatus(helper.getNode('i1'));
    await waitFor(() => seen.length >= 1, 'data');
    const device = sim(SHUNT);
    device.faults.unplug();
    await waitFor(() => statuses.find(yellow), 'a yellow badge');
    const nulls = (): Msg[] => seen.filter((m) => m.payload === null);
    await waitFor(() => nulls().length === 1, 'the stale message');
    const stale = nulls()[0]!;
    assert.equal(stale.topic, device.identity.serial);
    assert.equal(stale.vedirect?.stale, true);
    assert.equal(stale.vedirect?.state, 'stale');
    assert.equal((stale.vedirect?.device as { serial: string }).serial, device.identity.serial);
    await sleep(1000);
    assert.equal(nulls().length, 1, 'not repeated while stale');
    const count = seen.length;
    statuses.length = 0;
    device.faults.replug();
    await waitFor(() => seen.length > count && seen.at(-1)!.payload !== null, 'data again');
    await waitFor(() => statuses.find(green), 'green again');
    device.faults.unplug();
    await waitFor(() => nulls().length === 2, 'one stale message for the second stale period');
  });

  it('stale without the option: the yellow badge only', async () => {
    const seen = await deploy(SHUNT, { mode: 'every' }, { staleAfter: 0.6, reconnectAfter: 60 });
    const statuses = recordStatus(helper.getNode('i1'));
    await waitFor(() => seen.length >= 1, 'data');
    sim(SHUNT).faults.unplug();
    await waitFor(() => statuses.find(yellow), 'a yellow badge');
    await sleep(300);
    assert.equal(seen.filter((m) => m.payload === null).length, 0);
  });

  it('adds the port counters on request', async () => {
    const seen = await deploy(BMV, { mode: 'every', counters: true });
    await waitFor(() => seen.length >= 1, 'a snapshot');
    const meta = seen[0]!.vedirect as unknown as SnapshotMeta;
    assert.ok((meta.counters?.textBlocks ?? 0) > 0);
  });

  it('two in nodes on one port both get each cycle; a redeployed one does not double its messages', async () => {
    const twoNodes: Flow = [
      ...flow(SHUNT, { mode: 'every' }),
      { id: 'i2', type: 've-direct-in', port: 'p1', mode: 'every', wires: [['h2']] },
      { id: 'h2', type: 'helper' },
    ];
    sim(SHUNT);
    await load([portNode, inNode], twoNodes);
    const a = collect('h1');
    const b = collect('h2');
    const port = await readyPort('p1');
    await waitFor(() => a.length >= 2 && b.length >= 2, 'both nodes');
    // Deploy "modified nodes": i1 restarts, the port and i2 do not.
    const changed = twoNodes.map((n) => (n.id === 'i1' ? { ...n, name: 'renamed' } : n));
    await redeploy(changed, 'nodes');
    const after = collect('h1');
    const start = port.counters.snapshots;
    await waitFor(() => port.counters.snapshots >= start + 3, 'three cycles', 8000);
    await sleep(50);
    const cycles = port.counters.snapshots - start;
    assert.ok(after.length <= cycles && after.length >= cycles - 1, `${after.length} messages for ${cycles} cycles`);
    assert.equal(port.counters.reconnects, 0);
  });
});
