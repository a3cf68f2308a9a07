/**
 * Shapes of the sense bridge: the two narrow adapter interfaces it reads monitors and writes
 * chargers through (so it never depends on the serial link directly), its configuration, and
 * what it reports (per-cycle report, alarms, status badge).
 *
 * Times are milliseconds of the injected Clock (monotonic, any origin) unless a name says
 * "wall clock".
 */

import type { VeErrorCode } from '../errors';
import type { DeviceFamily } from '../protocol/catalog/types';

// ── Registers ────────────────────────────────────────────────────────────────────────────────

/** Battery voltage sense, un16 0.01 V (BlueSolar HEX protocol MPPT rev 10, remote control registers). */
export const VSENSE = 0x2002;
/** Battery temperature sense, sn16 0.01 °C (same table). */
export const TSENSE = 0x2003;
/** Battery current sense from a monitor, sn32 0.001 A, > 0 charging (same table; "SCS" on a GX). */
export const ISENSE = 0x200a;
/** Network info (fw ≥ 1.42): bit 7 VSENSE, bit 6 TSENSE in use, over all interfaces. */
export const NETWORK_INFO = 0x200d;
/** Network mode, set by a network master (GX, BMS); the bridge only ever reads it. */
export const NETWORK_MODE = 0x200e;
/** Network status of this interface: low nibble role (0x04 stand-alone), bit 7 VSENSE, bit 6 TSENSE, bit 5 ISENSE. */
export const NETWORK_STATUS = 0x200f;
/** Battery temperature (0.01 K); on an MPPT (fw ≥ 1.42) a temperature from a VE.Smart network. */
export const BATTERY_TEMPERATURE = 0xedec;
/** Charger voltage at the battery terminals, un16 0.01 V. */
export const CHARGER_VOLTAGE = 0xedd5;
/** Battery (system) voltage, un8 V; read = the operational system voltage. */
export const SYSTEM_VOLTAGE = 0xedef;

/** The only registers the bridge writes. */
export type SenseRegister = typeof VSENSE | typeof TSENSE | typeof ISENSE;
/** The registers the bridge reads from a charger. All are volatile or read-only. */
export type ChargerReadRegister =
  | typeof NETWORK_INFO
  | typeof NETWORK_MODE
  | typeof NETWORK_STATUS
  | typeof BATTERY_TEMPERATURE
  | typeof CHARGER_VOLTAGE
  | typeof SYSTEM_VOLTAGE;

export type Quantity = 'voltage' | 'temperature' | 'current';
export const QUANTITIES: readonly Quantity[] = ['voltage', 'temperature', 'current'];
export const SENSE_REGISTER: Readonly<Record<Quantity, SenseRegister>> = { voltage: VSENSE, temperature: TSENSE, current: ISENSE };

// ── Adapters ─────────────────────────────────────────────────────────────────────────────────

/** Who a device says it is. */
export interface DeviceIdentity {
  readonly productId: number;
  /** Catalogue product name, "SmartShunt 500A/50mV". */
  readonly product: string;
  readonly family: DeviceFamily;
  /** Application firmware as shown to users ("1.56", "4.05"); null when not known. */
  readonly firmware: string | null;
  readonly serial: string | null;
  /** "pv only" MPPT: unpowered, hence silent, at night (BlueSolar HEX protocol MPPT product table). */
  readonly pvOnly?: boolean;
}

/** A number and the clock time it arrived in a checksum-valid Text block or HEX reply. */
export interface TimedValue {
  readonly value: number;
  readonly receivedAt: number;
}

/**
 * A monitor's battery temperature. `no-sensor`: the device said so (Text `T` is `---` or
 * absent from a fresh block, HEX 0xEDEC is 0xFFFF); `configured` when its auxiliary input is
 * set to temperature (Text `T` present, even as `---`): a sensor belongs there and is missing,
 * as opposed to a monitor without a temperature input. `unknown`: nothing recent to tell.
 * There is deliberately no numeric field on the two non-value variants.
 */
