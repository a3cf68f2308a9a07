/** `ve-direct simulate` in-process: the device list, help and usage errors (the live run is an integration test). */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { runCli } from '../../../lib/cli/main';
import { SIM_DEVICES } from '../../../lib/sim/catalogue';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await runCli(args, { stdin: new PassThrough(), stdout, stderr, env: {}, interrupted: new Promise(() => undefined) });
  return { code, stdout: out, stderr: err };
}

test('--list names every device with product id and firmware', async () => {
  const { code, stdout } = await cli(['simulate', '--list']);
  assert.equal(code, 0);
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, SIM_DEVICES.length);
  for (const name of ['bmv700', 'bmv702', 'bmv712', 'smartshunt', 'smartshunt-temp', 'smartsolar-100-30', 'smartsolar-250-70', 'smartsolar-150-70-rev2', 'bluesolar-75-15', 'bluesolar-100-30-pvonly', 'phoenix-inverter', 'bluesmart-charger']) {
    assert.ok(lines.some((l) => l.startsWith(`${name}: `)), name);
  }
  assert.match(stdout, /smartshunt: .*PID 0xA389, fw 4\.14/);
});

test('--help explains the socat recipe', async () => {
  const { code, stdout } = await cli(['simulate', '--help']);
  assert.equal(code, 0);
  assert.match(stdout, /socat -d -d pty,raw,echo=0,link=\/tmp\/a pty,raw,echo=0,link=\/tmp\/b &/);
  assert.match(stdout, /ve-direct simulate smartshunt \/tmp\/b/);
  assert.match(stdout, /ve-direct decode < \/tmp\/a/);
});

test('usage errors exit 2 with a pointer to --help', async () => {
  for (const args of [
    ['simulate'],
    ['simulate', 'smartshunt'],
    ['simulate', 'toaster', '/tmp/x'],
    ['simulate', 'smartshunt', '/tmp/x', '--noise', '2'],
    ['simulate', 'smartshunt', '/tmp/x', '--time-of-day', '25:00'],
    ['simulate', 'smartshunt', '/tmp/x', '--firmware', 'new'],
    ['simulate', 'smartsolar-100-30', '/tmp/x', '--other-master', 'me'],
    ['simulate', 'smartshunt', '/tmp/x', '--bogus'],
  ]) {
    const { code, stderr } = await cli(args);
    assert.equal(code, 2, args.join(' '));
    assert.match(stderr, /ve-direct simulate --help|simulate --list/, args.join(' '));
  }
});

test('a port that cannot be opened: exit 1 with the reason', async () => {
  const { code, stderr } = await cli(['simulate', 'smartshunt', '/nonexistent/tty-for-test']);
  assert.equal(code, 1);
  assert.match(stderr, /cannot open \/nonexistent\/tty-for-test/);
});
