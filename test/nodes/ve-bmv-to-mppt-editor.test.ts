/**
 * The editor and help of ve-bmv-to-mppt without a browser, and the two pure pieces of its
 * runtime: nodes/ve-bmv-to-mppt.html runs in a sandbox with a stand-in RED that records
 * registerType and translates from the real catalogue; the help is checked for its sections
 * and its safety explanations; the editor's defaults and bounds are checked against the
 * library's; the translation of the saved fields and the wall-clock conversion of reports are
 * checked on their own.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { CONFIG_BOUNDS, resolveConfig } from '../../lib/bridge/config';
import type { Alarm, BridgeReport, ChargerReport, WriteReport } from '../../lib/bridge/types';
import { ManualClock } from '../../lib/clock';
import { bridgeConfig, editorField, type BridgeNodeDef } from '../../nodes/lib/bridge-config';
import { alarmChangeOut, reportOut, wallClockNow } from '../../nodes/lib/bridge-output';

const ROOT = join(__dirname, '..', '..');
const TYPE = 've-bmv-to-mppt';
const MODULE = 'node-red-contrib-ve-direct';

type Catalogue = Record<string, unknown>;
type Validate = (this: unknown, value: unknown, opt: Record<string, unknown>) => unknown;
interface Definition {
  category: string;
  color: string;
  icon: string;
  inputs: number;
  outputs: number;
  defaults: Record<string, { value: unknown; validate?: Validate }>;
  label: (this: Record<string, unknown>) => string;
  paletteLabel: () => string;
  outputLabels: (i: number) => string;
}

const catalogue = JSON.parse(readFileSync(join(ROOT, 'locales', 'en-US', `${TYPE}.json`), 'utf8')) as Catalogue;

function lookup(key: string): string | undefined {
  let at: unknown = catalogue;
  for (const part of key.split('.')) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return typeof at === 'string' ? at : undefined;
}

/** Node-RED's RED._ in the editor: `module/set:key`, `__param__` interpolation. */
function translate(key: string, params?: Record<string, unknown>): string {
  const match = /^([^:]+)\/([^:/]+):(.+)$/.exec(key);
  assert.ok(match, `key with its namespace: ${key}`);
  assert.equal(match[1], MODULE);
  assert.equal(match[2], TYPE);
  const text = lookup(match[3]!);
  assert.ok(text !== undefined, `catalogue has ${match[3]}`);
  return text.replace(/__(\w+)__/g, (_, name: string) => String(params?.[name] ?? ''));
}

function parts(): { script: string; template: string } {
  const html = readFileSync(join(ROOT, 'nodes', `${TYPE}.html`), 'utf8');
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)?.[1];
  const template = new RegExp(`<script type="text/html" data-template-name="${TYPE}">([\\s\\S]*?)</script>`).exec(html)?.[1];
  assert.ok(script && template);
  return { script, template };
}

/** Config nodes the stand-in editor knows, by id. */
const PORTS: Record<string, { type: string; id: string }> = {
  p1: { type: 've-direct-port', id: 'p1' },
  p2: { type: 've-direct-port', id: 'p2' },
  x1: { type: 'mqtt-broker', id: 'x1' },
};

function definition(): Definition {
  const registered: Record<string, Definition> = {};
  const RED = {
    _: translate,
    nodes: { registerType: (name: string, def: Definition) => (registered[name] = def), node: (id: string) => PORTS[id] ?? null },
    validators: {},
  };
  runInNewContext(parts().script, { RED, $: () => undefined, window: {}, console });
  const def = registered[TYPE];
  assert.ok(def, 'registered');
  return def;
}

function defaults(def: Definition): Record<string, unknown> {
  return Object.fromEntries(Object.entries(def.defaults).map(([k, v]) => [k, JSON.parse(JSON.stringify(v.value)) as unknown]));
}

