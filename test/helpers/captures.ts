/**
 * Access to the real-device captures in test/fixtures/captures: the files, the counts that
 * INDEX.md's summary table states for each, and the values expected.json lists.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isTranscript, parseTranscript, receivedBytes, type TranscriptItem } from '../../lib/protocol/transcript';

export const CAPTURES_DIR = join(__dirname, '..', 'fixtures', 'captures');

export interface UnitCounts {
  readonly ok: number;
  readonly bad: number;
}

export interface IndexRow {
  readonly file: string;
  readonly verify: string;
  /** Valid / rejected Text blocks, when the row states them. */
  readonly text?: UnitCounts;
  /** Valid / rejected HEX frames (both directions in transcripts), when the row states them. */
  readonly hex?: UnitCounts;
  /** The row says the file holds no checksum-valid block ("cannot verify", "no valid block"). */
  readonly noValidBlock: boolean;
}

export function readIndex(): IndexRow[] {
  const text = readFileSync(join(CAPTURES_DIR, 'INDEX.md'), 'utf8');
  const rows: IndexRow[] = [];
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // | # | file | source | device | content | verify | label |
    if (cells.length < 8 || !/^\d+$/.test(cells[1] ?? '')) continue;
    const file = cells[2]!;
    const verify = cells[6]!;
    const counts = (kind: string): UnitCounts | undefined => {
      const m = new RegExp(`${kind} (\\d+)/(\\d+)`).exec(verify);
      return m ? { ok: Number(m[1]), bad: Number(m[2]) } : undefined;
    };
    const textCounts = counts('text');
    const hexCounts = counts('hex');
    rows.push({
      file,
      verify,
      ...(textCounts ? { text: textCounts } : {}),
      ...(hexCounts ? { hex: hexCounts } : {}),
      noValidBlock: /cannot verify|no valid block/.test(verify),
    });
  }
  return rows;
}

export function captureFiles(): string[] {
  return readdirSync(CAPTURES_DIR)
    .filter((f) => f !== 'INDEX.md' && f !== 'expected.json')
    .sort();
}

export interface Capture {
  readonly file: string;
  /** The bytes a host received from the device. */
  readonly received: Uint8Array;
  /** For transcripts: every item, including the frames the host sent. */
  readonly transcript?: readonly TranscriptItem[];
}

export function loadCapture(file: string): Capture {
  const bytes = readFileSync(join(CAPTURES_DIR, file));
  if (file.endsWith('.txt')) {
    const text = bytes.toString('latin1');
    if (isTranscript(text)) {
      const transcript = parseTranscript(text);
      return { file, received: receivedBytes(transcript), transcript };
    }
  }
  return { file, received: bytes };
}

export interface ExpectedHex {
  readonly frame: string;
  readonly register?: string;
  readonly value?: number | string | null;
  readonly unit?: string;
  readonly flags?: number;
  readonly firmware?: string;
  readonly productId?: string;
  readonly error?: number;
  readonly done?: string;
  readonly unknownCommand?: string;
}

export interface ExpectedText {
  readonly index: number;
  readonly fields: Readonly<Record<string, string>>;
  readonly absent?: readonly string[];
  readonly decoded?: Readonly<Record<string, number | string | boolean | null>>;
}

export interface ExpectedCapture {
  readonly hex?: readonly ExpectedHex[];
  readonly text?: readonly ExpectedText[];
}

export function readExpected(): Record<string, ExpectedCapture> {
  const raw = JSON.parse(readFileSync(join(CAPTURES_DIR, 'expected.json'), 'utf8')) as Record<string, unknown>;
  delete raw.$comment;
  return raw as Record<string, ExpectedCapture>;
}
