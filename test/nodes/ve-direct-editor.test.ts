/**
 * The editor side of ve-direct-in/get/set without a browser: each nodes/<type>.html runs in a
 * sandbox with a stand-in RED that records registerType and translates from the node's real
 * message catalogue; the help in locales/en-US/<type>.html is checked for its sections and
 * well-formed markup. No browser here: this checks what the editor is given, not how it draws.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { PICKER_GROUPS } from '../../nodes/lib/register-picker';

const ROOT = join(__dirname, '..', '..');
const MODULE = 'node-red-contrib-ve-direct';
const TYPES = ['ve-direct-in', 've-direct-get', 've-direct-set'] as const;
type Type = (typeof TYPES)[number];

type Catalogue = Record<string, unknown>;
type Validate = (this: unknown, value: unknown, opt: Record<string, unknown>) => unknown;
interface Definition {
  category: string;
  color: string;
  icon: string;
  inputs: number;
  outputs: number;
  defaults: Record<string, { value: unknown; type?: string; required?: boolean; validate?: Validate }>;
  label: (this: Record<string, unknown>) => string;
  paletteLabel: () => string;
  oneditprepare: () => void;
}

function catalogue(type: string): Catalogue {
  return JSON.parse(readFileSync(join(ROOT, 'locales', 'en-US', `${type}.json`), 'utf8')) as Catalogue;
}

/** The text at a dotted key of a catalogue, or undefined. */
function lookup(cat: Catalogue, key: string): string | undefined {
  let at: unknown = cat;
  for (const part of key.split('.')) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return typeof at === 'string' ? at : undefined;
}

/** Node-RED's RED._ for a module's catalogues: `module/set:key`, `__param__` interpolation. */
function translate(key: string, params?: Record<string, unknown>): string {
  const match = /^([^:]+)\/([^:/]+):(.+)$/.exec(key);
  assert.ok(match, `key with its namespace: ${key}`);
  assert.equal(match[1], MODULE);
  const text = lookup(catalogue(match[2]!), match[3]!);
  assert.ok(text !== undefined, `catalogue ${match[2]} has ${match[3]}`);
  return text.replace(/__(\w+)__/g, (_, name: string) => String(params?.[name] ?? ''));
}

function parts(type: Type): { script: string; template: string } {
  const html = readFileSync(join(ROOT, 'nodes', `${type}.html`), 'utf8');
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)?.[1];
  const template = new RegExp(`<script type="text/html" data-template-name="${type}">([\\s\\S]*?)</script>`).exec(html)?.[1];
  assert.ok(script, `${type}.html has the editor script`);
  assert.ok(template, `${type}.html has the edit dialog template`);
  return { script, template };
}

/** Run the editor script as the editor does; return what it registered. */
function definition(type: Type): Definition {
  const registered: Record<string, Definition> = {};
  const RED = {
    _: translate,
    nodes: { registerType: (name: string, def: Definition) => (registered[name] = def) },
    validators: {},
  };
  runInNewContext(parts(type).script, { RED, $: () => undefined, window: {}, console });
  const def = registered[type];
  assert.ok(def, `${type} registered`);
  return def;
}

/** A value made in the sandbox as a plain value of this realm (deepEqual compares prototypes). */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

function label(def: Definition, node: Record<string, unknown>): string {
  const defaults = Object.fromEntries(Object.entries(def.defaults).map(([k, v]) => [k, v.value]));
  return def.label.call({ ...defaults, ...node });
}

function valid(def: Definition, field: string, value: unknown): unknown {
  const validate = def.defaults[field]?.validate;
  assert.ok(validate, `${field} has a validator`);
  return validate.call({}, value, {});
}

