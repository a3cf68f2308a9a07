/**
 * A real Node-RED in a child process, the way a user gets one: `npm start` (scripts/start.mjs
 * with its own user directory and port), or this package packed with `npm pack` and installed
 * into an empty user directory, as the palette manager would. Each listens on 127.0.0.1 on a
 * free port; stop() ends it and everything it started.
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
const SETTINGS = join(ROOT, 'scripts', 'node-red-settings.cjs');
const RED_JS = join(ROOT, 'node_modules', 'node-red', 'red.js');

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export class NodeRedProcess {
  /** The editor's URL, as printed. */
  url = '';
  /** When the process was spawned (ms since 1970). */
  readonly spawnedAt = Date.now();
  /** When the URL was printed. */
  readyAt = 0;
  private log = '';
  private exited: Promise<number | null>;
  private running = true;

  constructor(
    private readonly child: ChildProcess,
    readonly userDir: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.running = false;
        resolve(code);
      }),
    );
  }

  /** Everything the process printed so far. */
  output(): string {
    return this.log;
  }

  /** Resolves with the first match of `pattern` in the output; rejects if the process ends first. */
  async waitForOutput(pattern: RegExp, timeoutMs: number, what: string): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.log.match(pattern);
      if (match) return match;
      if (!this.running) throw new Error(`Node-RED exited before ${what}:\n${this.log}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${this.log}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stop with Ctrl-C as a user would, then make sure nothing of the process group is left. */
  async stop(): Promise<void> {
    const pid = this.child.pid;
    if (pid !== undefined && this.running) {
      this.child.kill('SIGINT');
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000).unref());
      await Promise.race([this.exited, timer]);
    }
    if (pid !== undefined) {
      try {
        process.kill(-pid, 'SIGKILL'); // the group: start.mjs's Node-RED child, if it outlived its parent
      } catch {
        // the group is gone already
      }
    }
  }
}

function spawnNodeRed(args: string[], env: Record<string, string>, userDir: string): NodeRedProcess {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so stop() reaches its children too
  });
  return new NodeRedProcess(child, userDir);
}

/** `npm start` with its own user directory and port; resolves once it printed the editor's URL. */
export async function startNpmStart(userDir: string, port: number, timeoutMs = 90_000): Promise<NodeRedProcess> {
  const red = spawnNodeRed([join(ROOT, 'scripts', 'start.mjs')], { VE_DIRECT_USER_DIR: userDir, VE_DIRECT_PORT: String(port) }, userDir);
  const match = await red.waitForOutput(/is running: (http:\/\/\S+\/)/, timeoutMs, "npm start's editor URL");
  red.url = match[1]!;
  red.readyAt = Date.now();
  return red;
}

/** `npm pack` of the built package into a temporary directory; returns the tarball's path. */
export function packPackage(): string {
  if (!existsSync(join(ROOT, 'dist', 'nodes', 've-bmv-to-mppt.js'))) {
    const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 've-pack-'));
  const pack = spawnSync('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: ROOT, encoding: 'utf8' });
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (pack.status !== 0 || !tarball) throw new Error(`npm pack failed:\n${pack.stdout}${pack.stderr}`);
  return join(dir, tarball);
}

/** Install a packed tarball into a user directory the way the palette manager does. */
export function installPackage(tarball: string, userDir: string): void {
  const args = ['install', '--prefix', userDir, '--no-audit', '--no-fund', '--no-save', '--prefer-offline', '--omit=dev', '--engine-strict', tarball];
  const install = spawnSync('npm', args, { cwd: userDir, encoding: 'utf8', timeout: 180_000 });
  if (install.status !== 0) throw new Error(`npm install of the package failed:\n${install.stdout}${install.stderr}`);
}

/** Node-RED 4 on a user directory that has the package installed; resolves once it listens. */
export async function startNodeRed(userDir: string, port: number, timeoutMs = 60_000): Promise<NodeRedProcess> {
  const red = spawnNodeRed([RED_JS, '--settings', SETTINGS, '--userDir', userDir], { VE_DIRECT_USER_DIR: userDir, VE_DIRECT_PORT: String(port) }, userDir);
  const match = await red.waitForOutput(/Server now running at (http:\/\/\S+\/)/, timeoutMs, 'Node-RED to listen');
  red.url = match[1]!;
  red.readyAt = Date.now();
  return red;
}

/** A fresh temporary directory; remove it with removeDir. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
