/**
 * The editor's port endpoints behind Node-RED's own admin authentication, in a real Node-RED
 * process with `adminAuth` (a read-only user and a full user): listing ports needs read
 * permission; probing writes HEX requests to ports, so it needs write permission.
 */

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { freePort, NodeRedProcess, removeDir, ROOT, tempDir } from '../helpers/node-red-process';

const PASSWORD = 'correct horse battery staple';
/** Its bcrypt hash, as `node-red admin hash-pw` prints it (adminAuth stores only hashes). */
const PASSWORD_HASH = '$2b$08$1QWFNKdFLejpfng3aDpUueIqF0.Occtilp1y0L24vDv7.p/OJVCim';

function settings(userDir: string, port: number): string {
  const hash = PASSWORD_HASH;
  return `module.exports = ${JSON.stringify(
    {
      uiHost: '127.0.0.1',
      uiPort: port,
      userDir,
      flowFile: 'flows.json',
      credentialSecret: 've-direct-admin-test',
      logging: { console: { level: 'info', metrics: false, audit: false } },
      telemetry: { enabled: false, updateNotification: false },
      diagnostics: { enabled: false, ui: false },
      externalModules: { autoInstall: false, palette: { allowInstall: false } },
      adminAuth: {
        type: 'credentials',
        users: [
          { username: 'viewer', password: hash, permissions: 'read' },
          { username: 'admin', password: hash, permissions: '*' },
        ],
      },
    },
    null,
    2,
  )};\n`;
}

async function token(base: string, username: string, scope: string): Promise<string> {
  const res = await fetch(`${base}auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password: PASSWORD }).toString(),
  });
  assert.equal(res.status, 200, `login as ${username}`);
  const body = (await res.json()) as { access_token?: string };
  assert.ok(body.access_token);
  return body.access_token;
}

function get(base: string, path: string, bearer?: string): Promise<Response> {
  return fetch(`${base}${path}`, bearer ? { headers: { authorization: `Bearer ${bearer}` } } : {});
}

describe('admin endpoints with adminAuth', () => {
  let userDir: string | undefined;
  let red: NodeRedProcess | undefined;
  let base = '';

  before(async () => {
    if (!existsSync(join(ROOT, 'dist', 'nodes', 've-direct-port.js'))) {
      const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(build.status, 0, build.stderr);
    }
    userDir = tempDir('ve-admin-');
    const modules = join(userDir, 'node_modules');
    mkdirSync(modules);
    symlinkSync(ROOT, join(modules, 'node-red-contrib-ve-direct'), 'dir');
    const port = await freePort();
    const file = join(userDir, 'settings.js');
    writeFileSync(file, settings(userDir, port));
    const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'node-red', 'red.js'), '--settings', file, '--userDir', userDir], {
      cwd: userDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    red = new NodeRedProcess(child, userDir);
    const match = await red.waitForOutput(/Server now running at (http:\/\/\S+\/)/, 60_000, 'Node-RED to listen');
    base = match[1]!;
  });

  after(async () => {
    await red?.stop();
    removeDir(userDir);
  });

  it('lists ports for a read-only user, refuses that user a probe, and lets the full user probe', async () => {
    assert.equal((await get(base, 've-direct/ports')).status, 401, 'no token, no list');
    const viewer = await token(base, 'viewer', 'read');
    const admin = await token(base, 'admin', '*');

    const list = await get(base, 've-direct/ports', viewer);
    assert.equal(list.status, 200);
    const listed = (await list.json()) as { ports: Array<{ path: string; identity?: unknown }> };
    assert.ok(listed.ports.some((p) => p.path === 'sim:smartshunt'), 'the simulated devices are listed');
    assert.ok(listed.ports.every((p) => p.identity === undefined), 'a list opens nothing');

    const refused = await get(base, 've-direct/ports?probe=1', viewer);
    assert.ok([401, 403].includes(refused.status), `a read-only user may not probe (got ${refused.status})`);
    const refusedAll = await get(base, 've-direct/ports?probe=1&all=1', viewer);
    assert.ok([401, 403].includes(refusedAll.status));

    const probed = await get(base, 've-direct/ports?probe=1', admin);
    assert.equal(probed.status, 200);
    const result = (await probed.json()) as { ports: Array<{ path: string; identity?: { product?: string } | null; probeSkipped?: string }> };
    assert.equal(result.ports.find((p) => p.path === 'sim:smartshunt')?.identity?.product, 'SmartShunt 500A/50mV');
    for (const p of result.ports.filter((x) => /^\/dev\/tty(S|AMA)\d/.test(x.path))) {
      assert.equal(p.identity, undefined, `${p.path} is not probed by default`);
      assert.match(p.probeSkipped ?? '', /not a Victron cable/);
    }
  });
});
