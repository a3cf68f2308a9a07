/**
 * Where energy totals (energy-total.ts) survive a restart: one small JSON file, by device key,
 * in Node-RED's user directory. Writes are held back (at most one per `saveEveryMs`, default
 * 60 s) so an SD card is not written every second; nothing is lost by that, as a total restarts
 * from the saved "today" and adds what the charger counted meanwhile. A day change is saved at
 * once. Without a file the totals live in memory only.
 */

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock, TimerHandle } from '../clock';
import { systemClock } from '../clock';
import type { EnergyState } from './energy-total';

export interface EnergyStoreOptions {
  readonly clock?: Clock;
  readonly saveEveryMs?: number;
  /** Told about a file that cannot be read or written (the totals go on in memory). */
  readonly onError?: (err: Error) => void;
}

function isState(v: unknown): v is EnergyState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return typeof s.totalKWh === 'number' && Number.isFinite(s.totalKWh) && typeof s.todayKWh === 'number' && (s.day === null || typeof s.day === 'number');
}

export class EnergyStore {
  private readonly states = new Map<string, EnergyState>();
  private readonly clock: Clock;
  private readonly saveEveryMs: number;
  private timer: TimerHandle | null = null;
  private lastSaved = -Infinity;

  constructor(
    readonly file: string | null,
    private readonly options: EnergyStoreOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.saveEveryMs = options.saveEveryMs ?? 60_000;
    if (file !== null) this.read(file);
  }

  load(key: string): EnergyState | null {
    return this.states.get(key) ?? null;
  }

  /** Remember `state`; `now` (a new day) writes the file at once. */
  save(key: string, state: EnergyState, now = false): void {
    this.states.set(key, state);
    if (this.file === null) return;
    const wait = this.lastSaved + this.saveEveryMs - this.clock.now();
    if (now || wait <= 0) {
      this.flush();
      return;
    }
    this.timer ??= this.clock.setTimeout(() => {
      this.timer = null;
      this.flush();
    }, wait);
  }

  /** Write what is held back (on close). */
  flush(): void {
    this.timer?.cancel();
    this.timer = null;
    if (this.file === null) return;
    this.lastSaved = this.clock.now();
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      // Written beside, then renamed: a power cut leaves the old file or the new one, never half.
      const tmp = `${this.file}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(Object.fromEntries(this.states), null, 1)}\n`);
      renameSync(tmp, this.file);
    } catch (err) {
      this.options.onError?.(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private read(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.options.onError?.(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    try {
      const data: unknown = JSON.parse(text);
      if (typeof data !== 'object' || data === null) throw new Error(`${file} holds no object`);
      for (const [key, value] of Object.entries(data)) if (isState(value)) this.states.set(key, value);
    } catch (err) {
      this.options.onError?.(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
