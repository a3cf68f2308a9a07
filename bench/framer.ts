/**
 * Framer throughput and robustness, side by side with @signalk/vedirect-serial-usb (the
 * TypeScript peer) on the same bytes, in process.
 *
 * The input is the mixed Text + HEX stream of ./stream.ts (real blocks and frames of the
 * captures; 2 % of the blocks corrupted in one bit, 5 % with an async frame inside, 0–4 HEX
 * frames after each block), cut into random 1–64 byte chunks as serial reads deliver them.
 *
 * The peer is measured through its serial path, as its serial.ts wires it: a
 * DelimiterParser('\r', includeDelimiter) in front of its Parser's addChunk; once with its
 * checksum check on, once off (its plugin's default, "Ignore Checksum … Default ON"). What
 * each emitted is reported beside its speed: a fast parser that drops most blocks does less
 * work. A block "out" is one a parser accepted; it is "corrupt" when its records are not
 * exactly those of a block that was sent intact.
 *
 * CPU time (process.cpuUsage: user + system) is the figure that counts on a shared machine;
 * wall time is shown beside it. Every run is repeated: best and median are printed.
 * Numbers are printed, never asserted.
 */

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Transform } from 'node:stream';
import { Framer, type TextBlockEvent } from '../lib/protocol/framer';
import { blockKey, buildMixedStream, chunks, loadCorpus, timed, WIRE_BYTES_PER_SECOND, type Corpus, type MixedStream } from './stream';

// The peer's package exports only its Signal K plugin; its Parser is loaded by file path, and
// the DelimiterParser is the one it depends on.
interface PeerParser {
  addChunk(buf: Buffer, connectionIndex: number): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
}
type PeerParserClass = new (options: unknown) => PeerParser;
type DelimiterParserClass = new (options: { delimiter: string; includeDelimiter: boolean }) => Transform;
const peerRequire = createRequire(require.resolve('@signalk/vedirect-serial-usb/package.json'));
const peerDir = dirname(peerRequire.resolve('@signalk/vedirect-serial-usb/package.json'));
const { VEDirectParser } = peerRequire(join(peerDir, 'dist', 'Parser.js')) as { VEDirectParser: PeerParserClass };
const { DelimiterParser } = peerRequire('@serialport/parser-delimiter') as { DelimiterParser: DelimiterParserClass };

export interface Measured {
  readonly name: string;
  /** MB per second of CPU time, best and median of the runs. */
  readonly cpuBest: number;
  readonly cpuMedian: number;
  /** MB per second of wall time, best and median. */
  readonly wallBest: number;
  readonly wallMedian: number;
  readonly blocksOut: number;
  readonly corruptOut: number;
  /** What else the parser emitted: HEX frames (ours), Signal K deltas (the peer's). */
  readonly otherOut: string;
}

/** What a parser let through, from a run that is not timed (observing costs time too). */
interface Output {
  readonly blocksOut: number;
  readonly corruptOut: number;
}

export interface Run {
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
  /** Blocks (ours) or deltas (the peer's) emitted: the same in every run, or the run is broken. */
  readonly blocks: number;
  readonly otherOut: string;
}

/** One warm-up run (the JIT), then `runs` measured ones; best and median of each clock. */
function measure(name: string, bytes: number, runs: number, run: () => Run, observe: () => Output): Measured {
  run();
  const results = Array.from({ length: runs }, run);
  if (new Set(results.map((r) => r.blocks)).size !== 1) throw new Error(`${name}: runs emitted different counts`);
  const rates = (pick: (r: Run) => number): number[] => results.map((r) => bytes / 1e6 / pick(r)).sort((a, b) => b - a);
  const cpu = rates((r) => r.cpuSeconds);
  const wall = rates((r) => r.wallSeconds);
  const output = observe();
  return {
    name,
    cpuBest: cpu[0]!,
    cpuMedian: cpu[Math.floor(cpu.length / 2)]!,
    wallBest: wall[0]!,
    wallMedian: wall[Math.floor(wall.length / 2)]!,
    blocksOut: output.blocksOut,
    corruptOut: output.corruptOut,
    otherOut: results[0]!.otherOut,
  };
}

