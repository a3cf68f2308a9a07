/**
 * Pseudo-terminal pairs for integration tests: `socat` links two ptys (raw, no echo) so the
 * real serialport bindings can open one end as if it were a VE.Direct cable while a device
 * (the simulator, a transcript replayer) talks on the other. Stopping socat is an unplug: the
 * open end gets an I/O error and both link names disappear; starting it again on the same
 * names is the replug.
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Fails with a clear message when socat is missing (integration tests need it). */
export function requireSocat(): void {
  const probe = spawnSync('socat', ['-V'], { stdio: 'ignore' });
  if (probe.status !== 0) {
    throw new Error('the integration tests need socat, which is not installed (Debian/Raspberry Pi OS: sudo apt-get install -y socat)');
  }
}

export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export class PtyPair {
  /** The end the host (the link layer under test) opens. */
  readonly a: string;
  /** The end the device side opens. */
  readonly b: string;
  private readonly dir: string;
  private socat: ChildProcess | undefined;

  constructor(name = 'pty') {
    this.dir = mkdtempSync(join(tmpdir(), `ve-${name}-`));
    this.a = join(this.dir, 'host');
    this.b = join(this.dir, 'device');
  }

  get running(): boolean {
    return this.socat !== undefined;
  }

  /** Start socat and wait until both link names exist. */
  async start(): Promise<void> {
    requireSocat();
    if (this.socat) return;
    const socat = spawn('socat', [`pty,raw,echo=0,link=${this.a}`, `pty,raw,echo=0,link=${this.b}`], { stdio: 'ignore' });
    this.socat = socat;
    socat.on('exit', () => {
      if (this.socat === socat) this.socat = undefined;
    });
    await waitFor(() => existsSync(this.a) && existsSync(this.b), 5000, `socat's ${this.a} and ${this.b}`);
  }

  /** Stop socat (an unplug) and wait until it is gone and its link names are removed. */
  async stop(): Promise<void> {
    const socat = this.socat;
    if (!socat) return;
    const exited = new Promise<void>((resolve) => socat.once('exit', () => resolve()));
    socat.kill('SIGTERM');
    await exited;
    this.socat = undefined;
    // socat removes its links on SIGTERM; make sure, so a reopen cannot find a stale name.
    rmSync(this.a, { force: true });
    rmSync(this.b, { force: true });
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