/** Tags of a help text in order, to check they nest. */
function checkNesting(html: string, file: string): void {
  const stack: string[] = [];
  const VOID = new Set(['br', 'hr', 'img', 'input']);
  for (const m of html.matchAll(/<\/?([a-z0-9]+)\b[^>]*>/gi)) {
    const tag = m[1]!.toLowerCase();
    if (VOID.has(tag) || m[0].endsWith('/>')) continue;
    if (m[0].startsWith('</')) {
      assert.equal(stack.pop(), tag, `${file}: </${tag}> closes the open tag at offset ${m.index}`);
    } else {
      stack.push(tag);
    }
  }
  assert.deepEqual(stack, [], `${file}: every tag is closed`);
}

describe('editor and help of ve-direct-in/get/set', () => {
  for (const type of TYPES) {
    it(`${type}: palette category, colour, icon, ports and defaults, as inline literals`, () => {
      const def = definition(type);
      assert.equal(def.category, 'Victron VE.Direct');
      assert.equal(def.color, '#8FC1E8');
      assert.equal(def.icon, `${type}.svg`);
      assert.ok(existsSync(join(ROOT, 'icons', def.icon)), 'the icon exists');
      assert.equal(def.inputs, type === 've-direct-in' ? 0 : 1);
      assert.equal(def.outputs, 1);
      assert.deepEqual(plain(def.defaults.port), { value: '', type: 've-direct-port', required: true });
      assert.deepEqual(plain(def.defaults.version), { value: 1 });
      assert.deepEqual(plain(def.defaults.name), { value: '' });
      assert.equal(def.paletteLabel(), lookup(catalogue(type), `${type}.paletteLabel`));
      // node-red-dev reads these with a parser: they must be literals in the source.
      const { script } = parts(type);
      assert.match(script, /category: '[^']+',/);
      assert.match(script, /color: '#[0-9A-F]{6}',/);
      assert.match(script, /icon: '[\w-]+\.svg',/);
      assert.match(script, /inputs: \d,/);
      assert.match(script, /outputs: \d,/);
      assert.match(script, /defaults: \{/);
    });

    it(`${type}: every field has its form row, and every text of the dialog is in the catalogue`, () => {
      const def = definition(type);
      const { template, script } = parts(type);
      for (const field of Object.keys(def.defaults)) {
        if (field === 'version') continue;
        assert.ok(template.includes(`id="node-input-${field}"`), `a form row for ${field}`);
      }
      const cat = catalogue(type);
      const keys = [...template.matchAll(/data-i18n="(?:\[\w+\])?([^"]+)"/g)].map((m) => m[1]!);
      assert.ok(keys.length > 5);
      for (const key of keys) assert.ok(lookup(cat, key) !== undefined, `${type}.json has ${key}`);
      for (const m of script.matchAll(/\bt\('([\w.-]*[\w-])'\s*[,)]/g)) {
        assert.ok(lookup(cat, `${type}.${m[1]}`) !== undefined, `${type}.json has ${type}.${m[1]}`);
      }
    });

    it(`${type}: help with a one-line tooltip and Inputs / Outputs / Details / References`, () => {
      const file = `locales/en-US/${type}.html`;
      const help = readFileSync(join(ROOT, file), 'utf8');
      const body = new RegExp(`^<script type="text/html" data-help-name="${type}">([\\s\\S]*)</script>\\s*$`).exec(help)?.[1];
      assert.ok(body, `${file} is one help script for ${type}`);
      const first = /^\s*<p>([\s\S]*?)<\/p>/.exec(body);
      assert.ok(first, 'the help starts with a paragraph: the palette tooltip');
      assert.ok(!/<(p|dl|ul|h3)\b/.test(first[1]!) && first[1]!.length < 120, 'a short one-line tooltip');
      const sections = [...body.matchAll(/<h3>([^<]+)<\/h3>/g)].map((m) => m[1]);
      const expected = type === 've-direct-in' ? ['Outputs', 'Details', 'References'] : ['Inputs', 'Outputs', 'Details', 'References'];
      assert.deepEqual(sections, expected);
      assert.ok(body.includes('<dl class="message-properties">'));
      for (const dt of body.matchAll(/<dt[^>]*>([\s\S]*?)<\/dt>/g)) {
        assert.match(dt[1]!, /<span class="property-type">[^<]+<\/span>/, `property type in <dt>${dt[1]}`);
      }
      checkNesting(body, file);
    });
  }

  it('ve-direct-get: labels say what the node reads; register lists are validated', () => {
    const def = definition('ve-direct-get');
    assert.equal(label(def, { registers: 'batteryVoltage' }), 'get batteryVoltage');
    assert.equal(label(def, { registers: 'batteryVoltage, stateOfCharge,0xED8F' }), 'get batteryVoltage +2');
    assert.equal(label(def, { registers: '' }), 'get register from msg');
    assert.equal(label(def, { read: 'ping' }), 'get firmware (ping)');
    assert.equal(label(def, { read: 'diagnostics' }), 'port diagnostics');
    assert.equal(label(def, { name: 'Shunt voltage', registers: 'batteryVoltage' }), 'Shunt voltage');
    assert.equal(valid(def, 'registers', 'batteryVoltage, 0xED8D'), true);
    assert.equal(valid(def, 'registers', ''), true);
    assert.match(String(valid(def, 'registers', 'battery voltage!')), /catalogue names or ids/);
    assert.equal(valid(def, 'cacheMaxAge', '5'), true);
    assert.match(String(valid(def, 'cacheMaxAge', '-1')), /seconds/);
  });

  it('ve-direct-set: labels name the register; flash writes are off and rate-limited by default', () => {
    const def = definition('ve-direct-set');
    assert.equal(label(def, { register: 'batteryMaxCurrent' }), 'set batteryMaxCurrent');
    assert.equal(label(def, {}), 'set register from msg');
    assert.deepEqual(plain(def.defaults.allowFlash), { value: false });
    assert.deepEqual(plain(def.defaults.allowCommands), { value: false }, 'device commands are off by default too');
    assert.equal(def.defaults.minInterval?.value, 60);
    assert.deepEqual(plain(def.defaults.readBack), { value: true });
    assert.deepEqual([def.defaults.value?.value, def.defaults.valueType?.value], ['payload', 'msg']);
    assert.equal(valid(def, 'register', '0x2002'), true);
    assert.match(String(valid(def, 'register', 'two names')), /catalogue name or an id/);
    assert.match(String(valid(def, 'minInterval', '0.5')), /1 or more/);
  });

  it('ve-direct-set: the dialog says at edit time which opt-in a register needs, beside both boxes', () => {
    const cat = catalogue('ve-direct-set');
    const text = (key: string): string => lookup(cat, `ve-direct-set.${key}`) ?? assert.fail(`ve-direct-set.${key}`);
    assert.equal(text('label.allowFlash'), 'Allow flash writes');
    assert.equal(text('label.allowCommands'), 'Allow device commands');
    // Each answer of the write policy has its sentence, naming the box that allows it.
    assert.match(text('optIn.flash'), /stored in flash.*"Allow flash writes"/i);
    assert.match(text('optIn.command'), /device command.*"Allow device commands"/i);
    assert.match(text('optIn.read-only'), /read-only/i);
    assert.match(text('optIn.none'), /no opt-in/);
    assert.match(text('optIn.range'), /__range__.*__source__/);
    // The refusals name the same boxes.
    assert.match(text('errors.VE_FLASH_GUARD'), /"Allow flash writes"/);
    assert.match(text('errors.VE_COMMAND_GUARD'), /"Allow device commands"/);
    // The two boxes side by side, then the interval that applies to both.
    const { template, script } = parts('ve-direct-set');
    const flash = template.indexOf('id="node-input-allowFlash"');
    const commands = template.indexOf('id="node-input-allowCommands"');
    const interval = template.indexOf('id="node-input-minInterval"');
    assert.ok(flash > 0 && commands > flash && interval > commands);
    assert.ok(template.indexOf('id="ve-direct-set-optin"') < template.indexOf('id="ve-direct-set-list"'), 'the opt-in line sits right under the register');
    // The list's command toggle is the dialog's, not a saved setting.
    assert.ok(template.includes('id="ve-direct-set-commands"'));
    assert.ok(!('showCommands' in definition('ve-direct-set').defaults));
    assert.match(script, /commands: '#ve-direct-set-commands'/);
    assert.match(script, /t\('optIn\.' \+ r\.optIn\)/);
    const help = readFileSync(join(ROOT, 'locales', 'en-US', 've-direct-set.html'), 'utf8');
    for (const phrase of ['Allow flash writes', 'Allow device commands', 'VE_COMMAND_GUARD', 'show device commands']) assert.ok(help.includes(phrase), `the help explains ${phrase}`);
  });

  it('the picker\'s groups and tags have their texts in both dialogs\' catalogues', () => {
    for (const type of ['ve-direct-get', 've-direct-set'] as const) {
      const cat = catalogue(type);
      for (const group of PICKER_GROUPS) assert.ok(lookup(cat, `${type}.group.${group}`), `${type}.group.${group}`);
      for (const key of ['picker.flash', 'picker.command', 'picker.chosen', 'picker.add', 'picker.none']) assert.ok(lookup(cat, `${type}.${key}`), `${type}.${key}`);
      assert.match(lookup(cat, `${type}.group.command`)!, /command/i);
    }
    const picker = readFileSync(join(ROOT, 'resources', 'register-picker.js'), 'utf8');
    // Commands are left out of the list while the toggle is off.
    assert.match(picker, /r\.group === 'command' && !commands/);
  });

  it('ve-direct-get: a register list longer than 64 is flagged in the dialog', () => {
    const def = definition('ve-direct-get');
    const names = Array.from({ length: 65 }, (_, i) => `r${i}`).join(', ');
    assert.match(String(valid(def, 'registers', names)), /64/);
    assert.equal(valid(def, 'registers', Array<string>(70).fill('batteryVoltage').join(',')), true, 'duplicates count once');
  });

  it('ve-direct-in: labels say when it sends', () => {
    const def = definition('ve-direct-in');
    assert.equal(label(def, {}), 'VE.Direct in: every cycle');
    assert.equal(label(def, { mode: 'change' }), 'VE.Direct in: on change');
    assert.equal(label(def, { mode: 'interval', interval: 5 }), 'VE.Direct in: every 5 s');
    assert.match(String(valid(def, 'interval', '0')), /more than 0/);
  });

  it('the runtime\'s message keys are all in the catalogues', () => {
    for (const type of TYPES) {
      const source = readFileSync(join(ROOT, 'nodes', `${type}.ts`), 'utf8');
      const cat = catalogue(type);
      const keys = new Set<string>();
      for (const m of source.matchAll(/\$\{TYPE\}\.([\w.-]+)[`'"]/g)) keys.add(m[1]!);
      for (const m of source.matchAll(/ownError\(\s*RED,\s*TYPE,\s*'VE_\w+',\s*'([\w-]+)'/g)) keys.add(`errors.${m[1]}`);
      const texts = /const TEXTS[^=]*= new Set<VeErrorCode>\(\[([\s\S]*?)\]\)/.exec(source)?.[1] ?? '';
      for (const m of texts.matchAll(/'(VE_\w+)'/g)) keys.add(`errors.${m[1]}`);
      if (type !== 've-direct-in') ['errors.failed', 'errors.no-port', 'errors.port-unusable'].forEach((k) => keys.add(k));
      for (const m of source.matchAll(/READ_OUTS[^=]*= \[([^\]]+)\]/g)) for (const r of m[1]!.matchAll(/'(\w+)'/g)) keys.add(`read.${r[1]}`);
      assert.ok(keys.size > 0, `${type}: keys found`);
      for (const key of keys) assert.ok(lookup(cat, `${type}.${key}`) !== undefined, `${type}.json has ${type}.${key}`);
    }
  });
});
