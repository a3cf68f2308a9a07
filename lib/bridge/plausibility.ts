/**
 * Plausibility of a value before it is written to a charger.
 *
 * Voltage. The charger accepts a sense voltage within ±5 V of its own terminal voltage and then
 * moves its output by up to ±2 V (BlueSolar HEX protocol MPPT rev 10, "Remote sensor data").
 * The bridge is much stricter: |V_sense − V_terminal| must stay within `window` per 12 V of
 * nominal system voltage (default 0.5 V at 12 V, 1 V at 24 V, 2 V at 48 V). A sense voltage far
 * *below* the terminal voltage means something opened between the sense point and the charger
 * (a fuse, a BMS disconnect, a loose sense wire): fed to the charger it would raise its output
 * by up to 2 V — so it is refused, never "corrected". The sense voltage must also lie in the
 * battery-voltage range of the system (8..17.4 V per 12 V, the range the MPPT accepts for its
 * own voltage settings, BlueSolar HEX protocol MPPT note 5).
 *
 * Temperature: within the configured window (−30..+70 °C at most).
 *
 * Current: within ±9999 A, the largest shunt a BMV can be set up for ("shunts of up to 9999 A",
 * BMV manual, "Use of alternative shunts"); anything beyond is a decoding fault, not a battery.
 */

/** Any monitor voltage outside this is nonsense (a negative sn16, a 0 from a dead shunt). */
export const SOURCE_VOLTAGE_MIN = 1;
export const SOURCE_VOLTAGE_MAX = 70;

/** Battery-voltage range of a 12 V system, scaled ×2 / ×3 / ×4 for 24 / 36 / 48 V. */
export const RANGE_PER_12V = { min: 8, max: 17.4 } as const;

export type Nominal = 12 | 24 | 36 | 48;

/** A plausible battery voltage at all (before knowing the system voltage). */
export function isSaneVoltage(v: number): boolean {
  return Number.isFinite(v) && v >= SOURCE_VOLTAGE_MIN && v <= SOURCE_VOLTAGE_MAX;
}

/**
 * The nominal system voltage a charger's terminal voltage points to: 12 V below 18 V, 24 V
 * below 36 V, else 48 V. 36 V systems overlap both neighbours, so they must be configured or
 * read from the charger (0xEDEF).
 */
export function inferNominal(terminalVoltage: number): Nominal | null {
  if (!isSaneVoltage(terminalVoltage)) return null;
  if (terminalVoltage < 18) return 12;
  if (terminalVoltage < 36) return 24;
  return 48;
}

/** 0xEDEF as read: 12 / 24 / 36 / 48, anything else (0 = auto, not yet detected) is no answer. */
export function nominalFromSetting(volts: number | null): Nominal | null {
  return volts === 12 || volts === 24 || volts === 36 || volts === 48 ? volts : null;
}

export function nominalRange(nominal: Nominal): { min: number; max: number } {
  const k = nominal / 12;
  return { min: RANGE_PER_12V.min * k, max: RANGE_PER_12V.max * k };
}

export type VoltageVerdict =
  | { readonly ok: true; readonly offset: number; readonly window: number }
  | {
      readonly ok: false;
      readonly reason: 'terminal-unknown' | 'nominal-unknown' | 'system-mismatch' | 'out-of-range' | 'below-terminal' | 'above-terminal';
      readonly offset: number | null;
      readonly window: number | null;
      readonly message: string;
    };

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * Where the nominal system voltage came from: the charger's own 0xEDEF, the node's setting, or
 * inferred from the terminal voltage (which then cannot contradict it).
 */
export type NominalSource = 'charger' | 'setting' | 'inferred';

/**
 * Check a sense voltage against one charger. `terminal` is the charger's own (fresh) terminal
 * voltage, or null when unknown — then nothing may be written: the check cannot be made. A
 * terminal voltage outside the range of the stated system voltage means the charger (or the
 * setting) is wrong about the battery: nothing is written, and the verdict says which.
 */
export function checkSenseVoltage(sense: number, terminal: number | null, nominal: Nominal | null, windowPer12V: number, nominalFrom: NominalSource = 'inferred'): VoltageVerdict {
  if (terminal === null) {
    return { ok: false, reason: 'terminal-unknown', offset: null, window: null, message: 'the charger terminal voltage is not known (or not fresh)' };
  }
  if (nominal === null) {
    return { ok: false, reason: 'nominal-unknown', offset: null, window: null, message: 'the system voltage is not known' };
  }
  const offset = round3(sense - terminal);
  const window = round3(windowPer12V * (nominal / 12));
  const range = nominalRange(nominal);
  if (nominalFrom !== 'inferred' && (terminal < range.min || terminal > range.max)) {
    const who = nominalFrom === 'charger' ? `the charger reports a ${nominal} V system (0xEDEF)` : `the node is set to a ${nominal} V system`;
    return {
      ok: false,
      reason: 'system-mismatch',
      offset,
      window,
      message: `${who} at ${terminal.toFixed(2)} V on the charger terminals (outside ${range.min.toFixed(1)}..${range.max.toFixed(1)} V): the system voltage is wrong`,
    };
  }
  if (sense < range.min || sense > range.max) {
    return {
      ok: false,
      reason: 'out-of-range',
      offset,
      window,
      message: `${sense.toFixed(2)} V is outside ${range.min.toFixed(1)}..${range.max.toFixed(1)} V for a ${nominal} V system`,
    };
  }
  if (offset < -window) {
    return {
      ok: false,
      reason: 'below-terminal',
      offset,
      window,
      message: `sense ${sense.toFixed(2)} V is ${(-offset).toFixed(2)} V below the charger terminals (${terminal.toFixed(2)} V, limit ${window} V): sense point disconnected? The charger would raise its output`,
    };
  }
  if (offset > window) {
    return {
      ok: false,
      reason: 'above-terminal',
      offset,
      window,
      message: `sense ${sense.toFixed(2)} V is ${offset.toFixed(2)} V above the charger terminals (${terminal.toFixed(2)} V, limit ${window} V)`,
    };
  }
  return { ok: true, offset, window };
}

export function isPlausibleTemperature(t: number, min: number, max: number): boolean {
  return Number.isFinite(t) && t >= min && t <= max;
}

/** Largest battery current a monitor can measure, A (either direction). */
export const SOURCE_CURRENT_MAX = 9999;

export function isSaneCurrent(a: number): boolean {
  return Number.isFinite(a) && Math.abs(a) <= SOURCE_CURRENT_MAX;
}
