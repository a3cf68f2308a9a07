/**
 * A simulated MPPT's history: the running tally of today (yield, extremes, minutes per charge
 * state) and the closed days before it, answered as the 34-byte records 0x1050 (today) …
 * 0x106E (30 days ago) and the total 0x104F (catalog/history.ts). A day the charger was not yet
 * in service gets an empty record with flags 0x04, as the BlueSolar HEX protocol MPPT says.
 */

import { Flag } from '../protocol/hex-codec';
import {
  encodeDailyHistory,
  encodeHistoryTotal,
  HISTORY_DAYS,
  HISTORY_RECORD_BYTES,
  HISTORY_TODAY,
  HISTORY_TOTAL,
  type DailyHistoryInput,
} from '../protocol/catalog/history';
import type { Random } from './random';
import { registerDef, type RegisterSlot } from './register-map';

export type TalliedState = 'off' | 'bulk' | 'absorption' | 'float';

/** What the charger saw in one step of the simulation. */
export interface HistorySample {
  readonly seconds: number;
  readonly state: TalliedState;
  readonly batteryV: number;
  readonly batteryA: number;
  readonly panelV: number;
  readonly panelW: number;
}

interface DayTally {
  day: number;
  vMax: number | null;
  vMin: number | null;
  aMax: number;
  pvMax: number;
  wMax: number;
  bulkS: number;
  absorptionS: number;
  floatS: number;
}

function freshTally(day: number): DayTally {
  return { day, vMax: null, vMin: null, aMax: 0, pvMax: 0, wMax: 0, bulkS: 0, absorptionS: 0, floatS: 0 };
}

export interface HistoryLogOptions {
  /** Today's day number (Text HSDS). */
  readonly day: number;
  /** Yesterday's yield and max power, as Text H22 / H23 show them. */
  readonly yesterdayKWh: number;
  readonly yesterdayMaxW: number;
  /** Rated charge current and a nominal battery voltage, for plausible past days. */
  readonly ratedA: number;
  readonly nominalV: number;
  readonly random: Random;
}

export class HistoryLog {
  /** Closed days, yesterday first; at most 30. */
  private readonly past: DailyHistoryInput[] = [];
  private today: DayTally;

  constructor(options: HistoryLogOptions) {
    this.today = freshTally(options.day);
    // Past days back to the first day in service (day 0), yesterday as Text H22 / H23 say.
    const { random, nominalV, ratedA } = options;
    for (let back = 1; back < HISTORY_DAYS && options.day - back >= 0; back++) {
      const yieldKWh = back === 1 ? options.yesterdayKWh : Math.round((0.3 + random.next() * 0.9) * ratedA * nominalV * 0.004 * 100) / 100;
      const maxPowerW = back === 1 ? options.yesterdayMaxW : Math.round(yieldKWh * 250 + random.next() * 40);
      this.past.push({
        day: options.day - back,
        yieldKWh,
        consumedKWh: null,
        batteryVoltageMax: Math.round(nominalV * 1.19 * 100) / 100,
        batteryVoltageMin: Math.round(nominalV * (1.02 + random.next() * 0.03) * 100) / 100,
        maxPowerW,
        batteryCurrentMax: Math.round((maxPowerW / nominalV) * 10) / 10,
        panelVoltageMax: Math.round(nominalV * (3 + random.next()) * 100) / 100,
        bulkMinutes: 120 + random.int(180),
        absorptionMinutes: 60 + random.int(120),
        floatMinutes: 120 + random.int(240),
      });
    }
  }

  /** Adds one simulation step to today. */
  tally(sample: HistorySample): void {
    const t = this.today;
    t.vMax = t.vMax === null ? sample.batteryV : Math.max(t.vMax, sample.batteryV);
    t.vMin = t.vMin === null ? sample.batteryV : Math.min(t.vMin, sample.batteryV);
    t.aMax = Math.max(t.aMax, sample.batteryA);
    t.pvMax = Math.max(t.pvMax, sample.panelV);
    t.wMax = Math.max(t.wMax, sample.panelW);
    if (sample.state === 'bulk') t.bulkS += sample.seconds;
    else if (sample.state === 'absorption') t.absorptionS += sample.seconds;
    else if (sample.state === 'float') t.floatS += sample.seconds;
  }

  /** Closes today with its yield and starts day `day`. */
  newDay(day: number, yieldKWh: number): void {
    this.past.unshift(this.record(this.today, yieldKWh));
    this.past.length = Math.min(this.past.length, HISTORY_DAYS - 1);
    this.today = freshTally(day);
  }

  /** The registers 0x104F and 0x1050 … 0x106E; today's record reads `todayKWh` now. */
  slots(todayKWh: () => number, totals: () => { userKWh: number; systemKWh: number }): Array<[number, RegisterSlot]> {
    const slots: Array<[number, RegisterSlot]> = [];
    for (let back = 0; back < HISTORY_DAYS; back++) {
      const id = HISTORY_TODAY + back;
      const recordOf = (): DailyHistoryInput | undefined => (back === 0 ? this.record(this.today, todayKWh()) : this.past[back - 1]);
      slots.push([
        id,
        {
          def: registerDef(id),
          read: () => {
            const record = recordOf();
            return record ? encodeDailyHistory(record) : new Uint8Array(HISTORY_RECORD_BYTES);
          },
          readFlags: () => (recordOf() ? 0 : Flag.ParameterError),
        },
      ]);
    }
    slots.push([
      HISTORY_TOTAL,
      {
        def: registerDef(HISTORY_TOTAL),
        read: () => {
          const all = [this.record(this.today, todayKWh()), ...this.past];
          const { userKWh, systemKWh } = totals();
          return encodeHistoryTotal({
            userYieldKWh: userKWh,
            systemYieldKWh: systemKWh,
            panelVoltageMax: Math.max(...all.map((r) => r.panelVoltageMax ?? 0)),
            batteryVoltageMax: Math.max(...all.map((r) => r.batteryVoltageMax ?? 0)),
            days: all.length,
          });
        },
      },
    ]);
    return slots;
  }

  private record(t: DayTally, yieldKWh: number): DailyHistoryInput {
    return {
      day: t.day,
      yieldKWh,
      consumedKWh: null,
      batteryVoltageMax: t.vMax,
      batteryVoltageMin: t.vMin,
      maxPowerW: Math.round(t.wMax),
      batteryCurrentMax: t.aMax,
      panelVoltageMax: t.pvMax,
      bulkMinutes: Math.floor(t.bulkS / 60),
      absorptionMinutes: Math.floor(t.absorptionS / 60),
      floatMinutes: Math.floor(t.floatS / 60),
    };
  }
}
