/**
 * The device commands — identify, get, set, monitor, scan — run in-process against simulated
 * devices (`sim:` ports: the real link layer over the simulator's serialport binding).
 */

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCliCaptured } from '../../helpers/cli';
import { getSimDevice } from '../../../lib/sim/registry';

// Simulated devices and the link run on unref'd timers; keep the test process up meanwhile.
const keepAlive = setInterval(() => undefined, 1000);
after(() => clearInterval(keepAlive));

describe('ve-direct identify', () => {
  it('prints productId, product, firmware and serial as JSON', async () => {
    const r = await runCliCaptured(['identify', 'sim:smartshunt']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.lines, [
      {
        port: 'sim:smartshunt',
        productId: '0xA389',
        product: 'SmartShunt 500A/50mV',
        family: 'smartshunt',
        firmware: '4.14',
        serial: getSimDevice('sim:smartshunt').identity.serial,
        model: 'BMV-SmartShunt 500A/50mV',
        hex: true,
      },
    ]);
  });

  it('identifies a Text-only device from its Text fields', async () => {
    const r = await runCliCaptured(['identify', 'sim:phoenix-inverter']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.lines[0]?.hex, false);
    assert.equal(r.lines[0]?.productId, '0xA2F1');
    assert.match(String(r.lines[0]?.serial), /^HQ/);
  });

  it('exits 1 with the VE_ code when the port does not exist', async () => {
    const r = await runCliCaptured(['identify', '/dev/ttyDOES-NOT-EXIST']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^ve-direct identify: cannot open \/dev\/ttyDOES-NOT-EXIST: port not found \(unplugged\?\) \(VE_PORT_CLOSED\)\n$/);
  });

  it('exits 2 on a usage mistake', async () => {
    const r = await runCliCaptured(['identify']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /identify takes one PORT/);
  });
});

describe('ve-direct get', () => {
  it('reads a register by name: scaled value, unit, raw bytes, flags', async () => {
    const r = await runCliCaptured(['get', 'sim:smartshunt', 'batteryVoltage']);
    assert.equal(r.code, 0, r.stderr);
    const line = r.lines[0] ?? {};
    assert.deepEqual(Object.keys(line), ['register', 'name', 'value', 'unit', 'raw', 'flags']);
    assert.equal(line.register, '0xED8D');
    assert.equal(line.name, 'batteryVoltage');
    assert.equal(line.unit, 'V');
    assert.equal(line.flags, 0);
    const raw = Buffer.from(String(line.raw), 'hex');
    assert.equal(line.value, Math.round(raw.readInt16LE(0)) / 100);
  });

  it('reads by id, and shows "not available" as null (0xEDEC without a sensor is not 382 °C)', async () => {
    const r = await runCliCaptured(['get', 'sim:smartshunt', '0xEDEC']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.lines[0]?.name, 'batteryTemperature');
    assert.equal(r.lines[0]?.value, null);
    assert.equal(r.lines[0]?.raw, 'FFFF');
  });

  it('exits 1 with VE_UNKNOWN_ID for a register the device does not have', async () => {
    const r = await runCliCaptured(['get', 'sim:smartshunt', '0x7777']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /0x7777: the device does not have this register \(unknown id\) \(VE_UNKNOWN_ID\)/);
  });

  it('exits 2 for a register name the catalogue does not know, without opening the port', async () => {
    const r = await runCliCaptured(['get', '/dev/ttyDOES-NOT-EXIST', 'batteryVoltge']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown register "batteryVoltge".*VE_UNKNOWN_REGISTER/);
  });
});

