/**
 * `ve-direct simulate` as a child process on a serial path (one end of a pty pair): the
 * device as a user would run it, in its own process and event loop.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export class SimulatorProcess {
  private child: ChildProcess | undefined;
  private stderrText = '';
  private partial = '';
  /** Each stderr line with the time (Date.now) it reached this process: when the device saw a host frame, give or take the pipe. */
  readonly timeline: Array<{ readonly at: number; readonly line: string }> = [];

  constructor(
    readonly device: string,
    readonly path: string,
    readonly args: readonly string[] = [],
  ) {}

  /** What the simulator printed to stderr (its banner, and its counters when stopped). */
  get stderr(): string {
    return this.stderrText;
  }

  /** Start and wait for its banner ("… on PATH; Ctrl-C to stop"). */
  async start(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'lib', 'cli', 'main.ts'), 'simulate', this.device, this.path, ...this.args], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    this.stderrText = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`ve-direct simulate did not start within 20 s:\n${this.stderrText}`)), 20_000);
      child.stderr?.on('data', (chunk: Buffer) => {
        this.stderrText += chunk.toString('utf8');
        const at = Date.now();
        const lines = (this.partial + chunk.toString('utf8')).split('\n');
        this.partial = lines.pop() ?? '';
        for (const line of lines) this.timeline.push({ at, line });
        if (this.stderrText.includes('Ctrl-C to stop')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`ve-direct simulate exited (${String(code)}) before it started:\n${this.stderrText}`));
      });
    });
  }

  /** Stop it (Ctrl-C) and wait for it to exit; resolves with what it printed to stderr. */
  async stop(): Promise<string> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return this.stderrText;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    return this.stderrText;
  }
}