function runOurs(parts: readonly Buffer[]): Run {
  const timing = timed(() => {
    const framer = new Framer();
    let blocks = 0;
    let frames = 0;
    for (const part of parts) {
      for (const e of framer.push(part)) {
        if (e.kind === 'text-block') blocks++;
        else if (e.kind === 'hex-frame') frames++;
      }
    }
    return { blocks, frames };
  });
  return { cpuSeconds: timing.cpuSeconds, wallSeconds: timing.wallSeconds, blocks: timing.result.blocks, otherOut: `${timing.result.frames} HEX frames` };
}

function outputOurs(parts: readonly Buffer[], stream: MixedStream): Output {
  const framer = new Framer();
  const accepted: TextBlockEvent[] = [];
  for (const part of parts) for (const e of framer.push(part)) if (e.kind === 'text-block') accepted.push(e);
  return { blocksOut: accepted.length, corruptOut: accepted.filter((e) => !stream.intactKeys.has(blockKey(e.fields))).length };
}

/** The peer's serial path, as its serial.ts wires it: DelimiterParser('\r') → Parser.addChunk. */
function peerPipeline(checksum: boolean): { lines: Transform; parser: PeerParser } {
  const parser = new VEDirectParser({ vedirect: [{ ignoreChecksum: !checksum }] });
  parser.on('warn', () => undefined);
  parser.on('error', () => undefined);
  const lines = new DelimiterParser({ delimiter: '\r', includeDelimiter: true });
  lines.on('data', (line: Buffer) => parser.addChunk(line, 0));
  return { lines, parser };
}

export function runPeer(parts: readonly Buffer[], checksum: boolean): Run {
  const timing = timed(() => {
    const { lines, parser } = peerPipeline(checksum);
    let deltas = 0;
    parser.on('delta', () => deltas++);
    // The Transform hands each line on synchronously as it is written.
    for (const part of parts) lines.write(part);
    return deltas;
  });
  return { cpuSeconds: timing.cpuSeconds, wallSeconds: timing.wallSeconds, blocks: timing.result, otherOut: `${timing.result} Signal K deltas` };
}

function outputPeer(parts: readonly Buffer[], stream: MixedStream, checksum: boolean): Output {
  const { lines, parser } = peerPipeline(checksum);
  // Observe which accumulated text the parser accepted as a block: it parses `cache` line by
  // line after its checksum decision, so the cache at that moment is the block it took.
  const accepted: string[] = [];
  const peer = parser as unknown as { cache: string; sum: number; _verifyCacheAndParse(i: number): void };
  const verify = peer._verifyCacheAndParse.bind(peer);
  peer._verifyCacheAndParse = (index: number) => {
    if (!checksum || peer.sum % 256 === 0) accepted.push(peer.cache);
    verify(index);
  };
  for (const part of parts) lines.write(part);
  let corruptOut = 0;
  for (const cache of accepted) {
    const fields: Record<string, string> = {};
    for (const line of cache.trim().split('\n')) {
      const [label, value] = line.trim().split('\t');
      if (label !== undefined && value !== undefined && label !== 'Checksum') fields[label] = value;
    }
    if (!stream.intactKeys.has(blockKey(fields))) corruptOut++;
  }
  return { blocksOut: accepted.length, corruptOut };
}

/**
 * Heap growth over a long run: the heap after 100 MB against the heap after the first 8 MB
 * (both after a full collection), so start-up allocations do not count as growth.
 */
function heapGrowthOurs(corpus: Corpus, megabytes: number): { heapGrowthMb: number; rssGrowthMb: number } {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  const stream = buildMixedStream(corpus, 8 * 1024 * 1024, 7);
  const parts = chunks(stream.bytes, 8);
  const framer = new Framer();
  const feed = (): void => {
    for (const part of parts) framer.push(part);
  };
  feed();
  gc();
  gc();
  const before = process.memoryUsage();
  for (let fed = stream.bytes.length; fed < megabytes * 1024 * 1024; fed += stream.bytes.length) feed();
  gc();
  gc();
  const after = process.memoryUsage();
  return { heapGrowthMb: (after.heapUsed - before.heapUsed) / 1e6, rssGrowthMb: (after.rss - before.rss) / 1e6 };
}

