/**
 * Link-layer bench: HEX Get transactions per second through the whole stack — VeDirectPort →
 * HexClient → Connection → serialport (real bindings) → socat pty → `ve-direct simulate`
 * (a child process, replying with no delay) and back — and memory per open port.
 *
 * The wire limit: a Get round trip is the request `:78DED00D4\n` (11 bytes) plus the reply
 * `:78DED006D0A5D\n` (15 bytes), 26 bytes at 1920 bytes/s (19200 baud, 8N1) = 13.5 ms, so a
 * real cable carries at most ~74 Gets per second, less the Text blocks' share of the line.
 * On the pty the request costs no wire time, while the simulator still sends its reply at
 * the wire rate (15 bytes = 7.8 ms, which its whole-millisecond timers make 7 ms): the bound
 * here is ~143 Gets/s, and how close the stack
 * gets to it shows what the software adds per transaction. Throughput is compared with that
 * bound only: a pty costs no wire time for the request, so a ratio to a cable's limit would
 * flatter the stack. The CPU time the host process spends per Get is shown beside it: wall
 * time swings with the machine's load, CPU time much less. With the default pacing (50 ms
 * between transactions, for devices that drop back-to-back requests) the link deliberately
 * stays below both bounds.
 *
 * Run: `node --expose-gc --import tsx bench/link.ts [seconds]`. Numbers are printed, never
 * asserted.
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VeDirectPort } from '../lib/link/port';
import { BYTE_MS } from '../lib/sim/transmitter';

const WIRE_BYTES_PER_SECOND = 1920;
const GET_REQUEST_BYTES = 11;
const GET_REPLY_BYTES = 15;
export const WIRE_GETS_PER_SECOND = WIRE_BYTES_PER_SECOND / (GET_REQUEST_BYTES + GET_REPLY_BYTES);
/**
 * The bound on a pty: only the simulator's reply takes line time. The simulator holds its
 * transmitter for 15 × 0.52 = 7.8 ms, on Node timers, which run at whole milliseconds: 7 ms,
 * so ~143 Gets/s rather than the 128 of the exact line time.
 */
export const PTY_GETS_PER_SECOND = 1000 / Math.max(1, Math.floor(GET_REPLY_BYTES * BYTE_MS));

const ROOT = join(__dirname, '..');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

interface Pty {
  readonly a: string;
  readonly b: string;
  stop(): Promise<void>;
}

async function ptyPair(dir: string, name: string): Promise<Pty> {
  const a = join(dir, `${name}-host`);
  const b = join(dir, `${name}-device`);
  const socat = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  await waitFor(() => existsSync(a) && existsSync(b), 5000, `socat ${name}`);
  return {
    a,
    b,
    stop: async () => {
      const exited = new Promise<void>((resolve) => socat.once('exit', () => resolve()));
      socat.kill('SIGTERM');
      await exited;
    },
  };
}

async function simulator(path: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'lib', 'cli', 'main.ts'), 'simulate', 'smartshunt', path, '--reply-delay', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let text = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('Ctrl-C to stop')) resolve();
    });
    child.once('exit', () => reject(new Error(`simulate exited: ${text}`)));
  });
  return child;
}

export interface ThroughputRow {
  readonly pacing: string;
  readonly transactions: number;
  readonly perSecond: number;
  /** Gets/s against what the pty allows (PTY_GETS_PER_SECOND): how much the software adds. */
  readonly ratioToPty: number;
  /** CPU time (user + system) this process spent per Get: the stack's cost, whatever the load. */
  readonly cpuMsPerGet: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

async function throughput(path: string, minGapMs: number, seconds: number): Promise<ThroughputRow> {
  const port = new VeDirectPort(path, { minGapMs });
  port.open();
  await port.ready({ timeoutMs: 15_000 });
  await sleep(200);
  const latencies: number[] = [];
  let errors = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    const t0 = performance.now();
    try {
      await port.get('batteryVoltage');
      latencies.push(performance.now() - t0);
    } catch {
      errors++;
    }
  }
  const elapsed = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  await port.close();
  latencies.sort((x, y) => x - y);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  const perSecond = latencies.length / elapsed;
  return {
    pacing: minGapMs === 0 ? 'none (minGapMs 0)' : `default (minGapMs ${minGapMs})`,
    transactions: latencies.length,
    perSecond,
    ratioToPty: perSecond / PTY_GETS_PER_SECOND,
    cpuMsPerGet: (used.user + used.system) / 1000 / Math.max(1, latencies.length + errors),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    errors,
  };
}

