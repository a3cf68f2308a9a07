/**
 * Framer throughput and robustness, side by side with the Text parser of
 * @signalk/vedirect-serial-usb (the TypeScript peer) on the same bytes.
 *
 * The input is built from the real captures: every checksum-valid Text block and HEX frame
 * they hold, repeated in a seeded random order to several megabytes, with 2 % of the blocks
 * corrupted in one byte and async HEX frames inserted inside 5 % of the blocks (as MPPTs with
 * firmware ≥ 1.17 do). Both parsers get the bytes in the same random chunks of 1–64 bytes,
 * as serial reads deliver them. A block "out" is one a parser accepted; it is "corrupt" when
 * its records are not exactly those of a block that was sent intact.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Framer, type TextBlockEvent } from '../lib/protocol/framer';
import { isTranscript, parseTranscript, receivedBytes } from '../lib/protocol/transcript';

// The peer's package exports only its Signal K plugin; its Text parser is loaded by file path.
interface PeerParser {
  addChunk(buf: Buffer, connectionIndex: number): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
}
type PeerParserClass = new (options: unknown) => PeerParser;
const load = createRequire(__filename);
const peerDir = dirname(load.resolve('@signalk/vedirect-serial-usb/package.json'));
const { VEDirectParser } = load(join(peerDir, 'dist', 'Parser.js')) as { VEDirectParser: PeerParserClass };

const WIRE_BYTES_PER_SECOND = 1920; // 19200 baud, 8N1: 10 bit times per byte

/** A small seeded PRNG (mulberry32) so every run measures the same stream. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function encodeBlock(fields: Readonly<Record<string, string>>): Buffer {
  const body = Buffer.from(Object.entries(fields).map(([l, v]) => `\r\n${l}\t${v}`).join('') + '\r\nChecksum\t', 'latin1');
  let sum = 0;
  for (const b of body) sum += b;
  return Buffer.concat([body, Buffer.from([(256 - (sum & 0xff)) & 0xff])]);
}

const blockKey = (fields: Readonly<Record<string, string>>): string => JSON.stringify(Object.entries(fields).sort());

interface Corpus {
  readonly blocks: Record<string, string>[];
  readonly frames: string[];
}

function loadCorpus(dir: string): Corpus {
  const blocks: Record<string, string>[] = [];
  const frames: string[] = [];
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.bin') && !file.endsWith('.txt')) continue;
    let bytes: Uint8Array = readFileSync(join(dir, file));
    const text = Buffer.from(bytes).toString('latin1');
    if (file.endsWith('.txt')) {
      if (!isTranscript(text)) continue;
      bytes = receivedBytes(parseTranscript(text));
    }
    for (const e of new Framer().push(bytes)) {
      if (e.kind === 'text-block' && Object.keys(e.fields).length > 0) blocks.push(e.fields);
      else if (e.kind === 'hex-frame' && e.text.startsWith(':A')) frames.push(e.text + '\n');
    }
  }
  return { blocks, frames };
}

interface Stream {
  readonly bytes: Buffer;
  readonly sentIntact: number;
  readonly sentCorrupted: number;
  readonly intactKeys: Set<string>;
}

function buildStream(corpus: Corpus, targetBytes: number, seed: number): Stream {
  const rnd = random(seed);
  const parts: Buffer[] = [];
  const intactKeys = new Set<string>();
  let size = 0;
  let sentIntact = 0;
  let sentCorrupted = 0;
  while (size < targetBytes) {
    const fields = corpus.blocks[Math.floor(rnd() * corpus.blocks.length)]!;
    let wire = encodeBlock(fields);
    const roll = rnd();
    if (roll < 0.02) {
      wire = Buffer.from(wire);
      const at = Math.floor(rnd() * wire.length);
      wire[at] = (wire[at]! ^ (1 << Math.floor(rnd() * 8))) & 0xff;
      sentCorrupted++;
    } else {
      sentIntact++;
      intactKeys.add(blockKey(fields));
      if (roll < 0.07) {
        const frame = Buffer.from(corpus.frames[Math.floor(rnd() * corpus.frames.length)]!, 'latin1');
        const at = Math.floor(rnd() * (wire.length - 1));
        wire = Buffer.concat([wire.subarray(0, at), frame, wire.subarray(at)]);
      }
    }
    parts.push(wire);
    size += wire.length;
  }
  return { bytes: Buffer.concat(parts), sentIntact, sentCorrupted, intactKeys };
}

function chunks(bytes: Buffer, seed: number): Buffer[] {
  const rnd = random(seed);
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + Math.floor(rnd() * 64);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

interface Result {
  readonly name: string;
  readonly mbPerSecond: number;
  readonly blocksOut: number;
  readonly corruptOut: number;
}

function runOurs(parts: Buffer[], stream: Stream, totalBytes: number): Result {
  const framer = new Framer();
  const accepted: TextBlockEvent[] = [];
  const start = process.hrtime.bigint();
  for (const part of parts) {
    for (const e of framer.push(part)) if (e.kind === 'text-block') accepted.push(e);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  // Classified after the clock stopped, so only parsing is timed.
  const corruptOut = accepted.filter((e) => !stream.intactKeys.has(blockKey(e.fields))).length;
  return { name: 'node-red-contrib-ve-direct Framer', mbPerSecond: totalBytes / 1e6 / seconds, blocksOut: accepted.length, corruptOut };
}

/** The peer's parser; `checksum` false is its plugin's default ("Ignore Checksum … Default ON"). */
function runPeer(parts: Buffer[], stream: Stream, totalBytes: number, checksum: boolean): Result {
  const parser = new VEDirectParser({ vedirect: [{ ignoreChecksum: !checksum }] });
  // Observe which accumulated text the parser accepted as a block: it parses `cache` line by
  // line after its checksum decision, so the cache at that moment is the block it took.
  const accepted: string[] = [];
  const peer = parser as unknown as { cache: string; sum: number; _verifyCacheAndParse(i: number): void };
  const verify = peer._verifyCacheAndParse.bind(peer);
  peer._verifyCacheAndParse = (index: number) => {
    if (!checksum || peer.sum % 256 === 0) accepted.push(peer.cache);
    verify(index);
  };
  parser.on('warn', () => undefined);
  parser.on('error', () => undefined);
  const start = process.hrtime.bigint();
  for (const part of parts) parser.addChunk(part, 0);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  let corruptOut = 0;
  for (const cache of accepted) {
    const fields: Record<string, string> = {};
    for (const line of cache.trim().split('\n')) {
      const [label, value] = line.trim().split('\t');
      if (label !== undefined && value !== undefined && label !== 'Checksum') fields[label] = value;
    }
    if (!stream.intactKeys.has(blockKey(fields))) corruptOut++;
  }
  return {
    name: `@signalk/vedirect-serial-usb Parser (checksum ${checksum ? 'on' : 'off, its default'})`,
    mbPerSecond: totalBytes / 1e6 / seconds,
    blocksOut: accepted.length,
    corruptOut,
  };
}

