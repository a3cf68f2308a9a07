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
      console.log(`  ${fresh ? 'The example flows are deployed' : 'Your local flows are deployed'} (user directory ${relative(process.cwd(), userDir) || '.'}).`);
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