describe('ve-direct set', () => {
  it('refuses a flash-backed setting without --allow-flash, before opening the port', async () => {
    const r = await runCliCaptured(['set', '/dev/ttyDOES-NOT-EXIST', 'batteryCapacity', '300']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /0x1000 batteryCapacity is a setting stored in flash memory.*\(VE_FLASH_GUARD\)/);
  });

  it('writes a flash-backed setting with --allow-flash, once, and prints the echo', async () => {
    const device = getSimDevice('sim:bmv712');
    const before = device.flashWrites.get(0x1000) ?? 0;
    const r = await runCliCaptured(['set', 'sim:bmv712', 'batteryCapacity', '300', '--allow-flash']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.lines[0], { register: '0x1000', name: 'batteryCapacity', value: 300, unit: 'Ah', raw: '2C01', flags: 0 });
    assert.equal((device.flashWrites.get(0x1000) ?? 0) - before, 1);
  });

  it('refuses read-only registers and out-of-range values with their codes', async () => {
    const readOnly = await runCliCaptured(['set', 'sim:smartshunt', 'batteryVoltage', '12']);
    assert.equal(readOnly.code, 1);
    assert.match(readOnly.stderr, /read-only \(VE_READ_ONLY\)/);
    const range = await runCliCaptured(['set', 'sim:smartsolar-100-30', 'batteryVoltageSense', '700']);
    assert.equal(range.code, 1);
    assert.match(range.stderr, /outside the allowed range.*\(VE_RANGE\)/);
  });

  it('writes a volatile register of an MPPT (remote voltage sense) and null releases it', async () => {
    const get = await runCliCaptured(['get', 'sim:smartsolar-100-30', 'chargerVoltage']);
    assert.equal(get.code, 0, get.stderr);
    const volts = Number(get.lines[0]?.value);
    const r = await runCliCaptured(['set', 'sim:smartsolar-100-30', 'batteryVoltageSense', volts.toFixed(2)]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.lines[0]?.register, '0x2002');
    assert.equal(r.lines[0]?.value, Number(volts.toFixed(2)));
    const release = await runCliCaptured(['set', 'sim:smartsolar-100-30', 'batteryVoltageSense', 'null']);
    assert.equal(release.code, 0, release.stderr);
    assert.equal(release.lines[0]?.value, null);
    assert.equal(release.lines[0]?.raw, 'FFFF');
  });
});

describe('ve-direct monitor', () => {
  it('prints one decoded snapshot per cycle as JSON lines', async () => {
    const r = await runCliCaptured(['monitor', 'sim:bmv712', '--count', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.lines.length, 2);
    const values = r.lines[0]?.values as Record<string, { value: unknown; unit: string }>;
    assert.equal(r.lines[0]?.product, 'BMV-712 Smart');
    assert.equal(values.batteryVoltage?.unit, 'V');
    assert.equal(typeof values.batteryVoltage?.value, 'number');
    assert.ok('deepestDischarge' in values, 'the history block is merged into the cycle');
  });

  it('refuses a bad --count with exit 2, quoting only the start of what was given', async () => {
    const r = await runCliCaptured(['monitor', 'sim:bmv712', '--count', 'x'.repeat(500)]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--count must be a positive whole number, got "x{10,}/);
    assert.ok(r.stderr.length < 300, `the 500 characters are cut: ${r.stderr.length} characters`);
  });

  it('prints a table with --table and stops when interrupted', async () => {
    let interrupt: () => void = () => undefined;
    const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
    const run = runCliCaptured(['monitor', 'sim:smartshunt', '--table'], { interrupted });
    setTimeout(interrupt, 3500);
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^SmartShunt 500A\/50mV HQ\w+\n {2}productId +41865 +\(SmartShunt 500A\/50mV\)\n/);
    assert.match(r.stdout, /\n {2}batteryVoltage +\d+\.\d+ V\n/);
  });
});

describe('ve-direct scan', () => {
  it('lists the simulated devices, identified (--json)', async () => {
    const r = await runCliCaptured(['scan', '--json', '--timeout', '4000']);
    assert.equal(r.code, 0, r.stderr);
    const shunt = r.lines.find((l) => l.path === 'sim:smartshunt');
    assert.equal(shunt?.product, 'SmartShunt 500A/50mV');
    assert.equal(shunt?.sim, true);
    const inverter = r.lines.find((l) => l.path === 'sim:phoenix-inverter');
    assert.equal(inverter?.hex, false);
    const firstSim = r.lines.findIndex((l) => l.sim === true);
    assert.ok(r.lines.slice(firstSim).every((l) => l.sim === true), 'simulated devices last');
  });

  it('--no-probe lists without opening anything', async () => {
    const r = await runCliCaptured(['scan', '--json', '--no-probe']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.lines.length > 0);
    assert.ok(r.lines.every((l) => l.product === undefined && l.error === undefined));
  });
});
