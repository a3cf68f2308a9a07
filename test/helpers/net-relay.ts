/**
 * Network relays for `tcp://` tests, the real programs people run: Debian's `ser2net`
 * (version 4, YAML configuration) relaying a TCP port on loopback to one end of a socat pty
 * pair, and a receive-only relay (socat passing device → host bytes only, as many ESP bridges
 * do). Loopback ports are picked free at run time: other suites run at the same time.
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireSocat } from './pty';

export { freePort } from './node-red-process';

/** The ser2net program (Debian installs it in /usr/sbin, which a user's PATH may lack). */
function ser2netProgram(): string | undefined {
  return ['ser2net', '/usr/sbin/ser2net'].find((file) => spawnSync(file, ['-v'], { stdio: 'ignore' }).status === 0);
}

/** The ser2net program; fails with a clear message when it is missing. */
export function requireSer2net(): string {
  const program = ser2netProgram();
  if (program === undefined) {
    throw new Error('the tcp:// tests need ser2net, which is not installed (Debian/Raspberry Pi OS: sudo apt-get install -y ser2net)');
  }
  return program;
}

/** Resolves once something accepts connections on 127.0.0.1:port. */
export async function waitForListener(port: number, timeoutMs: number): Promise<void> {
  const start = Date.now();
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() - start > timeoutMs) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

abstract class RelayProcess {
  private child: ChildProcess | undefined;
  private output = '';

  constructor(readonly port: number) {}

  get url(): string {
    return `tcp://127.0.0.1:${this.port}`;
  }

  /** What the relay printed. */
  get log(): string {
    return this.output;
  }

  protected abstract command(): { file: string; args: string[] };

  /** Start the relay and wait until it accepts connections. */
  async start(): Promise<void> {
    if (this.child) return;
    const { file, args } = this.command();
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.on('data', (c: Buffer) => (this.output += c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => (this.output += c.toString('utf8')));
    child.on('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    // A check connection is itself a client: with kickolduser the link's own connection
    // later replaces it.
    await waitForListener(this.port, 10_000);
  }

  /** Kill it (SIGKILL: a relay that dies, not one that says goodbye) and wait until gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    this.child = undefined;
  }
}

/** ser2net 4 relaying 127.0.0.1:port to a serial device (one end of a pty pair). */
export class Ser2net extends RelayProcess {
  private readonly dir: string;
  private readonly program: string;

  constructor(
    port: number,
    readonly device: string,
  ) {
    super(port);
    this.program = requireSer2net();
    this.dir = mkdtempSync(join(tmpdir(), 've-ser2net-'));
    // The minimal configuration the README shows, on loopback and a free port.
    writeFileSync(
      join(this.dir, 'ser2net.yaml'),
      [
        'connection: &vedirect',
        `  accepter: tcp,127.0.0.1,${port}`,
        `  connector: serialdev,${device},19200n81,local`,
        '  options:',
        '    kickolduser: true',
        '',
      ].join('\n'),
    );
  }

  protected command(): { file: string; args: string[] } {
    // -n: stay in the foreground; own pid file (the default one is the system service's).
    return { file: this.program, args: ['-n', '-c', join(this.dir, 'ser2net.yaml'), '-P', join(this.dir, 'ser2net.pid')] };
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A receive-only relay: bytes from the device reach the TCP client, the client's bytes are
 * never read (socat -u), as with bridges wired to the device's TX pin only.
 */
export class ReceiveOnlyRelay extends RelayProcess {
  constructor(
    port: number,
    readonly device: string,
  ) {
    super(port);
    requireSocat();
  }

  protected command(): { file: string; args: string[] } {
    return { file: 'socat', args: ['-u', `OPEN:${this.device},rdonly,raw,echo=0`, `TCP-LISTEN:${this.port},bind=127.0.0.1,reuseaddr,fork`] };
  }
}
