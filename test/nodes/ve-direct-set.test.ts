import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, registerPayload, Response } from '../../lib/protocol/hex-codec';
import { getSimDevice, resetSimDevices } from '../../lib/sim';
import { helper, load, nextMessage, recordStatus, waitFor, type Flow } from '../helpers/nodered';
import { collect, getNode, green, hostFrames, portNode, readyPort, red, setNode, simValue, sleep, type ErrorMsg, type Msg } from '../helpers/vedirect-flows';

const SHUNT = 'sim:smartshunt';
const BMV = 'sim:bmv712';
const MPPT = 'sim:smartsolar-100-30';

/** A set node s1 on `path`, wired to h1; a Catch node wired to h2. */
function flow(path: string, set: Record<string, unknown>, extra: Flow = [], port: Record<string, unknown> = {}): Flow {
  return [
    { id: 'p1', type: 've-direct-port', path, ...port },
    { id: 's1', type: 've-direct-set', port: 'p1', wires: [['h1']], ...set },
    { id: 'h1', type: 'helper' },
    { id: 'c1', type: 'catch', scope: null, uncaught: false, wires: [['h2']] },
    { id: 'h2', type: 'helper' },
    ...extra,
  ];
}

async function deploy(path: string, set: Record<string, unknown>, extra: Flow = [], port: Record<string, unknown> = {}): Promise<void> {
  await load([portNode, setNode, getNode], flow(path, set, extra, port));
  await readyPort('p1');
}

async function write(msg: Msg, node = 's1'): Promise<Msg> {
  const out = nextMessage('h1') as Promise<Msg>;
  helper.getNode(node).receive(msg);
  return out;
}

async function refused(msg: Msg, node = 's1'): Promise<ErrorMsg> {
  const seen = collect('h1');
  const caught = nextMessage('h2') as Promise<ErrorMsg>;
  helper.getNode(node).receive(msg);
  const err = await caught;
  assert.equal(seen.length, 0, 'no output message for a refused write');
  return err;
}

/** A BMV moves its relay on 0x034E only in relay mode "remote" (0x034F = 2): set it as VictronConnect would. */
async function remoteRelay(): Promise<void> {
  await (await readyPort('p1')).write(0x034f, 2, { allowFlash: true });
}

/** The MPPT's own battery terminal voltage, to 0.01 V: a sense value it accepts. */
function terminalVoltage(): number {
  return Math.round(Number(simValue(MPPT, 0xedd5)) * 100) / 100;
}