export type TemperatureReading =
  | { readonly kind: 'value'; readonly value: number; readonly receivedAt: number; readonly via: 'hex' | 'text' }
  | { readonly kind: 'no-sensor'; readonly receivedAt: number; readonly configured: boolean }
  | { readonly kind: 'unknown' };

/** A battery monitor (BMV / SmartShunt) the bridge reads. */
export interface MonitorSource {
  /** Stable id (port path or node id), unique among sources. */
  readonly id: string;
  readonly label: string;
  /** Null until the device behind the port is identified. */
  identity(): DeviceIdentity | null;
  /** The port is open and the device is delivering data. */
  online(): boolean;
  /** Latest battery voltage (Text `V`, or HEX 0xED8D), or null. */
  voltage(): TimedValue | null;
  /** Latest battery temperature: HEX 0xEDEC (0.01 K) when fresh, else Text `T` (whole °C). */
  temperature(): TemperatureReading;
  /** Latest battery current, A, > 0 charging (Text `I`, or HEX 0xED8F), or null. */
  current(): TimedValue | null;
  /** Ask the device for 0xEDEC now; resolves (never rejects) when done or given up. */
  refreshTemperature?(): Promise<void>;
}

/** What a charger echoed to a Set. */
export interface WriteAck {
  /** Echoed value bytes, uppercase hex, little-endian ("2D05"). */
  readonly echo: string;
  readonly flags: number;
}

/** A register value read from a charger. */
export interface RegisterValue {
  /** Scaled value (V, °C, A), or null for the "not available" sentinel. */
  readonly value: number | null;
  /** The integer as received (bitmasks are read from this), or null when there was none. */
  readonly rawNumber: number | null;
}

/** An MPPT solar charger the bridge writes remote sense values to. */
export interface ChargerTarget {
  /** Stable id (port path or node id), unique among targets. */
  readonly id: string;
  readonly label: string;
  identity(): DeviceIdentity | null;
  online(): boolean;
  /** The charger's own battery terminal voltage (Text `V`, or HEX 0xEDD5), or null. */
  terminalVoltage(): TimedValue | null;
  /**
   * Set 0x2002 / 0x2003 / 0x200A to `value` (V or °C rounded to 0.01, A rounded to 0.001), or
   * null for the "not available" sentinel. Resolves with the echo; rejects with a VeError (VE_TIMEOUT,
   * VE_PORT_CLOSED, VE_UNKNOWN_ID, VE_PARAMETER, VE_ECHO_MISMATCH, …).
   */
  write(register: SenseRegister, value: number | null): Promise<WriteAck>;
  /** Get one register; rejects with a VeError. */
  read(register: ChargerReadRegister): Promise<RegisterValue>;
  /**
   * When the charger last announced on its own (async frame, fw ≥ 1.26) that this sense value
   * is "not available" — it sends that when a value times out, and may after a release — or
   * null. Diagnostics only.
   */
  notAvailableNotice?(register: SenseRegister): number | null;
}

// ── Configuration ────────────────────────────────────────────────────────────────────────────

/** How the values of several monitors are combined. See strategies.ts for the safety trade-offs. */
export type Strategy = 'average' | 'min' | 'max' | 'first-fresh';
export type ShareMode = 'voltage' | 'temperature' | 'both';
export type Chemistry = 'lead-acid' | 'lithium' | 'other';
export type SystemVoltage = 'auto' | 12 | 24 | 36 | 48;
/** `explicit`: every listed adapter must be a device of the right kind (else an alarm); `auto`: the ones that are not are ignored. */
export type Selection = 'explicit' | 'auto';

