/**
 * The byte stream the framer and decode benches measure on, built from the real captures:
 * every checksum-valid Text block and HEX frame they hold, repeated in a seeded random order.
 *
 * "Mixed" means what a charger with a host polling it sends: each Text block is followed by
 * 0–4 HEX frames (Get/Set replies, async frames, pings, an error reply: all the frames of the
 * captures), 5 % of the blocks carry an async frame inside them (as MPPTs with firmware ≥ 1.17
 * do), and 2 % of the blocks are corrupted in one bit. Everything is seeded: every run
 * measures the same bytes.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Framer } from '../lib/protocol/framer';
import { isTranscript, parseTranscript, receivedBytes } from '../lib/protocol/transcript';

export const CAPTURES_DIR = join(__dirname, '..', 'test', 'fixtures', 'captures');

/** 19200 baud, 8N1: 10 bit times per byte. */
export const WIRE_BYTES_PER_SECOND = 1920;

/** A small seeded PRNG (mulberry32) so every run measures the same stream. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function encodeBlock(fields: Readonly<Record<string, string>>): Buffer {
  const body = Buffer.from(Object.entries(fields).map(([l, v]) => `\r\n${l}\t${v}`).join('') + '\r\nChecksum\t', 'latin1');
  let sum = 0;
  for (const b of body) sum += b;
  return Buffer.concat([body, Buffer.from([(256 - (sum & 0xff)) & 0xff])]);
}

/** A block's records in a canonical order, to tell a block that was sent intact. */
export const blockKey = (fields: Readonly<Record<string, string>>): string => JSON.stringify(Object.entries(fields).sort());

export interface Corpus {
  readonly blocks: Record<string, string>[];
  /** Every valid HEX frame, `\n` included. */
  readonly frames: string[];
  /** The async (`:A`) ones, which a device may put inside a Text block. */
  readonly asyncFrames: string[];
}

export function loadCorpus(dir = CAPTURES_DIR): Corpus {
  const blocks: Record<string, string>[] = [];
  const frames = new Set<string>();
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.bin') && !file.endsWith('.txt')) continue;
    let bytes: Uint8Array = readFileSync(join(dir, file));
    const text = Buffer.from(bytes).toString('latin1');
    if (file.endsWith('.txt')) {
      if (!isTranscript(text)) continue;
      bytes = receivedBytes(parseTranscript(text));
    }
    for (const e of new Framer().push(bytes)) {
      if (e.kind === 'text-block' && Object.keys(e.fields).length > 0) blocks.push({ ...e.fields });
      else if (e.kind === 'hex-frame') frames.add(e.text + '\n');
    }
  }
  const all = [...frames];
  return { blocks, frames: all, asyncFrames: all.filter((f) => f.startsWith(':A')) };
}

export interface MixedStream {
  readonly bytes: Buffer;
  readonly sentIntact: number;
  readonly sentCorrupted: number;
  readonly sentFrames: number;
  /** Bytes of HEX frames in the stream. */
  readonly hexBytes: number;
  readonly intactKeys: Set<string>;
}

/**
 * The mixed stream; with `textOnly`, the same blocks (and corruptions) without any HEX frame,
 * as a device nobody polls sends.
 */
export function buildMixedStream(corpus: Corpus, targetBytes: number, seed: number, textOnly = false): MixedStream {
  const rnd = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const parts: Buffer[] = [];
  const intactKeys = new Set<string>();
  let size = 0;
  let sentIntact = 0;
  let sentCorrupted = 0;
  let sentFrames = 0;
  let hexBytes = 0;
  while (size < targetBytes) {
    const fields = pick(corpus.blocks);
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
      if (roll < 0.07 && !textOnly) {
        const frame = Buffer.from(pick(corpus.asyncFrames), 'latin1');
        const at = Math.floor(rnd() * (wire.length - 1));
        wire = Buffer.concat([wire.subarray(0, at), frame, wire.subarray(at)]);
        sentFrames++;
        hexBytes += frame.length;
      }
    }
    parts.push(wire);
    size += wire.length;
    for (let n = textOnly ? 0 : Math.floor(rnd() * 5); n > 0; n--) {
      const frame = Buffer.from(pick(corpus.frames), 'latin1');
      parts.push(frame);
      size += frame.length;
      hexBytes += frame.length;
      sentFrames++;
    }
  }
  return { bytes: Buffer.concat(parts), sentIntact, sentCorrupted, sentFrames, hexBytes, intactKeys };
}

/** The bytes cut into random 1–64 byte pieces, as serial reads deliver them. */
export function chunks(bytes: Buffer, seed: number): Buffer[] {
  const rnd = random(seed);
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + Math.floor(rnd() * 64);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** CPU (user + system) and wall time of `run`, in seconds. */
export function timed<T>(run: () => T): { result: T; cpuSeconds: number; wallSeconds: number } {
  const cpu = process.cpuUsage();
  const wall = process.hrtime.bigint();
  const result = run();
  const wallSeconds = Number(process.hrtime.bigint() - wall) / 1e9;
  const used = process.cpuUsage(cpu);
  return { result, cpuSeconds: (used.user + used.system) / 1e6, wallSeconds };
}
