/**
 * ve-direct-set against the write policy, in a real Node-RED runtime with simulated devices:
 * every refusal reaches a Catch node with its code and not one byte reaches the device; the
 * valid controls are written exactly as the product wants them; a flash setting's interval
 * holds across a restart of Node-RED with the same user directory.
 */

import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getSimDevice, resetSimDevices } from '../../lib/sim';
import { FLASH_WRITES_FILE } from '../../nodes/lib/write-policy';
import { helper, load, nextMessage, type Flow } from '../helpers/nodered';
import { collect, getNode, hostFrames, portNode, readyPort, setNode, simValue, type ErrorMsg, type Msg } from '../helpers/vedirect-flows';
import { waitFor } from '../helpers/nodered';

const MPPT = 'sim:smartsolar-100-30';
const SHUNT = 'sim:smartshunt';
const BMV702 = 'sim:bmv702';
const BMV712 = 'sim:bmv712';

function flow(path: string, set: Record<string, unknown>): Flow {
  return [
    { id: 'p1', type: 've-direct-port', path },
    { id: 's1', type: 've-direct-set', port: 'p1', wires: [['h1']], ...set },
    { id: 'h1', type: 'helper' },
    { id: 'c1', type: 'catch', scope: null, uncaught: false, wires: [['h2']] },
    { id: 'h2', type: 'helper' },
  ];
}

async function deploy(path: string, set: Record<string, unknown>): Promise<void> {
  await load([portNode, setNode, getNode], flow(path, set));
  const port = await readyPort('p1');
  // Ranges that depend on the terminal voltage use the Text stream's.
  if (path === MPPT) await waitFor(() => port.snapshot()?.values.batteryVoltage, 'a Text snapshot');
}

async function write(msg: Msg): Promise<Msg> {
  const out = nextMessage('h1') as Promise<Msg>;
  helper.getNode('s1').receive(msg);
  return out;
}

/** Send `msg`, expect a refusal with `code` at the Catch node, and not one byte on the wire. */
async function refusedSilently(path: string, msg: Msg, code: string): Promise<ErrorMsg> {
  const heard = getSimDevice(path).hostLog.length;
  const seen = collect('h1');
  const caught = nextMessage('h2') as Promise<ErrorMsg>;
  helper.getNode('s1').receive(msg);
  const err = await caught;
  assert.equal(err.error.code, code, err.error.message);
  assert.equal(seen.length, 0, 'no output message');
  assert.equal(getSimDevice(path).hostLog.length, heard, `not one byte went to the device (${err.error.message})`);
  return err;
}

function setValueHex(path: string, register: number): string[] {
  return hostFrames(path, 'set', register).map((f) => Buffer.from((f.command as { value: Uint8Array }).value).toString('hex').toUpperCase());
}

