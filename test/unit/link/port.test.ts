/**
 * VeDirectPort over an in-memory binding, a scripted device and a manual clock: identity on
 * every connect, the state a badge paints, decoded readings, write guards, the expected-serial
 * refusal, the bootloader, Text-only devices, snapshots, freshness, counters and close.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../lib/clock';
import { VeError, type VeErrorCode } from '../../../lib/errors';
import { Command, encodeFrame, parseFrame, registerPayload, un16Bytes } from '../../../lib/protocol/hex-codec';
import type { RegisterReading, TextSnapshotReading } from '../../../lib/link/device';
import { VeDirectPort, type PortState, type VeDirectPortOptions } from '../../../lib/link/port';
import { MemoryBinding, settle, type MemoryLine } from '../../helpers/memory-binding';
import { textBlock } from '../../helpers/wire';

const PATH = '/dev/ttyVE1';

/** A small scripted device: answers ping, product id and Get/Set from a register table. */
class ScriptedDevice {
  answersHex = true;
  /** Version word of the ping reply (0x4414: application 4.14). */
  version = 0x4414;
  productId = 0xa389;
  readonly registers = new Map<number, Uint8Array>([
    [0x010a, Buffer.from('HQ2117NTVX4\0', 'latin1')],
    [0x010b, Buffer.from('BMV-SmartShunt 500A/50mV\0', 'latin1')],
    [0xed8d, Uint8Array.of(0x6d, 0x0a)],
    [0x2002, Uint8Array.of(0xff, 0xff)],
    [0xedf0, Uint8Array.of(0x96, 0x00)],
  ]);
  /** Frames to drop (no answer), by request text. */
  readonly silentFor = new Set<string>();
  /** Clamp Sets of these registers to this value (parameter error). */
  readonly clamp = new Map<number, Uint8Array>();

  constructor(readonly line: MemoryLine) {
    line.onWrite = (bytes) => {
      for (const frame of bytes.toString('latin1').split('\n')) if (frame) this.answer(frame);
    };
  }

  private answer(text: string): void {
    if (!this.answersHex || this.silentFor.has(text)) return;
    const frame = parseFrame(text);
    const send = (command: number, payload: ArrayLike<number>): void => this.line.emit(encodeFrame(command, payload) + '\n');
    switch (frame.command) {
      case Command.Ping:
        send(0x5, un16Bytes(this.version));
        return;
      case Command.ProductId:
        send(0x1, un16Bytes(this.productId));
        return;
      case Command.Get:
      case Command.Set: {
        const id = (frame.payload[0] ?? 0) | ((frame.payload[1] ?? 0) << 8);
        const known = this.registers.get(id);
        if (known === undefined) {
          send(frame.command, registerPayload(id, 0x01));
          return;
        }
        if (frame.command === Command.Set) {
          const clamped = this.clamp.get(id);
          if (clamped) {
            send(Command.Set, registerPayload(id, 0x04, clamped));
            return;
          }
          this.registers.set(id, frame.payload.slice(3));
        }
        send(frame.command, registerPayload(id, 0, this.registers.get(id) ?? []));
        return;
      }
    }
  }
}

function setup(options: VeDirectPortOptions = {}) {
  const clock = new ManualClock();
  const binding = new MemoryBinding();
  const line = binding.line(PATH);
  const device = new ScriptedDevice(line);
  const warnings: string[] = [];
  const port = new VeDirectPort(PATH, {
    clock,
    portFactory: binding.factory(),
    minGapMs: 0,
    log: { info: () => undefined, warn: (m) => warnings.push(m) },
    ...options,
  });
  const states: PortState[] = [];
  port.on('state', (s) => states.push(s));
  return { clock, line, device, port, states, warnings };
}

/** Run the stream's promise callbacks, stepping the manual clock in small steps. */
async function run(clock: ManualClock, ms: number, step = 10): Promise<void> {
  await settle();
  for (let t = 0; t < ms; t += step) {
    clock.advance(Math.min(step, ms - t));
    await settle();
  }
}

async function rejectsWith(promise: Promise<unknown>, code: VeErrorCode): Promise<VeError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof VeError, `expected a VeError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}, but it resolved`);
}

const MAIN_BLOCK = textBlock({ PID: '0xA389', V: '26690', I: '-150', P: '-4', SOC: '699', FW: '0414' });
const HISTORY_BLOCK = textBlock({ H1: '-40340', H2: '-24520', H17: '50760' });

