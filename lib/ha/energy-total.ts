/**
 * A solar energy total that never goes backwards, for Home Assistant's energy dashboard.
 *
 * A charger's own counters do not give one: "yield today" (Text H20) drops to 0 when its day
 * ends (at first light, not at midnight), and "yield total" (H19) is reset by the user. Home
 * Assistant takes any drop of a `total_increasing` sensor as a meter reset, so a glitch, a
 * reset or a restart that replays an old value makes the dashboard count energy twice or not
 * at all. This total only ever adds what today's yield grew by: on a new day (the day number
 * HSDS moved on, or today's yield fell) it first adds what yesterday (H22) ended above the last
 * value seen — the end of a day missed while Node-RED was down — then today's yield so far.
 * The state is small and is saved by the caller (energy-store.ts), so a restart continues the
 * total instead of starting it again.
 */

/** What is remembered between readings, and across restarts. */
export interface EnergyState {
  /** The total so far, kWh. */
  readonly totalKWh: number;
  /** Today's yield at the last reading, kWh. */
  readonly todayKWh: number;
  /** The charger's day number (HSDS) at the last reading, when it sends one. */
  readonly day: number | null;
}

/** One reading of the charger's counters (Text H20, H19, H22, HSDS), kWh. */
export interface YieldReading {
  readonly todayKWh: number;
  readonly userTotalKWh?: number | null;
  readonly yesterdayKWh?: number | null;
  readonly day?: number | null;
}

/** HSDS counts 0..364 and wraps. */
const DAYS_PER_CYCLE = 365;

/** Counters come in 0.01 kWh: keep sums on that grid, without float noise. */
function round(kWh: number): number {
  return Math.round(kWh * 100) / 100;
}

function daysBetween(from: number, to: number): number {
  return (((to - from) % DAYS_PER_CYCLE) + DAYS_PER_CYCLE) % DAYS_PER_CYCLE;
}

export class EnergyTotal {
  private current: EnergyState | null;

  constructor(saved: EnergyState | null = null) {
    this.current = saved;
  }

  get state(): EnergyState | null {
    return this.current;
  }

  /** The total after this reading, kWh. */
  update(reading: YieldReading): number {
    const today = reading.todayKWh;
    const day = reading.day ?? null;
    const last = this.current;
    if (last === null) {
      // The first reading ever: start from the charger's own total, so the number means something.
      const start = reading.userTotalKWh ?? today;
      this.current = { totalKWh: round(start), todayKWh: today, day };
      return this.current.totalKWh;
    }
    let total = last.totalKWh;
    const dayMoved = day !== null && last.day !== null && day !== last.day;
    if (dayMoved || today < last.todayKWh) {
      // The end of the last day, where the charger says how it ended and it is the day before.
      const yesterday = reading.yesterdayKWh;
      const previousDay = !dayMoved || (day !== null && last.day !== null && daysBetween(last.day, day) === 1);
      if (yesterday != null && previousDay && yesterday > last.todayKWh) total += yesterday - last.todayKWh;
      total += today;
    } else {
      total += today - last.todayKWh;
    }
    this.current = { totalKWh: round(total), todayKWh: today, day: day ?? last.day };
    return this.current.totalKWh;
  }
}