function valid(def: Definition, field: string, value: unknown, node: Record<string, unknown> = {}): unknown {
  const validate = def.defaults[field]?.validate;
  assert.ok(validate, `${field} has a validator`);
  return validate.call({ ...defaults(def), ...node }, value, {});
}

/** Saved editor fields (a flow holds no more than these, without the runtime's id/type/z). */
function fields(saved: Record<string, unknown>): BridgeNodeDef {
  return saved as unknown as BridgeNodeDef;
}

/** The members of a string-literal union type in lib/bridge/types.ts. */
function unionMembers(name: string): string[] {
  const source = readFileSync(join(ROOT, 'lib', 'bridge', 'types.ts'), 'utf8');
  const body = new RegExp(`export type ${name} =([\\s\\S]*?);`).exec(source)?.[1];
  assert.ok(body, name);
  return [...body.replace(/\/\/.*$/gm, '').matchAll(/'([\w-]+)'/g)].map((m) => m[1]!);
}

describe('ve-bmv-to-mppt editor and help', () => {
  it('palette category, colour, icon, one input, two outputs, as literals', () => {
    const def = definition();
    assert.equal(def.category, 'Victron VE.Direct');
    assert.equal(def.color, '#8FC1E8');
    assert.equal(def.icon, 've-bmv-to-mppt.svg');
    assert.ok(existsSync(join(ROOT, 'icons', def.icon)));
    assert.equal(def.inputs, 1);
    assert.equal(def.outputs, 2);
    assert.equal(def.paletteLabel(), 'BMV → MPPT');
    assert.deepEqual([def.outputLabels(0), def.outputLabels(1)], ['report (one per cycle)', 'alarm changes']);
    const { script } = parts();
    assert.match(script, /category: 'Victron VE\.Direct',/);
    assert.match(script, /color: '#[0-9A-F]{6}',/);
    assert.match(script, /icon: '[\w-]+\.svg',/);
    assert.match(script, /inputs: 1,/);
    assert.match(script, /outputs: 2,/);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };
    assert.equal(pkg['node-red'].nodes[TYPE], 'dist/nodes/ve-bmv-to-mppt.js');
  });

  it('the editor\'s defaults are the library\'s defaults', () => {
    const def = definition();
    const saved = fields(defaults(def));
    assert.deepEqual(resolveConfig(bridgeConfig(saved)), resolveConfig({}));
    assert.deepEqual(
      [saved.sources, saved.sourcesAll, saved.targets, saved.targetsAll, saved.enabled, saved.bmsDisconnect, saved.bmsAccept, saved.externalVoltage, saved.externalTemperature],
      [[], false, [], false, true, false, false, false, false],
    );
    // Lithium without a chosen temperature strategy: the coldest reading.
    assert.equal(resolveConfig(bridgeConfig({ ...saved, chemistry: 'lithium' })).temperatureStrategy, 'min');
    assert.equal(resolveConfig(bridgeConfig({ ...saved, chemistry: 'lithium', temperatureStrategy: 'max' })).temperatureStrategy, 'max');
    // The current is shared only when ticked.
    assert.equal(saved.shareCurrent, false);
    assert.equal(resolveConfig(bridgeConfig({ ...saved, shareCurrent: true })).shareCurrent, true);
  });

  it('number fields accept exactly the library\'s bounds (seconds for intervals), or blank for the default', () => {
    const def = definition();
    const numberFields: Record<string, [keyof typeof CONFIG_BOUNDS, number]> = {
      voltageInterval: ['voltageIntervalMs', 1000],
      temperatureInterval: ['temperatureIntervalMs', 1000],
      freshness: ['freshnessMs', 1000],
      maxSpreadVoltage: ['maxSpreadVoltage', 1],
      maxSpreadTemperature: ['maxSpreadTemperature', 1],
      plausibilityWindow: ['plausibilityWindow', 1],
      lowTemperatureLimit: ['lowTemperatureLimit', 1],
    };
    for (const [field, [key, scale]] of Object.entries(numberFields)) {
      const [min, max] = CONFIG_BOUNDS[key].map((b) => b / scale) as [number, number];
      assert.equal(valid(def, field, String(min)), true, `${field} ${min}`);
      assert.equal(valid(def, field, String(max)), true, `${field} ${max}`);
      assert.equal(valid(def, field, ''), true, `${field} blank`);
      assert.equal(valid(def, field, String(min - 0.001)), `a number from ${min} to ${max}`, `${field} below`);
      assert.equal(valid(def, field, String(max + 0.001)), `a number from ${min} to ${max}`, `${field} above`);
      assert.equal(valid(def, field, 'abc'), `a number from ${min} to ${max}`);
      assert.equal(editorField(key), field, `${key} is named by its editor field`);
      // The library takes exactly what the editor accepts.
      assert.doesNotThrow(() => resolveConfig(bridgeConfig(fields({ [field]: String(max) }))));
      assert.throws(() => resolveConfig(bridgeConfig(fields({ [field]: String(max + 0.001) }))), { code: 'VE_BAD_INPUT' });
    }
  });

  it('ports: at least one per role (or "all found"), existing ve-direct-ports, none in both roles; BMS opt-in', () => {
    const def = definition();
    assert.equal(valid(def, 'sources', ['p1']), true);
    assert.equal(valid(def, 'sources', []), 'choose at least one battery monitor, or tick "all found"');
    assert.equal(valid(def, 'sources', [], { sourcesAll: true }), true);
    assert.equal(valid(def, 'sources', ['gone']), 'a chosen ve-direct-port no longer exists');
    assert.equal(valid(def, 'sources', ['x1']), 'a chosen ve-direct-port no longer exists');
    assert.equal(valid(def, 'targets', ['p2'], { sources: ['p1'] }), true);
    assert.equal(valid(def, 'targets', ['p1'], { sources: ['p1'] }), 'a port cannot be a monitor and a charger');
    assert.equal(valid(def, 'targets', ['p1'], { sources: ['p1'], sourcesAll: true }), true);
    assert.equal(valid(def, 'targets', []), 'choose at least one MPPT charger, or tick "all found"');
    assert.equal(valid(def, 'bmsAccept', false), true);
    assert.equal(valid(def, 'bmsAccept', false, { bmsDisconnect: true }), 'tick "share anyway" to share with a BMS-disconnect battery');
    assert.equal(valid(def, 'bmsAccept', true, { bmsDisconnect: true }), true);
  });

  it('label: the name, or what is shared with how many chargers', () => {
    const def = definition();
    const label = (node: Record<string, unknown>): string => def.label.call({ ...defaults(def), ...node });
    assert.equal(label({ targets: ['p1', 'p2'] }), 'share V+T → 2 MPPT');
    assert.equal(label({ share: 'voltage', targets: ['p1'] }), 'share V → 1 MPPT');
    assert.equal(label({ share: 'temperature', targetsAll: true }), 'share T → all MPPT');
    assert.equal(label({ shareCurrent: true, targets: ['p1'] }), 'share V+T+I → 1 MPPT');
    assert.equal(label({ name: 'House bank' }), 'House bank');
  });

  it('every field has its form row; every text of the dialog and of the runtime is in the catalogue', () => {
    const def = definition();
    const { template, script } = parts();
    for (const field of Object.keys(def.defaults)) {
      if (['version', 'sources', 'targets'].includes(field)) continue;
      assert.ok(template.includes(`id="node-input-${field}"`), `a form row for ${field}`);
    }
    assert.ok(template.includes('id="ve-bmv-to-mppt-sources"') && template.includes('id="ve-bmv-to-mppt-targets"'), 'the port lists');
    const keys = [...template.matchAll(/data-i18n="(?:\[\w+\])?([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(keys.length > 20);
    for (const key of keys) assert.ok(lookup(key) !== undefined, `catalogue has ${key}`);
    for (const m of script.matchAll(/\bt\('([\w.-]*[\w-])'\s*[,)]/g)) assert.ok(lookup(`${TYPE}.${m[1]}`) !== undefined, `catalogue has ${m[1]}`);

    const runtime = readFileSync(join(ROOT, 'nodes', `${TYPE}.ts`), 'utf8');
    const used = new Set<string>();
    for (const m of runtime.matchAll(/\bt\('([\w.-]+)'/g)) used.add(m[1]!);
    for (const m of runtime.matchAll(/ownError\(\s*RED,\s*TYPE,\s*'VE_\w+',\s*'([\w-]+)'/g)) used.add(`errors.${m[1]}`);
    for (const key of ['errors.VE_BAD_INPUT', 'errors.bad-config', 'errors.port-refused', 'status.bad-config', 'status.ports', 'status.bms']) used.add(key);
    for (const code of unionMembers('AlarmCode')) used.add(`alarms.${code}`);
    for (const key of unionMembers('StatusKey')) used.add(`status.${key}`);
    for (const field of ['voltageInterval', 'temperatureInterval', 'freshness', 'sources', 'targets', 'bmsAccept']) used.add(`label.${field}`);
    assert.ok(used.size > 40);
    for (const key of used) assert.ok(lookup(`${TYPE}.${key}`) !== undefined, `catalogue has ${TYPE}.${key}`);
  });

  it('help: a one-line tooltip, Inputs / Outputs / Details / References, and the safety model in plain words', () => {
    const file = `locales/en-US/${TYPE}.html`;
    const help = readFileSync(join(ROOT, file), 'utf8');
    const body = new RegExp(`^<script type="text/html" data-help-name="${TYPE}">([\\s\\S]*)</script>\\s*$`).exec(help)?.[1];
    assert.ok(body, 'one help script');
    const first = /^\s*<p>([\s\S]*?)<\/p>/.exec(body);
    assert.ok(first && !/<(p|dl|ul|h3)\b/.test(first[1]!) && first[1]!.length < 120, 'a short one-line tooltip');
    assert.deepEqual([...body.matchAll(/<h3>([^<]+)<\/h3>/g)].map((m) => m[1]), ['Inputs', 'Outputs', 'Details', 'References']);
    assert.ok(body.includes('<dl class="message-properties">') && body.includes('<ol class="node-ports">'));
    for (const dt of body.matchAll(/<dt[^>]*>([\s\S]*?)<\/dt>/g)) assert.match(dt[1]!, /<span class="property-type">[^<]+<\/span>/);
    const text = body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    for (const fact of [
      '0x2002', '0x2003', '0xFFFF', '0x7FFF', '60 s', '0x200E', 'BMS mode', 'flash', '1.29', 'GX', 'VE.Smart',
      'plausibility window', 'raises its output', 'lowest', 'highest', 'coldest', 'share anyway', 'Green dot', 'Red ring',
      'CHARGER_CONFLICT', 'VE_BAD_INPUT', 'BlueSolar HEX', 'DVCC',
    ]) {
      assert.ok(text.includes(fact), `the help explains ${fact}`);
    }
    const stack: string[] = [];
    for (const m of body.matchAll(/<\/?([a-z0-9]+)\b[^>]*>/gi)) {
      const tag = m[1]!.toLowerCase();
      if (tag === 'br') continue;
      if (m[0].startsWith('</')) assert.equal(stack.pop(), tag, `${file}: </${tag}> at ${m.index}`);
      else stack.push(tag);
    }
    assert.deepEqual(stack, []);
  });
});

describe('ve-bmv-to-mppt settings and output shapes', () => {
  it('saved fields → library settings: seconds to whole ms, blanks to defaults, bad text passed on to be refused by name', () => {
    assert.deepEqual(
      bridgeConfig(fields({ voltageInterval: '2.3', temperatureInterval: 9, freshness: '', systemVoltage: '24', sourcesAll: 'true', chemistry: 'lithium', temperatureStrategy: '' })),
      {
        sourceSelection: 'auto',
        targetSelection: 'explicit',
        requireAllSources: true,
        externalVoltage: false,
        externalTemperature: false,
        shareCurrent: false,
        chemistry: 'lithium',
        voltageIntervalMs: 2300,
        temperatureIntervalMs: 9000,
        systemVoltage: 24,
      },
    );
    assert.equal(bridgeConfig(fields({ systemVoltage: 'auto' })).systemVoltage, 'auto');
    assert.throws(() => resolveConfig(bridgeConfig(fields({ maxSpreadVoltage: 'lots' }))), /maxSpreadVoltage must be a number, got "lots"/);
    assert.throws(() => resolveConfig(bridgeConfig(fields({ share: 'current' }))), { code: 'VE_BAD_INPUT' });
    assert.equal(editorField('stopTimeoutMs'), null);
  });

  it('reports and alarm changes: every point in time on the wall clock, ages and values unchanged', () => {
    const clock = new ManualClock(5000);
    const toWall = wallClockNow(clock, () => 1_700_000_000_000);
    const write: WriteReport = {
      quantity: 'voltage', register: 0x2002, value: 13.25, raw: '2D05', release: false, at: 4000, durationMs: 30, ageMs: 800, ok: true, echo: '2D05', flags: 0, error: null,
    };
    const alarm: Alarm = {
      code: 'CHARGER_REJECTED', severity: 'critical', message: 'm', subject: { kind: 'charger', id: 'c1', label: 'c1' }, errorCode: 'VE_PARAMETER', details: { retryAt: 604_000 }, since: 4000,
    };
    const current: WriteReport = { ...write, quantity: 'current', register: 0x200a, value: -4.2, raw: '98EFFFFF', echo: '98EFFFFF', at: 4010 };
    const charger = {
      id: 'c1', notAvailableNotice: { voltage: 3000, temperature: null, current: 3500 }, writes: [write, current], lastWrite: { voltage: write, temperature: null, current },
    } as unknown as ChargerReport;
    const combined = { evaluatedAt: 4000 };
    const report = {
      cycle: 7, at: 4000, finishedAt: 4100, voltage: combined, temperature: { evaluatedAt: null }, current: { evaluatedAt: 3990 }, chargers: [charger], alarms: [alarm], sources: [],
    } as unknown as BridgeReport;
    const out = reportOut(toWall, report);
    const wall = (t: number): number => 1_700_000_000_000 - 5000 + t;
    assert.equal(out.at, wall(4000));
    assert.equal(out.finishedAt, wall(4100));
    assert.equal(out.voltage.evaluatedAt, wall(4000));
    assert.equal(out.temperature.evaluatedAt, null);
    assert.equal(out.current.evaluatedAt, wall(3990));
    assert.deepEqual(out.chargers[0]?.writes, [{ ...write, at: wall(4000) }, { ...current, at: wall(4010) }]);
    assert.equal(out.chargers[0]?.lastWrite.voltage?.at, wall(4000));
    assert.equal(out.chargers[0]?.lastWrite.current?.at, wall(4010));
    assert.deepEqual(out.chargers[0]?.notAvailableNotice, { voltage: wall(3000), temperature: null, current: wall(3500) });
    assert.deepEqual(out.alarms[0], { ...alarm, since: wall(4000), details: { retryAt: wall(604_000) } });
    assert.equal(report.at, 4000, 'the library\'s report is not changed');
    const change = alarmChangeOut(toWall, { at: 4000, raised: [alarm], cleared: [], active: [alarm] });
    assert.equal(change.at, wall(4000));
    assert.equal(change.raised[0]?.since, wall(4000));
    assert.equal(change.active[0]?.details.retryAt, wall(604_000));
  });
});