describe('VeDirectPort', () => {
  it('identifies the device on connect: ping, product id, serial, model — and paints connected', async () => {
    const { clock, line, port, states } = setup();
    port.open();
    await run(clock, 50);
    assert.equal(line.writtenText, ':154\n:451\n:70A010043\n:70B010042\n');
    const s = port.state;
    assert.equal(s.kind, 'connected');
    assert.deepEqual(
      states.map((x) => x.kind),
      ['connecting', 'connected'],
    );
    const identity = port.identity;
    assert.equal(identity?.productId, 0xa389);
    assert.equal(identity?.product, 'SmartShunt 500A/50mV');
    assert.equal(identity?.family, 'smartshunt');
    assert.equal(identity?.firmware, '4.14');
    assert.equal(identity?.serial, 'HQ2117NTVX4');
    assert.equal(identity?.model, 'BMV-SmartShunt 500A/50mV');
    assert.equal(identity?.hex, true);
    await port.close();
  });

  it('reads a register by name or id, scaled, with raw bytes and source', async () => {
    const { clock, line, port } = setup();
    port.open();
    await run(clock, 50);
    const registers: RegisterReading[] = [];
    port.on('register', (r) => registers.push(r));
    const byName = port.get('batteryVoltage');
    await run(clock, 10);
    const reading = await byName;
    assert.deepEqual(
      { register: reading.register, name: reading.name, value: reading.value, unit: reading.unit, raw: reading.raw, flags: reading.flags, source: reading.source },
      { register: '0xED8D', name: 'batteryVoltage', value: 26.69, unit: 'V', raw: '6D0A', flags: 0, source: 'get' },
    );
    assert.ok(line.writtenText.endsWith(':78DED00D4\n'));
    const byId = port.get('0xED8D');
    await run(clock, 10);
    assert.equal((await byId).value, 26.69);
    assert.equal(registers.length, 2, 'each value learned is published');
    await rejectsWith(port.get('noSuchRegister'), 'VE_UNKNOWN_REGISTER');
    const unknown = rejectsWith(port.get('0x7777'), 'VE_UNKNOWN_ID');
    await run(clock, 10);
    await unknown;
    await port.close();
  });

  it('checks a write through the write policy before anything is sent', async () => {
    const { clock, line, port } = setup();
    port.open();
    await run(clock, 50);
    const before = line.writtenText;
    await rejectsWith(port.set('batteryVoltage', 12), 'VE_READ_ONLY');
    await rejectsWith(port.set('batteryMaxCurrent', 10), 'VE_FLASH_GUARD');
    await rejectsWith(port.set('batteryVoltageSense', 1000), 'VE_RANGE');
    await rejectsWith(port.set('batteryVoltageSense', 'twelve'), 'VE_TYPE');
    await rejectsWith(port.set('restoreDefault', null), 'VE_COMMAND_GUARD');
    // The flash opt-in does not allow a command: that takes its own.
    await rejectsWith(port.set('restoreDefault', null, { allowFlash: true }), 'VE_COMMAND_GUARD');
    await rejectsWith(port.set('batteryMaxCurrent', null, { allowFlash: true }), 'VE_TYPE');
    await rejectsWith(port.setRaw(0xedf0, '6400'), 'VE_FLASH_GUARD');
    await rejectsWith(port.setRaw(0x7777, '01'), 'VE_FLASH_GUARD');
    await rejectsWith(port.set('0x7777', 1), 'VE_UNKNOWN_REGISTER');
    assert.equal(line.writtenText, before, 'nothing was written');
    await port.close();
  });

  it('writes a volatile register and checks the echo; null writes the not-available value', async () => {
    const { clock, line, port } = setup();
    port.open();
    await run(clock, 50);
    const write = port.set('batteryVoltageSense', 13.25);
    await run(clock, 10);
    const r = await write;
    assert.equal(r.value, 13.25);
    assert.equal(r.source, 'set');
    assert.ok(line.writtenText.endsWith(':80220002D05F9\n'));
    const release = port.set('batteryVoltageSense', null);
    await run(clock, 10);
    assert.equal((await release).value, null);
    assert.ok(line.writtenText.endsWith(':8022000FFFF2D\n'));
    await port.close();
  });

  it('reports a clamped write as VE_PARAMETER with the value the device used', async () => {
    const { clock, device, port } = setup();
    device.registers.set(0x1000, Uint8Array.of(0xc8, 0x00));
    device.clamp.set(0x1000, Uint8Array.of(0x0f, 0x27)); // this device takes 9999 Ah at most
    port.open();
    await run(clock, 50);
    const write = rejectsWith(port.set('batteryCapacity', 65000, { allowFlash: true }), 'VE_PARAMETER');
    await run(clock, 10);
    const err = await write;
    assert.equal(err.details.clamped, 9999);
    assert.match(err.message, /used 9999 Ah instead/);
    await port.close();
  });

  it("names a clamped value as the product uses the register (a BMV-702's thresholds in 0.1 V)", async () => {
    const { clock, device, port } = setup();
    device.productId = 0x0204; // BMV-702
    device.registers.set(0x0320, Uint8Array.of(0x69, 0x00));
    device.clamp.set(0x0320, Uint8Array.of(0x73, 0x00)); // 115: 11.5 V
    port.open();
    await run(clock, 50);
    const write = rejectsWith(port.set('alarmLowVoltageSet', 20, { allowFlash: true }), 'VE_PARAMETER');
    await run(clock, 20);
    const err = await write;
    assert.equal(err.details.clamped, 11.5);
    assert.match(err.message, /used 11\.5 V instead/);
    // The device's value before the write was read in 0.1 V too.
    const before = port.cached('alarmLowVoltageSet');
    assert.equal(before?.value, 10.5);
    await port.close();
  });

  it('sends a flash-backed write once only, even when its reply is lost', async () => {
    const { clock, line, device, port } = setup();
    port.open();
    await run(clock, 50);
    device.silentFor.add(':8F0ED0064000C');
    const write = rejectsWith(port.set('batteryMaxCurrent', 10, { allowFlash: true }), 'VE_TIMEOUT');
    await run(clock, 3000, 100);
    await write;
    assert.equal(line.writtenText.split(':8F0ED0064000C').length - 1, 1, 'written exactly once');
    await port.close();
  });

  it('retries a volatile write once after a lost reply', async () => {
    const { clock, line, device, port } = setup();
    port.open();
    await run(clock, 50);
    device.silentFor.add(':80220002D05F9');
    const write = rejectsWith(port.set('batteryVoltageSense', 13.25), 'VE_TIMEOUT');
    await run(clock, 3000, 100);
    await write;
    assert.equal(line.writtenText.split(':80220002D05F9').length - 1, 2);
    await port.close();
  });

  it('refuses another device than the expected serial: mismatch, one warning, no data, no requests', async () => {
    const { clock, line, port, warnings } = setup({ expectedSerial: 'HQ0000XXXXX' });
    const snapshots: TextSnapshotReading[] = [];
    const registers: RegisterReading[] = [];
    port.on('snapshot', (s) => snapshots.push(s));
    port.on('register', (r) => registers.push(r));
    port.open();
    await run(clock, 50);
    const s = port.state;
    assert.equal(s.kind, 'mismatch');
    if (s.kind === 'mismatch') {
      assert.equal(s.identity.serial, 'HQ2117NTVX4');
      assert.equal(s.expectedSerial, 'HQ0000XXXXX');
    }
    const written = line.writtenText;
    const err = await rejectsWith(port.get('batteryVoltage'), 'VE_IDENTITY');
    assert.match(err.message, /expected the device with serial HQ0000XXXXX, found SmartShunt 500A\/50mV with serial HQ2117NTVX4/);
    for (let i = 0; i < 3; i++) {
      line.emit(HISTORY_BLOCK);
      line.emit(MAIN_BLOCK);
      line.emit(encodeFrame(0xa, registerPayload(0xed8d, 0, [0x6d, 0x0a])) + '\n');
      await run(clock, 1000, 100);
    }
    assert.equal(snapshots.length, 0);
    assert.equal(registers.length, 0);
    assert.equal(port.snapshot(), null);
    assert.equal(port.cached('batteryVoltage'), undefined);
    assert.equal(line.writtenText, written, 'nothing sent to the refused device');
    assert.equal(warnings.filter((w) => /expected the device/.test(w)).length, 1);
    await port.close();
  });

  it('accepts the expected serial (case and spaces ignored) and serves requests only after the check', async () => {
    const { clock, port } = setup({ expectedSerial: ' hq2117ntvx4 ' });
    port.open();
    const early = port.get('batteryVoltage'); // asked before the identity is known
    await run(clock, 60);
    assert.equal(port.state.kind, 'connected');
    assert.equal((await early).value, 26.69);
    await port.close();
  });

  it('leaves a device in its bootloader alone', async () => {
    const { clock, line, device, port } = setup();
    device.version = 0x0102; // bootloader 1.02 (:502014D)
    port.open();
    await run(clock, 50);
    const s = port.state;
    assert.equal(s.kind, 'error');
    if (s.kind === 'error') {
      assert.equal(s.code, 'VE_BOOTLOADER');
      assert.equal(s.reasonKey, 'bootloader');
      assert.equal(s.retryInMs, null);
    }
    assert.equal(line.writtenText, ':154\n', 'no product id, no Get after the bootloader answer');
    await rejectsWith(port.get('batteryVoltage'), 'VE_BOOTLOADER');
    await port.close();
  });

  it('identifies a Text-only device from PID, SER# and FW', async () => {
    const { clock, line, device, port } = setup();
    device.answersHex = false;
    port.open();
    await run(clock, 500);
    assert.equal(port.state.kind, 'connecting');
    line.emit(textBlock({ PID: '0xA2F1', FW: '0114', 'SER#': 'HQ1328Y6TF6', MODE: '2', CS: '9', AC_OUT_V: '23000', V: '12800' }));
    await run(clock, 2600, 100);
    const identity = port.identity;
    assert.equal(port.state.kind, 'connected');
    assert.equal(identity?.productId, 0xa2f1);
    assert.equal(identity?.serial, 'HQ1328Y6TF6');
    assert.equal(identity?.firmware, '1.14');
    assert.equal(identity?.hex, false);
    await port.close();
  });

  it('merges a two-block cycle into one snapshot with decoded values and ages', async () => {
    const { clock, line, port } = setup();
    const snapshots: TextSnapshotReading[] = [];
    port.on('snapshot', (s) => snapshots.push(s));
    port.open();
    await run(clock, 50);
    for (let i = 0; i < 3; i++) {
      line.emit(HISTORY_BLOCK);
      await run(clock, 100);
      line.emit(MAIN_BLOCK);
      await run(clock, 900, 100);
    }
    assert.ok(snapshots.length >= 1);
    const last = snapshots.at(-1);
    assert.equal(last?.fields.V, '26690');
    assert.equal(last?.fields.H17, '50760');
    assert.equal(last?.values.batteryVoltage?.value, 26.69);
    assert.equal(last?.values.batteryVoltage?.unit, 'V');
    assert.equal(last?.values.batteryVoltage?.ageMs, 0);
    assert.ok((last?.values.deepestDischarge?.ageMs ?? -1) >= 100, 'the history block came earlier');
    assert.equal(port.counters.snapshots, snapshots.length);
    await port.close();
  });

  it('caches async values with their age, and marks values and the port stale after staleMs', async () => {
    const { clock, line, port, states } = setup({ staleMs: 5000 });
    port.open();
    await run(clock, 50);
    line.emit(':A0102000543\n'); // 0x0201 device state = 5 (float)
    await run(clock, 10);
    const cached = port.cached(0x0201);
    assert.equal(cached?.value, 5);
    assert.equal(cached?.source, 'async');
    assert.equal(cached?.stale, false);
    await run(clock, 5100, 100);
    assert.equal(port.cached(0x0201)?.stale, true);
    assert.equal(port.state.kind, 'stale');
    assert.equal(port.isStale(), true);
    line.emit(MAIN_BLOCK);
    await run(clock, 10);
    assert.equal(port.state.kind, 'connected');
    assert.deepEqual(
      states.map((s) => s.kind),
      ['connecting', 'connected', 'stale', 'connected'],
    );
    await port.close();
  });

  it('after an unplug: error with retry time, then reconnects and reads the identity again', async () => {
    const { clock, line, port, states } = setup();
    let identities = 0;
    port.on('identity', () => identities++);
    port.open();
    await run(clock, 50);
    line.unplug();
    await run(clock, 10);
    const s = port.state;
    assert.equal(s.kind, 'error');
    if (s.kind === 'error') {
      assert.equal(s.reason, 'device disconnected');
      assert.equal(s.reasonKey, 'disconnected');
      assert.ok(s.retryInMs !== null && s.retryInMs > 0 && s.retryInMs <= 1000);
    }
    await rejectsWith(port.get('batteryVoltage'), 'VE_PORT_CLOSED');
    line.replug();
    await run(clock, 1100, 50);
    assert.equal(port.state.kind, 'connected');
    assert.equal(identities, 2);
    assert.equal(line.writtenText.split(':154\n').length - 1, 2, 'pinged on each connect');
    assert.equal(port.counters.reconnects, 1);
    assert.deepEqual(
      states.map((x) => x.kind),
      ['connecting', 'connected', 'error', 'connecting', 'connected'],
    );
    await port.close();
  });

  it('forgets the values of the previous device when another one answers after a reconnect', async () => {
    const { clock, line, device, port } = setup();
    port.open();
    await run(clock, 50);
    line.emit(':A0102000543\n'); // 0x0201 device state = 5
    await run(clock, 10);
    assert.equal(port.cached(0x0201)?.value, 5);
    line.unplug();
    await run(clock, 10);
    device.productId = 0xa056; // the port was renumbered: an MPPT is behind the path now
    device.registers.set(0x010a, Buffer.from('HQ19499RHC5\0', 'latin1'));
    line.replug();
    await run(clock, 1100, 50);
    assert.equal(port.identity?.serial, 'HQ19499RHC5');
    assert.equal(port.cached(0x0201), undefined, 'no value of the SmartShunt is shown as the MPPT\'s');
    await port.close();
  });

  it('shows a silent device as stale, not as an error, while it reopens the port', async () => {
    const { clock, port } = setup({ staleMs: 5000, silenceMs: 15000 });
    port.open();
    await run(clock, 50);
    await run(clock, 15100, 100);
    assert.equal(port.counters.drops, 1);
    const s = port.state;
    assert.equal(s.kind, 'stale');
    if (s.kind === 'stale') assert.equal(s.identity?.serial, 'HQ2117NTVX4');
    await port.close();
  });

  it('counts rejected units by kind and reports them as frame-error events', async () => {
    const { clock, line, port } = setup();
    let frameErrors = 0;
    port.on('frame-error', () => frameErrors++);
    port.open();
    await run(clock, 50);
    const bad = Buffer.from(MAIN_BLOCK);
    bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 0x01, bad.length - 1); // wrong checksum
    line.emit(MAIN_BLOCK);
    line.emit(bad);
    line.emit(':7D5ED00A404E5\n'); // wrong HEX checksum
    await run(clock, 10);
    const c = port.counters;
    assert.equal(c.rejected['text-checksum'], 1);
    assert.equal(c.rejected['hex-checksum'], 1);
    assert.equal(frameErrors, 2);
    assert.equal(c.requests, 4, 'the identity reads');
    assert.equal(c.queueDepth, 0);
    await port.close();
  });

  it('keeps working when the logger or a listener throws (a closed Node-RED node)', async () => {
    const { clock, line, port } = setup({
      log: {
        info: () => {
          throw new Error('logger gone');
        },
        warn: () => {
          throw new Error('logger gone');
        },
      },
    });
    port.on('state', () => {
      throw new Error('listener bug');
    });
    port.open();
    await run(clock, 50);
    assert.equal(port.state.kind, 'connected');
    line.unplug();
    await run(clock, 10);
    line.replug();
    await run(clock, 1100, 50);
    assert.equal(port.state.kind, 'connected');
    await port.close();
  });

  it('close(): refuses what is pending with VE_PORT_CLOSED, paints closed, leaves no timers', async () => {
    const { clock, device, port, states } = setup();
    port.open();
    await run(clock, 50);
    device.answersHex = false;
    const pending = rejectsWith(port.get('batteryVoltage'), 'VE_PORT_CLOSED');
    await run(clock, 10);
    await port.close();
    await pending;
    assert.equal(port.state.kind, 'closed');
    assert.equal(states.at(-1)?.kind, 'closed');
    assert.equal(clock.pending, 0);
    await rejectsWith(port.get('batteryVoltage'), 'VE_PORT_CLOSED');
  });

  it('ready() resolves with the identity, or fails fast on a missing port', async () => {
    const { clock, port } = setup();
    port.open();
    const ready = port.ready();
    await run(clock, 50);
    assert.equal((await ready).serial, 'HQ2117NTVX4');
    await port.close();

    const missing = setup();
    missing.line.present = false;
    missing.port.open();
    const failed = rejectsWith(missing.port.ready({ failFast: true }), 'VE_PORT_CLOSED');
    await run(missing.clock, 10);
    assert.match((await failed).message, /port not found/);
    await missing.port.close();
  });
});
