/**
 * The `sim:` serialport binding under the real SerialPortStream: open, read, write, lock,
 * close, the same device behind the same path, and other paths left alone.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { SerialPortStream } from '@serialport/stream';
import { ManualClock } from '../../../lib/clock';
import { Framer, type FramerEvent } from '../../../lib/protocol/framer';
import { createSimBinding, isSimPath, simBinding, SimPortBinding } from '../../../lib/sim/binding';
import { findSimDevice, getSimDevice, parseSimPath, resetSimDevices, SimRegistry } from '../../../lib/sim/registry';

function setup(): { clock: ManualClock; registry: SimRegistry; binding: ReturnType<typeof createSimBinding> } {
  const clock = new ManualClock();
  const registry = new SimRegistry({ clock, system: { seed: 2 }, deviceDefaults: { seed: 3 } });
  return { clock, registry, binding: createSimBinding(registry) };
}

function open(binding: ReturnType<typeof createSimBinding>, path: string, baudRate = 19200): Promise<SerialPortStream> {
  const port = new SerialPortStream({ binding, path, baudRate, autoOpen: false });
  return new Promise((resolve, reject) => port.open((err) => (err ? reject(err) : resolve(port))));
}

function close(port: SerialPortStream): Promise<void> {
  return new Promise((resolve, reject) => port.close((err) => (err ? reject(err) : resolve())));
}

/** Advance the clock in steps, letting the stream's promises run between them. */
async function run(clock: ManualClock, ms: number, step = 50): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await tick();
  }
}

function collect(port: SerialPortStream): FramerEvent[] {
  const framer = new Framer();
  const events: FramerEvent[] = [];
  port.on('data', (chunk: Buffer) => events.push(...framer.push(chunk)));
  return events;
}

test('paths: sim: prefix, instance suffix, unknown names', () => {
  assert.ok(isSimPath('sim:smartshunt'));
  assert.ok(!isSimPath('/dev/ttyUSB0'));
  assert.deepEqual(parseSimPath('sim:smartsolar-100-30#2'), { name: 'smartsolar-100-30', instance: '2', canonical: 'sim:smartsolar-100-30#2' });
  assert.equal(parseSimPath('sim:smartshunt#1').canonical, 'sim:smartshunt');
  assert.throws(() => parseSimPath('sim:toaster'), /unknown simulated device "toaster"/);
  assert.throws(() => parseSimPath('/dev/ttyUSB0'), RangeError);
});

test('a SerialPortStream on sim:smartshunt reads checksum-valid blocks and gets HEX replies', async () => {
  const { clock, registry, binding } = setup();
  const port = await open(binding, 'sim:smartshunt');
  const events = collect(port);
  await run(clock, 3000);
  assert.ok(events.filter((e) => e.kind === 'text-block').length >= 4);
  port.write(':154\n');
  await tick();
  await run(clock, 500);
  assert.ok(events.some((e) => e.kind === 'hex-frame' && e.text === ':51444F8'));
  assert.equal(events.filter((e) => e.kind === 'frame-error').length, 0);
  const device = registry.find('sim:smartshunt')!;
  assert.deepEqual(device.hostLog.map((f) => f.frame), [':154']);
  await close(port);
  assert.equal(device.connected, false);
  registry.clear();
});

test('same path, same device; an instance suffix is another device; one opener at a time', async () => {
  const { clock, registry, binding } = setup();
  const a = await open(binding, 'sim:smartsolar-100-30');
  const device = registry.get('sim:smartsolar-100-30');
  assert.equal(registry.get('sim:smartsolar-100-30#1'), device);
  await assert.rejects(open(binding, 'sim:smartsolar-100-30'), /Cannot lock port/);
  const b = await open(binding, 'sim:smartsolar-100-30#2');
  const other = registry.get('sim:smartsolar-100-30#2');
  assert.notEqual(other, device);
  assert.notEqual(other.identity.serial, device.identity.serial);
  // Faults injected on the device behind a path reach the port.
  device.faults.unplug();
  const events = collect(a);
  await run(clock, 3000);
  assert.equal(events.length, 0);
  device.faults.replug();
  await run(clock, 3000);
  assert.ok(events.some((e) => e.kind === 'text-block'));
  await close(a);
  await close(b);
  // Closed: the path can be opened again, and it is still the same device.
  const again = await open(binding, 'sim:smartsolar-100-30');
  assert.equal(registry.get('sim:smartsolar-100-30'), device);
  await close(again);
  registry.clear();
});

test('devices in one registry share one battery', async () => {
  const { registry } = setup();
  const shunt = registry.get('sim:smartshunt');
  const mppt = registry.get('sim:smartsolar-100-30');
  assert.equal(shunt.system, mppt.system);
  assert.equal(shunt.system, registry.system);
  registry.clear();
});

test('other paths, bad paths and bad options are refused', async () => {
  const { binding } = setup();
  await assert.rejects(binding.open({ path: '/dev/ttyUSB0', baudRate: 19200 }), /simulator binding/);
  await assert.rejects(binding.open({ path: 'sim:toaster', baudRate: 19200 }), /unknown simulated device/);
  const list = await binding.list();
  assert.ok(list.some((p) => p.path === 'sim:smartshunt'));
  assert.ok(list.every((p) => isSimPath(p.path)));
});

test('close cancels a pending read; a wrong baud rate reads garbage', async () => {
  const { clock, registry, binding } = setup();
  const port = await binding.open({ path: 'sim:bmv712', baudRate: 19200 });
  assert.ok(port instanceof SimPortBinding);
  const pending = port.read(Buffer.alloc(64), 0, 64);
  await port.close();
  await assert.rejects(pending, (err: Error & { canceled?: boolean }) => err.canceled === true);
  await assert.rejects(port.write(Buffer.from(':154\n')), (err: Error & { canceled?: boolean }) => err.canceled === true);

  const slow = await open(binding, 'sim:bmv712', 9600);
  const events = collect(slow);
  await run(clock, 5000);
  assert.equal(events.filter((e) => e.kind === 'text-block').length, 0, 'nothing readable at 9600 baud');
  await close(slow);
  registry.clear();
});

test('the process-wide registry behind simBinding and getSimDevice', async () => {
  resetSimDevices();
  assert.equal(findSimDevice('sim:bmv700'), undefined);
  const device = getSimDevice('sim:bmv700', { faults: { replyDelayMs: 5 } });
  assert.equal(findSimDevice('sim:bmv700'), device);
  assert.equal(getSimDevice('sim:bmv700'), device);
  assert.equal(device.faults.current.replyDelayMs, 5);
  const port = await simBinding.open({ path: 'sim:bmv700', baudRate: 19200 });
  assert.equal(port.device, device);
  await port.close();
  resetSimDevices();
  assert.equal(findSimDevice('sim:bmv700'), undefined);
});
