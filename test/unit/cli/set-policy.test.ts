/**
 * `ve-direct set` against the write policy, in-process with simulated devices: every refusal
 * exits 1 with its code and sends no Set (the refusals that need no device open no port at
 * all: not one byte); a refusal names the flag that allows it; the product's values are
 * written exactly; negative values parse; the flash interval holds across runs through the
 * state file.
 */

import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultStateFile } from '../../../lib/cli/commands/set';
import { getSimDevice, resetSimDevices } from '../../../lib/sim';
import { runCliCaptured, type CliResult } from '../../helpers/cli';

const MPPT = 'sim:smartsolar-100-30';
const SHUNT = 'sim:smartshunt';

// The link's timers do not hold the process open; a test waiting on a simulated device must.
const keepAlive = setInterval(() => undefined, 1000);
after(() => clearInterval(keepAlive));

function stateFile(): string {
  return join(mkdtempSync(join(tmpdir(), 've-direct-state-')), 'flash-writes.json');
}

function sets(path: string, register?: number): string[] {
  return getSimDevice(path)
    .hostLog.filter((f) => f.command?.type === 'set' && (register === undefined || f.command.register === register))
    .map((f) => Buffer.from((f.command as { value: Uint8Array }).value).toString('hex').toUpperCase());
}

/** Run `args`; expect exit 1 with `code`, and nothing at all sent to the device. */
async function refusedOffline(path: string, args: string[], code: string): Promise<CliResult> {
  const heard = getSimDevice(path).hostLog.length;
  const r = await runCliCaptured(['set', path, ...args]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`\\(${code}\\)`));
  assert.equal(r.stdout, '');
  assert.equal(getSimDevice(path).hostLog.length, heard, 'not one byte went to the device');
  return r;
}

/** Run `args`; expect exit 1 with `code` after the device was identified, and no Set sent. */
async function refusedOnline(path: string, args: string[], code: string): Promise<CliResult> {
  const before = sets(path).length;
  const r = await runCliCaptured(['set', path, ...args]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`\\(${code}\\)`));
  assert.ok(getSimDevice(path).hostLog.length > 0, 'the device was identified');
  assert.equal(sets(path).length, before, 'no Set went to the device');
  return r;
}

