/**
 * The ve-direct-port dialog without a browser: its script runs in a sandbox with a stand-in RED
 * that records registerType; the port field's validator takes what the runtime opens (serial
 * paths, tcp://host:port, sim:<device>) and refuses what it would refuse; the dialog's texts
 * are in the catalogue; the help shows the ser2net configuration and is well-formed.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { pathProblem } from '../../lib/link/port-factory';
import '../../lib/sim/scheme';

const ROOT = join(__dirname, '..', '..');
const html = readFileSync(join(ROOT, 'nodes', 've-direct-port.html'), 'utf8');
const catalogue = JSON.parse(readFileSync(join(ROOT, 'locales', 'en-US', 've-direct-port.json'), 'utf8')) as Record<string, unknown>;
const help = readFileSync(join(ROOT, 'locales', 'en-US', 've-direct-port.html'), 'utf8');

function lookup(key: string): string | undefined {
  let at: unknown = catalogue;
  for (const part of key.split('.')) at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[part] : undefined;
  return typeof at === 'string' ? at : undefined;
}

type Validate = (this: unknown, value: unknown) => unknown;

function pathValidator(): Validate {
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)?.[1];
  assert.ok(script);
  let def: { defaults: Record<string, { validate?: Validate }> } | undefined;
  const RED = {
    _: (k: string) => k,
    nodes: { registerType: (_name: string, d: typeof def) => (def = d) },
    validators: { number: () => () => true },
  };
  runInNewContext(script, { RED, $: () => undefined, window: {}, console });
  const validate = def?.defaults.path?.validate;
  assert.ok(validate, 'the port field has a validator');
  return validate;
}

describe('ve-direct-port dialog and help', () => {
  it('the port field accepts what the runtime opens and refuses what it refuses', () => {
    const validate = pathValidator();
    const paths = [
      '/dev/serial/by-id/usb-VictronEnergy_BV_VE_Direct_cable_HQ2132QX4CN-if00-port0',
      '/dev/ttyUSB0',
      'COM3',
      'tcp://192.168.1.20:4001',
      'tcp://vedirect-bridge.local:6638',
      'TCP://[fe80::1]:23/',
      'sim:smartshunt',
      'sim:smartsolar-100-30#2',
      'tcp://192.168.1.20',
      'tcp://192.168.1.20:70000',
      'tcp://host:4001/dev/ttyUSB0',
      'udp://192.168.1.20:4001',
      '',
    ];
    for (const path of paths) {
      const runtime = path === '' ? false : pathProblem(path) === null;
      assert.equal(validate.call({}, path), runtime, `${path}: editor and runtime agree (runtime: ${pathProblem(path) ?? 'ok'})`);
    }
  });

  it('every text of the dialog is in the catalogue', () => {
    const keys = [...html.matchAll(/data-i18n="(?:\[[a-z]+\])?([\w.-]+)"/g)].map((m) => m[1]!);
    const scriptKeys = [...html.matchAll(/NS \+ '\.([\w.]+)'/g)].map((m) => `ve-direct-port.${m[1]!}`);
    assert.ok(keys.includes('ve-direct-port.label.probeAll'));
    for (const key of [...keys, ...scriptKeys]) {
      if (key.endsWith('.')) continue; // built from a variable (list.probing / list.searching)
      assert.ok(lookup(key) !== undefined, `catalogue has ${key}`);
    }
    for (const key of ['list.relay', 'list.skipped', 'list.forbidden', 'list.probing', 'list.searching', 'diagnostics.noHex', 'status.no-hex']) {
      assert.ok(lookup(`ve-direct-port.${key}`), key);
    }
  });

  it('the help shows tcp:// ports, a ser2net 4 configuration and the ESP bridges, well-formed', () => {
    assert.match(help, /<h3>Over the network<\/h3>/);
    assert.match(help, /accepter: tcp,4001\n\s*connector: serialdev,\/dev\/serial\/by-id\/[^\n]*,19200n81,local/);
    assert.match(help, /esp-link/);
    assert.match(help, /ESPHome stream server/);
    assert.match(help, /this link carries no HEX/);
    const stack: string[] = [];
    for (const m of help.matchAll(/<\/?([a-z0-9]+)\b[^>]*>/gi)) {
      const tag = m[1]!.toLowerCase();
      if (['br', 'hr', 'img', 'input'].includes(tag)) continue;
      if (m[0].startsWith('</')) assert.equal(stack.pop(), tag, `</${tag}> at ${m.index}`);
      else stack.push(tag);
    }
    assert.deepEqual(stack, []);
  });
});
