/**
 * Where the write policy remembers when each flash setting (and command) of each device was
 * last written, and with what bytes: a flash cell wears out with writes, and the interval
 * between two writes must hold across a restart of Node-RED or a new run of the CLI. Keyed by
 * device (serial number, else port path) and register id.
 *
 * Two stores: in memory (tests, a caller that wants no file) and a JSON file read once when
 * opened and rewritten atomically (temporary file, then rename) on every change, so a crash
 * mid-write leaves the old file, never half of one.
 */

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface FlashWriteRecord {
  /** Wall-clock time of the write, ms since the epoch. */
  readonly at: number;
  /** The value bytes written, hex as on the wire. */
  readonly raw: string;
}

export interface FlashWriteStore {
  get(key: string): FlashWriteRecord | undefined;
  /** Record (or, with undefined, forget) a write; resolves once it is stored. */
  set(key: string, record: FlashWriteRecord | undefined): Promise<void>;
}

export class MemoryFlashWriteStore implements FlashWriteStore {
  protected readonly records = new Map<string, FlashWriteRecord>();

  get(key: string): FlashWriteRecord | undefined {
    return this.records.get(key);
  }

  set(key: string, record: FlashWriteRecord | undefined): Promise<void> {
    if (record === undefined) this.records.delete(key);
    else this.records.set(key, record);
    return Promise.resolve();
  }
}

/** Records older than this are dropped when the file is written: no interval is that long. */
const KEEP_MS = 7 * 24 * 3600 * 1000;

function isRecord(value: unknown): value is FlashWriteRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return typeof r.at === 'number' && Number.isFinite(r.at) && typeof r.raw === 'string';
}

export interface FileStoreOptions {
  /** Told when the file cannot be read or written (the store then works from memory). */
  readonly onError?: (message: string) => void;
  /** Wall clock, for dropping old records. */
  readonly now?: () => number;
}

/**
 * A JSON file `{ "<device>/<register>": { "at": ms, "raw": "hex" } }`. A missing file is an
 * empty store; an unreadable one is reported and treated as empty (then rewritten whole).
 */
export class JsonFileFlashWriteStore extends MemoryFlashWriteStore {
  readonly path: string;
  private readonly onError: (message: string) => void;
  private readonly now: () => number;

  constructor(path: string, options: FileStoreOptions = {}) {
    super();
    this.path = path;
    this.onError = options.onError ?? (() => undefined);
    this.now = options.now ?? Date.now;
    this.load();
  }

  override async set(key: string, record: FlashWriteRecord | undefined): Promise<void> {
    await super.set(key, record);
    this.save();
  }

  private load(): void {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(`cannot read ${this.path}: ${(err as Error).message}`);
      return;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      this.onError(`${this.path} is not valid JSON (${(err as Error).message}): starting with no record of flash writes`);
      return;
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      this.onError(`${this.path} does not hold a record of flash writes: starting with none`);
      return;
    }
    for (const [key, value] of Object.entries(data)) if (isRecord(value)) this.records.set(key, { at: value.at, raw: value.raw });
  }

  /** Synchronous and small (a few records): the record is on disk before the write goes out. */
  private save(): void {
    const cutoff = this.now() - KEEP_MS;
    const data: Record<string, FlashWriteRecord> = {};
    for (const [key, record] of this.records) if (record.at >= cutoff) data[key] = record;
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n', { mode: 0o644 });
      renameSync(tmp, this.path);
    } catch (err) {
      this.onError(`cannot write ${this.path}: ${(err as Error).message}`);
    }
  }
}