/**
 * Heap growth over a long run: the heap after 100 MB against the heap after the first 8 MB
 * (both after a full collection), so start-up allocations do not count as growth.
 */
function heapGrowthOurs(corpus: Corpus, megabytes: number): { heapGrowthMb: number; rssGrowthMb: number } {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  const stream = buildStream(corpus, 8 * 1024 * 1024, 7);
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

export function benchFramer(options: { megabytes?: number; capturesDir?: string } = {}): void {
  const dir = options.capturesDir ?? join(__dirname, '..', 'test', 'fixtures', 'captures');
  const corpus = loadCorpus(dir);
  const stream = buildStream(corpus, (options.megabytes ?? 8) * 1024 * 1024, 42);
  const parts = chunks(stream.bytes, 43);
  const total = stream.bytes.length;

  // One warm-up run each (the JIT), then the median of three.
  const median = (run: () => Result): Result => {
    run();
    const results = [run(), run(), run()].sort((a, b) => a.mbPerSecond - b.mbPerSecond);
    return results[1]!;
  };
  const ours = median(() => runOurs(parts, stream, total));
  const peerOn = median(() => runPeer(parts, stream, total, true));
  // Without its checksum the peer parses every accumulated chunk: slow, so measured once.
  const peerOff = runPeer(parts, stream, total, false);

  console.log(`\nFramer: ${(total / 1e6).toFixed(1)} MB from ${corpus.blocks.length} real blocks and ${corpus.frames.length} async frames of the captures;`);
  console.log(`sent ${stream.sentIntact} intact blocks (5 % with an async frame inside) and ${stream.sentCorrupted} blocks corrupted in one bit; random 1–64 byte chunks.\n`);
  const rows = [ours, peerOn, peerOff].map((r) => ({
    parser: r.name,
    'MB/s': r.mbPerSecond.toFixed(1),
    'ours ÷ this': (ours.mbPerSecond / r.mbPerSecond).toFixed(2),
    'x wire rate': Math.round((r.mbPerSecond * 1e6) / WIRE_BYTES_PER_SECOND).toLocaleString('en-US'),
    'blocks out': r.blocksOut,
    'of intact sent': `${((100 * (r.blocksOut - r.corruptOut)) / stream.sentIntact).toFixed(1)} %`,
    'corrupt out': r.corruptOut,
  }));
  console.table(rows);
  const heap = heapGrowthOurs(corpus, 100);
  console.log(`Heap growth over 100 MB through one Framer: ${heap.heapGrowthMb.toFixed(2)} MB (RSS ${heap.rssGrowthMb.toFixed(2)} MB)${(globalThis as { gc?: unknown }).gc ? '' : ' — run node with --expose-gc for exact numbers'}.`);
}

if (require.main === module) benchFramer();
