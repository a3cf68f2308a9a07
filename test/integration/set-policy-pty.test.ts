/**
 * `ve-direct set` through the real serialport bindings over a pty, to a simulated SmartSolar
 * MPPT 100/30 on the other end: a refusal that needs no device sends not one byte (the port
 * is never opened), a refusal for the product sends no Set, and the valid control goes out
 * exactly. What the device received is its own log of host frames.
 */

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSimDevice } from '../../lib/sim/catalogue';
import { PtyPair } from '../helpers/pty';
import { PtySimDevice } from '../helpers/pty-device';
import { runCliCaptured } from '../helpers/cli';

const keepAlive = setInterval(() => undefined, 1000);

describe('ve-direct set over a pty: the write policy before the wire', () => {
  const pty = new PtyPair('set-policy');
  const device = createSimDevice('smartsolar-100-30');
  const line = new PtySimDevice(pty.b, device);

  before(async () => {
    await pty.start();
    await line.start();
    line.connect();
  });
  after(async () => {
    await line.stop();
    await pty.dispose();
    clearInterval(keepAlive);
  });

  const sets = (register: number): string[] =>
    device.hostLog.filter((f) => f.command?.type === 'set' && f.command.register === register).map((f) => Buffer.from((f.command as { value: Uint8Array }).value).toString('hex').toUpperCase());

  it('a flash setting without --allow-flash: VE_FLASH_GUARD, not one byte', async () => {
    const r = await runCliCaptured(['set', pty.a, 'absorptionVoltage', '14.4']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /Use --allow-flash to write it\. \(VE_FLASH_GUARD\)/);
    assert.equal(device.hostLog.length, 0, 'the host sent nothing');
  });

  it('a device command without --allow-command: VE_COMMAND_GUARD, not one byte', async () => {
    const r = await runCliCaptured(['set', pty.a, 'restoreDefault', 'null', '--allow-flash']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /\(VE_COMMAND_GUARD\)/);
    assert.equal(device.hostLog.length, 0, 'the host sent nothing');
  });

  it("500 A above the 100/30's rating: VE_RANGE after identifying it, no Set", async () => {
    const r = await runCliCaptured(['set', pty.a, 'chargeCurrentLimit', '500']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /0\.\.30 A \(rated charge current of the SmartSolar MPPT 100\|30\).*\(VE_RANGE\)/);
    assert.ok(device.hostLog.length > 0, 'the device was identified');
    assert.deepEqual(sets(0x2015), []);
  });

  it('25 A is written exactly', async () => {
    const r = await runCliCaptured(['set', pty.a, 'chargeCurrentLimit', '25']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(sets(0x2015), ['FA00']);
    assert.equal(r.lines[0]?.value, 25);
  });
});
