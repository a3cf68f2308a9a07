/**
 * ve-direct-ha against real parts: Debian's mosquitto on a free loopback port, Node-RED's core
 * `mqtt out` and `mqtt in` nodes in a real runtime, the four simulated devices of the examples,
 * and a real MQTT client (the `mqtt` package) standing in for Home Assistant. Discovery configs
 * carry Home Assistant's keys and are retained (a fresh subscriber gets them), availability
 * follows an unplug and a replug, states equal the device's, and a command topic write reaches
 * the simulated charger through the write policy while a refused one writes nothing.
 *
 * Set HA_DISCOVERY_DUMP=<file> to write the retained discovery topics and payloads there.
 */

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import haModule from '../../nodes/ve-direct-ha';
import { getSimDevice, resetSimDevices } from '../../lib/sim';
import { Mosquitto } from '../helpers/mosquitto';
import { helper, load, nextMessage, translated, waitFor, type NodeModule } from '../helpers/nodered';
import { collect, hostFrames, portNode, readyPort, setNode, simValue, type ErrorMsg, type Msg } from '../helpers/vedirect-flows';

// Node-RED's own MQTT nodes, as a user's flow has them.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const mqttNodes = require('@node-red/nodes/core/network/10-mqtt.js') as NodeModule;
const haNode = translated('ve-direct-ha', haModule);

const PORTS = {
  pm1: 'sim:smartshunt-temp',
  pm2: 'sim:bmv712',
  pp1: 'sim:smartsolar-100-30',
  pp2: 'sim:smartsolar-250-70',
} as const;

type PortId = keyof typeof PORTS;

/** Home Assistant's required keys of an MQTT sensor / number discovery config. */
const REQUIRED = ['name', 'unique_id', 'state_topic', 'availability_topic', 'device'] as const;

interface Received {
  readonly topic: string;
  readonly payload: string;
  readonly retain: boolean;
}

/** A fresh client: subscribe, and collect what arrives within `ms` (retained messages first). */
async function snapshotOf(url: string, filter: string, ms = 800): Promise<Received[]> {
  const client = await mqtt.connectAsync(url, { clean: true, reconnectPeriod: 0 });
  const got: Received[] = [];
  client.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString('utf8'), retain: packet.retain }));
  await client.subscribeAsync(filter, { qos: 1 });
  await new Promise((r) => setTimeout(r, ms));
  await client.endAsync();
  return got;
}

/** Like waitFor, for a predicate that has to ask the broker (async). */
async function eventually<T>(predicate: () => Promise<T | null | false | undefined>, what: string, timeoutMs: number): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function serial(id: PortId): string {
  return getSimDevice(PORTS[id]).identity.serial;
}

