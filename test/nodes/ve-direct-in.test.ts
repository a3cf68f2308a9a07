import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeStatus } from 'node-red';
import { getSimDevice, resetSimDevices } from '../../lib/sim';
import { helper, load, logLines, nextMessage, recordStatus, waitFor, type Flow } from '../helpers/nodered';
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
  device: { product: string; productId: string; serial: string; firmware: string };
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
    assert.deepEqual(meta.device, { product: 'SmartShunt 500A/50mV', productId: '0xA389', serial: device.identity.serial, firmware: '4.14' });
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
    assert.equal(payload.productId, '0xA389');
    assert.equal(payload.productIdText, 'SmartShunt 500A/50mV');
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

  describe('measurements', () => {
    it('one picked measurement: msg.payload the plain number, msg.topic its name, the unit and raw value alongside', async () => {
      const seen = await deploy(SHUNT, { mode: 'every', fields: 'batteryVoltage' });
      await waitFor(() => seen.length >= 2, 'two messages');
      for (const msg of seen) {
        assert.equal(msg.topic, 'batteryVoltage');
        assert.equal(typeof msg.payload, 'number');
        const meta = msg.vedirect as { unit: string; label: string; raw: string; source: string; device: { serial: string } };
        assert.equal(meta.unit, 'V');
        assert.equal(meta.label, 'V');
        // Decoded from the Text value as sent, in mV.
        assert.equal(msg.payload, Number(meta.raw) / 1000);
        assert.equal(meta.source, 'text');
        assert.equal(meta.device.serial, sim(SHUNT).identity.serial);
      }
      assert.ok(Math.abs(Number(seen.at(-1)!.payload) - Number(simValue(SHUNT, 0xed8d))) < 0.1, 'what the shunt measures');
    });

    it('an enumeration: the code as payload, its meaning in msg.vedirect.text', async () => {
      const seen = await deploy(MPPT, { mode: 'every', fields: 'deviceState' });
      await waitFor(() => seen.length >= 1, 'a message');
      const msg = seen[0]!;
      assert.equal(msg.topic, 'deviceState');
      assert.equal(typeof msg.payload, 'number');
      const meta = msg.vedirect as { raw: string; text: string };
      assert.equal(msg.payload, Number(meta.raw));
      assert.equal(typeof meta.text, 'string');
      assert.notEqual(meta.text, '');
    });

    it('several picked measurements: an object with just those, enumerations with their text beside', async () => {
      const seen = await deploy(MPPT, { mode: 'every', fields: 'batteryVoltage, deviceState, panelPower' });
      await waitFor(() => seen.length >= 1, 'a message');
      const msg = seen[0]!;
      const payload = msg.payload as Record<string, unknown>;
      assert.deepEqual(Object.keys(payload).sort(), ['batteryVoltage', 'deviceState', 'deviceStateText', 'panelPower']);
      const meta = msg.vedirect as unknown as SnapshotMeta;
      assert.deepEqual(Object.keys(meta.raw).sort(), ['CS', 'PPV', 'V']);
      assert.equal(payload.batteryVoltage, Number(meta.raw.V) / 1000);
      assert.equal(payload.panelPower, Number(meta.raw.PPV));
      assert.equal(payload.deviceState, Number(meta.raw.CS));
      assert.equal(payload.deviceStateText, meta.texts.deviceState);
      assert.equal(msg.topic, sim(MPPT).identity.serial);
    });

    it('on change: a message only when the picked measurement changes, not when others do', async () => {
      sim(SHUNT).system.setSpeed(0);
      const seen = await deploy(SHUNT, { mode: 'change', fields: 'productId' });
      const port = await readyPort('p1');
      await waitFor(() => seen.length >= 1, 'the first message');
      assert.equal(seen[0]!.payload, '0xA389');
      // An hour of use per second: voltage, current and state of charge move; the product id does not.
      sim(SHUNT).system.setSpeed(3600);
      const cycles = port.counters.snapshots;
      await waitFor(() => port.counters.snapshots >= cycles + 3, 'three more cycles', 8000);
      assert.equal(seen.length, 1);
    });

    it('a measurement the device does not send: nothing sent, one warning', async () => {
      const seen = await deploy(SHUNT, { mode: 'every', fields: 'panelPower' });
      const port = await readyPort('p1');
      const cycles = port.counters.snapshots;
      await waitFor(() => port.counters.snapshots >= cycles + 3, 'three cycles', 8000);
      assert.equal(seen.length, 0);
      const warnings = logLines().filter((l) => l.level === 30 && /sends no "panelPower"/.test(String(l.msg)));
      assert.equal(warnings.length, 1, 'warned once, not every cycle');
      assert.match(String(warnings[0]!.msg), /SmartShunt 500A\/50mV sends no "panelPower"/);
    });
  });

  describe('badge', () => {
    it('shows the device\'s headline values, as the last message has them', async () => {
      const seen = await deploy(SHUNT, { mode: 'every' });
      const statuses = recordStatus(helper.getNode('i1'));
      await waitFor(() => seen.length >= 2 && statuses.some(green), 'a message and a green badge');
      const last = statuses.filter(green).at(-1)!;
      const text = String(last.text);
      // e.g. "13.38 V 81 % −12.0 A": voltage to 10 mV, state of charge in whole percent, current to 0.1 A.
      const m = /^(\d+\.\d\d) V (\d+) % (\u2212?)(\d+\.\d) A$/.exec(text);
      assert.ok(m, `badge "${text}"`);
      const payload = seen.at(-1)!.payload as Record<string, number>;
      // The badge was painted from one of the last two cycles.
      const recent = seen.slice(-2).map((msg) => msg.payload as Record<string, number>);
      assert.ok(
        recent.some((p) => Math.abs(p.batteryVoltage! - Number(m[1])) < 0.006 && Math.abs(p.stateOfCharge! - Number(m[2])) <= 0.5),
        `badge ${text} against ${JSON.stringify(payload)}`,
      );
    });

    it('shows the picked measurements', async () => {
      const seen = await deploy(MPPT, { mode: 'every', fields: 'panelPower' });
      const statuses = recordStatus(helper.getNode('i1'));
      await waitFor(() => seen.length >= 1 && statuses.some(green), 'a message and a green badge');
      assert.match(String(statuses.filter(green).at(-1)!.text), /^\d+ W$/);
    });

    it('gives way to the port\'s yellow badge when the device goes stale', async () => {
      const seen = await deploy(SHUNT, { mode: 'every' }, { staleAfter: 0.6, reconnectAfter: 60 });
      const statuses = recordStatus(helper.getNode('i1'));
      await waitFor(() => seen.length >= 1 && statuses.some(green), 'values');
      sim(SHUNT).faults.unplug();
      await waitFor(() => yellow(statuses.at(-1)!), 'yellow');
      sim(SHUNT).faults.replug();
      await waitFor(() => green(statuses.at(-1)!) && / V /.test(String(statuses.at(-1)!.text)), 'values again', 10_000);
    });
  });

  it('the editor\'s measurement list: what the deployed device sends, with its values now', async () => {
    const seen = await deploy(SHUNT, { mode: 'every' });
    await waitFor(() => seen.length >= 1, 'a cycle');
    const res = await helper.request().get('/ve-direct/text-fields?port=p1').expect(200);
    const body = res.body as { live: boolean; family: string; fields: Array<{ name: string; label: string; unit: string; value?: unknown }> };
    assert.equal(body.live, true);
    assert.equal(body.family, 'smartshunt');
    const names = body.fields.map((f) => f.name);
    const sent = Object.keys(seen.at(-1)!.payload as Record<string, unknown>).filter((k) => !k.endsWith('Text'));
    for (const name of sent) assert.ok(names.includes(name), `${name} listed`);
    assert.ok(!names.includes('panelPower'), 'nothing a shunt does not send');
    const volts = body.fields.find((f) => f.name === 'batteryVoltage')!;
    assert.equal(volts.unit, 'V');
    assert.equal(typeof volts.value, 'number');
    const catalogue = await helper.request().get('/ve-direct/text-fields?family=mppt').expect(200);
    assert.ok((catalogue.body as { fields: Array<{ name: string }> }).fields.some((f) => f.name === 'panelPower'));
  });
});