export interface BridgeConfig {
  /** What to share. Default `both`. */
  readonly share: ShareMode;
  /** Default `max` (errs towards a lower charge voltage). */
  readonly voltageStrategy: Strategy;
  /** Default `min` for lithium (low-temperature cut-off), else `max` (lead-acid over-voltage). */
  readonly temperatureStrategy: Strategy;
  /**
   * With average / min / max: every expected source must be fresh, else the value is not
   * shared (no silent fallback to a subset). Default true. `first-fresh` is a fallback by
   * definition and ignores this.
   */
  readonly requireAllSources: boolean;
  /** Disagreement alarm when fresh monitors differ by more than this, V. Default 0.3 (0.01..5). */
  readonly maxSpreadVoltage: number;
  /** Same for temperature, °C. Default 5 (0.5..30). */
  readonly maxSpreadTemperature: number;
  /**
   * Share the battery current too (0x200A), from the first fresh monitor among the voltage
   * sources, to chargers with firmware ≥ 1.47 (gating.ts), on the voltage's schedule (every
   * `voltageIntervalMs`, 3 s, as a GX). Default false.
   */
  readonly shareCurrent: boolean;
  /** Default 3000, 1000..20000. */
  readonly voltageIntervalMs: number;

  /** Default 9000, 1000..20000. */
  readonly temperatureIntervalMs: number;
  /** Oldest source value that may be written. Default 5000, 1000..10000. */
  readonly freshnessMs: number;
  /** Allowed |V_sense − V_terminal| per 12 V of nominal system voltage. Default 0.5 (0.1..1.5). */
  readonly plausibilityWindow: number;
  /** Nominal system voltage; `auto` asks the charger (0xEDEF) or infers it from its terminal voltage. */
  readonly systemVoltage: SystemVoltage;
  /** Plausible battery temperatures, °C. Defaults −30 and 70; may only narrow that range. */
  readonly temperatureMin: number;
  readonly temperatureMax: number;
  readonly chemistry: Chemistry;
  /** Lithium low-temperature alarm below this, °C. Default 5 (−30..30). */
  readonly lowTemperatureLimit: number;
  /** Accept a voltage from `external()`. Default false: it must be a wired battery measurement. */
  readonly externalVoltage: boolean;
  /** Accept a temperature from `external()`. Default false. */
  readonly externalTemperature: boolean;
  readonly sourceSelection: Selection;
  readonly targetSelection: Selection;
  /** Ids of the sources that supply the voltage (priority order is the sources' order). Default `all`. */
  readonly voltageSources: readonly string[] | 'all';
  /** Ids of the sources that supply the temperature. Default `all`. */
  readonly temperatureSources: readonly string[] | 'all';
  /** How often 0x200F is read to confirm the charger uses the values. Default 15000, 3000..60000. */
  readonly verifyIntervalMs: number;
  /** Consecutive 0x200F reads with the bit clear before a charger counts as not using the value. Default 3 (2..10). */
  readonly verifyFailLimit: number;
  /** How often 0x200E / 0x200F are re-read for another master. Default 60000, 10000..600000. */
  readonly conflictCheckIntervalMs: number;
  /** After a charger stops answering, the next attempt waits this long (unless its port reconnects). Default 15000, 1000..60000. */
  readonly offlineRetryMs: number;
  /** A charger that refused a value is tried again after this (0 = never). "Unknown id" is never retried. Default 600000. */
  readonly rejectRetryMs: number;
  /** After an implausible voltage, the voltage must stay plausible this long before it is shared again. Default 30000, 0..300000. */
  readonly implausibleHoldMs: number;
  /** stop() gives the release writes at most this long. Default 3000, 500..10000. */
  readonly stopTimeoutMs: number;
}

export type BridgeConfigInput = Partial<BridgeConfig>;

// ── Report ───────────────────────────────────────────────────────────────────────────────────

export type SourceValueState =
  | 'fresh' // used or usable
  | 'stale' // older than freshnessMs, or the port is not delivering
  | 'missing' // nothing received
  | 'no-sensor' // temperature only: the monitor has no sensor (or it was unplugged)
  | 'out-of-range' // implausible number (voltage ≤ 0 or > 70 V, temperature outside the window)
  | 'not-monitor' // the device is not a BMV / SmartShunt
  | 'unidentified' // the device is not identified yet
  | 'disabled'; // external quantity not enabled

