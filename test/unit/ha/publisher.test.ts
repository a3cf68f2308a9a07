/**
 * Home Assistant discovery, states, availability and commands as the publisher builds them.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VeError } from '../../../lib/errors';
import type { DeviceIdentity } from '../../../lib/link/device';
import { registerEntity } from '../../../lib/ha/entities';
import type { EnergyState } from '../../../lib/ha/energy-total';
import { HaPublisher, type HaPublisherOptions, type MqttMessage } from '../../../lib/ha/publisher';
import { checkPrefix, TopicScheme } from '../../../lib/ha/topics';

const MPPT: DeviceIdentity = {
  productId: 0xa056,
  product: 'SmartSolar MPPT 100|30',
  family: 'mppt',
  firmware: '1.61',
  firmwareKind: 'application',
  serial: 'HQ1949 9RHC5',
  model: 'SmartSolar Charger MPPT 100/30',
  hex: true,
  at: 0,
};

function memoryEnergy(): HaPublisherOptions['energy'] & { saved: Map<string, EnergyState> } {
  const saved = new Map<string, EnergyState>();
  return { saved, load: (k) => saved.get(k) ?? null, save: (k, s) => void saved.set(k, s) };
}

function publisher(options: Partial<HaPublisherOptions> = {}): HaPublisher {
  return new HaPublisher({
    mode: 'homeassistant',
    topics: new TopicScheme(),
    update: 'change',
    fields: [],
    registers: [],
    commands: [],
    retainState: true,
    energy: memoryEnergy(),
    origin: { name: 'node-red-contrib-ve-direct', sw_version: '0.1.0' },
    ...options,
  });
}

const cycle = {
  batteryVoltage: { value: 13.28 },
  panelPower: { value: 120 },
  deviceState: { value: 3, text: 'Bulk' },
  yieldTotal: { value: 48.03 },
  yieldToday: { value: 0.12 },
  yieldYesterday: { value: 0.67 },
  daySequenceNumber: { value: 18 },
  productId: { value: 0xa056 },
  serialNumber: { value: 'HQ19499RHC5' },
  loadOutputState: { value: true },
};

function configs(messages: MqttMessage[]): Map<string, Record<string, unknown>> {
  return new Map(messages.filter((m) => m.topic.endsWith('/config')).map((m) => [m.topic, JSON.parse(m.payload) as Record<string, unknown>]));
}

test('discovery: one retained config per value, all on one device, with Home Assistant\'s keys', () => {
  const p = publisher();
  assert.deepEqual(p.identify(MPPT, '/dev/ttyUSB0'), []);
  const out = p.snapshot(cycle);
  const found = configs(out);
  assert.ok(out.filter((m) => m.topic.endsWith('/config')).every((m) => m.retain && m.qos === 1));
  const v = found.get('homeassistant/sensor/ve_direct_HQ1949_9RHC5/batteryVoltage/config');
  assert.deepEqual(v, {
    name: 'Main (battery) voltage',
    unique_id: 've_direct_HQ1949_9RHC5_batteryVoltage',
    state_topic: 've-direct/HQ1949_9RHC5/batteryVoltage',
    availability_topic: 've-direct/HQ1949_9RHC5/availability',
    payload_available: 'online',
    payload_not_available: 'offline',
    unit_of_measurement: 'V',
    device_class: 'voltage',
    state_class: 'measurement',
    device: {
      identifiers: ['ve_direct_HQ1949_9RHC5'],
      name: 'SmartSolar MPPT 100|30 HQ1949 9RHC5',
      manufacturer: 'Victron Energy',
      model: 'SmartSolar MPPT 100|30',
      model_id: '0xA056',
      serial_number: 'HQ1949 9RHC5',
      sw_version: '1.61',
    },
    origin: { name: 'node-red-contrib-ve-direct', sw_version: '0.1.0' },
  });
  const today = found.get('homeassistant/sensor/ve_direct_HQ1949_9RHC5/yieldToday/config');
  assert.equal(today?.device_class, 'energy');
  assert.equal(today?.state_class, 'total_increasing');
  assert.equal(found.get('homeassistant/sensor/ve_direct_HQ1949_9RHC5/yieldYesterday/config')?.state_class, undefined, 'a finished day is no counter');
  assert.equal(found.get('homeassistant/sensor/ve_direct_HQ1949_9RHC5/deviceState/config')?.device_class, undefined);
  assert.equal(found.get('homeassistant/sensor/ve_direct_HQ1949_9RHC5/daySequenceNumber/config')?.entity_category, 'diagnostic');
  const energy = found.get('homeassistant/sensor/ve_direct_HQ1949_9RHC5/energyTotal/config');
  assert.equal(energy?.state_class, 'total_increasing');
  assert.equal(energy?.unit_of_measurement, 'kWh');
  // Identity fields describe the device; they are no entities.
  assert.ok(![...found.keys()].some((t) => /productId|serialNumber/.test(t)));
  // Every unique id differs.
  const ids = [...found.values()].map((c) => c.unique_id);
  assert.equal(new Set(ids).size, ids.length);
});

test('states: on change only, numbers as text, enumerations as their text, ON/OFF', () => {
  const p = publisher();
  p.identify(MPPT, '/dev/ttyUSB0');
  const first = p.snapshot(cycle).filter((m) => !m.topic.endsWith('/config'));
  const state = (msgs: MqttMessage[], name: string): string | undefined => msgs.find((m) => m.topic === `ve-direct/HQ1949_9RHC5/${name}`)?.payload;
  assert.equal(state(first, 'batteryVoltage'), '13.28');
  assert.equal(state(first, 'deviceState'), 'Bulk');
  assert.equal(state(first, 'loadOutputState'), 'ON');
  assert.equal(state(first, 'energyTotal'), '48.03');
  assert.ok(first.every((m) => m.retain));
  const second = p.snapshot({ ...cycle, batteryVoltage: { value: 13.3 }, yieldToday: { value: 0.14 } });
  assert.deepEqual(second.map((m) => [m.topic, m.payload]), [
    ['ve-direct/HQ1949_9RHC5/batteryVoltage', '13.3'],
    ['ve-direct/HQ1949_9RHC5/yieldToday', '0.14'],
    ['ve-direct/HQ1949_9RHC5/energyTotal', '48.05'],
  ]);
});

test('interval mode: nothing on a cycle, every latest state on flush', () => {
  const p = publisher({ update: 'interval' });
  p.identify(MPPT, '/dev/ttyUSB0');
  const out = p.snapshot(cycle);
  assert.ok(out.every((m) => m.topic.endsWith('/config')));
  const flushed = p.flush();
  assert.equal(flushed.find((m) => m.topic.endsWith('/batteryVoltage'))?.payload, '13.28');
  assert.equal(p.flush().length, flushed.length, 'again on the next flush, changed or not');
});

test('plain mode: no discovery, flat state topics, null values left out; picked fields only', () => {
  const p = publisher({ mode: 'plain', fields: ['batteryVoltage', 'panelPower'], energy: null, topics: new TopicScheme({ discovery: 'homeassistant', state: 'site1/solar' }) });
  p.identify(MPPT, '/dev/ttyUSB0');
  const out = p.snapshot({ ...cycle, panelPower: { value: null } });
  assert.deepEqual(out.map((m) => [m.topic, m.payload]), [['site1/solar/HQ1949_9RHC5/batteryVoltage', '13.28']]);
});

test('availability: retained, on change only, offline on close', () => {
  const p = publisher();
  assert.deepEqual(p.availability(true), [], 'no device yet');
  p.identify(MPPT, '/dev/ttyUSB0');
  assert.deepEqual(p.availability(true), [{ topic: 've-direct/HQ1949_9RHC5/availability', payload: 'online', retain: true, qos: 1 }]);
  assert.deepEqual(p.availability(true), []);
  assert.equal(p.availability(false)[0]?.payload, 'offline');
  assert.equal(p.availability(true)[0]?.payload, 'online');
  assert.equal(p.close()[0]?.payload, 'offline');
});

test('Home Assistant\'s birth message brings every config, the availability and the states again', () => {
  const p = publisher();
  p.identify(MPPT, '/dev/ttyUSB0');
  const first = p.snapshot(cycle);
  p.availability(true);
  const again = p.input('homeassistant/status', Buffer.from('online'));
  assert.equal(again.kind, 'rediscover');
  const msgs = again.kind === 'rediscover' ? again.messages : [];
  assert.equal(msgs.filter((m) => m.topic.endsWith('/config')).length, first.filter((m) => m.topic.endsWith('/config')).length);
  assert.ok(msgs.some((m) => m.topic.endsWith('/availability') && m.payload === 'online'));
  assert.deepEqual(p.input('homeassistant/status', 'offline'), { kind: 'rediscover', messages: [] });
});

test('commands: a number for an allowed volatile register, with the product\'s range; its messages go to a set node', () => {
  const p = publisher({ commands: ['chargeCurrentLimit'] });
  const out = p.identify(MPPT, '/dev/ttyUSB0');
  const config = configs(out).get('homeassistant/number/ve_direct_HQ1949_9RHC5/chargeCurrentLimit/config');
  assert.ok(config);
  assert.equal(config.command_topic, 've-direct/HQ1949_9RHC5/chargeCurrentLimit/set');
  assert.equal(config.min, 0);
  assert.equal(config.max, 30, 'the 100|30\'s rated current');
  assert.equal(config.step, 0.1);
  assert.deepEqual(p.input('ve-direct/HQ1949_9RHC5/chargeCurrentLimit/set', Buffer.from('12.5')), {
    kind: 'command',
    command: { topic: 'chargeCurrentLimit', register: 'chargeCurrentLimit', payload: 12.5 },
  });
  assert.deepEqual(p.input('ve-direct/HQ_OTHER/chargeCurrentLimit/set', '3'), { kind: 'other-device' });
  const code = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof VeError);
      return err.code;
    }
    return 'none';
  };
  assert.equal(code(() => p.input('ve-direct/HQ1949_9RHC5/batteryVoltageSense/set', '13')), 'VE_BAD_INPUT', 'not allowed in the node');
  assert.equal(code(() => p.input('ve-direct/HQ1949_9RHC5/chargeCurrentLimit/set', 'lots')), 'VE_TYPE');
  assert.equal(code(() => p.input('some/topic', '1')), 'VE_BAD_INPUT');
});

test('commands: flash settings and device commands cannot be offered to Home Assistant', () => {
  for (const name of ['batteryMaxCurrent', 'clearHistory', 'deviceState', 'nope']) {
    const p = publisher({ commands: [name] });
    assert.throws(() => p.identify(MPPT, '/dev/ttyUSB0'), (e: unknown) => e instanceof VeError && (e.code === 'VE_BAD_INPUT' || (name === 'nope' && e.code === 'VE_UNKNOWN_REGISTER')), name);
  }
});

test('a polled register is a sensor with the catalogue\'s unit; a raw record is refused', () => {
  const p = publisher({ registers: [registerEntity('0xEDDB')] });
  const out = p.identify(MPPT, '/dev/ttyUSB0');
  const config = configs(out).get('homeassistant/sensor/ve_direct_HQ1949_9RHC5/chargerInternalTemperature/config');
  assert.equal(config?.device_class, 'temperature');
  assert.deepEqual(p.register('chargerInternalTemperature', { value: 31.5 }).map((m) => m.payload), ['31.5']);
  assert.throws(() => registerEntity('historyDay0'), (e: unknown) => e instanceof VeError && e.code === 'VE_BAD_INPUT');
  assert.throws(() => registerEntity('nope'), (e: unknown) => e instanceof VeError && e.code === 'VE_UNKNOWN_REGISTER');
});

test('another device on the same port: the old one goes offline, the new one is announced afresh', () => {
  const p = publisher();
  p.identify(MPPT, '/dev/ttyUSB0');
  p.snapshot(cycle);
  p.availability(true);
  const out = p.identify({ ...MPPT, serial: 'HQ2' }, '/dev/ttyUSB0');
  assert.deepEqual(out.map((m) => [m.topic, m.payload]), [['ve-direct/HQ1949_9RHC5/availability', 'offline']]);
  assert.ok(p.snapshot(cycle).some((m) => m.topic === 'homeassistant/sensor/ve_direct_HQ2/batteryVoltage/config'));
});

test('the energy total is saved as it grows, and a new publisher continues it', () => {
  const energy = memoryEnergy();
  const a = publisher({ energy });
  a.identify(MPPT, 'x');
  a.snapshot(cycle);
  a.snapshot({ ...cycle, yieldToday: { value: 0.5 } });
  assert.equal(energy.saved.get('HQ1949_9RHC5')?.totalKWh, 48.41);
  const b = publisher({ energy });
  b.identify(MPPT, 'x');
  // After the restart the charger's day ended and a new one began (HSDS 19).
  const out = b.snapshot({ ...cycle, yieldToday: { value: 0.1 }, yieldYesterday: { value: 0.6 }, daySequenceNumber: { value: 19 } });
  assert.equal(out.find((m) => m.topic.endsWith('/energyTotal'))?.payload, '48.61');
});

test('topic prefixes: wildcards and empty levels are refused, blank gives the default', () => {
  assert.equal(checkPrefix(' /site1/ve/ ', 've-direct'), 'site1/ve');
  assert.equal(checkPrefix('', 've-direct'), 've-direct');
  assert.throws(() => checkPrefix('a/+/b', 'x'), (e: unknown) => e instanceof VeError && e.code === 'VE_BAD_INPUT');
  assert.throws(() => checkPrefix('a//b', 'x'), (e: unknown) => e instanceof VeError && e.code === 'VE_BAD_INPUT');
});
