/**
 * MPPT history records: the daily records 0x1050 (today) … 0x106E (30 days ago) and the total
 * record 0x104F, 34 bytes each, little-endian (BlueSolar HEX protocol MPPT, "History data").
 * The catalogue lists them as raw `bytes` registers (registers.ts); this module gives their
 * layout: decode to a typed record, and encode one (the simulator answers with these bytes).
 *
 * Daily record:  un8 reserved · un32 yield 0.01 kWh · un32 consumed 0.01 kWh · un16 max battery
 * voltage 0.01 V · un16 min battery voltage 0.01 V · un8 error database · 4 × un8 errors ·
 * un16 minutes in bulk · un16 minutes in absorption · un16 minutes in float · un32 max power W ·
 * un16 max battery current 0.1 A · un16 max panel voltage 0.01 V · un16 day sequence number.
 * Total record:  un8 reserved · un8 error database · 4 × un8 errors · un32 user yield 0.01 kWh
 * (Text H19) · un32 system yield 0.01 kWh · un16 max panel voltage 0.01 V · un16 max battery
 * voltage 0.01 V · un8 days available · 0xFF padding.
 * Checked against a SmartSolar MPPT 150/45 capture (test/fixtures/captures, #37): today's yield
 * and max power equal its Text H20 / H21, the total yield its H19.
 */

import { VeError } from '../../errors';
import { CHARGER_ERROR } from './enums';

/** First and last daily record: 0x1050 today, 0x106E 30 days ago. */
export const HISTORY_TODAY = 0x1050;
export const HISTORY_DAYS = 31;
/** The total record. */
export const HISTORY_TOTAL = 0x104f;
/** Every history record is this long. */
export const HISTORY_RECORD_BYTES = 34;

/** The register of the daily record `daysAgo` days back (0 = today). */
export function historyRegister(daysAgo: number): number {
  if (!Number.isInteger(daysAgo) || daysAgo < 0 || daysAgo >= HISTORY_DAYS) {
    throw new VeError('VE_BAD_INPUT', `A daily history record is 0 (today) to ${HISTORY_DAYS - 1} days back, not ${String(daysAgo)}`, { daysAgo });
  }
  return HISTORY_TODAY + daysAgo;
}

/** An error a record remembers: the charger error code and its text. */
export interface HistoryError {
  readonly code: number;
  readonly text: string;
}

/** One day of an MPPT's history. Values are `null` where the charger has none (all ones). */
export interface DailyHistory {
  /** 0 today, 1 yesterday, … */
  readonly daysAgo: number;
  /** The charger's running day number (Text HSDS for today). */
  readonly day: number | null;
  readonly yieldKWh: number | null;
  /** Energy taken by the load output; null on chargers without one. */
  readonly consumedKWh: number | null;
  readonly batteryVoltageMax: number | null;
  readonly batteryVoltageMin: number | null;
  readonly maxPowerW: number | null;
  readonly batteryCurrentMax: number | null;
  readonly panelVoltageMax: number | null;
  readonly bulkMinutes: number | null;
  readonly absorptionMinutes: number | null;
  readonly floatMinutes: number | null;
  /** The errors of the day, most recent first; no-error slots left out. */
  readonly errors: readonly HistoryError[];
}

export interface HistoryTotal {
  readonly userYieldKWh: number | null;
  readonly systemYieldKWh: number | null;
  readonly panelVoltageMax: number | null;
  readonly batteryVoltageMax: number | null;
  /** Days of daily records the charger holds. */
  readonly days: number;
  readonly errors: readonly HistoryError[];
}

/** The fields of a daily record, for encoding (what the charger stores). */
export type DailyHistoryInput = Omit<DailyHistory, 'daysAgo' | 'errors'> & { readonly errors?: readonly number[] };

class Reader {
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  /** Little-endian unsigned integer; null for the all-ones "not available". */
  take(width: 1 | 2 | 4, scale = 1): number | null {
    let value = 0;
    for (let i = width - 1; i >= 0; i--) value = value * 256 + (this.bytes[this.at + i] ?? 0);
    this.at += width;
    if (value === 2 ** (8 * width) - 1) return null;
    return scale === 1 ? value : Math.round(value * scale * 1e6) / 1e6;
  }

  errors(): HistoryError[] {
    const out: HistoryError[] = [];
    for (let i = 0; i < 4; i++) {
      const code = this.take(1);
      if (code !== null && code !== 0) out.push({ code, text: CHARGER_ERROR[code] ?? `Error ${code}` });
    }
    return out;
  }
}

