/**
 * The link layer over a real serial line: the real serialport bindings open one end of a
 * socat pty pair, `ve-direct simulate` (a child process, as a user runs it) is the device on
 * the other. Identity, get/set, an unplug and replug, a refused device, queue overflow, and
 * the CLI through the pty.
 */

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VeError } from '../../lib/errors';
import type { DeviceIdentity } from '../../lib/link/device';
import { VeDirectPort, type PortState, type VeDirectPortOptions } from '../../lib/link/port';
import { runCliCaptured } from '../helpers/cli';
import { waitForState } from '../helpers/link-events';
import { PtyPair } from '../helpers/pty';
import { SimulatorProcess } from '../helpers/simulator-process';

// The link's timers are unref'd (they must not hold a Node-RED runtime open); hold the test.
const keepAlive = setInterval(() => undefined, 1000);

const FAST_RECONNECT: VeDirectPortOptions = { backoff: { initialMs: 200, maxMs: 1000 } };

function open(path: string, options: VeDirectPortOptions = {}): VeDirectPort {
  const port = new VeDirectPort(path, { ...FAST_RECONNECT, ...options });
  port.open();
  return port;
}

async function rejection(promise: Promise<unknown>): Promise<VeError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof VeError, String(err));
    return err;
  }
  assert.fail('expected a rejection');
}

describe('link over a pty: SmartShunt simulator', () => {
  const pty = new PtyPair('link-shunt');
  const sim = new SimulatorProcess('smartshunt', pty.b, ['--verbose', '--seed', '11']);

  before(async () => {
    await pty.start();
    await sim.start();
  });
  after(async () => {
    await sim.stop();
    await pty.dispose();
  });

  it('identifies the device and reads registers through the real bindings', async () => {
    const port = open(pty.a);
    try {
      const identity = await port.ready({ timeoutMs: 10_000 });
      assert.equal(identity.productId, 0xa389);
      assert.equal(identity.product, 'SmartShunt 500A/50mV');
      assert.equal(identity.firmware, '4.14');
      assert.match(identity.serial ?? '', /^HQ\w+$/);
      assert.equal(identity.model, 'BMV-SmartShunt 500A/50mV');
      const voltage = await port.get('batteryVoltage');
      assert.equal(voltage.unit, 'V');
      assert.ok(typeof voltage.value === 'number' && voltage.value > 10 && voltage.value < 15, String(voltage.value));
      const temperature = await port.get('0xEDEC');
      assert.equal(temperature.value, null, 'no temperature sensor: null, not a number');
    } finally {
      await port.close();
    }
  });

  it('writes a setting once with the opt-in and checks the echo; refuses it without', async () => {
    const port = open(pty.a);
    try {
      await port.ready({ timeoutMs: 10_000 });
      const refused = await rejection(port.set('batteryCapacity', 250));
      assert.equal(refused.code, 'VE_FLASH_GUARD');
      const written = await port.set('batteryCapacity', 250, { allowFlash: true });
      assert.equal(written.value, 250);
      assert.equal(written.raw, 'FA00');
      assert.equal((await port.get('batteryCapacity')).value, 250);
      const outOfRange = await rejection(port.set('batteryCapacity', 0, { allowFlash: true }));
      assert.equal(outOfRange.code, 'VE_RANGE');
    } finally {
      await port.close();
    }
  });

  it('refuses a full queue with VE_QUEUE_FULL and answers the rest', async () => {
    const port = open(pty.a, { queueLimit: 4 });
    try {
      await port.ready({ timeoutMs: 10_000 });
      // Past the pacing gap after the identity reads, so the first request goes out at once.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const results = await Promise.allSettled(Array.from({ length: 12 }, () => port.get('batteryVoltage')));
      const full = results.filter((r) => r.status === 'rejected' && r.reason instanceof VeError && r.reason.code === 'VE_QUEUE_FULL');
      const answered = results.filter((r) => r.status === 'fulfilled');
      assert.equal(full.length, 7, 'one in flight, four waiting, seven refused');
      assert.equal(answered.length, 5);
      assert.match((full[0] as PromiseRejectedResult).reason.message, /queue full/);
      assert.equal(port.counters.queueFull, 7);
    } finally {
      await port.close();
    }
  });

  it('refuses another device than the expected serial: no requests after identification', async () => {
    const port = open(pty.a, { expectedSerial: 'HQ0000XXXXX' });
    try {
      const err = await rejection(port.ready({ timeoutMs: 10_000 }));
      assert.equal(err.code, 'VE_IDENTITY');
      const state = port.state;
      assert.equal(state.kind, 'mismatch');
      if (state.kind === 'mismatch') assert.equal(state.expectedSerial, 'HQ0000XXXXX');
      const framesBefore = (sim.stderr.match(/^> /gm) ?? []).length;
      assert.equal((await rejection(port.get('batteryVoltage'))).code, 'VE_IDENTITY');
      assert.equal((await rejection(port.set('batteryCapacity', 200, { allowFlash: true }))).code, 'VE_IDENTITY');
      let snapshots = 0;
      const remove = port.on('snapshot', () => snapshots++);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      remove();
      assert.equal(snapshots, 0, 'no data from a refused device');
      assert.equal((sim.stderr.match(/^> /gm) ?? []).length, framesBefore, 'nothing sent to it');
    } finally {
      await port.close();
    }
  });

  it('unplug → error with back-off; replug → reconnects and reads the identity again', async () => {
    const port = open(pty.a);
    const states: PortState[] = [];
    const identities: DeviceIdentity[] = [];
    port.on('state', (s) => states.push(s));
    port.on('identity', (i) => identities.push(i));
    try {
      await port.ready({ timeoutMs: 10_000 });
      // Unplug: the line and the device go away.
      await pty.stop();
      await sim.stop();
      // Margins, not windows: on a loaded machine the presence check and the retries run late.
      const lost = await waitForState(port, 'error', 15_000);
      assert.equal(lost.kind === 'error' && lost.reason, 'device disconnected');
      await waitForState(port, 'error', 15_000, (s) => s.kind === 'error' && s.reason === 'port not found (unplugged?)');
      assert.equal((await rejection(port.get('batteryVoltage'))).code, 'VE_PORT_CLOSED');
      const retries = port.counters.openFailures;
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.ok(port.counters.openFailures > retries, 'keeps trying');
      // Replug on the same names.
      await pty.start();
      await sim.start();
      await waitForState(port, 'connected', 30_000);
      // Read again after the reconnect. A starved simulator may also have gone stale and come
      // back in between (counted, not timed), but it is the same device every time.
      assert.ok(identities.length >= 2, 'identity read again after the reconnect');
      for (const identity of identities) assert.equal(identity.serial, identities[0]?.serial);
      assert.ok(port.counters.reconnects >= 1);
      const kinds = states.map((s) => s.kind);
      const firstConnected = kinds.indexOf('connected');
      assert.ok(kinds.indexOf('error', firstConnected) > firstConnected, `the unplug shows as an error: ${kinds.join(' ')}`);
      assert.equal(kinds.at(-1), 'connected');
      assert.ok(typeof (await port.get('batteryVoltage')).value === 'number');
    } finally {
      await port.close();
    }
  });

  it('ve-direct identify through the pty', async () => {
    const r = await runCliCaptured(['identify', pty.a]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.lines[0]?.product, 'SmartShunt 500A/50mV');
    assert.equal(r.lines[0]?.port, pty.a);
  });
});

