/**
 * The write policy without a port: what `describeWrite` tells the editor, and every refusal
 * `prepare` makes from the register, the product, the live values and the value; the flash
 * accounting over a store that outlives a restart.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../lib/clock';
import { VeError, type VeErrorCode } from '../../../lib/errors';
import type { DeviceIdentity } from '../../../lib/link/device';
import { JsonFileFlashWriteStore, MemoryFlashWriteStore } from '../../../lib/link/flash-write-store';
import { WritePolicy, describeWrite, systemVoltageFor, voltageWindow, type LiveValues, type WriteRequest } from '../../../lib/link/write-policy';
import { findProduct } from '../../../lib/protocol/catalog/products';
import { findRegister } from '../../../lib/protocol/catalog/registers';
import type { RegisterDef } from '../../../lib/protocol/catalog/types';

function identity(productId: number, family: DeviceIdentity['family'], firmware = '1.61'): DeviceIdentity {
  return {
    productId,
    product: findProduct(productId)?.name ?? null,
    family,
    firmware,
    firmwareKind: 'application',
    serial: 'HQ0000TEST',
    model: null,
    hex: true,
    at: 0,
  };
}

const MPPT_100_30 = identity(0xa056, 'mppt');
const BMV_702 = identity(0x0204, 'bmv', '3.09');
const BMV_712 = identity(0xa381, 'bmv', '4.14');
const LIVE_12V: LiveValues = { terminalVoltage: { value: 13.2, ageMs: 500 }, systemVoltage: 12 };

function def(name: string): RegisterDef {
  const d = findRegister(name);
  assert.ok(d, name);
  return d;
}

function refuses(fn: () => unknown, code: VeErrorCode, text?: RegExp): VeError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof VeError, String(err));
    assert.equal(err.code, code, err.message);
    if (text) assert.match(err.message, text);
    return err;
  }
  assert.fail(`expected ${code}`);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

describe('describeWrite', () => {
  it('names the opt-in each kind of register needs', () => {
    assert.equal(describeWrite(def('batteryVoltage'), null).optIn, 'read-only');
    assert.equal(describeWrite(def('batteryVoltageSense'), null).optIn, 'none');
    assert.equal(describeWrite(def('absorptionVoltage'), null).optIn, 'flash');
    assert.equal(describeWrite(def('restoreDefault'), null).optIn, 'command');
    assert.equal(describeWrite(def('clearHistory'), null).optIn, 'command');
    assert.equal(describeWrite(def('zeroCurrent'), null).optIn, 'command');
    assert.equal(describeWrite(def('synchronise'), null).optIn, 'command');
    assert.equal(describeWrite(def('remoteCommand'), null).optIn, 'command');
    assert.equal(describeWrite(def('batteryVoltage'), null).range, null);
  });

  it("gives the product's rated current as the limit of a charge current", () => {
    const range = describeWrite(def('chargeCurrentLimit'), MPPT_100_30).range;
    assert.deepEqual(range, { min: 0, max: 30, unit: 'A', source: 'rated charge current of the SmartSolar MPPT 100|30' });
    // Without a product, what the register encodes.
    assert.equal(describeWrite(def('chargeCurrentLimit'), null).range?.max, 6553.4);
  });

  it('gives the physical sense temperature range and the 12-48 V voltage windows', () => {
    assert.deepEqual(describeWrite(def('batteryTemperatureSense'), MPPT_100_30).range, { min: -40, max: 85, unit: '°C', source: 'physical range of a battery temperature sensor' });
    const v = describeWrite(def('absorptionVoltage'), MPPT_100_30).range;
    assert.equal(v?.min, 8);
    assert.equal(v?.max, 69.6);
    assert.match(v?.source ?? '', /8-17\.4 V per 12 V/);
  });

  it("follows the product's scale: a BMV-702 threshold in 0.1 V reaches 6553.4 V, a BMV-712's 655.34 V", () => {
    assert.equal(describeWrite(def('alarmLowVoltageSet'), BMV_702).range?.max, 6553.4);
    assert.equal(describeWrite(def('alarmLowVoltageSet'), BMV_712).range?.max, 655.34);
  });
});

describe('voltage windows', () => {
  it('is 8-17.4 V per 12 V', () => {
    assert.deepEqual(voltageWindow(12), { min: 8, max: 17.4 });
    assert.deepEqual(voltageWindow(24), { min: 16, max: 34.8 });
    assert.deepEqual(voltageWindow(48), { min: 32, max: 69.6 });
  });

  it('judges the system voltage from the terminals, the smaller where windows overlap', () => {
    assert.equal(systemVoltageFor(13.1), 12);
    assert.equal(systemVoltageFor(17), 12);
    assert.equal(systemVoltageFor(26.4), 24);
    assert.equal(systemVoltageFor(50), 36);
    assert.equal(systemVoltageFor(53), 48);
    assert.equal(systemVoltageFor(5), null);
  });
});

describe('WritePolicy.prepare', () => {
  const policy = new WritePolicy();
  const prepare = (request: Partial<WriteRequest> & Pick<WriteRequest, 'ref' | 'value'>) => policy.prepare({ identity: MPPT_100_30, live: LIVE_12V, ...request });

  it('refuses a read-only register', () => {
    refuses(() => prepare({ ref: 'batteryVoltage', value: 12 }), 'VE_READ_ONLY');
  });

  it('refuses commands without the command opt-in, also with the flash opt-in', () => {
    for (const ref of ['restoreDefault', 'clearHistory', 'zeroCurrent', 'synchronise', 'remoteCommand']) {
      refuses(() => prepare({ ref, value: ref === 'remoteCommand' ? 1 : null, allowFlash: true }), 'VE_COMMAND_GUARD');
    }
    assert.equal(prepare({ ref: 'clearHistory', value: null, allowCommand: true }).kind, 'command');
  });

  it('refuses flash settings without the flash opt-in, also with the command opt-in', () => {
    refuses(() => prepare({ ref: 'absorptionVoltage', value: 14.4, allowCommand: true }), 'VE_FLASH_GUARD', /flash/);
    refuses(() => prepare({ ref: 0x2211, value: { raw: Uint8Array.of(1) } }), 'VE_FLASH_GUARD', /not in the register catalogue/);
    assert.equal(prepare({ ref: 'absorptionVoltage', value: 14.4, allowFlash: true }).kind, 'flash');
  });

  it('lets 0x200E bits 0 and 2 through, and refuses any other bit without the flash opt-in', () => {
    assert.equal(prepare({ ref: 'networkMode', value: 5 }).kind, 'volatile');
    assert.equal(prepare({ ref: 'networkMode', value: 0 }).kind, 'volatile');
    for (const value of [8, 9, 0x0d, 0x02, 0x10, 0x40]) refuses(() => prepare({ ref: 'networkMode', value }), 'VE_FLASH_GUARD');
    refuses(() => prepare({ ref: 'networkMode', value: { raw: Uint8Array.of(0x09) } }), 'VE_FLASH_GUARD', /BMS/);
    assert.equal(prepare({ ref: 'networkMode', value: 0x0d, allowFlash: true }).kind, 'flash');
  });

  it('takes null only where "not available" releases the register', () => {
    for (const ref of ['batteryVoltageSense', 'batteryTemperatureSense', 'batteryChargeCurrent', 'chargeCurrentLimit']) {
      assert.ok(prepare({ ref, value: null }).bytes.every((b) => b === 0xff || b === 0x7f), ref);
    }
    refuses(() => prepare({ ref: 'batteryMaxCurrent', value: null, allowFlash: true }), 'VE_TYPE');
    refuses(() => prepare({ ref: 'absorptionVoltage', value: null, allowFlash: true }), 'VE_TYPE');
    refuses(() => prepare({ ref: 'networkMode', value: null }), 'VE_TYPE');
  });

  it('refuses a sense temperature outside -40..+85 °C, naming the limit and its source', () => {
    refuses(() => prepare({ ref: 'batteryTemperatureSense', value: -300 }), 'VE_RANGE', /-40\.\.85 °C \(physical range of a battery temperature sensor\)/);
    refuses(() => prepare({ ref: 'batteryTemperatureSense', value: 85.01 }), 'VE_RANGE');
    assert.equal(hex(prepare({ ref: 'batteryTemperatureSense', value: -5 }).bytes), '0CFE');
  });

  it('takes a battery current (0x200A) within ±9999 A, either direction, and its release', () => {
    refuses(() => prepare({ ref: 'batteryChargeCurrent', value: 10_000 }), 'VE_RANGE', /-9999\.\.9999 A \(largest shunt a BMV or SmartShunt can be set up for\)/);
    refuses(() => prepare({ ref: 'batteryChargeCurrent', value: -9999.001 }), 'VE_RANGE');
    assert.equal(hex(prepare({ ref: 'batteryChargeCurrent', value: -12.345 }).bytes), 'C7CFFFFF');
    assert.equal(hex(prepare({ ref: 'batteryChargeCurrent', value: 9999 }).bytes), '98929800');
    assert.equal(hex(prepare({ ref: 'batteryChargeCurrent', value: null }).bytes), 'FFFFFF7F');
  });

  it('refuses a sense voltage outside the system window or ±5 V of the terminals', () => {
    refuses(() => prepare({ ref: 'batteryVoltageSense', value: 100 }), 'VE_RANGE', /8-17\.4 V for a 12 V system voltage/);
    refuses(() => prepare({ ref: 'batteryVoltageSense', value: 8.1 }), 'VE_RANGE', /±5 V of the charger's terminal voltage 13\.2 V/);
    assert.equal(hex(prepare({ ref: 'batteryVoltageSense', value: 13.25 }).bytes), '2D05');
    refuses(() => prepare({ ref: 'batteryVoltageSense', value: 13.25, live: {} }), 'VE_STALE', /terminal voltage/);
    refuses(() => prepare({ ref: 'batteryVoltageSense', value: 13.25, live: { systemVoltage: 12, terminalVoltage: { value: 13.2, ageMs: 60_000 } } }), 'VE_STALE');
  });

  it('refuses battery voltage settings outside the window for the system voltage', () => {
    refuses(() => prepare({ ref: 'absorptionVoltage', value: 28.8, allowFlash: true }), 'VE_RANGE', /8\.\.17\.4 V/);
    assert.equal(hex(prepare({ ref: 'absorptionVoltage', value: 28.8, allowFlash: true, live: { systemVoltage: 24 } }).bytes), '400B');
    // Judged from the terminal voltage when 0xEDEF is not known.
    refuses(() => prepare({ ref: 'absorptionVoltage', value: 28.8, allowFlash: true, live: { terminalVoltage: { value: 13, ageMs: 0 } } }), 'VE_RANGE', /judged from the terminal voltage/);
    refuses(() => prepare({ ref: 'absorptionVoltage', value: 14.4, allowFlash: true, live: {} }), 'VE_STALE', /system voltage/);
  });

  it("refuses a charge current above the product's rating and writes 25 A on a 100|30 exactly", () => {
    refuses(() => prepare({ ref: 'chargeCurrentLimit', value: 500 }), 'VE_RANGE', /0\.\.30 A \(rated charge current of the SmartSolar MPPT 100\|30\)/);
    refuses(() => prepare({ ref: 'batteryMaxCurrent', value: 30.1, allowFlash: true }), 'VE_RANGE');
    assert.equal(hex(prepare({ ref: 'chargeCurrentLimit', value: 25 }).bytes), 'FA00');
  });

  it('encodes BMV-70x thresholds in 0.1 V and BMV-712 ones in 0.01 V', () => {
    assert.equal(hex(prepare({ ref: 'alarmLowVoltageSet', value: 11.5, allowFlash: true, identity: BMV_702 }).bytes), '7300');
    assert.equal(hex(prepare({ ref: 'alarmLowVoltageSet', value: 11.5, allowFlash: true, identity: BMV_712 }).bytes), '7E04');
  });

  it('checks raw bytes of a known register like a value', () => {
    refuses(() => prepare({ ref: 'chargeCurrentLimit', value: { raw: Uint8Array.of(0x88, 0x13) } }), 'VE_RANGE');
    refuses(() => prepare({ ref: 'batteryVoltage', value: { raw: Uint8Array.of(0, 0) } }), 'VE_READ_ONLY');
    // FFFF to a flash setting is "not available", which does not release it: refused like null.
    refuses(() => prepare({ ref: 'batteryMaxCurrent', value: { raw: Uint8Array.of(0xff, 0xff) }, allowFlash: true }), 'VE_TYPE', /needs a value/);
    refuses(() => prepare({ ref: 'chargeCurrentLimit', value: { raw: Uint8Array.of(0xfa, 0x00, 0x00) } }), 'VE_TYPE', /takes 2 bytes/);
    assert.equal(hex(prepare({ ref: 'batteryVoltageSense', value: { raw: Uint8Array.of(0xff, 0xff) } }).bytes), 'FFFF');
  });
});

describe('flash accounting', () => {
  const absorption = (policy: WritePolicy, value: number) => policy.prepare({ ref: 'absorptionVoltage', value, identity: MPPT_100_30, live: LIVE_12V, allowFlash: true });

  it('calls a repeat within the interval unchanged, refuses another value, allows it after', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const policy = new WritePolicy({ wallClock: clock, store: new MemoryFlashWriteStore() });
    const key = WritePolicy.key('HQ1', 0xedf7);
    const first = absorption(policy, 14.4);
    assert.equal(policy.recent(key, first), undefined);
    await policy.reserve(key, first);
    clock.advance(10_000);
    assert.equal(policy.recent(key, absorption(policy, 14.4)), 'unchanged');
    refuses(() => policy.recent(key, absorption(policy, 14.2)), 'VE_RATE_LIMIT', /Try again in 50 s/);
    clock.advance(50_000);
    assert.equal(policy.recent(key, absorption(policy, 14.2)), undefined);
  });

  it('counts a record from the future (the clock was set back) as just written, unless it is days ahead', async () => {
    // A wall clock that can be set back, as a system clock can.
    const wall = { time: 1_700_000_000_000, now(): number { return this.time; } };
    const policy = new WritePolicy({ wallClock: wall });
    const key = WritePolicy.key('HQ1', 0xedf7);
    await policy.reserve(key, absorption(policy, 14.4));
    wall.time -= 3_600_000; // an hour back: a Pi before NTP answers
    refuses(() => policy.recent(key, absorption(policy, 14.2)), 'VE_RATE_LIMIT', /Try again in 60 s/);
    wall.time -= 3 * 24 * 3_600_000;
    assert.equal(policy.recent(key, absorption(policy, 14.2)), undefined);
  });

  it('undoes a reservation for a write that never reached the device', async () => {
    const policy = new WritePolicy({ wallClock: new ManualClock(1e12) });
    const key = WritePolicy.key('HQ1', 0xedf7);
    const reservation = await policy.reserve(key, absorption(policy, 14.4));
    await reservation.undo();
    assert.equal(policy.recent(key, absorption(policy, 14.2)), undefined);
  });

  it('remembers writes in a JSON file across a restart, written atomically', async () => {
    const dir = mkdtempSync(join(tmpdir(), 've-flash-'));
    const path = join(dir, 'state', 'flash-writes.json');
    const clock = new ManualClock(1_700_000_000_000);
    const first = new WritePolicy({ wallClock: clock, store: new JsonFileFlashWriteStore(path, { now: () => clock.now() }) });
    const key = WritePolicy.key('HQ1', 0xedf7);
    await first.reserve(key, absorption(first, 14.4));
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { 'HQ1/0xEDF7': { at: 1_700_000_000_000, raw: 'A005' } });
    clock.advance(5_000);
    const restarted = new WritePolicy({ wallClock: clock, store: new JsonFileFlashWriteStore(path, { now: () => clock.now() }) });
    refuses(() => restarted.recent(key, absorption(restarted, 14.2)), 'VE_RATE_LIMIT');
  });

  it('reports an unreadable file and starts empty', () => {
    const dir = mkdtempSync(join(tmpdir(), 've-flash-'));
    const path = join(dir, 'flash-writes.json');
    writeFileSync(path, '{not json');
    const errors: string[] = [];
    const store = new JsonFileFlashWriteStore(path, { onError: (m) => errors.push(m) });
    assert.equal(store.get('x'), undefined);
    assert.match(errors[0] ?? '', /not valid JSON/);
  });
});
