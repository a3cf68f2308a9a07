/**
 * Combining the readings of several monitors into the one value written to the chargers, and
 * measuring how much they disagree.
 *
 * Safety trade-offs (the node's help quotes these):
 *
 * Voltage. An MPPT uses the sense voltage in place of its terminal voltage and raises its
 * output (by up to 2 V, BlueSolar HEX protocol MPPT rev 10, "Remote sensor data") until the
 * *sensed* voltage reaches its set-point. So a sense value *lower* than the real battery
 * voltage makes it overcharge, a higher one makes it undercharge.
 *   - `max`: errs on the safe side (at worst a slightly lower charge voltage). Default.
 *   - `min`: errs on the risky side: one monitor reading low (loose sense wire, wrong
 *     calibration) pushes every charger up.
 *   - `average`: half of one monitor's error; fine when the monitors agree (see the spread
 *     alarm).
 *   - `first-fresh`: the first monitor in the configured order that is fresh; the others are
 *     a fallback. Only sensible when all monitors measure the same battery at the same point.
 *
 * Temperature. A lead-acid charger compensates its voltages by about −16 mV/°C at 12 V: a
 * *lower* temperature than the real one raises the charge voltage (over-voltage risk), so
 * `max` is the safe side for lead-acid. A lithium battery's low-temperature charge cut-off
 * relies on the *coldest* reading, so `min` is the safe side for lithium (and the default
 * when chemistry is lithium). `average` hides a cold spot.
 */

import type { Strategy } from './types';

export interface Sample {
  readonly id: string;
  readonly value: number;
}

export interface Combined {
  readonly value: number;
  /** The samples the value came from. */
  readonly used: readonly string[];
}

/**
 * Combine samples (given in priority order). Null when there are none. Min / max credit the
 * sample(s) that hold the extreme.
 */
export function combine(strategy: Strategy, samples: readonly Sample[]): Combined | null {
  const first = samples[0];
  if (first === undefined) return null;
  switch (strategy) {
    case 'first-fresh':
      return { value: first.value, used: [first.id] };
    case 'average': {
      let sum = 0;
      for (const s of samples) sum += s.value;
      return { value: sum / samples.length, used: samples.map((s) => s.id) };
    }
    case 'min':
    case 'max': {
      const pick = strategy === 'min' ? Math.min : Math.max;
      const value = pick(...samples.map((s) => s.value));
      return { value, used: samples.filter((s) => s.value === value).map((s) => s.id) };
    }
  }
}

/** Max − min of the samples; null with fewer than two. */
export function spread(samples: readonly Sample[]): number | null {
  if (samples.length < 2) return null;
  const values = samples.map((s) => s.value);
  return Math.max(...values) - Math.min(...values);
}
