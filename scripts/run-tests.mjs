// The test command: runs every suite (or the ones named: unit, nodes, integration, e2e) with
// node's test runner. Suites that need socat, ser2net or Chromium say how to install them when missing.
import { readdirSync, statSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SUITES = ['unit', 'nodes', 'integration', 'e2e'];
const NEEDS = {
  integration: [
    ['socat', ['-V'], 'apt-get install -y socat'],
    // Debian installs it in /usr/sbin, which a user's PATH may lack.
    [['ser2net', '/usr/sbin/ser2net'], ['-v'], 'apt-get install -y ser2net'],
  ],
  e2e: [['chromium', ['--version'], 'apt-get install -y chromium']],
};

function testFiles(dir) {
  const out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries.sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...testFiles(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const extra = process.argv.slice(2).filter((a) => a.startsWith('-'));
const suites = wanted.length ? wanted : SUITES;
for (const suite of suites) {
  if (!SUITES.includes(suite)) {
    console.error(`unknown suite "${suite}"; choose from ${SUITES.join(', ')}`);
    process.exit(2);
  }
  for (const [tools, args, install] of NEEDS[suite] ?? []) {
    const candidates = Array.isArray(tools) ? tools : [tools];
    const tool = candidates[0];
    if (!candidates.some((t) => spawnSync(t, args, { stdio: 'ignore' }).status === 0)) {
      console.error(`The ${suite} tests need ${tool}, which is not installed. Install it (Debian/Raspberry Pi OS: sudo ${install}) and run again.`);
      process.exit(1);
    }
  }
}
const files = suites.flatMap((s) => testFiles(join(root, 'test', s)));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// The spec reporter ends with the list of failing tests, so the end of a long log says what failed.
const reporter = extra.some((a) => a.startsWith('--test-reporter')) ? [] : ['--test-reporter=spec'];
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...reporter, ...extra, ...files.map((f) => relative(root, f))], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
