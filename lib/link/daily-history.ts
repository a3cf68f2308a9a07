/**
 * Reads an MPPT's history over HEX: the daily records from today (0x1050) back until the first
 * day without data (the charger answers it with flags 0x04) or `days` records, and the total
 * record 0x104F. One Get per record, on the port's shared queue.
 */

import { VeError, isVeError } from '../errors';
import {
  decodeDailyHistory,
  decodeHistoryTotal,
  historyRegister,
  HISTORY_DAYS,
  HISTORY_TOTAL,
  type DailyHistory,
  type HistoryTotal,
} from '../protocol/catalog/history';
import type { RegisterReading } from './device';
import type { RegisterRef } from './register-ref';

/** What the reader needs of a port (VeDirectPort has it). */
export interface HistorySource {
  readonly identity: { readonly family: string | null; readonly product: string | null } | null;
  get(ref: RegisterRef): Promise<RegisterReading>;
}

export interface DailyHistoryReadout {
  /** Today first; stops before the first day the charger has no record of. */
  readonly days: DailyHistory[];
  readonly total: HistoryTotal;
}

function bytesOf(reading: RegisterReading): Uint8Array {
  return Uint8Array.from(Buffer.from(reading.raw, 'hex'));
}

/** Reads up to `days` daily records (1..31, default all) and the total. */
export async function readDailyHistory(port: HistorySource, days = HISTORY_DAYS): Promise<DailyHistoryReadout> {
  const family = port.identity?.family ?? null;
  if (family !== null && family !== 'mppt') {
    throw new VeError('VE_NOT_SUPPORTED_DEVICE', `${port.identity?.product ?? 'This device'} keeps no daily history: only solar chargers (MPPT) do`, { family });
  }
  const count = Math.min(HISTORY_DAYS, Math.max(1, Math.floor(days)));
  const total = decodeHistoryTotal(bytesOf(await port.get(HISTORY_TOTAL)));
  const out: DailyHistory[] = [];
  for (let back = 0; back < count; back++) {
    let reading: RegisterReading;
    try {
      reading = await port.get(historyRegister(back));
    } catch (err) {
      // "An empty record with its flag position set to 0x04": no data for that day, nor before.
      if (isVeError(err) && err.code === 'VE_PARAMETER') break;
      throw err;
    }
    out.push(decodeDailyHistory(bytesOf(reading), back));
  }
  return { days: out, total };
}
