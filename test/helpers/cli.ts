/** Run the `ve-direct` CLI in-process with captured output. */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../lib/cli/main';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The lines of stdout that are JSON objects (NDJSON output), parsed. */
  readonly lines: Record<string, unknown>[];
}

export async function runCliCaptured(
  args: readonly string[],
  options: { stdin?: Uint8Array | string; env?: Record<string, string>; interrupted?: Promise<void> } = {},
): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const stdin = Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]);
  const code = await runCli(args, {
    stdin,
    stdout,
    stderr,
    // A state directory of its own (the record of flash writes), never the user's home.
    env: options.env ?? { XDG_STATE_HOME: mkdtempSync(join(tmpdir(), 've-direct-cli-state-')) },
    interrupted: options.interrupted ?? new Promise<void>(() => undefined),
  });
  const text = Buffer.concat(out).toString('utf8');
  const lines = text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, stdout: text, stderr: Buffer.concat(err).toString('utf8'), lines };
}