describe('link over a pty: SmartSolar MPPT simulator', () => {
  const pty = new PtyPair('link-mppt');
  const sim = new SimulatorProcess('smartsolar-100-30', pty.b, ['--seed', '5']);

  before(async () => {
    await pty.start();
    await sim.start();
  });
  after(async () => {
    await sim.stop();
    await pty.dispose();
    clearInterval(keepAlive);
  });

  it('writes the remote voltage sense (volatile), and async frames reach the register cache', async () => {
    const port = open(pty.a);
    try {
      const identity = await port.ready({ timeoutMs: 10_000 });
      assert.equal(identity.productId, 0xa056);
      assert.equal(identity.model, 'SmartSolar Charger MPPT 100/30');
      const volts = (await port.get('chargerVoltage')).value;
      assert.equal(typeof volts, 'number');
      const written = await port.set('batteryVoltageSense', Number(volts));
      assert.equal(written.value, volts);
      const released = await port.set('batteryVoltageSense', null);
      assert.equal(released.raw, 'FFFF');
      // HEX traffic makes the charger send registers asynchronously when they change.
      const asyncReading = await new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no async frame within 10 s')), 10_000);
        const remove = port.on('register', (r) => {
          if (r.source !== 'async') return;
          clearTimeout(timer);
          remove();
          resolve(r);
        });
      });
      assert.ok(asyncReading);
      assert.ok(port.counters.asyncFrames >= 1);
    } finally {
      await port.close();
    }
  });
});