export interface SourceReport {
  readonly id: string;
  readonly label: string;
  readonly kind: 'monitor' | 'external';
  readonly product: string | null;
  readonly serial: string | null;
  readonly online: boolean;
  readonly voltage: number | null;
  readonly voltageAgeMs: number | null;
  readonly voltageState: SourceValueState;
  readonly usedForVoltage: boolean;
  readonly temperature: number | null;
  readonly temperatureAgeMs: number | null;
  readonly temperatureVia: 'hex' | 'text' | 'external' | null;
  readonly temperatureState: SourceValueState;
  readonly usedForTemperature: boolean;
  readonly current: number | null;
  readonly currentAgeMs: number | null;
  readonly currentState: SourceValueState;
  readonly usedForCurrent: boolean;
}

/** The combined value of one quantity, as evaluated by the latest cycle that was due for it. */
export interface CombinedReport {
  readonly quantity: Quantity;
  readonly shared: boolean;
  /** The strategy's result (unrounded), or null when there is nothing valid to share. */
  readonly value: number | null;
  /** `value` as written to the chargers (rounded to 0.01 V / 0.01 °C / 0.001 A). */
  readonly written: number | null;
  readonly strategy: Strategy;
  /** Ids of the sources the value came from. */
  readonly used: readonly string[];
  /** Age of the oldest value used, at evaluation. */
  readonly ageMs: number | null;
  /** Max − min over the fresh sources (null with fewer than two). */
  readonly spread: number | null;
  /** Why value is null. */
  readonly reason: string | null;
  readonly evaluatedAt: number | null;
}

export type ChargerState =
  | 'checking' // identity or the conflict check is still pending
  | 'sensing' // values written and 0x200F confirms the charger uses them
  | 'not-sensing' // writing, but not (yet) confirmed; or the charger does not answer
  | 'released' // nothing valid to share: "not available" written (or never started)
  | 'rejected' // the charger refused a value or ignored it: writes stopped, alarm
  | 'conflict' // another master (GX, BMS, VE.Smart) controls or senses: refused
  | 'offline' // the charger's port is not delivering (night, unplugged)
  | 'unsupported'; // not an MPPT, or firmware below 1.29

export interface WriteReport {
  readonly quantity: Quantity;
  readonly register: SenseRegister;
  /** Value written (V / °C / A, as the charger decodes it), or null for the "not available" sentinel. */
  readonly value: number | null;
  /** Bytes written, uppercase hex, little-endian ("2D05", "FFFF", "FF7F", "FFFFFF7F"). */
  readonly raw: string;
  readonly release: boolean;
  /** Clock time the write was sent. */
  readonly at: number;
  readonly durationMs: number;
  /** Age of the source value at `at` (oldest value used); null for a release. */
  readonly ageMs: number | null;
  readonly ok: boolean;
  readonly echo: string | null;
  readonly flags: number | null;
  readonly error: { readonly code: VeErrorCode | 'VE_UNEXPECTED'; readonly message: string } | null;
}

export interface ChargerReport {
  readonly id: string;
  readonly label: string;
  readonly product: string | null;
  readonly serial: string | null;
  readonly firmware: string | null;
  readonly online: boolean;
  readonly state: ChargerState;
  readonly reason: string | null;
  readonly terminalVoltage: number | null;
  readonly terminalVoltageAgeMs: number | null;
  readonly nominalVoltage: number | null;
  /** V_sense − V_terminal at the latest voltage decision. */
  readonly offset: number | null;
  /** 0x200F bits 7 / 6 / 5 at the latest read; null when not read (yet), or current not shared with it. */
  readonly sensingVoltage: boolean | null;
  readonly sensingTemperature: boolean | null;
  readonly sensingCurrent: boolean | null;
  /** 0x200F as read (raw byte), null when not read. */
  readonly networkStatus: number | null;
  /** Clock time of the charger's last async "not available" notice per value (timeout or after a release), or null. */
  readonly notAvailableNotice: Readonly<Record<Quantity, number | null>>;
  /** Writes made in this cycle. */
  readonly writes: readonly WriteReport[];
  readonly lastWrite: Readonly<Record<Quantity, WriteReport | null>>;
}