describe('ve-direct-set', () => {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    await helper.unload();
    resetSimDevices();
  });

  it('writes msg.payload to a volatile register: the echo, the read-back, and the device holds it', async () => {
    await deploy(MPPT, { register: 'batteryVoltageSense' });
    const volts = terminalVoltage();
    const msg = await write({ payload: volts });
    assert.equal(msg.payload, volts);
    assert.equal(msg.topic, 'batteryVoltageSense');
    const meta = msg.vedirect as Record<string, unknown>;
    const raw = Buffer.from(Uint16Array.of(Math.round(volts * 100)).buffer).toString('hex').toUpperCase();
    assert.equal(meta.register, '0x2002');
    assert.equal(meta.unit, 'V');
    assert.equal(meta.raw, raw);
    assert.equal(meta.flags, 0);
    assert.equal(meta.source, 'set');
    assert.equal(meta.written, true);
    assert.deepEqual(meta.readBack, { value: volts, raw, flags: 0 });
    assert.equal((meta.device as { serial: string }).serial, getSimDevice(MPPT).identity.serial);
    assert.equal(simValue(MPPT, 0x2002), volts, 'the MPPT holds the sense voltage');
    const sets = hostFrames(MPPT, 'set', 0x2002);
    assert.equal(sets.length, 1);
    assert.equal(Buffer.from((sets[0]!.command as { value: Uint8Array }).value).toString('hex').toUpperCase(), raw);
    assert.ok(hostFrames(MPPT, 'get', 0x2002).at(-1)!.at >= sets[0]!.at, 'read back after the write');
  });

  it('a value set in the node (typed input) wins over msg.payload; text numbers are numbers', async () => {
    await deploy(MPPT, { register: 'batteryTemperatureSense', value: '21.5', valueType: 'num' });
    const msg = await write({ payload: 99 });
    assert.equal(msg.payload, 21.5);
    assert.equal(simValue(MPPT, 0x2003), 21.5);
    await helper.unload();
    await deploy(MPPT, { register: 'batteryTemperatureSense' });
    const text = await write({ payload: ' 18.25 ' });
    assert.equal(text.payload, 18.25);
  });

  it('the typed value may be JSON null, a context variable; JSON that does not parse is VE_BAD_INPUT', async () => {
    await deploy(MPPT, { register: 'batteryTemperatureSense', value: 'senseTemperature', valueType: 'global' });
    helper.getNode('s1').context().global.set('senseTemperature', 19.5);
    const fromFlow = await write({ payload: 'ignored' });
    assert.equal(fromFlow.payload, 19.5);
    await helper.unload();
    await deploy(MPPT, { register: 'batteryTemperatureSense', value: 'null', valueType: 'json' });
    const none = await write({ payload: 25 });
    assert.equal(none.payload, null);
    assert.equal(none.vedirect?.raw, 'FF7F');
    await helper.unload();
    await deploy(MPPT, { register: 'batteryTemperatureSense', value: '{oops', valueType: 'json' });
    const heard = getSimDevice(MPPT).hostLog.length;
    const err = await refused({ payload: 25 });
    assert.equal(err.error.code, 'VE_BAD_INPUT');
    assert.match(err.error.message, /The node's value cannot be evaluated/);
    assert.equal(getSimDevice(MPPT).hostLog.length, heard);
  });

  it('msg.register names the register when the node leaves it blank', async () => {
    await deploy(MPPT, { register: '' });
    const msg = await write({ register: '0x2003', payload: 20 });
    assert.equal(msg.topic, 'batteryTemperatureSense');
    assert.equal(simValue(MPPT, 0x2003), 20);
  });

  it('null writes the "not available" value: the MPPT drops the remote sense at once', async () => {
    await deploy(MPPT, { register: 'batteryVoltageSense' });
    await write({ payload: terminalVoltage() });
    const msg = await write({ payload: null });
    assert.equal(msg.payload, null);
    assert.equal(msg.vedirect?.raw, 'FFFF');
    assert.equal(simValue(MPPT, 0x2002), null);
  });

  it('a boolean to an integer register (BMV relay) is 1 or 0, read back to confirm', async () => {
    await deploy(BMV, { register: 'relayControl' });
    await remoteRelay();
    const on = await write({ payload: true });
    assert.equal(on.payload, 1);
    assert.equal((on.vedirect?.readBack as { value: number }).value, 1);
    assert.equal(simValue(BMV, 0x034e), 1);
    const off = await write({ payload: false });
    assert.equal(off.payload, 0);
    assert.equal(simValue(BMV, 0x034e), 0);
  });

  it('without read-back, only the Set goes out', async () => {
    await deploy(BMV, { register: 'relayControl', readBack: false });
    await remoteRelay();
    const gets = hostFrames(BMV, 'get', 0x034e).length;
    const msg = await write({ payload: 1 });
    assert.equal(msg.vedirect?.readBack, undefined);
    assert.equal(hostFrames(BMV, 'get', 0x034e).length, gets);
    assert.equal(hostFrames(BMV, 'set', 0x034e).length, 1);
  });

  it('refuses before anything is written: range, type, read-only, unknown register, no value', async () => {
    await deploy(MPPT, { register: '' });
    const heard = getSimDevice(MPPT).hostLog.length;
    const range = await refused({ register: 'batteryVoltageSense', payload: 700 });
    assert.equal(range.error.code, 'VE_RANGE');
    assert.match(range.error.message, /batteryVoltageSense \(0x2002\): 700 V is outside the allowed range/);
    const type = await refused({ register: 'batteryVoltageSense', payload: 'high' });
    assert.equal(type.error.code, 'VE_TYPE');
    assert.match(type.error.message, /Nothing was written\./);
    const object = await refused({ register: 'batteryVoltageSense', payload: { v: 13 } });
    assert.equal(object.error.code, 'VE_TYPE');
    const readOnly = await refused({ register: 'panelVoltage', payload: 20 });
    assert.equal(readOnly.error.code, 'VE_READ_ONLY');
    assert.match(readOnly.error.message, /panelVoltage \(0xEDBB\) is read-only/);
    const unknown = await refused({ register: 'nope', payload: 1 });
    assert.equal(unknown.error.code, 'VE_UNKNOWN_REGISTER');
    const uncatalogued = await refused({ register: '0x2211', payload: 1 });
    assert.equal(uncatalogued.error.code, 'VE_UNKNOWN_REGISTER');
    assert.match(uncatalogued.error.message, /not in the register catalogue/);
    const noValue = await refused({ register: 'batteryVoltageSense' });
    assert.equal(noValue.error.code, 'VE_BAD_INPUT');
    const noRegister = await refused({ payload: 13 });
    assert.equal(noRegister.error.code, 'VE_BAD_INPUT');
    assert.equal(getSimDevice(MPPT).hostLog.length, heard, 'not one frame went out');
  });

  it('a flash-backed setting without the checkbox: VE_FLASH_GUARD, nothing sent, red badge', async () => {
    await deploy(SHUNT, { register: 'batteryCapacity' });
    const statuses = recordStatus(helper.getNode('s1'));
    const heard = getSimDevice(SHUNT).hostLog.length;
    const err = await refused({ payload: 250 });
    assert.equal(err.error.code, 'VE_FLASH_GUARD');
    assert.match(err.error.message, /batteryCapacity \(0x1000\) is stored in flash memory.*Allow flash writes/);
    assert.equal(getSimDevice(SHUNT).hostLog.length, heard);
    assert.equal(getSimDevice(SHUNT).flashWriteCount, 0);
    assert.ok(red(statuses.at(-1)!));
    assert.match(String(statuses.at(-1)?.text), /VE_FLASH_GUARD/);
  });

  it('a device command needs its own checkbox: the flash one does not allow it', async () => {
    await deploy(SHUNT, { register: 'clearHistory', allowFlash: true });
    const err = await refused({ payload: true });
    assert.equal(err.error.code, 'VE_COMMAND_GUARD');
    assert.equal(hostFrames(SHUNT, 'set').length, 0);
  });

  it('a device command with its checkbox is sent, and not again within the interval', async () => {
    await deploy(SHUNT, { register: 'synchronise', allowCommands: true, minInterval: 60 });
    const done = await write({ payload: true });
    assert.equal(done.vedirect?.written, true);
    assert.equal(hostFrames(SHUNT, 'set', 0x102c).length, 1);
    const again = await refused({ payload: true });
    assert.equal(again.error.code, 'VE_RATE_LIMIT');
    assert.equal(hostFrames(SHUNT, 'set', 0x102c).length, 1);
  });

  it('with the checkbox: written on change only, and no sooner than the minimum interval', async () => {
    await deploy(SHUNT, { register: 'batteryCapacity', allowFlash: true, minInterval: 1 });
    const device = getSimDevice(SHUNT);

    const first = await write({ payload: 250 });
    assert.equal(first.payload, 250);
    assert.equal(first.vedirect?.written, true);
    assert.equal(first.vedirect?.previous, 200, 'the device was read first');
    assert.equal(device.flashWrites.get(0x1000), 1);
    assert.equal(simValue(SHUNT, 0x1000), 250);

    const frames = device.hostLog.length;
    const same = await write({ payload: 250 });
    assert.equal(same.vedirect?.written, false);
    assert.equal(same.vedirect?.reason, 'unchanged');
    assert.equal(same.payload, 250);
    assert.equal(device.flashWrites.get(0x1000), 1, 'the same value is not written again');
    assert.equal(device.hostLog.length, frames, 'nor is anything sent');

    const tooSoon = await refused({ payload: 300 });
    assert.equal(tooSoon.error.code, 'VE_RATE_LIMIT');
    assert.match(tooSoon.error.message, /written less than 1 s ago\. .* Try again in 1 s\. Nothing was written\.$/);
    assert.equal(device.flashWrites.get(0x1000), 1);
    assert.equal(device.hostLog.length, frames);

    await sleep(1100);
    const later = await write({ payload: 300 });
    assert.equal(later.vedirect?.written, true);
    assert.equal(later.vedirect?.previous, 250);
    assert.equal(device.flashWrites.get(0x1000), 2);
    assert.equal(simValue(SHUNT, 0x1000), 300);

    await sleep(1100);
    const sets = hostFrames(SHUNT, 'set', 0x1000).length;
    const unchanged = await write({ payload: 300 });
    assert.equal(unchanged.vedirect?.written, false, 'the device already holds 300');
    assert.equal(unchanged.vedirect?.source, 'get');
    assert.equal(hostFrames(SHUNT, 'set', 0x1000).length, sets);
    assert.equal(device.flashWrites.get(0x1000), 2);
  });

  it('the interval holds across nodes: a second node writing the same setting is refused too', async () => {
    await deploy(SHUNT, { register: 'batteryCapacity', allowFlash: true, minInterval: 60 }, [
      { id: 's2', type: 've-direct-set', port: 'p1', register: 'batteryCapacity', allowFlash: true, minInterval: 60, wires: [['h1']] },
    ]);
    await write({ payload: 220 });
    const err = await refused({ payload: 230 }, 's2');
    assert.equal(err.error.code, 'VE_RATE_LIMIT');
    assert.equal(err.error.source.id, 's2');
    assert.equal(getSimDevice(SHUNT).flashWrites.get(0x1000), 1);
  });

  it('an inject every second does not wear the flash: one write for many messages', async () => {
    await deploy(SHUNT, { register: 'batteryCapacity', allowFlash: true, minInterval: 60 });
    for (let i = 0; i < 10; i++) await write({ payload: 180 });
    assert.equal(getSimDevice(SHUNT).flashWrites.get(0x1000), 1);
    assert.equal(hostFrames(SHUNT, 'set', 0x1000).length, 1);
  });

  it('a clamped echo (flags 0x04) is VE_PARAMETER naming the value the device answered; it does not count as a write', async () => {
    await deploy(SHUNT, { register: 'chargeEfficiency', allowFlash: true, minInterval: 60 });
    const err = await refused({ payload: 40 });
    assert.equal(err.error.code, 'VE_PARAMETER');
    assert.match(err.error.message, /chargeEfficiency \(0x1004\): the device refused 40 % .* answered 50 %/);
    assert.equal(getSimDevice(SHUNT).flashWrites.get(0x1004), undefined);
    const ok = await write({ payload: 90 });
    assert.equal(ok.vedirect?.written, true, 'a refused write does not start the interval');
    assert.equal(simValue(SHUNT, 0x1004), 90);
  });

  it('a clamped echo on a volatile register is an error too', async () => {
    await deploy(MPPT, { register: 'batteryTemperatureSense' });
    // A charger that takes 20 °C at most (scripted): flags 0x04 and the value it used.
    getSimDevice(MPPT).addBehaviour((command) =>
      command.type === 'set' && command.register === 0x2003 ? [encodeFrame(Response.Set, registerPayload(0x2003, 0x04, [0xd0, 0x07]))] : undefined,
    );
    const err = await refused({ payload: 30 });
    assert.equal(err.error.code, 'VE_PARAMETER');
    assert.match(err.error.message, /answered 20 °C/);
  });

  it('a read-back that differs from the echo is VE_ECHO_MISMATCH', async () => {
    await deploy(BMV, { register: 'relayControl' });
    await remoteRelay();
    // The relay drops again at once (a scripted device): Get answers 0 after the Set of 1.
    getSimDevice(BMV).addBehaviour((command) =>
      command.type === 'get' && command.register === 0x034e ? [encodeFrame(Response.Get, registerPayload(0x034e, 0, [0]))] : undefined,
    );
    const err = await refused({ payload: 1 });
    assert.equal(err.error.code, 'VE_ECHO_MISMATCH');
    assert.match(err.error.message, /relayControl \(0x034E\): the device echoed 1 but reads back 0/);
  });

  it('a timeout names the register and says the value may have been written', async () => {
    await deploy(MPPT, { register: 'batteryVoltageSense' }, [], { requestTimeout: 150, retries: 0 });
    // The policy judges a sense voltage against the terminal voltage of the Text stream.
    const port = await readyPort('p1');
    await waitFor(() => port.snapshot()?.values.batteryVoltage, 'a Text snapshot');
    getSimDevice(MPPT).faults.set({ lostReplyRate: 1 });
    const err = await refused({ payload: terminalVoltage() });
    assert.equal(err.error.code, 'VE_TIMEOUT');
    assert.match(err.error.message, /batteryVoltageSense \(0x2002\): no answer .* may or may not have been written/);
  });

  it('after a refusal the red badge gives way to the port badge on the next success', async () => {
    await deploy(MPPT, { register: 'batteryTemperatureSense' });
    const statuses = recordStatus(helper.getNode('s1'));
    await refused({ payload: 'warm' });
    assert.ok(red(statuses.at(-1)!));
    await write({ payload: 22 });
    await waitFor(() => green(statuses.at(-1)!), 'green again');
    assert.ok(statuses.some((s) => s.fill === 'blue' && /set batteryTemperatureSense/.test(String(s.text))), 'blue while writing');
  });

  it('several set and get nodes on one port, fired at once, do not cross replies', async () => {
    const writes: Array<[string, number, number]> = [
      ['batteryVoltageSense', 0x2002, 0],
      ['batteryTemperatureSense', 0x2003, 23.5],
      ['chargeCurrentLimit', 0x2015, 12.5],
      ['batteryChargeCurrent', 0x200a, 3.25],
    ];
    const volts = terminalVoltage();
    writes[0]![2] = volts;
    const nodes: Flow = writes.flatMap(([name], i) => [
      { id: `s${i}`, type: 've-direct-set', port: 'p1', register: name, wires: [[`o${i}`]] },
      { id: `o${i}`, type: 'helper' },
    ]);
    nodes.push({ id: 'g0', type: 've-direct-get', port: 'p1', registers: 'serialNumber', wires: [['og']] }, { id: 'og', type: 'helper' });
    await load([portNode, setNode, getNode], [{ id: 'p1', type: 've-direct-port', path: MPPT }, ...nodes]);
    await readyPort('p1');
    const answers = writes.map((_, i) => nextMessage(`o${i}`) as Promise<Msg>);
    const serial = nextMessage('og') as Promise<Msg>;
    writes.forEach(([, , value], i) => helper.getNode(`s${i}`).receive({ payload: value }));
    helper.getNode('g0').receive({});
    const msgs = await Promise.all(answers);
    msgs.forEach((msg, i) => {
      const [name, id, value] = writes[i]!;
      assert.equal(msg.topic, name);
      assert.equal(msg.payload, value, `${name} echoed its own value`);
      assert.equal((msg.vedirect?.readBack as { value: number }).value, value);
      assert.equal(simValue(MPPT, id), value);
    });
    assert.equal((await serial).payload, getSimDevice(MPPT).identity.serial);
  });
});
