/**
 * `ve-direct decode` as users run it: a whole process (`node dist/lib/cli/main.js decode FILE`,
 * start-up included) on the mixed Text + HEX stream of ./stream.ts, its output read through a
 * pipe. Then memory: 120 MB decoded into a reader that starts reading only after 6 s, as a
 * pager or a busy `| jq` does.
 *
 * The child's CPU time and peak RSS come from its own process.resourceUsage() at exit (a
 * one-line preload, so nothing in the command is changed for the bench); wall time is taken
 * here. Needs the build (`npm run bench` builds first). Numbers are printed, never asserted.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Framer } from '../lib/protocol/framer';
import { runPeer } from './framer';
import { buildMixedStream, chunks, loadCorpus, WIRE_BYTES_PER_SECOND } from './stream';

const MAIN = join(__dirname, '..', 'dist', 'lib', 'cli', 'main.js');

/**
 * Hands the process's own CPU time and peak RSS to fd 3 when it exits. The peak is VmHWM of
 * /proc/self/status: getrusage's maxRSS of a spawned child starts from the parent's size at
 * fork (Linux keeps it across exec), which here would be this bench's buffers.
 */
const REPORT_USAGE =
  'data:text/javascript,import { readFileSync, writeSync } from "node:fs"; process.on("exit", () => { const u = process.resourceUsage(); ' +
  'let peakKb = u.maxRSS; try { peakKb = Number(/VmHWM:\\s*(\\d+)/.exec(readFileSync("/proc/self/status", "utf8"))[1]); } catch {} ' +
  'writeSync(3, JSON.stringify({ cpuMicros: u.userCPUTime + u.systemCPUTime, peakKb })); });';

export interface DecodeRun {
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
  readonly maxRssMb: number;
  readonly outputBytes: number;
  readonly lines: number;
  readonly code: number | null;
}

/**
 * Run `decode FILE`; the output is read at once, or only after `readAfterMs`. `main` is the
 * built CLI to run (another build's, to compare).
 */
export function runDecode(file: string, readAfterMs = 0, main = MAIN): Promise<DecodeRun> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--import', REPORT_USAGE, main, 'decode', file], { stdio: ['ignore', 'pipe', 'inherit', 'pipe'] });
    const stdout = child.stdout!;
    const usagePipe = child.stdio[3] as Readable;
    let usage = '';
    usagePipe.on('data', (c: Buffer) => (usage += c.toString('utf8')));
    let outputBytes = 0;
    let lines = 0;
    const read = (): void => {
      stdout.on('data', (c: Buffer) => {
        outputBytes += c.length;
        for (let i = c.indexOf(10); i >= 0; i = c.indexOf(10, i + 1)) lines++;
      });
    };
    if (readAfterMs > 0) setTimeout(read, readAfterMs);
    else read();
    child.on('error', reject);
    child.on('close', (code) => {
      const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
      try {
        const u = JSON.parse(usage) as { cpuMicros: number; peakKb: number };
        resolve({ cpuSeconds: u.cpuMicros / 1e6, wallSeconds, maxRssMb: (u.peakKb * 1024) / 1e6, outputBytes, lines, code });
      } catch {
        reject(new Error(`decode exited ${String(code)} without reporting its resource usage`));
      }
    });
  });
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function benchDecode(options: { megabytes?: number; runs?: number; slowMegabytes?: number; readAfterMs?: number } = {}): Promise<void> {
  const megabytes = options.megabytes ?? 20;
  const runs = options.runs ?? 5;
  const slowMegabytes = options.slowMegabytes ?? 120;
  const readAfterMs = options.readAfterMs ?? 6000;
  const dir = mkdtempSync(join(tmpdir(), 've-bench-decode-'));
  try {
    const stream = buildMixedStream(loadCorpus(), megabytes * 1e6, 42);
    const file = join(dir, 'mixed.bin');
    writeFileSync(file, stream.bytes);
    const mb = stream.bytes.length / 1e6;

    // How many lines decode must print: one per unit the Framer finds in the same bytes.
    const framer = new Framer();
    framer.push(stream.bytes);
    const { stats } = framer;
    const expectedUnits = stats.textBlocks + stats.hexFrames + Object.values(stats.errors).reduce((a, b) => a + b, 0);

    const results: DecodeRun[] = [];
    for (let i = 0; i < runs; i++) results.push(await runDecode(file));
    for (const r of results) {
      if (r.code !== 0 || r.lines !== expectedUnits) throw new Error(`decode exited ${String(r.code)} with ${r.lines} lines, expected ${expectedUnits}`);
    }
    const cpu = results.map((r) => mb / r.cpuSeconds);
    const wall = results.map((r) => mb / r.wallSeconds);
    console.log(
      `\ndecode as a whole process: ${mb.toFixed(1)} MB mixed Text + HEX (${((100 * stream.hexBytes) / stream.bytes.length).toFixed(0)} % HEX bytes) → ` +
        `${expectedUnits} JSON lines, ${(results[0]!.outputBytes / 1e6).toFixed(1)} MB, read through a pipe; ${runs} runs`,
    );
    console.log(`  CPU  MB/s: best ${Math.max(...cpu).toFixed(1)}, median ${median(cpu).toFixed(1)}  (start-up included)`);
    console.log(`  wall MB/s: best ${Math.max(...wall).toFixed(1)}, median ${median(wall).toFixed(1)}`);
    console.log(`  × wire rate (CPU median): ${Math.round((median(cpu) * 1e6) / WIRE_BYTES_PER_SECOND).toLocaleString('en-US')}`);
    console.log(`  peak RSS: ${median(results.map((r) => r.maxRssMb)).toFixed(0)} MB (median)`);
    // The peer's parser in process, on the same bytes through its serial path (one run: it is
    // slow): a whole decode process, start-up and JSON included, against parsing alone.
    const peer = runPeer(chunks(stream.bytes, 43), true);
    const peerRate = mb / peer.cpuSeconds;
    console.log(
      `  @signalk/vedirect-serial-usb, serial path, checksum on, in process (parsing only, one run): ${peerRate.toFixed(1)} MB/s of CPU time, ` +
        `${peer.otherOut}; decode as a process ÷ this: ${(median(cpu) / peerRate).toFixed(1)}`,
    );

    // The slow reader: the same stream repeated to the size asked for.
    const slow = join(dir, 'slow.bin');
    const copies = Math.ceil((slowMegabytes * 1e6) / stream.bytes.length);
    writeFileSync(slow, Buffer.concat(Array.from({ length: copies }, () => stream.bytes)));
    const s = await runDecode(slow, readAfterMs);
    if (s.code !== 0 || s.lines !== expectedUnits * copies) throw new Error(`slow-reader decode exited ${String(s.code)} with ${s.lines} lines`);
    console.log(
      `decode of ${((stream.bytes.length * copies) / 1e6).toFixed(0)} MB into a reader that starts after ${readAfterMs / 1000} s: ` +
        `peak RSS ${s.maxRssMb.toFixed(0)} MB, ${s.lines} lines, all read; CPU ${s.cpuSeconds.toFixed(1)} s, wall ${s.wallSeconds.toFixed(1)} s`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchDecode().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
