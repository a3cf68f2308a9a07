/**
 * The shape of one `ve-direct` sub-command, and the streams it talks through (injected so
 * tests run commands in-process and read what they print).
 */

import type { Readable, Writable } from 'node:stream';

export interface CliIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Environment variables (VE_DIRECT_* settings). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Resolves when the user interrupts (Ctrl-C), so long-running commands can stop cleanly. */
  readonly interrupted: Promise<void>;
}

export interface CliCommand {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The full `--help` text. */
  readonly help: string;
  /** Runs the command; resolves to the process exit code. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** A usage mistake: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Write one line of JSON (NDJSON output). */
export function writeJsonLine(out: Writable, value: unknown): void {
  out.write(JSON.stringify(value) + '\n');
}
