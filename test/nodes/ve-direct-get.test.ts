import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { REGISTERS } from '../../lib/protocol/catalog/registers';
import { getSimDevice, resetSimDevices } from '../../lib/sim';
import { helper, load, nextMessage, recordStatus, waitFor, type Flow } from '../helpers/nodered';
import { blue, collect, getNode, green, hostFrames, portNode, readyPort, redeploy, red, simValue, sleep, type ErrorMsg, type Msg } from '../helpers/vedirect-flows';

const SHUNT = 'sim:smartshunt';
const MPPT = 'sim:smartsolar-100-30';

/** A get node wired to h1, a Catch node wired to h2. */
function flow(get: Record<string, unknown>, port: Record<string, unknown> = {}): Flow {
  return [
    { id: 'p1', type: 've-direct-port', path: SHUNT, ...port },
    { id: 'g1', type: 've-direct-get', port: 'p1', wires: [['h1']], ...get },
    { id: 'h1', type: 'helper' },
    { id: 'c1', type: 'catch', scope: null, uncaught: false, wires: [['h2']] },
    { id: 'h2', type: 'helper' },
  ];
}

async function deploy(get: Record<string, unknown>, port: Record<string, unknown> = {}): Promise<void> {
  await load([portNode, getNode], flow(get, port));
  await readyPort('p1');
}

async function ask(msg: Msg = { payload: Date.now() }): Promise<Msg> {
  const out = nextMessage('h1') as Promise<Msg>;
  helper.getNode('g1').receive(msg);
  return out;
}

async function askFails(msg: Msg = { payload: Date.now() }): Promise<ErrorMsg> {
  const seen = collect('h1');
  const caught = nextMessage('h2') as Promise<ErrorMsg>;
  helper.getNode('g1').receive(msg);
  const err = await caught;
  assert.equal(seen.length, 0, 'no output message for a failed read');
  assert.equal(err.error.source.id, 'g1');
  return err;
}