describe('ve-direct set and the write policy', () => {
  afterEach(() => resetSimDevices());

  describe('refusals that need no device: exit 1, the code, not one byte', () => {
    it('VE_READ_ONLY', async () => {
      await refusedOffline(SHUNT, ['batteryVoltage', '12'], 'VE_READ_ONLY');
    });

    it('VE_TYPE: text to a number; null to a flash setting', async () => {
      await refusedOffline(MPPT, ['batteryTemperatureSense', 'warm'], 'VE_TYPE');
      await refusedOffline(MPPT, ['batteryMaxCurrent', 'null', '--allow-flash'], 'VE_TYPE');
    });

    it('VE_FLASH_GUARD names --allow-flash; also for network mode with the BMS bit', async () => {
      const r = await refusedOffline(MPPT, ['absorptionVoltage', '14.4'], 'VE_FLASH_GUARD');
      assert.match(r.stderr, /Use --allow-flash to write it\./);
      const bms = await refusedOffline(MPPT, ['networkMode', '9'], 'VE_FLASH_GUARD');
      assert.match(bms.stderr, /BMS.*Use --allow-flash/);
    });

    it('VE_COMMAND_GUARD names --allow-command, also with --allow-flash', async () => {
      for (const register of ['clearHistory', 'restoreDefault', 'zeroCurrent', 'synchronise']) {
        const r = await refusedOffline(SHUNT, [register, 'null', '--allow-flash'], 'VE_COMMAND_GUARD');
        assert.match(r.stderr, /Use --allow-command to send it\./);
      }
    });

    it('VE_RANGE: 100 V of sense voltage is outside any system voltage (8-69.6 V)', async () => {
      await refusedOffline(MPPT, ['batteryVoltageSense', '100'], 'VE_RANGE');
    });

    it('VE_RANGE: a negative value parses, and -300 °C is outside -40..85 °C', async () => {
      const r = await refusedOffline(MPPT, ['batteryTemperatureSense', '-300'], 'VE_RANGE');
      assert.match(r.stderr, /-300 °C is outside -40\.\.85 °C \(physical range of a battery temperature sensor\)/);
    });
  });

  describe('refusals for the product and its live values: exit 1, the code, no Set', () => {
    it('VE_RANGE: 500 A of charge current limit on a 100|30', async () => {
      const r = await refusedOnline(MPPT, ['chargeCurrentLimit', '500'], 'VE_RANGE');
      assert.match(r.stderr, /500 A is outside 0\.\.30 A \(rated charge current of the SmartSolar MPPT 100\|30\)/);
    });

    it('VE_RANGE: 30 V of sense voltage on a 12 V charger', async () => {
      const r = await refusedOnline(MPPT, ['batteryVoltageSense', '30'], 'VE_RANGE');
      assert.match(r.stderr, /high end: 8-17\.4 V for a 12 V system voltage/);
    });

    it('VE_RANGE: a 24 V absorption voltage on a 12 V charger, with --allow-flash', async () => {
      const r = await refusedOnline(MPPT, ['absorptionVoltage', '28.8', '--allow-flash', '--state-file', stateFile()], 'VE_RANGE');
      assert.match(r.stderr, /8\.\.17\.4 V/);
    });

    it('VE_RATE_LIMIT: a second value within the interval, in another run with the same state file', async () => {
      const file = stateFile();
      const first = await runCliCaptured(['set', SHUNT, 'batteryCapacity', '250', '--allow-flash', '--state-file', file]);
      assert.equal(first.code, 0, first.stderr);
      assert.deepEqual(Object.values(JSON.parse(readFileSync(file, 'utf8')) as Record<string, { raw: string }>).map((r) => r.raw), ['FA00']);
      const heard = getSimDevice(SHUNT).hostLog.length;
      const second = await runCliCaptured(['set', SHUNT, 'batteryCapacity', '300', '--allow-flash', '--state-file', file]);
      assert.equal(second.code, 1, second.stderr);
      assert.match(second.stderr, /Try again in \d+ s.*\(VE_RATE_LIMIT\)/);
      assert.deepEqual(sets(SHUNT, 0x1000), ['FA00'], 'no second Set');
      assert.ok(getSimDevice(SHUNT).hostLog.length > heard, 'the second run identified the device');
      assert.equal(getSimDevice(SHUNT).flashWrites.get(0x1000), 1);
      // With --min-interval 0 the same run goes through.
      const allowed = await runCliCaptured(['set', SHUNT, 'batteryCapacity', '300', '--allow-flash', '--state-file', file, '--min-interval', '0']);
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.deepEqual(sets(SHUNT, 0x1000), ['FA00', '2C01']);
    });

    it('an unchanged flash setting is not written again', async () => {
      const file = stateFile();
      const r = await runCliCaptured(['set', SHUNT, 'batteryCapacity', '200', '--allow-flash', '--state-file', file]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /holds this value already/);
      assert.equal(r.lines[0]?.value, 200);
      assert.deepEqual(sets(SHUNT, 0x1000), []);
    });
  });

  describe('valid controls', () => {
    it('25 A of charge current limit on a 100|30 is written exactly', async () => {
      const r = await runCliCaptured(['set', MPPT, 'chargeCurrentLimit', '25']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(sets(MPPT, 0x2015), ['FA00']);
      assert.equal(r.lines[0]?.value, 25);
    });

    it('11.5 V to a BMV-702 threshold as 115, to a BMV-712 threshold as 1150', async () => {
      const bmv702 = await runCliCaptured(['set', 'sim:bmv702', 'alarmLowVoltageSet', '11.5', '--allow-flash', '--state-file', stateFile()]);
      assert.equal(bmv702.code, 0, bmv702.stderr);
      assert.deepEqual(sets('sim:bmv702', 0x0320), ['7300']);
      assert.equal(bmv702.lines[0]?.value, 11.5);
      const bmv712 = await runCliCaptured(['set', 'sim:bmv712', 'alarmLowVoltageSet', '11.5', '--allow-flash', '--state-file', stateFile()]);
      assert.equal(bmv712.code, 0, bmv712.stderr);
      assert.deepEqual(sets('sim:bmv712', 0x0320), ['7E04']);
      assert.equal(bmv712.lines[0]?.value, 11.5);
    });

    it('a negative sense temperature is a value, not an option', async () => {
      const r = await runCliCaptured(['set', MPPT, 'batteryTemperatureSense', '-5']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(sets(MPPT, 0x2003), ['0CFE']);
      assert.equal(r.lines[0]?.value, -5);
    });

    it('a device command with --allow-command', async () => {
      const r = await runCliCaptured(['set', SHUNT, 'synchronise', 'null', '--allow-command', '--state-file', stateFile()]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(sets(SHUNT, 0x102c).length, 1);
    });
  });

  it('keeps the state in $XDG_STATE_HOME, else ~/.local/state', () => {
    assert.equal(defaultStateFile({ XDG_STATE_HOME: '/var/lib/x', HOME: '/home/pi' }), '/var/lib/x/ve-direct/flash-writes.json');
    assert.equal(defaultStateFile({ HOME: '/home/pi' }), '/home/pi/.local/state/ve-direct/flash-writes.json');
    // A relative XDG_STATE_HOME is invalid by the specification: ignored.
    assert.equal(defaultStateFile({ XDG_STATE_HOME: 'state', HOME: '/home/pi' }), '/home/pi/.local/state/ve-direct/flash-writes.json');
  });
});