export function benchFramer(options: { megabytes?: number; runs?: number } = {}): Measured[] {
  const corpus = loadCorpus();
  const stream = buildMixedStream(corpus, (options.megabytes ?? 8) * 1024 * 1024, 42);
  const parts = chunks(stream.bytes, 43);
  const total = stream.bytes.length;
  const runs = options.runs ?? 5;

  const ours = measure('node-red-contrib-ve-direct Framer', total, runs, () => runOurs(parts), () => outputOurs(parts, stream));
  // The peer is slower: fewer runs of it keep the bench short.
  const peerRuns = Math.min(runs, 3);
  const peerOn = measure('@signalk/vedirect-serial-usb, serial path, checksum on', total, peerRuns, () => runPeer(parts, true), () => outputPeer(parts, stream, true));
  const peerOff = measure(
    '@signalk/vedirect-serial-usb, serial path, checksum off (its default)',
    total,
    peerRuns,
    () => runPeer(parts, false),
    () => outputPeer(parts, stream, false),
  );

  console.log(
    `\nFramer: ${(total / 1e6).toFixed(1)} MB mixed Text + HEX (${((100 * stream.hexBytes) / total).toFixed(0)} % HEX bytes) from ${corpus.blocks.length} real blocks and ${corpus.frames.length} frames of the captures;`,
  );
  console.log(
    `sent ${stream.sentIntact} intact blocks, ${stream.sentCorrupted} blocks corrupted in one bit, ${stream.sentFrames} HEX frames; random 1–64 byte chunks; ${runs} runs (the peer ${Math.min(runs, 3)}) after a warm-up.\n`,
  );
  console.table(
    [ours, peerOn, peerOff].map((r) => ({
      parser: r.name,
      'CPU MB/s best': r.cpuBest.toFixed(1),
      'CPU MB/s median': r.cpuMedian.toFixed(1),
      'wall MB/s median': r.wallMedian.toFixed(1),
      'ours ÷ this (CPU median)': (ours.cpuMedian / r.cpuMedian).toFixed(2),
      '× wire rate (CPU median)': Math.round((r.cpuMedian * 1e6) / WIRE_BYTES_PER_SECOND).toLocaleString('en-US'),
      'blocks out': r.blocksOut,
      'of intact sent': `${((100 * (r.blocksOut - r.corruptOut)) / stream.sentIntact).toFixed(1)} %`,
      'corrupt out': r.corruptOut,
      'also emitted': r.otherOut,
    })),
  );
  const textOnly = buildMixedStream(corpus, (options.megabytes ?? 8) * 1024 * 1024, 42, true);
  const textParts = chunks(textOnly.bytes, 43);
  const oursText = measure('Framer, Text only', textOnly.bytes.length, runs, () => runOurs(textParts), () => outputOurs(textParts, textOnly));
  console.log(
    `The Framer on the same blocks without HEX frames (${(textOnly.bytes.length / 1e6).toFixed(1)} MB, Text only): ` +
      `CPU ${oursText.cpuBest.toFixed(1)} MB/s best, ${oursText.cpuMedian.toFixed(1)} median; wall ${oursText.wallMedian.toFixed(1)} median; ` +
      `${oursText.blocksOut} blocks out, ${oursText.corruptOut} corrupt.`,
  );
  const heap = heapGrowthOurs(corpus, 100);
  console.log(
    `Heap growth over 100 MB through one Framer: ${heap.heapGrowthMb.toFixed(2)} MB (RSS ${heap.rssGrowthMb.toFixed(2)} MB)${(globalThis as { gc?: unknown }).gc ? '' : ' — run node with --expose-gc for exact numbers'}.`,
  );
  return [ours, peerOn, peerOff];
}

if (require.main === module) benchFramer();
