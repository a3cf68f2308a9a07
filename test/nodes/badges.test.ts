/**
 * What the get and set nodes' badges say: the value read with its unit, what was written, and a
 * failure that stays red until the node's next success; the device's name and its whole serial.
 */

import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeStatus } from 'node-red';
import { getSimDevice, resetSimDevices } from '../../lib/sim';
import { identityText, shortProductName } from '../../nodes/lib/status';
import { helper, load, nextMessage, recordStatus, waitFor, type Flow } from '../helpers/nodered';
import { collect, getNode, green, portNode, readyPort, red, setNode, sleep, type Msg } from '../helpers/vedirect-flows';

const SHUNT = 'sim:smartshunt';
const MPPT = 'sim:smartsolar-100-30';

function flow(path: string, extra: Flow): Flow {
  return [
    { id: 'p1', type: 've-direct-port', path },
    { id: 'h1', type: 'helper' },
    { id: 'c1', type: 'catch', scope: null, uncaught: false, wires: [['h2']] },
    { id: 'h2', type: 'helper' },
    ...extra,
  ];
}

/** The badge a node shows now, from the helper's spy (it sees what was painted before recordStatus). */
function lastStatus(id: string): NodeStatus {
  const spy = Object.getPrototypeOf(helper.getNode(id)).status as { getCalls(): Array<{ thisValue: { id: string }; args: unknown[] }> };
  const calls = spy.getCalls().filter((c) => c.thisValue.id === id);
  return (calls.at(-1)?.args[0] ?? {}) as NodeStatus;
}

async function send(node: string, msg: Msg): Promise<Msg> {
  const out = nextMessage('h1') as Promise<Msg>;
  helper.getNode(node).receive(msg);
  return out;
}

describe('badges', () => {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    await helper.unload();
    resetSimDevices();
  });

  it('get: the value read, with its unit', async () => {
    await load([portNode, getNode], flow(SHUNT, [{ id: 'g1', type: 've-direct-get', port: 'p1', registers: 'batteryVoltage', wires: [['h1']] }]));
    await readyPort('p1');
    const statuses = recordStatus(helper.getNode('g1'));
    const msg = await send('g1', {});
    const volts = Number(msg.payload);
    await waitFor(() => green(statuses.at(-1)!), 'green after the read');
    assert.equal(statuses.at(-1)!.text, `${volts.toFixed(2)} V`);
  });

  it('get of several registers: each value with its unit, an enumeration by its meaning', async () => {
    await load([portNode, getNode], flow(MPPT, [{ id: 'g1', type: 've-direct-get', port: 'p1', registers: 'chargerVoltage, deviceState', wires: [['h1']] }]));
    await readyPort('p1');
    const statuses = recordStatus(helper.getNode('g1'));
    const msg = await send('g1', {});
    const payload = msg.payload as Record<string, number>;
    const meta = msg.vedirect as { registers: Record<string, { text?: string }> };
    await waitFor(() => green(statuses.at(-1)!), 'green after the read');
    assert.equal(statuses.at(-1)!.text, `${payload.chargerVoltage!.toFixed(2)} V ${meta.registers.deviceState!.text}`);
  });

  it('set: what the device now holds', async () => {
    await load([portNode, setNode, getNode], flow(MPPT, [{ id: 's1', type: 've-direct-set', port: 'p1', register: 'batteryTemperatureSense', wires: [['h1']] }]));
    await readyPort('p1');
    const statuses = recordStatus(helper.getNode('s1'));
    await send('s1', { payload: 22 });
    await waitFor(() => green(statuses.at(-1)!), 'green after the write');
    assert.equal(statuses.at(-1)!.text, 'set 22.0 °C');
  });

  it('a failure stays red until the next success, also while the port is fine', async () => {
    await load([portNode, setNode, getNode], flow(MPPT, [{ id: 's1', type: 've-direct-set', port: 'p1', register: 'batteryTemperatureSense', wires: [['h1']] }]));
    const port = await readyPort('p1');
    const statuses = recordStatus(helper.getNode('s1'));
    const seen = collect('h1');
    const caught = nextMessage('h2');
    helper.getNode('s1').receive({ payload: 'warm' });
    await caught;
    assert.equal(seen.length, 0);
    assert.ok(red(statuses.at(-1)!), 'red after the refusal');
    // Longer than any "error for a few seconds" badge; the port keeps sending data meanwhile.
    const blocks = port.counters.textBlocks;
    await sleep(6000);
    assert.ok(port.counters.textBlocks > blocks, 'the port was busy and fine');
    assert.ok(red(statuses.at(-1)!), `still red: ${JSON.stringify(statuses.at(-1))}`);
    await send('s1', { payload: 21.5 });
    await waitFor(() => green(statuses.at(-1)!), 'green after a success');
    assert.equal(statuses.at(-1)!.text, 'set 21.5 °C');
  });

  it('identity: the whole serial, the product name shortened when both do not fit', async () => {
    await load([portNode, getNode], flow(MPPT, [{ id: 'g1', type: 've-direct-get', port: 'p1', registers: 'chargerVoltage', wires: [['h1']] }]));
    await readyPort('p1');
    const serial = getSimDevice(MPPT).identity.serial;
    const badge = await waitFor(() => (green(lastStatus('g1')) ? lastStatus('g1') : undefined), 'the green identity badge');
    assert.equal(badge.text, `MPPT 100|30 ${serial}`);
  });

  it('product names: short where the whole name and a serial would not fit', () => {
    const cases: Array<[string, string]> = [
      ['SmartSolar MPPT 100|30', 'MPPT 100|30'],
      ['BlueSolar MPPT 150|35 rev2', 'MPPT 150|35'],
      ['BlueSolar MPPT VE.Can 250/70', 'MPPT 250/70'],
      ['All-In-1 SmartSolar MPPT 75/15 12V', 'MPPT 75/15 12V'],
      ['SmartShunt 500A/50mV', 'SmartShunt'],
      ['BMV-712 Smart Rev2', 'BMV-712'],
      ['Blue Smart IP65 Charger 12|10', 'IP65 12|10'],
      ['Orion Smart 12V|24V-15A Isolated DC-DC Charger', 'Orion 12V|24V-15A'],
      ['Multi RS Solar 48V 6000VA', 'Multi RS Solar 48V 6000VA'],
    ];
    for (const [name, short] of cases) assert.equal(shortProductName(name), short, name);
    assert.equal(identityText('SmartShunt 500A/50mV', 'HQ2117NTVX4'), 'SmartShunt 500A/50mV HQ2117NTVX4', 'fits: the whole name');
    assert.equal(identityText('SmartSolar MPPT 100|30', 'HQ2312M1ABC'), 'MPPT 100|30 HQ2312M1ABC');
    assert.equal(identityText('Orion Smart 24V|12V-30A Non-isolated DC-DC Charger', 'HQ2312M1ABC'), 'Orion 24V|12V-30A HQ2312M1ABC');
  });
});
