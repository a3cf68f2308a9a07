/**
 * A real MQTT broker for tests: Debian's `mosquitto`, started on a free loopback port with a
 * temporary configuration (anonymous, no persistence), stopped and cleaned up afterwards.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The broker binary: on PATH, or where Debian puts it (/usr/sbin is not on every PATH). */
export const MOSQUITTO =
  ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  }) ?? 'mosquitto';

async function freePort(): Promise<number> {
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

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export class Mosquitto {
  private child: ChildProcess | undefined;
  private dir: string | undefined;
  private log = '';
  port = 0;

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** What the broker logged (for a failing test's message). */
  get output(): string {
    return this.log;
  }

  async start(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 've-mosquitto-'));
    // A port can be taken between finding it free and binding it: try a few.
    for (let attempt = 0; attempt < 5; attempt++) {
      this.port = await freePort();
      const conf = join(this.dir, 'mosquitto.conf');
      writeFileSync(conf, [`listener ${this.port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', 'log_type error', 'log_type warning', ''].join('\n'));
      const child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
      this.child = child;
      this.log = '';
      child.stderr?.on('data', (chunk: Buffer) => (this.log += chunk.toString('utf8')));
      const exited = new Promise<'exited'>((resolve) => child.once('exit', () => resolve('exited')));
      const started = Date.now();
      while (Date.now() - started < 10_000) {
        const state = await Promise.race([exited, new Promise<'wait'>((r) => setTimeout(() => r('wait'), 50))]);
        if (state === 'exited') break;
        if (await accepts(this.port)) return;
      }
      child.kill('SIGKILL');
    }
    throw new Error(`mosquitto did not start:\n${this.log}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}
