/**
 * ve-direct-ha in a real Node-RED runtime, without a broker: example 7 deploys as shipped (its
 * mqtt nodes just stay disconnected), and the node's messages for `mqtt out` are what the
 * device says. The broker end is tested in test/integration/ha-mqtt.test.ts.
 */

import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import haModule from '../../nodes/ve-direct-ha';
import { getSimDevice, resetSimDevices } from '../../lib/sim';
import { helper, load, nextMessage, recordStatus, translated, waitFor, type Flow, type NodeModule } from '../helpers/nodered';
import { collect, portNode, readyPort, setNode, type ErrorMsg, type Msg } from '../helpers/vedirect-flows';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const mqttNodes = require('@node-red/nodes/core/network/10-mqtt.js') as NodeModule;
const haNode = translated('ve-direct-ha', haModule);

describe('ve-direct-ha', () => {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    await helper.unload();
    resetSimDevices();
  });

  it('example 7 deploys without a broker: the ha nodes publish, the mqtt nodes wait, nothing fails', async () => {
    const flow = JSON.parse(readFileSync(join(__dirname, '..', '..', 'examples', '07-home-assistant-mqtt.json'), 'utf8')) as Flow;
    // Debug and comment nodes are the editor's; helper nodes stand in for them. The broker
    // points at a closed port, so the test never meets a real broker on 1883.
    const runnable = flow.map((n) => {
      if (n.type === 'debug' || n.type === 'comment') return { id: n.id, z: n.z, type: 'helper' };
      if (n.type === 'mqtt-broker') return { ...n, port: '1', reconnectPeriod: 60_000 };
      return n;
    });
    await load([portNode, haNode, setNode, mqttNodes], [...runnable, { id: 'spy', type: 'helper' }]);
    const ha = helper.getNode('ve-ex7-ha-mppt-1');
    const statuses = recordStatus(ha);
    // What the node sends on: watch its first output.
    const sent: Msg[] = [];
    const original = ha.send.bind(ha);
    (ha as unknown as { send: (m: unknown) => void }).send = (m: unknown) => {
      const first = Array.isArray(m) ? m[0] : m;
      if (Array.isArray(first)) sent.push(...(first as Msg[]));
      original(m as never);
    };
    await readyPort('ve-port-mppt-1');
    await waitFor(() => sent.some((m) => /\/batteryVoltage\/config$/.test(String(m.topic))), 'the discovery config of the battery voltage', 15_000);
    const serial = getSimDevice('sim:smartsolar-100-30').identity.serial;
    const config = sent.find((m) => m.topic === `homeassistant/sensor/ve_direct_${serial}/batteryVoltage/config`);
    assert.ok(config);
    assert.equal(config.retain, true);
    await waitFor(() => statuses.some((s) => s.fill === 'green' && /values/.test(String(s.text))), 'the green badge with the values');
    const out = helper.getNode('ve-ex7-out') as unknown as { brokerConn?: { connected: boolean } };
    assert.equal(out.brokerConn?.connected, false, 'no broker: disconnected, as the example says');
  });

  it('a command for a register not allowed, a topic that is no command, and a payload that is no number: refused with their codes', async () => {
    const flow: Flow = [
      { id: 'p1', type: 've-direct-port', path: 'sim:smartsolar-100-30' },
      { id: 'ha', type: 've-direct-ha', port: 'p1', commands: 'chargeCurrentLimit', wires: [['h1'], ['h2']] },
      { id: 'h1', type: 'helper' },
      { id: 'h2', type: 'helper' },
      { id: 'c1', type: 'catch', scope: null, uncaught: false, wires: [['h3']] },
      { id: 'h3', type: 'helper' },
    ];
    await load([portNode, haNode], flow);
    await readyPort('p1');
    const serial = getSimDevice('sim:smartsolar-100-30').identity.serial;
    const commands = collect('h2');
    const fails = async (msg: Msg): Promise<string | undefined> => {
      const caught = nextMessage('h3') as Promise<ErrorMsg>;
      helper.getNode('ha').receive(msg);
      return (await caught).error.code;
    };
    assert.equal(await fails({ topic: `ve-direct/${serial}/batteryVoltageSense/set`, payload: 13 }), 'VE_BAD_INPUT');
    assert.equal(await fails({ topic: 'something/else', payload: 1 }), 'VE_BAD_INPUT');
    assert.equal(await fails({ topic: `ve-direct/${serial}/chargeCurrentLimit/set`, payload: 'max' }), 'VE_TYPE');
    assert.equal(commands.length, 0);
    const command = nextMessage('h2') as Promise<Msg>;
    helper.getNode('ha').receive({ topic: `ve-direct/${serial}/chargeCurrentLimit/set`, payload: Buffer.from('7.5') });
    const msg = await command;
    assert.equal(msg.topic, 'chargeCurrentLimit');
    assert.equal(msg.register, 'chargeCurrentLimit');
    assert.equal(msg.payload, 7.5);
  });

  it('a flash setting offered as a command: the node refuses at deploy and says why', async () => {
    await load([portNode, haNode], [
      { id: 'p1', type: 've-direct-port', path: 'sim:smartsolar-100-30' },
      { id: 'ha', type: 've-direct-ha', port: 'p1', commands: 'batteryMaxCurrent', wires: [[], []] },
    ]);
    const ha = helper.getNode('ha');
    await waitFor(() => (ha as unknown as { error: { callCount?: number } }).error !== undefined, 'the node');
    const logged = helper.log().args.filter((a: unknown[]) => (a[0] as { level?: number; id?: string }).id === 'ha').map((a: unknown[]) => String((a[0] as { msg?: unknown }).msg));
    assert.ok(logged.some((m: string) => /cannot publish: batteryMaxCurrent cannot be a Home Assistant command: .*flash opt-in/.test(m)), logged.join('\n'));
  });
});