export type AlarmCode =
  | 'SOURCE_STALE' // a monitor stopped delivering (or its value is too old)
  | 'SOURCE_NOT_MONITOR' // an explicitly chosen source is not a BMV / SmartShunt
  | 'SOURCE_OUT_OF_RANGE' // a monitor delivers an implausible value
  | 'TEMPERATURE_SENSOR_LOST' // a monitor that had a temperature reports none now
  | 'VOLTAGE_UNAVAILABLE' // nothing valid to share: voltage released
  | 'TEMPERATURE_UNAVAILABLE'
  | 'CURRENT_UNAVAILABLE'
  | 'VOLTAGE_SPREAD' // fresh monitors disagree by more than maxSpreadVoltage
  | 'TEMPERATURE_SPREAD'
  | 'VOLTAGE_IMPLAUSIBLE' // sense voltage too far from a charger's terminal voltage
  | 'CHARGER_UNSUPPORTED'
  | 'CHARGER_CONFLICT'
  | 'CHARGER_REJECTED'
  | 'CHARGER_NOT_SENSING' // writes acknowledged, but 0x200F says the value is not used
  | 'CHARGER_OFFLINE'
  | 'CHARGER_NO_HEX' // the charger's link carries Text only (a receive-only relay): nothing can be written
  | 'LITHIUM_LOW_TEMPERATURE'
  | 'LITHIUM_TEMPERATURE_UNKNOWN'
  | 'INTERNAL'; // a fault in the bridge's own code: logged, and everything it had sent released

export type AlarmSeverity = 'info' | 'warning' | 'critical';

export interface Alarm {
  readonly code: AlarmCode;
  readonly severity: AlarmSeverity;
  /** English text; the node may translate by `code` and `details`. */
  readonly message: string;
  /** What it is about: a source, a charger, or the bridge as a whole. */
  readonly subject: { readonly kind: 'source' | 'charger' | 'bridge'; readonly id: string; readonly label: string };
  /** The VeError code closest to the cause, for a Catch-style branch on `code`. */
  readonly errorCode: VeErrorCode | null;
  readonly details: Readonly<Record<string, unknown>>;
  /** Clock time it was first raised (kept while it stays raised). */
  readonly since: number;
}

/** Sent when the set of active alarms changes (never on every cycle). */
export interface AlarmChange {
  readonly at: number;
  readonly raised: readonly Alarm[];
  readonly cleared: readonly Alarm[];
  readonly active: readonly Alarm[];
}

export type StatusFill = 'green' | 'yellow' | 'red' | 'grey' | 'blue';
export type StatusShape = 'dot' | 'ring';
export type StatusKey = 'sharing' | 'released' | 'conflict' | 'rejected' | 'waiting' | 'disabled' | 'stopped';

export interface BridgeStatus {
  readonly fill: StatusFill;
  readonly shape: StatusShape;
  /** Short English text, e.g. "13.28 V 21.5 °C → 3/3 MPPT". */
  readonly text: string;
  /** For translation: the kind of status and its parameters. */
  readonly key: StatusKey;
  readonly params: Readonly<Record<string, string | number>>;
}

export interface BridgeReport {
  readonly cycle: number;
  /** Clock time the cycle started. */
  readonly at: number;
  readonly finishedAt: number;
  readonly trigger: 'timer' | 'manual' | 'enable' | 'disable' | 'stop';
  /** Quantities due in this cycle. */
  readonly due: readonly Quantity[];
  readonly enabled: boolean;
  readonly running: boolean;
  readonly sources: readonly SourceReport[];
  readonly voltage: CombinedReport;
  readonly temperature: CombinedReport;
  readonly current: CombinedReport;
  readonly chargers: readonly ChargerReport[];
  readonly alarms: readonly Alarm[];
  readonly status: BridgeStatus;
}

/** A reading from outside (another flow): `msg.payload` of the node's input. */
export interface ExternalReading {
  readonly voltage?: number | null;
  readonly temperature?: number | null;
  /** Wall-clock ms (Date.now()) when measured; default: now. */
  readonly timestamp?: number;
}