describe('ve-direct-get', () => {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    await helper.unload();
    resetSimDevices();
  });

  it('reads one register: the device\'s value, scaled, with id, unit, raw bytes, flags and the device', async () => {
    await deploy({ registers: 'batteryCapacity' });
    const before = hostFrames(SHUNT, 'get', 0x1000).length;
    const msg = await ask({ payload: 'tick', topic: 'kept?' });
    assert.equal(msg.payload, simValue(SHUNT, 0x1000));
    assert.equal(msg.payload, 200);
    assert.equal(msg.topic, 'batteryCapacity');
    const sim = getSimDevice(SHUNT);
    assert.deepEqual(
      { ...msg.vedirect, timestamp: undefined },
      {
        register: '0x1000',
        name: 'batteryCapacity',
        unit: 'Ah',
        raw: 'C800',
        flags: 0,
        ageMs: 0,
        timestamp: undefined,
        source: 'get',
        device: { product: 'SmartShunt 500A/50mV', productId: '0xA389', serial: sim.identity.serial, firmware: '4.14' },
      },
    );
    assert.ok(Math.abs(Number(msg.vedirect?.timestamp) - Date.now()) < 5000);
    assert.equal(hostFrames(SHUNT, 'get', 0x1000).length, before + 1, 'one Get 0x1000 on the wire');
  });

  it('reads a live value: the battery voltage the simulated shunt measures', async () => {
    await deploy({ registers: '0xED8D' });
    const msg = await ask();
    assert.equal(msg.topic, 'batteryVoltage');
    assert.equal(msg.vedirect?.unit, 'V');
    assert.equal(typeof msg.payload, 'number');
    assert.ok(Math.abs(Number(msg.payload) - Number(simValue(SHUNT, 0xed8d))) < 0.1, `${String(msg.payload)} V is what the shunt measures`);
  });

  it('reads several registers into one object, each with its metadata', async () => {
    await deploy({ registers: 'batteryCapacity, chargeCycles,0x0300' });
    const msg = await ask();
    assert.deepEqual(msg.payload, { batteryCapacity: 200, chargeCycles: simValue(SHUNT, 0x0303), deepestDischarge: simValue(SHUNT, 0x0300) });
    assert.equal(msg.topic, 'batteryCapacity,chargeCycles,deepestDischarge');
    const meta = msg.vedirect as { registers: Record<string, { register: string; unit: string; source: string }>; device: { serial: string } };
    assert.deepEqual(Object.keys(meta.registers), ['batteryCapacity', 'chargeCycles', 'deepestDischarge']);
    assert.equal(meta.registers.deepestDischarge?.register, '0x0300');
    assert.equal(meta.registers.deepestDischarge?.unit, 'Ah');
    assert.equal(meta.registers.chargeCycles?.source, 'get');
    assert.equal(meta.device.serial, getSimDevice(SHUNT).identity.serial);
  });

  it('takes the registers from msg.register or msg.payload when the node names none', async () => {
    await deploy({ registers: '' });
    const one = await ask({ register: 'chargeCycles' });
    assert.equal(one.topic, 'chargeCycles');
    assert.equal(one.payload, simValue(SHUNT, 0x0303));
    const two = await ask({ payload: ['batteryCapacity', 0x0303] });
    assert.deepEqual(two.payload, { batteryCapacity: 200, chargeCycles: simValue(SHUNT, 0x0303) });
    const text = await ask({ payload: '0x1000' });
    assert.equal(text.topic, 'batteryCapacity');
  });

  it('a register set in the node wins over msg.register', async () => {
    await deploy({ registers: 'batteryCapacity' });
    const msg = await ask({ register: 'chargeCycles' });
    assert.equal(msg.topic, 'batteryCapacity');
    assert.equal(msg.payload, 200);
  });

  it('answers from the cache when fresh enough, with nothing on the wire', async () => {
    await deploy({ registers: 'batteryCapacity', cacheMaxAge: 30 });
    const first = await ask();
    assert.equal(first.vedirect?.source, 'get');
    const heard = getSimDevice(SHUNT).hostLog.length;
    await sleep(150);
    const second = await ask();
    assert.equal(second.payload, 200);
    assert.equal(second.vedirect?.source, 'cache');
    assert.ok(Number(second.vedirect?.ageMs) >= 100, `age ${String(second.vedirect?.ageMs)} ms`);
    assert.equal(getSimDevice(SHUNT).hostLog.length, heard, 'no frame sent for a cached answer');
  });

  it('asks the device again when the cached value is older than allowed', async () => {
    await deploy({ registers: 'batteryCapacity', cacheMaxAge: 0.2 });
    await ask();
    await sleep(400);
    const heard = hostFrames(SHUNT, 'get', 0x1000).length;
    const msg = await ask();
    assert.equal(msg.vedirect?.source, 'get');
    assert.equal(hostFrames(SHUNT, 'get', 0x1000).length, heard + 1);
  });

  it('reads firmware (ping), application version and product id; diagnostics without traffic', async () => {
    await deploy({ read: 'ping' });
    const ping = await ask();
    assert.equal(ping.payload, '4.14');
    assert.equal(ping.topic, 'ping');
    assert.equal(ping.vedirect?.kind, 'application');
    assert.equal(ping.vedirect?.word, '0x4414');
    await helper.unload();

    await deploy({ read: 'firmware' });
    const fw = await ask();
    assert.equal(fw.payload, '4.14');
    assert.equal(fw.topic, 'firmware');
    await helper.unload();

    await deploy({ read: 'productId' });
    const pid = await ask();
    assert.equal(pid.payload, 0xa389);
    assert.equal(pid.topic, 'productId');
    assert.equal(pid.vedirect?.raw, '0xA389');
    assert.equal(pid.vedirect?.text, 'SmartShunt 500A/50mV');
    await helper.unload();

    await deploy({ read: 'diagnostics' });
    const port = await readyPort('p1');
    await waitFor(() => port.counters.textBlocks > 0, 'a Text block');
    const heard = getSimDevice(SHUNT).hostLog.length;
    const diag = await ask();
    const payload = diag.payload as { path: string; state: string; counters: { textBlocks: number; requests: number }; device: { serial: string } };
    assert.equal(payload.path, SHUNT);
    assert.equal(payload.state, 'connected');
    assert.ok(payload.counters.textBlocks > 0);
    assert.ok(payload.counters.requests > 0, 'the identification requests are counted');
    assert.equal(payload.device.serial, getSimDevice(SHUNT).identity.serial);
    assert.equal(getSimDevice(SHUNT).hostLog.length, heard, 'diagnostics send nothing');
  });

  it('reads an MPPT\'s daily history: today first, as the charger keeps it, back to its first day', async () => {
    await deploy({ read: 'history' }, { path: MPPT });
    const statuses = recordStatus(helper.getNode('g1'));
    const msg = await ask();
    const days = msg.payload as Array<{ daysAgo: number; day: number; yieldKWh: number; maxPowerW: number; errors: unknown[] }>;
    const port = await readyPort('p1');
    const snapshot = port.snapshot();
    assert.ok(snapshot);
    // The simulated 100/30 has been in service since day 0; today is day HSDS.
    const hsds = Number(snapshot.fields.HSDS);
    assert.equal(days.length, hsds + 1);
    assert.deepEqual(days.map((d) => d.daysAgo), [...Array(hsds + 1).keys()]);
    assert.deepEqual(days.map((d) => d.day), [...Array(hsds + 1).keys()].map((back) => hsds - back));
    assert.equal(days[1]?.yieldKWh, Number(snapshot.fields.H22) / 100, 'yesterday as Text H22 says');
    assert.equal(days[1]?.maxPowerW, Number(snapshot.fields.H23), 'and H23');
    assert.deepEqual(days[0]?.errors, []);
    assert.equal(msg.topic, 'history');
    const total = msg.vedirect?.total as { userYieldKWh: number; days: number };
    assert.equal(total.days, hsds + 1);
    assert.ok(Math.abs(total.userYieldKWh - Number(snapshot.fields.H19) / 100) <= 0.01);
    // One Get per day with a record, one for the first without (flags 0x04), one for the total.
    assert.equal(hostFrames(MPPT, 'get').filter((f) => f.command?.type === 'get' && f.command.register >= 0x104f && f.command.register <= 0x106e).length, hsds + 3);
    assert.match(String(statuses.at(-1)?.text), new RegExp(`${hsds + 1} days`));
  });

  it('daily history from a battery monitor: VE_NOT_SUPPORTED_DEVICE, nothing asked', async () => {
    await deploy({ read: 'history' });
    const heard = hostFrames(SHUNT, 'get').length;
    const err = await askFails();
    assert.equal(err.error.code, 'VE_NOT_SUPPORTED_DEVICE');
    assert.match(err.error.message, /daily history \(MPPT\): SmartShunt 500A\/50mV keeps no daily history/);
    assert.equal(hostFrames(SHUNT, 'get').length, heard);
  });

  it('an unknown register name reaches a Catch node as VE_UNKNOWN_REGISTER, with nothing sent', async () => {
    await deploy({ registers: 'batteryVoltage, nope' });
    const heard = getSimDevice(SHUNT).hostLog.length;
    const err = await askFails();
    assert.equal(err.error.code, 'VE_UNKNOWN_REGISTER');
    assert.match(err.error.message, /Unknown register "nope"/);
    assert.equal(getSimDevice(SHUNT).hostLog.length, heard);
  });

  it('a register the device does not have: VE_UNKNOWN_ID naming it; a red badge until the next success', async () => {
    await deploy({ registers: '' });
    const statuses = recordStatus(helper.getNode('g1'));
    // 0x2002 is an MPPT register: a SmartShunt answers "unknown id" (flags 0x01).
    const err = await askFails({ register: 'batteryVoltageSense' });
    assert.equal(err.error.code, 'VE_UNKNOWN_ID');
    assert.match(err.error.message, /batteryVoltageSense \(0x2002\): the device does not have this register/);
    assert.ok(statuses.some(blue), 'blue while the request was in flight');
    assert.ok(red(statuses.at(-1)!), 'red ring after the failure');
    assert.match(String(statuses.at(-1)?.text), /VE_UNKNOWN_ID/);
    await ask({ register: 'batteryCapacity' });
    await waitFor(() => green(statuses.at(-1)!), 'the port badge again after a success');
  });

  it('with several registers, one failure fails the message and names that register', async () => {
    await deploy({ registers: 'batteryCapacity, batteryVoltageSense, chargeCycles' });
    const before = hostFrames(SHUNT, 'get', 0x0303).length;
    const err = await askFails();
    assert.equal(err.error.code, 'VE_UNKNOWN_ID');
    assert.match(err.error.message, /batteryVoltageSense/);
    assert.equal(hostFrames(SHUNT, 'get', 0x0303).length, before, 'the registers after the failure are not read');
  });

  it('reads a register named twice (by name, by id, in another case) once', async () => {
    await deploy({ registers: '' });
    const before = hostFrames(SHUNT, 'get', 0x1000).length;
    const msg = await ask({ payload: ['batteryCapacity', '0x1000', 'BATTERYCAPACITY', 0x1000, 'chargeCycles', 'batteryCapacity'] });
    assert.deepEqual(Object.keys(msg.payload as object), ['batteryCapacity', 'chargeCycles'], 'each register once, in the order first named');
    assert.equal(msg.topic, 'batteryCapacity,chargeCycles');
    assert.equal(hostFrames(SHUNT, 'get', 0x1000).length, before + 1, 'one Get 0x1000 on the wire');
    // A list of one register repeated is one register: the value itself, not an object.
    const one = await ask({ payload: Array<string>(100).fill('batteryCapacity') });
    assert.equal(one.payload, 200);
    assert.equal(hostFrames(SHUNT, 'get', 0x1000).length, before + 2);
  });

  it('more than 64 registers in one message: VE_BAD_INPUT, and not a byte on the wire', async () => {
    await deploy({ registers: '' });
    // 65 distinct registers the catalogue knows (whether the shunt has them does not matter:
    // nothing is asked).
    const names = REGISTERS.map((r) => r.name).slice(0, 65);
    const device = getSimDevice(SHUNT);
    let heard = 0;
    const receive = device.receive.bind(device);
    device.receive = (bytes: Uint8Array): void => {
      heard += bytes.length;
      receive(bytes);
    };
    const err = await askFails({ payload: names });
    assert.equal(err.error.code, 'VE_BAD_INPUT');
    assert.match(err.error.message, /^65 registers asked for in one message; at most 64 are read at once\. Nothing was read\.$/);
    assert.equal(heard, 0, 'no byte reached the device');
    // 64 names plus duplicates are 64 registers: not refused for their number.
    // (Some of them the shunt does not have: the message may then fail, but not as VE_BAD_INPUT.)
    const answered = nextMessage('h1');
    const caught = nextMessage('h2');
    helper.getNode('g1').receive({ payload: [...names.slice(0, 64), names[0]!, names[1]!] });
    const outcome = (await Promise.race([answered, caught])) as Partial<ErrorMsg>;
    assert.notEqual(outcome.error?.code, 'VE_BAD_INPUT', `refused for its number: ${outcome.error?.message}`);
    assert.ok(heard > 0, 'asked the device');
  });

  it('no answer: VE_TIMEOUT after the port\'s retries', async () => {
    await deploy({ registers: 'batteryCapacity' }, { requestTimeout: 150, retries: 1 });
    const before = hostFrames(SHUNT, 'get', 0x1000).length;
    getSimDevice(SHUNT).faults.set({ lostReplyRate: 1 });
    const err = await askFails();
    assert.equal(err.error.code, 'VE_TIMEOUT');
    assert.match(err.error.message, /batteryCapacity \(0x1000\): no answer from the device/);
    assert.equal(hostFrames(SHUNT, 'get', 0x1000).length, before + 2, 'sent, and resent once');
  });

  it('no register anywhere, or a message that is no register list: VE_BAD_INPUT', async () => {
    await deploy({ registers: '' });
    const none = await askFails({ payload: '' });
    assert.equal(none.error.code, 'VE_BAD_INPUT');
    assert.match(none.error.message, /No register to read/);
    const bad = await askFails({ payload: { batteryVoltage: true } });
    assert.equal(bad.error.code, 'VE_BAD_INPUT');
  });

  it('without a port: a red badge and VE_PORT_CLOSED on every message', async () => {
    const noPort: Flow = [
      { id: 'g1', type: 've-direct-get', port: '', registers: 'batteryVoltage', wires: [['h1']] },
      { id: 'h1', type: 'helper' },
      { id: 'c1', type: 'catch', scope: null, uncaught: false, wires: [['h2']] },
      { id: 'h2', type: 'helper' },
    ];
    await load([portNode, getNode], noPort);
    const statuses = recordStatus(helper.getNode('g1'));
    const err = await askFails();
    assert.equal(err.error.code, 'VE_PORT_CLOSED');
    assert.match(err.error.message, /No VE.Direct port is configured/);
    assert.ok(statuses.some(red));
  });

  it('several get nodes on one port, fired at once, each get their own register\'s value', async () => {
    const registers: Array<[string, number]> = [
      ['batteryCapacity', 0x1000],
      ['chargedVoltage', 0x1001],
      ['tailCurrent', 0x1002],
      ['chargeCycles', 0x0303],
      ['serialNumber', 0x010a],
      ['modelName', 0x010b],
      ['deepestDischarge', 0x0300],
      ['dischargeFloor', 0x1008],
    ];
    const nodes: Flow = registers.flatMap(([name], i) => [
      { id: `g${i}`, type: 've-direct-get', port: 'p1', registers: name, wires: [[`h${i}`]] },
      { id: `h${i}`, type: 'helper' },
    ]);
    await load([portNode, getNode], [{ id: 'p1', type: 've-direct-port', path: SHUNT }, ...nodes]);
    await readyPort('p1');
    for (let round = 0; round < 3; round++) {
      const answers = registers.map((_, i) => nextMessage(`h${i}`) as Promise<Msg>);
      registers.forEach((_, i) => helper.getNode(`g${i}`).receive({ payload: round }));
      const msgs = await Promise.all(answers);
      msgs.forEach((msg, i) => {
        const [name, id] = registers[i]!;
        assert.equal(msg.topic, name);
        assert.equal(msg.payload, simValue(SHUNT, id), `${name} got its own value`);
        assert.equal(msg.vedirect?.register, `0x${id.toString(16).toUpperCase().padStart(4, '0')}`);
      });
    }
  });

  it('two ports, a get node on each, fired together: each device answers its own node', async () => {
    await load(
      [portNode, getNode],
      [
        { id: 'p1', type: 've-direct-port', path: SHUNT },
        { id: 'p2', type: 've-direct-port', path: MPPT },
        { id: 'g1', type: 've-direct-get', port: 'p1', registers: 'serialNumber', wires: [['h1']] },
        { id: 'g2', type: 've-direct-get', port: 'p2', registers: 'serialNumber', wires: [['h2']] },
        { id: 'h1', type: 'helper' },
        { id: 'h2', type: 'helper' },
      ],
    );
    await Promise.all([readyPort('p1'), readyPort('p2')]);
    const [a, b] = [nextMessage('h1') as Promise<Msg>, nextMessage('h2') as Promise<Msg>];
    helper.getNode('g1').receive({});
    helper.getNode('g2').receive({});
    assert.equal((await a).payload, getSimDevice(SHUNT).identity.serial);
    assert.equal((await b).payload, getSimDevice(MPPT).identity.serial);
  });

  it('a redeploy of the node while a request is in flight: the port stays open and the new node reads', async () => {
    const first = flow({ registers: 'batteryCapacity' });
    await load([portNode, getNode], first);
    const port = await readyPort('p1');
    const device = getSimDevice(SHUNT);
    device.faults.set({ replyDelayMs: 300 });
    helper.getNode('g1').receive({ payload: 'in flight' });
    await waitFor(() => port.counters.queueDepth > 0, 'the request in flight');
    // Deploy "modified nodes": only the get node restarts.
    const seen = collect('h1');
    const second = flow({ registers: 'chargeCycles' });
    await redeploy(second, 'nodes');
    device.faults.set({ replyDelayMs: 3 });
    const msg = await ask();
    assert.equal(msg.topic, 'chargeCycles');
    assert.equal(msg.payload, simValue(SHUNT, 0x0303));
    await waitFor(() => port.counters.completed >= port.counters.requests, 'the old request answered');
    await sleep(100);
    assert.deepEqual(
      seen.map((m) => m.topic),
      ['chargeCycles'],
      'the answer to the closed node\'s request is not sent on',
    );
    assert.equal((await readyPort('p1')) === port, true, 'the same port, never reopened');
    assert.equal(port.counters.reconnects, 0);
    assert.ok(device.connected);
  });

  it('a full redeploy while a request is in flight ends it without a crash; the next deploy reads again', async () => {
    await deploy({ registers: 'batteryCapacity' });
    const device = getSimDevice(SHUNT);
    device.faults.set({ replyDelayMs: 400 });
    helper.getNode('g1').receive({ payload: 'in flight' });
    await sleep(50);
    await helper.unload();
    assert.equal(device.connected, false, 'the port closed with the flow');
    device.faults.set({ replyDelayMs: 3 });
    await deploy({ registers: 'batteryCapacity' });
    const msg = await ask();
    assert.equal(msg.payload, 200);
  });
});