describe('ve-direct-set and the write policy', () => {
  let userDir = mkdtempSync(join(tmpdir(), 've-direct-userdir-'));
  before(async () => {
    helper.settings({ userDir });
    await helper.startServer();
  });
  after(async () => {
    helper.settings({});
    await helper.stopServer();
  });
  afterEach(async () => {
    await helper.unload();
    resetSimDevices();
    // A fresh user directory: each test starts with no record of flash writes.
    userDir = mkdtempSync(join(tmpdir(), 've-direct-userdir-'));
    helper.settings({ userDir });
  });

  describe('refusals: a code at the Catch node, nothing on the wire', () => {
    it('VE_READ_ONLY: a measured value', async () => {
      await deploy(MPPT, { register: 'panelVoltage' });
      await refusedSilently(MPPT, { payload: 20 }, 'VE_READ_ONLY');
    });

    it('VE_TYPE: text to a number, null to a flash setting or to network mode', async () => {
      await deploy(MPPT, { register: '', allowFlash: true });
      await refusedSilently(MPPT, { register: 'batteryTemperatureSense', payload: 'warm' }, 'VE_TYPE');
      const maxCurrent = await refusedSilently(MPPT, { register: 'batteryMaxCurrent', payload: null }, 'VE_TYPE');
      assert.match(maxCurrent.error.message, /batteryMaxCurrent \(0xEDF0\)/);
      await refusedSilently(MPPT, { register: 'absorptionVoltage', payload: null }, 'VE_TYPE');
      await refusedSilently(MPPT, { register: 'networkMode', payload: null }, 'VE_TYPE');
    });

    it('VE_RANGE: a sense temperature outside -40..85 °C, naming the limit and where it comes from', async () => {
      await deploy(MPPT, { register: 'batteryTemperatureSense' });
      const err = await refusedSilently(MPPT, { payload: -300 }, 'VE_RANGE');
      assert.match(err.error.message, /-300 °C is outside the allowed range -40 … 85 °C \(physical range of a battery temperature sensor\)/);
    });

    it('VE_RANGE: 100 V of sense voltage on a 12 V charger', async () => {
      await deploy(MPPT, { register: 'batteryVoltageSense' });
      const err = await refusedSilently(MPPT, { payload: 100 }, 'VE_RANGE');
      assert.match(err.error.message, /100 V is outside the allowed range [\d.]+ … 17\.4 V \(.*high end: 8-17\.4 V for a 12 V system voltage/);
    });

    it('VE_RANGE: 500 A of charge current limit on a SmartSolar 100|30', async () => {
      await deploy(MPPT, { register: 'chargeCurrentLimit' });
      const err = await refusedSilently(MPPT, { payload: 500 }, 'VE_RANGE');
      assert.match(err.error.message, /500 A is outside the allowed range 0 … 30 A \(rated charge current of the SmartSolar MPPT 100\|30\)/);
    });

    it('VE_RANGE: a 24 V absorption voltage on a 12 V charger, flash allowed', async () => {
      await deploy(MPPT, { register: 'absorptionVoltage', allowFlash: true });
      const err = await refusedSilently(MPPT, { payload: 28.8 }, 'VE_RANGE');
      assert.match(err.error.message, /8 … 17\.4 V/);
    });

    it('VE_FLASH_GUARD: a charger setting, and network mode with the BMS bit or another bit than 0 and 2', async () => {
      await deploy(MPPT, { register: '' });
      await refusedSilently(MPPT, { register: 'absorptionVoltage', payload: 14.4 }, 'VE_FLASH_GUARD');
      for (const payload of [8, 9, 0x0d, 0x02]) await refusedSilently(MPPT, { register: 'networkMode', payload }, 'VE_FLASH_GUARD');
    });

    it('VE_COMMAND_GUARD: restore defaults, clear history, zero current, synchronise, with the flash box ticked', async () => {
      await deploy(SHUNT, { register: '', allowFlash: true });
      for (const register of ['restoreDefault', 'clearHistory', 'zeroCurrent', 'synchronise']) {
        const err = await refusedSilently(SHUNT, { register, payload: true }, 'VE_COMMAND_GUARD');
        assert.match(err.error.message, /Allow device commands/);
      }
      assert.equal(getSimDevice(SHUNT).flashWriteCount, 0);
    });

    it('VE_RATE_LIMIT: a second value within the interval', async () => {
      await deploy(SHUNT, { register: 'batteryCapacity', allowFlash: true, minInterval: 60 });
      await write({ payload: 240 });
      const err = await refusedSilently(SHUNT, { payload: 260 }, 'VE_RATE_LIMIT');
      assert.match(err.error.message, /Try again in \d+ s/);
    });

    it('VE_UNKNOWN_REGISTER: a name the catalogue does not know', async () => {
      await deploy(MPPT, { register: '' });
      await refusedSilently(MPPT, { register: 'absorbtionVoltage', payload: 14.4 }, 'VE_UNKNOWN_REGISTER');
    });
  });

  describe('valid controls', () => {
    it('25 A of charge current limit on a 100|30 is written exactly', async () => {
      await deploy(MPPT, { register: 'chargeCurrentLimit' });
      const msg = await write({ payload: 25 });
      assert.equal(msg.payload, 25);
      assert.deepEqual(setValueHex(MPPT, 0x2015), ['FA00']);
      assert.equal(simValue(MPPT, 0x2015), 25);
    });

    it('network mode 5 (networked, external control) needs no flash opt-in', async () => {
      await deploy(MPPT, { register: 'networkMode', readBack: false });
      await write({ payload: 5 });
      assert.deepEqual(setValueHex(MPPT, 0x200e), ['05']);
    });

    it('11.5 V to a BMV-702 threshold goes out as 115 (0.1 V) and reads back 11.5 V', async () => {
      await deploy(BMV702, { register: 'alarmLowVoltageSet', allowFlash: true });
      const msg = await write({ payload: 11.5 });
      assert.deepEqual(setValueHex(BMV702, 0x0320), ['7300']);
      assert.equal(msg.payload, 11.5);
      assert.equal((msg.vedirect?.readBack as { value: number }).value, 11.5);
      assert.equal(msg.vedirect?.previous, 10.5, 'the previous value, read in 0.1 V');
    });

    it('11.5 V to a BMV-712 threshold goes out as 1150 (0.01 V)', async () => {
      await deploy(BMV712, { register: 'alarmLowVoltageSet', allowFlash: true });
      const msg = await write({ payload: 11.5 });
      assert.deepEqual(setValueHex(BMV712, 0x0320), ['7E04']);
      assert.equal(msg.payload, 11.5);
    });

    it('a device command with its own box ticked is sent', async () => {
      await deploy(SHUNT, { register: 'synchronise', allowCommands: true });
      const msg = await write({ payload: true });
      assert.equal(msg.vedirect?.written, true);
      assert.equal(hostFrames(SHUNT, 'set', 0x102c).length, 1);
    });
  });

  it('a flash setting changed once is refused within the interval after a restart of Node-RED', async () => {
    await deploy(SHUNT, { register: 'batteryCapacity', allowFlash: true, minInterval: 600 });
    const first = await write({ payload: 250 });
    assert.equal(first.vedirect?.written, true);
    const file = join(userDir, FLASH_WRITES_FILE);
    assert.ok(existsSync(file), 'the write is recorded in the user directory');
    const record = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { raw: string }>;
    assert.deepEqual(Object.values(record).map((r) => r.raw), ['FA00']);

    // Restart: a new runtime, the same user directory, the same device.
    await helper.unload();
    await helper.stopServer();
    await helper.startServer();
    await deploy(SHUNT, { register: 'batteryCapacity', allowFlash: true, minInterval: 600 });
    const err = await refusedSilently(SHUNT, { payload: 300 }, 'VE_RATE_LIMIT');
    assert.match(err.error.message, /Try again in \d+ s/);
    assert.equal(getSimDevice(SHUNT).flashWrites.get(0x1000), 1);
    assert.equal(simValue(SHUNT, 0x1000), 250);
  });
});