class Writer {
  readonly bytes = new Uint8Array(HISTORY_RECORD_BYTES).fill(0xff);
  private at = 0;

  put(width: 1 | 2 | 4, value: number | null, scale = 1): void {
    const max = 2 ** (8 * width) - 1;
    // null (and anything that does not fit) is the all-ones "not available".
    let rest = value === null ? max : Math.min(max, Math.max(0, Math.round(value / scale)));
    for (let i = 0; i < width; i++) {
      this.bytes[this.at + i] = rest % 256;
      rest = Math.floor(rest / 256);
    }
    this.at += width;
  }
}

function checkLength(bytes: Uint8Array, what: string): void {
  if (bytes.length !== HISTORY_RECORD_BYTES) {
    throw new VeError('VE_BAD_FRAME', `A ${what} history record is ${HISTORY_RECORD_BYTES} bytes long, got ${bytes.length}`, { length: bytes.length });
  }
}

/** Decodes the 34 value bytes of 0x1050 + `daysAgo`. */
export function decodeDailyHistory(bytes: Uint8Array, daysAgo: number): DailyHistory {
  checkLength(bytes, 'daily');
  const r = new Reader(bytes);
  r.take(1); // reserved
  const yieldKWh = r.take(4, 0.01);
  const consumedKWh = r.take(4, 0.01);
  const batteryVoltageMax = r.take(2, 0.01);
  const batteryVoltageMin = r.take(2, 0.01);
  r.take(1); // error database
  const errors = r.errors();
  const bulkMinutes = r.take(2);
  const absorptionMinutes = r.take(2);
  const floatMinutes = r.take(2);
  const maxPowerW = r.take(4);
  const batteryCurrentMax = r.take(2, 0.1);
  const panelVoltageMax = r.take(2, 0.01);
  const day = r.take(2);
  return {
    daysAgo,
    day,
    yieldKWh,
    consumedKWh,
    batteryVoltageMax,
    batteryVoltageMin,
    maxPowerW,
    batteryCurrentMax,
    panelVoltageMax,
    bulkMinutes,
    absorptionMinutes,
    floatMinutes,
    errors,
  };
}

/** The 34 bytes a charger sends for a daily record. */
export function encodeDailyHistory(record: DailyHistoryInput): Uint8Array {
  const w = new Writer();
  w.put(1, 0);
  w.put(4, record.yieldKWh, 0.01);
  w.put(4, record.consumedKWh, 0.01);
  w.put(2, record.batteryVoltageMax, 0.01);
  w.put(2, record.batteryVoltageMin, 0.01);
  w.put(1, 0);
  for (let i = 0; i < 4; i++) w.put(1, record.errors?.[i] ?? 0);
  w.put(2, record.bulkMinutes);
  w.put(2, record.absorptionMinutes);
  w.put(2, record.floatMinutes);
  w.put(4, record.maxPowerW);
  w.put(2, record.batteryCurrentMax, 0.1);
  w.put(2, record.panelVoltageMax, 0.01);
  w.put(2, record.day);
  return w.bytes;
}

/** Decodes the 34 value bytes of 0x104F. */
export function decodeHistoryTotal(bytes: Uint8Array): HistoryTotal {
  checkLength(bytes, 'total');
  const r = new Reader(bytes);
  r.take(1); // reserved
  r.take(1); // error database
  const errors = r.errors();
  const userYieldKWh = r.take(4, 0.01);
  const systemYieldKWh = r.take(4, 0.01);
  const panelVoltageMax = r.take(2, 0.01);
  const batteryVoltageMax = r.take(2, 0.01);
  const days = r.take(1) ?? 0;
  return { userYieldKWh, systemYieldKWh, panelVoltageMax, batteryVoltageMax, days, errors };
}

/** The 34 bytes a charger sends for its total record. */
export function encodeHistoryTotal(total: Omit<HistoryTotal, 'errors'> & { readonly errors?: readonly number[] }): Uint8Array {
  const w = new Writer();
  w.put(1, 0);
  w.put(1, 0);
  for (let i = 0; i < 4; i++) w.put(1, total.errors?.[i] ?? 0);
  w.put(4, total.userYieldKWh, 0.01);
  w.put(4, total.systemYieldKWh, 0.01);
  w.put(2, total.panelVoltageMax, 0.01);
  w.put(2, total.batteryVoltageMax, 0.01);
  w.put(1, total.days);
  // Two bytes of unknown use (0x01 0x00 in the capture), then padding.
  w.put(2, 1);
  return w.bytes;
}
