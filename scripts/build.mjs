// Build: compile the TypeScript to dist/, then put each node's editor files where Node-RED
// looks for them — next to the node's .js: <type>.html, icons/ and locales/.
import { chmodSync, cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });

const nodesOut = join(dist, 'nodes');
for (const file of readdirSync(join(root, 'nodes'))) {
  if (file.endsWith('.html')) cpSync(join(root, 'nodes', file), join(nodesOut, file));
}
for (const dir of ['icons', 'locales']) {
  if (existsSync(join(root, dir))) cpSync(join(root, dir), join(nodesOut, dir), { recursive: true });
}
chmodSync(join(dist, 'lib', 'cli', 'main.js'), 0o755);
console.log('built dist/');