export interface MemoryRow {
  readonly ports: number;
  readonly heapPerPortKiB: number;
  readonly rssPerPortKiB: number;
  readonly gc: boolean;
}

function gc(): boolean {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) return false;
  collect();
  collect();
  return true;
}

/** Open `count` ports on ptys with nothing behind them (open, framing, waiting for data). */
async function memory(dir: string, count: number): Promise<MemoryRow> {
  const ptys: Pty[] = [];
  for (let i = 0; i < count; i++) ptys.push(await ptyPair(dir, `mem${i}`));
  // Load and warm everything once, so the delta is the ports, not the modules.
  const warm = new VeDirectPort(ptys[0]?.a ?? '', { silenceMs: 600_000 });
  warm.open();
  await sleep(500);
  await warm.close();
  const hasGc = gc();
  await sleep(200);
  gc();
  const before = process.memoryUsage();
  const ports = ptys.map((p) => {
    const port = new VeDirectPort(p.a, { silenceMs: 600_000 });
    port.open();
    return port;
  });
  await sleep(1500);
  gc();
  const after = process.memoryUsage();
  await Promise.all(ports.map((p) => p.close()));
  await Promise.all(ptys.map((p) => p.stop()));
  return {
    ports: count,
    heapPerPortKiB: (after.heapUsed - before.heapUsed) / count / 1024,
    rssPerPortKiB: (after.rss - before.rss) / count / 1024,
    gc: hasGc,
  };
}

export function formatLinkBench(rows: readonly ThroughputRow[], mem: MemoryRow): string {
  const lines = [
    `HEX Get through the whole stack (pty, simulator replying at once). Bound on this pty: ${PTY_GETS_PER_SECOND.toFixed(1)} Gets/s`,
    `(only the simulator's 15-byte reply takes line time on a pty: 7.8 ms, paced by whole-millisecond timers to 7 ms). A real cable's bound is ${WIRE_GETS_PER_SECOND.toFixed(1)} Gets/s (26 bytes = 13.5 ms`,
    'at 19200 baud), not comparable with a pty. CPU ms/Get is this process (link stack) only, user + system.',
    'pacing                    Gets    Gets/s  × pty bound  CPU ms/Get   p50 ms   p99 ms   errors',
    ...rows.map(
      (r) =>
        `${r.pacing.padEnd(24)}${String(r.transactions).padStart(6)}${r.perSecond.toFixed(1).padStart(10)}${r.ratioToPty.toFixed(2).padStart(13)}` +
        `${r.cpuMsPerGet.toFixed(3).padStart(12)}${r.p50Ms.toFixed(2).padStart(9)}${r.p99Ms.toFixed(2).padStart(9)}${String(r.errors).padStart(9)}`,
    ),
    '',
    `Memory per open port (${mem.ports} ports on ptys${mem.gc ? '' : '; run with --expose-gc for steadier numbers'}): ` +
      `heap ${mem.heapPerPortKiB.toFixed(1)} KiB, RSS ${mem.rssPerPortKiB.toFixed(1)} KiB`,
  ];
  return lines.join('\n');
}

export async function benchLink(options: { seconds?: number; ports?: number } = {}): Promise<{ throughput: ThroughputRow[]; memory: MemoryRow }> {
  if (spawnSync('socat', ['-V'], { stdio: 'ignore' }).status !== 0) throw new Error('the link bench needs socat (apt-get install -y socat)');
  const seconds = options.seconds ?? 10;
  const dir = mkdtempSync(join(tmpdir(), 've-bench-link-'));
  // The link's timers are unref'd; hold the process while the bench waits on them.
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    const pty = await ptyPair(dir, 'bench');
    const sim = await simulator(pty.b);
    const rows: ThroughputRow[] = [];
    try {
      rows.push(await throughput(pty.a, 0, seconds));
      rows.push(await throughput(pty.a, 50, seconds));
    } finally {
      sim.kill('SIGINT');
      await new Promise<void>((resolve) => sim.once('exit', () => resolve()));
      await pty.stop();
    }
    const mem = await memory(dir, options.ports ?? 32);
    process.stdout.write(formatLinkBench(rows, mem) + '\n');
    return { throughput: rows, memory: mem };
  } finally {
    clearInterval(keepAlive);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const seconds = Number(process.argv[2] ?? 10);
  benchLink({ seconds }).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