describe('ve-direct-ha with mosquitto and Node-RED\'s mqtt nodes', () => {
  const broker = new Mosquitto();
  let watcher: MqttClient;
  /** Every message the watching client saw, in order. */
  const seen: Received[] = [];

  before(async () => {
    await broker.start();
    await helper.startServer();
    const flow = [
      ...Object.entries(PORTS).map(([id, path]) => ({ id, type: 've-direct-port', path, staleAfter: id === 'pp1' ? 2 : 5 })),
      { id: 'b1', type: 'mqtt-broker', broker: '127.0.0.1', port: String(broker.port), clientid: '', autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true },
      ...Object.keys(PORTS).map((id) => ({
        id: `ha-${id}`,
        type: 've-direct-ha',
        port: id,
        mode: 'homeassistant',
        update: 'change',
        interval: 1,
        retain: true,
        energyTotal: true,
        commands: id === 'pp1' ? 'chargeCurrentLimit' : '',
        wires: id === 'pp1' ? [['out'], ['set']] : [['out'], []],
      })),
      { id: 'out', type: 'mqtt out', broker: 'b1', topic: '', qos: '', retain: '' },
      { id: 'in', type: 'mqtt in', broker: 'b1', topic: 've-direct/+/+/set', qos: '1', datatype: 'auto-detect', inputs: 0, wires: [['ha-pp1']] },
      { id: 'set', type: 've-direct-set', port: 'pp1', register: '', wires: [['done']] },
      { id: 'done', type: 'helper' },
      { id: 'c1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ];
    await load([portNode, haNode, setNode, mqttNodes], flow);
    for (const id of Object.keys(PORTS)) await readyPort(id);
    watcher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    watcher.on('message', (topic, payload, packet) => seen.push({ topic, payload: payload.toString('utf8'), retain: packet.retain }));
    await watcher.subscribeAsync('ve-direct/#', { qos: 1 });
  });

  after(async () => {
    await watcher?.endAsync();
    await helper.unload();
    await helper.stopServer();
    resetSimDevices();
    await broker.stop();
  });

  it('discovery: a fresh subscriber gets retained configs with Home Assistant\'s keys, one device per port', async () => {
    const serials = (Object.keys(PORTS) as PortId[]).map(serial);
    const configs = await eventually(async () => {
      const got = await snapshotOf(broker.url, 'homeassistant/#');
      const ok = serials.every((s) => got.some((m) => m.topic.includes(`/ve_direct_${s}/`))) && got.some((m) => m.topic.endsWith('/energyTotal/config'));
      return ok ? got : null;
    }, 'discovery configs of the four devices', 30_000);
    // Connected afterwards, a new subscriber gets each of them as a retained message.
    const fresh = await snapshotOf(broker.url, 'homeassistant/#');
    const retained = new Set(fresh.filter((m) => m.retain).map((m) => m.topic));
    for (const m of configs) assert.ok(retained.has(m.topic), `${m.topic} is retained`);
    for (const m of configs) {
      const config = JSON.parse(m.payload) as Record<string, unknown>;
      for (const key of REQUIRED) assert.ok(config[key] !== undefined, `${m.topic} has ${key}`);
      const device = config.device as Record<string, unknown>;
      assert.equal(device.manufacturer, 'Victron Energy');
      assert.ok(Array.isArray(device.identifiers));
      assert.match(m.topic, /^homeassistant\/(sensor|number)\/ve_direct_[A-Za-z0-9_-]+\/[A-Za-z0-9]+\/config$/);
    }
    // One device per port, named by its serial number, model and firmware from the device.
    const shunt = configs.filter((m) => m.topic.includes(`ve_direct_${serial('pm1')}/`)).map((m) => JSON.parse(m.payload) as { device: Record<string, unknown> });
    assert.deepEqual(shunt[0]?.device, {
      identifiers: [`ve_direct_${serial('pm1')}`],
      name: `SmartShunt 500A/50mV ${serial('pm1')}`,
      manufacturer: 'Victron Energy',
      model: 'SmartShunt 500A/50mV',
      model_id: '0xA389',
      serial_number: serial('pm1'),
      sw_version: '4.14',
    });
    const yieldConfig = configs.find((m) => m.topic === `homeassistant/sensor/ve_direct_${serial('pp1')}/yieldToday/config`);
    assert.ok(yieldConfig);
    assert.equal(JSON.parse(yieldConfig.payload).device_class, 'energy');
    assert.equal(JSON.parse(yieldConfig.payload).state_class, 'total_increasing');
    const limit = configs.find((m) => m.topic === `homeassistant/number/ve_direct_${serial('pp1')}/chargeCurrentLimit/config`);
    assert.ok(limit, 'the allowed command is a number entity');
    assert.equal(JSON.parse(limit.payload).max, 30);
    const unique = configs.map((m) => (JSON.parse(m.payload) as { unique_id: string }).unique_id);
    assert.equal(new Set(unique).size, unique.length, 'unique ids differ');
    if (process.env.HA_DISCOVERY_DUMP) {
      const sorted = [...configs].sort((a, b) => a.topic.localeCompare(b.topic));
      writeFileSync(process.env.HA_DISCOVERY_DUMP, sorted.map((m) => `${m.topic} ${m.payload}`).join('\n') + '\n');
    }
  });

  it('states equal the device\'s values; availability is online', async () => {
    const port = await readyPort('pm1');
    await eventually(async () => {
      const got = await snapshotOf(broker.url, `ve-direct/${serial('pm1')}/#`, 300);
      const s = port.snapshot();
      const value = (name: string): string | undefined => got.find((m) => m.topic === `ve-direct/${serial('pm1')}/${name}`)?.payload;
      return s !== null && value('stateOfCharge') === String(s.values.stateOfCharge?.value) && value('availability') === 'online' && value('batteryTemperature') === String(s.values.batteryTemperature?.value);
    }, 'the shunt\'s state of charge and temperature as the port reads them', 20_000);
    const mppt = await readyPort('pp1');
    await eventually(async () => {
      const got = await snapshotOf(broker.url, `ve-direct/${serial('pp1')}/#`, 300);
      const s = mppt.snapshot();
      const value = (name: string): string | undefined => got.find((m) => m.topic === `ve-direct/${serial('pp1')}/${name}`)?.payload;
      return s !== null && value('yieldTotal') === String(s.values.yieldTotal?.value) && value('deviceState') === s.values.deviceState?.text && value('energyTotal') !== undefined;
    }, 'the charger\'s yield total and charge state', 20_000);
  });

  it('availability goes offline when the charger is unplugged (stale) and online again after the replug', async () => {
    const topic = `ve-direct/${serial('pp1')}/availability`;
    const from = seen.length;
    getSimDevice(PORTS.pp1).faults.unplug();
    await waitFor(() => seen.slice(from).some((m) => m.topic === topic && m.payload === 'offline'), 'offline after the unplug', 20_000);
    const retained = await snapshotOf(broker.url, topic, 300);
    assert.deepEqual(retained.map((m) => [m.payload, m.retain]), [['offline', true]], 'retained, so Home Assistant sees it after a restart too');
    const back = seen.length;
    getSimDevice(PORTS.pp1).faults.replug();
    await waitFor(() => seen.slice(back).some((m) => m.topic === topic && m.payload === 'online'), 'online after the replug', 30_000);
  });

  it('a command topic write reaches the charger through the write policy; a refused one writes nothing', async () => {
    await readyPort('pp1');
    const done = nextMessage('done', 20_000) as Promise<Msg>;
    const before = hostFrames(PORTS.pp1, 'set', 0x2015).length;
    const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    try {
      await client.publishAsync(`ve-direct/${serial('pp1')}/chargeCurrentLimit/set`, '12.5', { qos: 1 });
      const written = await done;
      assert.equal(written.topic, 'chargeCurrentLimit');
      assert.equal(written.payload, 12.5);
      const sets = hostFrames(PORTS.pp1, 'set', 0x2015);
      assert.equal(sets.length, before + 1, 'one Set 0x2015 on the wire');
      const last = sets.at(-1)?.command;
      assert.ok(last?.type === 'set');
      assert.equal(Buffer.from(last.value).toString('hex'), '7d00', '125 × 0.1 A');
      assert.equal(simValue(PORTS.pp1, 0x2015), 12.5, 'the charger holds the limit');

      // 45 A on a 30 A charger: the set node's write policy refuses it; not a byte goes out.
      const caughtMsgs = collect('caught');
      const doneMsgs = collect('done');
      await client.publishAsync(`ve-direct/${serial('pp1')}/chargeCurrentLimit/set`, '45', { qos: 1 });
      const refused = await waitFor(() => caughtMsgs[0] as ErrorMsg | undefined, 'the refusal at the Catch node', 20_000);
      assert.equal(refused.error.code, 'VE_RANGE');
      assert.equal(refused.error.source.id, 'set');
      assert.equal(doneMsgs.length, 0);
      assert.equal(hostFrames(PORTS.pp1, 'set', 0x2015).length, before + 1, 'no Set for the refused value');
      assert.equal(simValue(PORTS.pp1, 0x2015), 12.5);

      // A register not allowed in the node: refused by the ha node itself.
      await client.publishAsync(`ve-direct/${serial('pp1')}/batteryVoltageSense/set`, '13', { qos: 1 });
      const notAllowed = await waitFor(() => caughtMsgs[1] as ErrorMsg | undefined, 'the refusal of a register not allowed', 20_000);
      assert.equal(notAllowed.error.code, 'VE_BAD_INPUT');
      assert.equal(notAllowed.error.source.id, 'ha-pp1');
      assert.equal(hostFrames(PORTS.pp1, 'set', 0x2002).length, 0);
    } finally {
      await client.endAsync();
    }
  });
});
