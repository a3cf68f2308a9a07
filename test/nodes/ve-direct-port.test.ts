import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeStatus } from 'node-red';
import portModule from '../../nodes/ve-direct-port';
import type { PortConfigNode } from '../../nodes/lib/types';
import { getSimDevice, resetSimDevices } from '../../lib/sim';
import { helper, load, portUserNode, recordStatus, translated, waitFor, type Flow } from '../helpers/nodered';

const portNode = translated('ve-direct-port', portModule);

const green = (s: NodeStatus[]): NodeStatus | undefined => s.find((x) => x.fill === 'green');

describe('ve-direct-port config node', () => {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    await helper.unload();
    resetSimDevices();
  });

  it('opens the port for its first user and paints the device on the user badge', async () => {
    const flow: Flow = [
      { id: 'p1', type: 've-direct-port', name: 'shunt', path: 'sim:smartshunt' },
      { id: 'u1', type: 'test-port-user', port: 'p1' },
    ];
    await load([portNode, portUserNode], flow);
    const user = helper.getNode('u1');
    const statuses = recordStatus(user);
    const serial = getSimDevice('sim:smartshunt').identity.serial;
    const ok = await waitFor(() => green(statuses), 'a green badge');
    assert.equal(ok.shape, 'dot');
    assert.equal(ok.text, `SmartShunt 500A/50mV ${serial}`);
    const port = (helper.getNode('p1') as unknown as PortConfigNode).port;
    assert.ok(port);
    assert.equal(port.identity?.serial, serial);
  });

  it('refuses a second port node on the same path with a clear error on its users', async () => {
    const flow: Flow = [
      { id: 'p1', type: 've-direct-port', name: 'first', path: 'sim:smartsolar-100-30' },
      { id: 'p2', type: 've-direct-port', name: 'second', path: 'sim:smartsolar-100-30' },
      { id: 'u1', type: 'test-port-user', port: 'p1' },
      { id: 'u2', type: 'test-port-user', port: 'p2' },
    ];
    await load([portNode, portUserNode], flow);
    const second = helper.getNode('p2') as unknown as PortConfigNode;
    assert.equal(second.port, null);
    assert.match(String(second.portError?.message), /already used by ve-direct-port "first"/);
    const status = second.portStatus();
    assert.equal(status.fill, 'red');
    assert.match(String(status.text), /^error: /);
  });

  it('a device other than the expected serial is refused: red "wrong device" badge, no data', async () => {
    const flow: Flow = [
      { id: 'p1', type: 've-direct-port', path: 'sim:bmv712', expectedSerial: 'HQ0000XXXXX' },
      { id: 'u1', type: 'test-port-user', port: 'p1' },
    ];
    await load([portNode, portUserNode], flow);
    const statuses = recordStatus(helper.getNode('u1'));
    const bad = await waitFor(() => statuses.find((s) => s.fill === 'red'), 'a red badge');
    assert.equal(bad.shape, 'dot');
    assert.match(String(bad.text), /^wrong device: HQ/);
    const port = (helper.getNode('p1') as unknown as PortConfigNode).port!;
    assert.equal(port.snapshot(), null);
    await assert.rejects(port.get('batteryVoltage'), { code: 'VE_IDENTITY' });
  });

  it('closes the port on redeploy and the new node opens it again', async () => {
    const flow: Flow = [
      { id: 'p1', type: 've-direct-port', path: 'sim:smartshunt' },
      { id: 'u1', type: 'test-port-user', port: 'p1' },
    ];
    await load([portNode, portUserNode], flow);
    const device = getSimDevice('sim:smartshunt');
    await waitFor(() => device.connected, 'the simulated device to be opened');
    await helper.unload();
    assert.equal(device.connected, false, 'the port is closed when the close handler is done');
    await load([portNode, portUserNode], flow);
    const statuses = recordStatus(helper.getNode('u1'));
    await waitFor(() => green(statuses), 'green again after redeploy');
  });

  it('goes stale when the device falls silent and comes back by itself', async () => {
    const flow: Flow = [
      { id: 'p1', type: 've-direct-port', path: 'sim:smartshunt', staleAfter: 1.5, reconnectAfter: 60 },
      { id: 'u1', type: 'test-port-user', port: 'p1' },
    ];
    await load([portNode, portUserNode], flow);
    const statuses = recordStatus(helper.getNode('u1'));
    await waitFor(() => green(statuses), 'green');
    const device = getSimDevice('sim:smartshunt');
    device.faults.unplug();
    const stale = await waitFor(() => statuses.find((s) => s.fill === 'yellow'), 'a yellow stale badge');
    assert.match(String(stale.text), /^stale/);
    statuses.length = 0;
    device.faults.replug();
    await waitFor(() => green(statuses), 'green after the device talks again');
  });

  it('serves the port list, a deployed port\'s counters, and the register catalogue to the editor', async () => {
    const flow: Flow = [
      { id: 'p1', type: 've-direct-port', path: 'sim:smartsolar-100-30' },
      { id: 'u1', type: 'test-port-user', port: 'p1' },
    ];
    await load([portNode, portUserNode], flow);
    const statuses = recordStatus(helper.getNode('u1'));
    await waitFor(() => green(statuses), 'green');
    const port = (helper.getNode('p1') as unknown as PortConfigNode).port!;
    await waitFor(() => port.counters.textBlocks > 0, 'a Text block');
    const ports = await helper.request().get('/ve-direct/ports').expect(200);
    const list = ports.body as { ports: { path: string; sim: boolean; owner: string | null }[] };
    const sim = list.ports.find((p) => p.path === 'sim:smartsolar-100-30');
    assert.ok(sim?.sim);
    assert.match(String(sim?.owner), /ve-direct-port/);
    const status = await helper.request().get('/ve-direct/ports/p1/status').expect(200);
    const body = status.body as { identity: { product: string }; counters: { textBlocks: number; rejected: Record<string, number> } };
    assert.equal(body.identity.product, 'SmartSolar MPPT 100|30');
    assert.ok(body.counters.textBlocks > 0);
    assert.deepEqual(Object.keys(body.counters.rejected).sort(), ['hex-checksum', 'hex-framing', 'text-checksum', 'text-framing']);
    const regs = await helper.request().get('/ve-direct/registers?port=p1').expect(200);
    const catalogue = regs.body as { family: string; registers: { name: string; storage: string }[] };
    assert.equal(catalogue.family, 'mppt');
    assert.ok(catalogue.registers.some((r) => r.name === 'batteryVoltageSense'));
    assert.ok(!catalogue.registers.some((r) => r.name === 'stateOfCharge'), 'no monitor registers for an MPPT');
    await helper.request().get('/ve-direct/ports/nope/status').expect(404);
  });

  it('the port list gives each device family known without asking: the owner\'s device, a simulated device\'s', async () => {
    const flow: Flow = [
      { id: 'p1', type: 've-direct-port', path: 'sim:smartshunt' },
      { id: 'u1', type: 'test-port-user', port: 'p1' },
    ];
    await load([portNode, portUserNode], flow);
    await waitFor(() => (helper.getNode('p1') as unknown as PortConfigNode).port?.identity, 'the device identified');
    const ports = await helper.request().get('/ve-direct/ports').expect(200);
    const list = (ports.body as { ports: { path: string; family: string | null; sim: boolean }[] }).ports;
    const family = (path: string): string | null | undefined => list.find((p) => p.path === path)?.family;
    assert.equal(family('sim:smartshunt'), 'smartshunt', 'owned: from the device that answered');
    assert.equal(family('sim:bmv712'), 'bmv');
    assert.equal(family('sim:smartsolar-100-30'), 'mppt');
    assert.ok(list.every((p) => p.sim || p.family === null), 'a serial port nobody opened: not known');
  });
});
