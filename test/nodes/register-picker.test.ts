/**
 * What the get and set dialogs' register picker is given: GET /ve-direct/registers from the
 * real Node-RED runtime, with a port deployed on a simulated device. The common live values
 * come first, device commands last, each register says which opt-in a write needs, and the
 * range comes from the product behind the port.
 */

import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import portModule from '../../nodes/ve-direct-port';
import { PICKER_GROUPS, type PickerRegister } from '../../nodes/lib/register-picker';
import { resetSimDevices } from '../../lib/sim';
import { DEVICE_FAMILIES } from '../../lib/protocol/catalog/types';
import { helper, load, portUserNode, recordStatus, translated, waitFor, type Flow } from '../helpers/nodered';

const portNode = translated('ve-direct-port', portModule);

interface Listing {
  family: string | null;
  device: { product: string } | null;
  registers: PickerRegister[];
  families: string[];
}

async function listing(query = ''): Promise<Listing> {
  const res = await helper.request().get(`/ve-direct/registers${query}`).expect(200);
  return res.body as Listing;
}

async function deployOn(path: string): Promise<void> {
  const flow: Flow = [
    { id: 'p1', type: 've-direct-port', path },
    { id: 'u1', type: 'test-port-user', port: 'p1' },
  ];
  await load([portNode, portUserNode], flow);
  const statuses = recordStatus(helper.getNode('u1'));
  await waitFor(() => statuses.some((s) => s.fill === 'green'), 'the port identified its device');
}

const names = (list: Listing): string[] => list.registers.map((r) => r.name);
const byName = (list: Listing, name: string): PickerRegister => {
  const r = list.registers.find((x) => x.name === name);
  assert.ok(r, `${name} is listed`);
  return r;
};

describe('the register picker\'s catalogue (GET /ve-direct/registers)', () => {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    await helper.unload();
    resetSimDevices();
  });

  it('lists the common live values first, in their order, and device commands last', async () => {
    await load([portNode], []);
    const all = await listing();
    assert.equal(all.device, null);
    assert.deepEqual(all.families, [...DEVICE_FAMILIES], 'the family filter is filled from the catalogue\'s one list');
    assert.deepEqual(names(all).slice(0, 7), ['batteryVoltage', 'chargerVoltage', 'batteryCurrent', 'chargerCurrent', 'batteryPower', 'stateOfCharge', 'deviceState']);
    // Groups come in the picker's order, each in one block.
    const groups = all.registers.map((r) => r.group);
    const order = groups.filter((g, i) => i === 0 || groups[i - 1] !== g);
    assert.deepEqual(order, PICKER_GROUPS.filter((g) => groups.includes(g)), 'each group once, in order');
    assert.equal(order.at(-1), 'command');
    for (const command of ['restoreDefault', 'clearHistory', 'zeroCurrent', 'synchronise']) {
      assert.equal(byName(all, command).group, 'command', `${command} is a device command`);
      assert.equal(byName(all, command).optIn, 'command');
    }
    // The old head of the list is no longer there.
    assert.ok(names(all).indexOf('bluetoothMode') > names(all).indexOf('yieldToday'));
    assert.ok(names(all).indexOf('productId') > names(all).indexOf('batteryTemperature'));
    // Inside a group: by name.
    const settings = all.registers.filter((r) => r.group === 'settings').map((r) => r.name);
    assert.deepEqual(settings, [...settings].sort((a, b) => a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' })));
    assert.ok(settings.length > 10);
  });

  it('says what a write needs: nothing, the flash opt-in, the command opt-in, or that it cannot be written', async () => {
    await load([portNode], []);
    const all = await listing();
    assert.equal(byName(all, 'batteryVoltageSense').optIn, 'none');
    assert.equal(byName(all, 'batteryVoltageSense').group, 'control');
    assert.equal(byName(all, 'batteryMaxCurrent').optIn, 'flash');
    assert.equal(byName(all, 'batteryMaxCurrent').group, 'settings');
    assert.equal(byName(all, 'panelVoltage').optIn, 'read-only');
    assert.equal(byName(all, 'panelVoltage').range, null);
    assert.equal(byName(all, 'restoreDefault').optIn, 'command');
    // Where the value decides (0x200E's BMS bit lands in flash), the catalogue's note says so.
    assert.match(String(byName(all, 'networkMode').note), /Bit 3 \(BMS\)/);
    const sense = byName(all, 'batteryTemperatureSense').range;
    assert.ok(sense, 'a range for the sense temperature');
    assert.equal(sense.unit, '°C');
    assert.ok(sense.source.length > 0, 'the range says where it comes from');
  });

  it('behind a deployed port: only its device family\'s registers, with the device named', async () => {
    await deployOn('sim:smartsolar-100-30');
    const mppt = await listing('?port=p1');
    assert.equal(mppt.family, 'mppt');
    assert.equal(mppt.device?.product, 'SmartSolar MPPT 100|30');
    assert.ok(mppt.registers.every((r) => r.families.includes('mppt')));
    // A charger's battery voltage and current, charge state, PV power and yield first.
    assert.deepEqual(names(mppt).slice(0, 6), ['chargerVoltage', 'chargerCurrent', 'deviceState', 'panelPower', 'yieldToday', 'panelVoltage']);
    // The product's range: a 100|30 is rated 30 A, whatever 0x2015 can encode.
    const limit = byName(mppt, 'chargeCurrentLimit').range;
    assert.equal(limit?.max, 30);
    assert.match(String(limit?.source), /SmartSolar MPPT 100\|30/);
    const catalogueLimit = byName(await listing(), 'chargeCurrentLimit').range;
    assert.ok(catalogueLimit && catalogueLimit.max > 1000, 'without a device: what the register encodes');
  });

  it('behind a BMV-702: its voltage thresholds in its own unit, settings need the flash opt-in', async () => {
    await deployOn('sim:bmv702');
    const bmv = await listing('?port=p1');
    assert.equal(bmv.family, 'bmv');
    assert.deepEqual(names(bmv).slice(0, 4), ['batteryVoltage', 'batteryCurrent', 'batteryPower', 'stateOfCharge']);
    assert.ok(!names(bmv).includes('chargerVoltage'));
    const low = byName(bmv, 'alarmLowVoltageSet');
    assert.equal(low.optIn, 'flash');
    assert.equal(low.group, 'settings');
    assert.ok(low.range && low.range.unit === 'V');
    const commands = bmv.registers.filter((r) => r.group === 'command').map((r) => r.name);
    assert.deepEqual(commands.sort(), ['clearHistory', 'restoreDefault', 'synchronise', 'zeroCurrent']);
  });
});
