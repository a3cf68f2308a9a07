// `npm start`: a local Node-RED with this package and the example flows, talking to simulated
// devices (sim: ports), so the package can be tried without hardware.
//
//   npm start                 build if needed, start, print the editor URL
//   npm start -- --reset      replace the local flows with the examples again
// Environment: VE_DIRECT_PORT (default 1880), VE_DIRECT_USER_DIR (default .node-red/).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, spawnSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const userDir = process.env.VE_DIRECT_USER_DIR || join(root, '.node-red');
const port = Number(process.env.VE_DIRECT_PORT || 1880);
const reset = process.argv.includes('--reset');

/** Newest modification time under the given paths. */
function newest(paths) {
  let latest = 0;
  const visit = (p) => {
    if (!existsSync(p)) return;
    const s = statSync(p);
    if (s.isDirectory()) for (const f of readdirSync(p)) visit(join(p, f));
    else latest = Math.max(latest, s.mtimeMs);
  };
  paths.forEach(visit);
  return latest;
}

function buildIfNeeded() {
  const built = join(root, 'dist', 'nodes');
  const sources = ['lib', 'nodes', 'icons', 'locales'].map((d) => join(root, d));
  if (existsSync(built) && newest([built]) >= newest(sources)) return;
  console.log('Building…');
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** Node-RED loads packages from <userDir>/node_modules: link this one there. */
function linkPackage() {
  const modules = join(userDir, 'node_modules');
  mkdirSync(modules, { recursive: true });
  const link = join(modules, pkg.name);
  try {
    if (lstatSync(link)) rmSync(link, { recursive: true, force: true });
  } catch {
    // not there yet
  }
  symlinkSync(relative(modules, root), link, 'dir');
}

/**
 * The example flows, one tab each, with the port config nodes they share kept once: every
 * example names its simulated devices with the same config node ids.
 */
export function exampleFlows() {
  const dir = join(root, 'examples');
  const seen = new Set();
  const flows = [];
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
  for (const file of files) {
    for (const node of JSON.parse(readFileSync(join(dir, file), 'utf8'))) {
      if (seen.has(node.id)) continue;
      seen.add(node.id);
      flows.push(node);
    }
  }
  return oneWriterPerCharger(flows);
}

/**
 * Two writers of the same kind must never write to the same charger: two bridges (remote
 * sense), or two charge-current limiters (a charge-limit node, a set node for the charge
 * current limit or network mode). A bridge and a charge limit write different registers and may
 * share one. When two example tabs clash, the later example (the fuller set-up) stays enabled
 * and the earlier tab is disabled, with a comment on it that says how to switch.
 */
const LIMIT_REGISTERS = new Set(['chargeCurrentLimit', '0x2015', 'networkMode', '0x200E']);

function writes(flows, tab) {
  const nodes = flows.filter((n) => n.z === tab.id && !n.d);
  // A set node keeps writing only when an inject on a timer feeds it (a command from outside writes once).
  const timed = new Set(nodes.filter((n) => n.type === 'inject' && n.repeat).flatMap((n) => (n.wires ?? []).flat()));
  return {
    sense: nodes.filter((n) => n.type === 've-bmv-to-mppt').flatMap((n) => (n.targetsAll === true ? ['*'] : n.targets ?? [])),
    limit: [
      ...nodes.filter((n) => n.type === 've-charge-limit').flatMap((n) => n.chargers ?? []),
      ...nodes.filter((n) => n.type === 've-direct-set' && timed.has(n.id) && LIMIT_REGISTERS.has(String(n.register)) && n.port).map((n) => n.port),
    ],
  };
}

function oneWriterPerCharger(flows) {
  const tabs = flows.filter((n) => n.type === 'tab');
  // Per kind: charger port id (or '*' for "all found") -> the tab that writes to it.
  const claimed = { sense: new Map(), limit: new Map() };
  for (const tab of [...tabs].reverse()) {
    const kinds = writes(flows, tab);
    if (tab.disabled || Object.values(kinds).every((t) => t.length === 0)) continue;
    const clashOf = (targets, byCharger) =>
      targets.length === 0 ? undefined : targets.includes('*') ? [...byCharger.values()][0] : (byCharger.get('*') ?? targets.map((t) => byCharger.get(t)).find(Boolean));
    const clash = clashOf(kinds.sense, claimed.sense) ?? clashOf(kinds.limit, claimed.limit);
    if (clash) {
      tab.disabled = true;
      const bottom = Math.max(0, ...flows.filter((n) => n.z === tab.id && typeof n.y === 'number').map((n) => n.y));
      const name = `Disabled: "${clash.label}" writes to the same charger. Enable this tab and disable that one to try it.`;
      flows.push({
        id: `${tab.id}-disabled`,
        type: 'comment',
        z: tab.id,
        name,
        info:
          `Two bridges, or two charge-current limits, must never write to the same charger, and "${clash.label}" already does. ` +
          `To try this tab: double-click it and turn Enabled on, double-click "${clash.label}" and turn Enabled off, then Deploy.`,
        x: 60 + Math.round(name.length * 3.6), // comments are centred on x: keep the left edge in view
        y: bottom + 60,
        wires: [],
      });
      continue;
    }
    for (const [kind, targets] of Object.entries(kinds)) for (const t of targets) claimed[kind].set(t, tab);
  }
  return flows;
}

function writeFlows() {
  const file = join(userDir, 'flows.json');
  if (existsSync(file) && !reset) return false;
  writeFileSync(file, JSON.stringify(exampleFlows(), null, 2));
  return true;
}

function start() {
  buildIfNeeded();
  mkdirSync(userDir, { recursive: true });
  linkPackage();
  const fresh = writeFlows();
  const red = join(root, 'node_modules', 'node-red', 'red.js');
  const child = spawn(process.execPath, [red, '--settings', join(root, 'scripts', 'node-red-settings.cjs'), '--userDir', userDir], {
    cwd: root,
    env: { ...process.env, VE_DIRECT_USER_DIR: userDir, VE_DIRECT_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let announced = false;
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    if (!announced && /Server now running/.test(String(chunk))) {
      announced = true;
      console.log(`\n  Node-RED with node-red-contrib-ve-direct is running: http://127.0.0.1:${port}/`);
      const shown = relative(process.cwd(), userDir);
      console.log(`  ${fresh ? 'The example flows are deployed' : 'Your local flows are deployed'} (user directory ${shown.startsWith('..') ? userDir : shown || '.'}).`);
      console.log('  Simulated devices answer on sim: ports; change a port node\'s path to use real hardware.');
      console.log('  Stop with Ctrl-C. `npm start -- --reset` brings back the examples.\n');
    }
  });
  const stop = () => child.kill('SIGINT');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  child.on('exit', (code) => process.exit(code ?? 0));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) start();
