/**
 * The write policy: the one gate every Set passes (`VeDirectPort.set` / `setRaw`, so the set
 * node, the CLI, the bridge and every later writer). It decides from the register, the
 * identified product and firmware, the device's live values and the value itself, and refuses
 * with a VeError before a byte goes out:
 *
 *   VE_UNKNOWN_REGISTER  a name the catalogue does not know (raw bytes are the way for ids)
 *   VE_READ_ONLY         a read-only register
 *   VE_COMMAND_GUARD     a device command (restore defaults, clear history, zero current,
 *                        synchronise, remote command) without the command opt-in
 *   VE_FLASH_GUARD       anything that ends up in flash without the flash opt-in: the 0xEDxx and
 *                        monitor settings, an unknown register, and 0x200E network mode with a
 *                        bit other than 0 (networked) and 2 (external control): bit 3 makes the
 *                        charger store "BMS present" and stop with error 67 when the data stops
 *   VE_TYPE              a value of the wrong kind; `null` where "not available" does not mean
 *                        "release" (only 0x2002, 0x2003, 0x200A and 0x2015 take it)
 *   VE_RANGE             outside what the register encodes, or outside the physical / product
 *                        range (sense temperature −40…+85 °C, battery voltages inside the window
 *                        of the system voltage, sense voltage within ±5 V of the terminals,
 *                        charge currents up to the product's rating, a monitor's battery
 *                        current within ±9999 A); the message says where
 *                        the limit comes from
 *   VE_STALE             a range that depends on a live value (terminal or system voltage)
 *                        the port does not know
 *   VE_RATE_LIMIT        a flash write or command sooner than the interval after the last one
 *
 * Flash writes and commands are also accounted: a flash write goes out only when the value
 * differs from the device's, and at most once per interval per device and register, counted
 * in an injected store that outlives a restart (flash-write-store.ts). No Node-RED here.
 */

import type { Clock } from '../clock';
import { VeError, quoteInput } from '../errors';
import { registerForProduct } from '../protocol/catalog/overrides';
import { findProduct } from '../protocol/catalog/products';
import {
  BATTERY_CURRENT,
  BATTERY_MAX_CURRENT,
  CHARGE_CURRENT_LIMIT,
  CHARGE_VOLTAGE_SETPOINT,
  CHARGER_VOLTAGE,
  SYSTEM_VOLTAGE,
  NETWORK_MODE,
  NETWORK_MODE_VOLATILE_BITS,
  REMOTE_COMMAND,
  TSENSE,
  VSENSE,
} from '../protocol/catalog/register-ids';
import { formatRegisterId } from '../protocol/catalog/registers';
import type { RegisterDef } from '../protocol/catalog/types';
import { decodeRegisterValue, encodeRegisterValue } from '../protocol/value-codec';
import type { DeviceIdentity } from './device';
import { MemoryFlashWriteStore, type FlashWriteStore } from './flash-write-store';
import { resolveRegister, type RegisterRef } from './register-ref';

/** What a write needs before it may go out. */
export type OptIn = 'none' | 'flash' | 'command' | 'read-only';

export interface WriteRange {
  readonly min: number;
  readonly max: number;
  readonly unit: string;
  /** Where the limit comes from ("rated charge current of the SmartSolar MPPT 100|30"). */
  readonly source: string;
}

export interface WriteDescription {
  readonly optIn: OptIn;
  readonly range: WriteRange | null;
}

/** Where a write lands, as the policy treats it. */
export type WriteKind = 'volatile' | 'flash' | 'command';

/** Default minimum time between two flash writes (or commands) of one register of one device. */
export const DEFAULT_FLASH_INTERVAL_MS = 60_000;

/** How far in the future a flash-write record may lie and still count (the clock was set back). */
const CLOCK_SKEW_TRUST_MS = 24 * 3600 * 1000;

/** A live value (terminal voltage) older than this is not used to judge a write. */
export const LIVE_VALUE_MAX_AGE_MS = 10_000;

/** Sense temperature a battery can physically have (sensor range of Victron temperature sensors). */
const SENSE_TEMPERATURE = { min: -40, max: 85 } as const;

/**
 * A battery current from a monitor (0x200A) within the largest shunt a BMV can be set up for
 * ("shunts of up to 9999 A", BMV manual): either direction, since a battery also discharges.
 */
const BATTERY_CURRENT_RANGE = { min: -9999, max: 9999, unit: 'A', source: 'largest shunt a BMV or SmartShunt can be set up for' } as const;

/** A sense voltage may differ this much from the charger's terminals (BlueSolar HEX protocol MPPT). */
const SENSE_VOLTAGE_MARGIN_V = 5;

/** System voltages an MPPT runs at (0xEDEF). */
const SYSTEM_VOLTAGES: readonly number[] = [12, 24, 36, 48];

const VOLTAGE_WINDOW_SOURCE = '8-17.4 V per 12 V of system voltage (BlueSolar HEX protocol MPPT, note 5)';

/** Charger battery-voltage registers that must lie inside the system voltage's window. */
const BATTERY_VOLTAGE_REGISTERS: ReadonlySet<number> = new Set([
  0xedf7, // absorption
  0xedf6, // float
  0xedf4, // equalisation
  0xedf5, // storage
  0xede9, // power supply mode voltage
  CHARGE_VOLTAGE_SETPOINT,
  0x200b, // battery idle voltage
  VSENSE,
]);

/** Charge currents, limited by the product's rating. */
const CHARGE_CURRENT_REGISTERS: ReadonlySet<number> = new Set([
  BATTERY_MAX_CURRENT,
  CHARGE_CURRENT_LIMIT,
  0xede6, // charge current below the low temperature level
  0xede1, // re-bulk current
  0xede7, // tail current
]);

/** Battery temperatures (sense value and low temperature level). */
const BATTERY_TEMPERATURE_REGISTERS: ReadonlySet<number> = new Set([TSENSE, 0xede0]);

/**
 * Registers whose "not available" value means "release": the charger drops the host's value
 * at once and returns to its own (sense inputs, monitor current, external current limit).
 * Everywhere else `null` would write a sentinel as a setting (0xFFFF = 6553.5 A).
 */
const RELEASE_REGISTERS: ReadonlySet<number> = new Set([VSENSE, TSENSE, BATTERY_CURRENT, CHARGE_CURRENT_LIMIT]);

/** Volatile registers that make the device do something rather than hold a value. */
const COMMAND_REGISTERS: ReadonlySet<number> = new Set([REMOTE_COMMAND]);

/** What the port knows of the device now, for ranges that depend on it. */
export interface LiveValues {
  /** The charger's terminal (battery) voltage, V, and its age. */
  readonly terminalVoltage?: { readonly value: number; readonly ageMs: number } | null;
  /** 0xEDEF as last read: 12, 24, 36, 48 (0: auto detect, not yet known). */
  readonly systemVoltage?: number | null;
}

export interface WriteRequest {
  readonly ref: RegisterRef;
  /** A value in the register's unit, or raw value bytes (`setRaw`). */
  readonly value: number | string | null | { readonly raw: Uint8Array };
  readonly identity: DeviceIdentity | null;
  readonly live?: LiveValues;
  readonly allowFlash?: boolean;
  readonly allowCommand?: boolean;
}

export interface PreparedWrite {
  readonly id: number;
  /** The catalogue entry as this product uses it; undefined for a register it does not know. */
  readonly def: RegisterDef | undefined;
  /** The value bytes to send, little-endian. */
  readonly bytes: Uint8Array;
  readonly kind: WriteKind;
}

/** A flash write or command counted before it goes out; `undo` when it never reached the device. */
export interface FlashReservation {
  readonly key: string;
  undo(): Promise<void>;
}

export interface WritePolicyOptions {
  /** Where flash writes are remembered (default: in memory, for this process only). */
  readonly store?: FlashWriteStore;
  /** Wall-clock time, ms (the store outlives restarts, so monotonic time will not do). */
  readonly wallClock?: Pick<Clock, 'now'>;
  /** Default minimum interval between flash writes of one register (60 s). */
  readonly minFlashIntervalMs?: number;
}

const DATE_CLOCK: Pick<Clock, 'now'> = { now: () => Date.now() };

/** The last sentence of a VE_FLASH_GUARD refusal: how to allow it (a CLI names its flag instead). */
export const FLASH_OPT_IN_HINT = 'Allow flash writes explicitly to write it.';
/** The last sentence of a VE_COMMAND_GUARD refusal. */
export const COMMAND_OPT_IN_HINT = 'Allow device commands explicitly to send it.';

function label(id: number, def: RegisterDef | undefined): string {
  return def === undefined ? formatRegisterId(id) : `${formatRegisterId(id)} ${def.name}`;
}

function details(id: number, def: RegisterDef | undefined, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { register: formatRegisterId(id), ...(def ? { name: def.name, storage: def.storage } : {}), ...extra };
}

/** The window of battery voltages for a system voltage: 8-17.4 V per 12 V. */
export function voltageWindow(systemVoltage: number): { min: number; max: number } {
  const n = systemVoltage / 12;
  return { min: Math.round(8 * n * 100) / 100, max: Math.round(17.4 * n * 100) / 100 };
}

/** The smallest system voltage whose window holds `volts` (a 12 V battery at 17 V is not a flat 24 V one). */
export function systemVoltageFor(volts: number): number | null {
  for (const nominal of SYSTEM_VOLTAGES) {
    const w = voltageWindow(nominal);
    if (volts >= w.min && volts <= w.max) return nominal;
  }
  return null;
}

function productOf(identity: DeviceIdentity | null): { productId: number | null; firmware: string | null } {
  return { productId: identity?.productId ?? null, firmware: identity?.firmware ?? null };
}

/** Where a write to `def` lands (0x200E: volatile; its flash bits are judged by value). */
export function writeKind(def: RegisterDef | undefined): WriteKind {
  if (def === undefined) return 'flash'; // unknown: may well be a stored setting
  if (def.storage === 'command' || COMMAND_REGISTERS.has(def.id)) return 'command';
  return def.storage;
}

/** The opt-in a register needs (0x200E: none for bits 0 and 2; others need flash, judged per value). */
function optInOf(def: RegisterDef): OptIn {
  if (def.access === 'ro') return 'read-only';
  const kind = writeKind(def);
  return kind === 'volatile' ? 'none' : kind;
}

/** Byte width of the integer types; undefined for strings, raw bytes and commands. */
const INTEGER_WIDTH: Partial<Record<RegisterDef['type'], number>> = { un8: 1, sn8: 1, un16: 2, sn16: 2, un24: 3, un32: 4, sn32: 4 };

function width(def: RegisterDef): number | undefined {
  return INTEGER_WIDTH[def.type];
}

/** The range the catalogue's encoding allows, scaled; null for registers without numbers. */
function encodableRange(def: RegisterDef): WriteRange | null {
  const bytes = width(def);
  if (bytes === undefined) return null;
  if (def.enumTexts !== undefined && def.scale === 1 && def.unit === '') return null;
  if (def.bitTexts !== undefined) return null;
  const span = 2 ** (8 * bytes);
  const signed = def.type.startsWith('sn');
  let low = signed ? -span / 2 : 0;
  let high = signed ? span / 2 - 1 : span - 1;
  // The sentinel is not a value (it is what null writes).
  const sentinel = def.notAvailable === undefined ? high : def.notAvailable;
  if (sentinel === high) high -= 1;
  if (sentinel === low) low += 1;
  const offset = def.offset ?? 0;
  const scaled = (raw: number): number => Math.round((raw * def.scale + offset) * 1e6) / 1e6;
  return {
    min: def.min ?? scaled(low),
    max: def.max ?? scaled(high),
    unit: def.unit,
    source: def.min !== undefined || def.max !== undefined ? 'register catalogue' : 'register encoding',
  };
}

/**
 * The physical or product range of `def` for this device, from the identity alone (the
 * editor shows it): sense temperature, the 12-48 V battery voltage windows, the rated current.
 * Live values narrow it further when a write is checked (`rangeFor`).
 */
function productRange(def: RegisterDef, identity: DeviceIdentity | null): WriteRange | null {
  if (BATTERY_TEMPERATURE_REGISTERS.has(def.id)) {
    return { ...SENSE_TEMPERATURE, unit: '°C', source: 'physical range of a battery temperature sensor' };
  }
  if (BATTERY_VOLTAGE_REGISTERS.has(def.id)) {
    const low = voltageWindow(12).min;
    const high = voltageWindow(48).max;
    return { min: low, max: high, unit: 'V', source: VOLTAGE_WINDOW_SOURCE };
  }
  if (def.id === BATTERY_CURRENT) return BATTERY_CURRENT_RANGE;
  if (CHARGE_CURRENT_REGISTERS.has(def.id)) {
    const product = identity?.productId != null ? findProduct(identity.productId) : undefined;
    const rating = product?.ratedChargeCurrent;
    if (product !== undefined && rating !== undefined) return { min: 0, max: rating, unit: 'A', source: `rated charge current of the ${product.name}` };
  }
  return null;
}

/** Both limits at once; where the two ends come from different limits, each end names its own. */
function intersect(a: WriteRange | null, b: WriteRange | null): WriteRange | null {
  if (a === null) return b;
  if (b === null) return a;
  const low = b.min >= a.min ? b : a;
  const high = b.max <= a.max ? b : a;
  const source = low === high ? low.source : `low end: ${lowSource(low)}; high end: ${highSource(high)}`;
  return { min: low.min, max: high.max, unit: b.unit || a.unit, source };
}

/** The source of a range's low end, when it was itself put together from two. */
function lowSource(r: WriteRange): string {
  const m = /^low end: (.*); high end: .*$/.exec(r.source);
  return m?.[1] ?? r.source;
}

function highSource(r: WriteRange): string {
  const m = /^low end: .*; high end: (.*)$/.exec(r.source);
  return m?.[1] ?? r.source;
}

/**
 * What the editor and the CLI say about writing `def` to this device: the opt-in it needs and
 * the range a value must lie in (product-aware: a BMV-702's 0.1 V thresholds, a 100|30's 30 A).
 * Live values (the system voltage, the terminal voltage) narrow the range further at write time.
 */
export function describeWrite(def: RegisterDef, identity: DeviceIdentity | null): WriteDescription {
  const productDef = registerForProduct(def, productOf(identity));
  const optIn = optInOf(productDef);
  if (optIn === 'read-only') return { optIn, range: null };
  return { optIn, range: intersect(encodableRange(productDef), productRange(productDef, identity)) };
}

function rangeError(id: number, def: RegisterDef, value: number, range: WriteRange): VeError {
  const unit = range.unit === '' ? '' : ` ${range.unit}`;
  return new VeError('VE_RANGE', `${label(id, def)}: ${value}${unit} is outside ${range.min}..${range.max}${unit} (${range.source}). Nothing was written.`, details(id, def, {
    value,
    min: range.min,
    max: range.max,
    source: range.source,
  }));
}

/** A live value the range depends on is not known; `needs` is the register that tells it. */
function staleError(id: number, def: RegisterDef, what: string, needs: number): VeError {
  return new VeError('VE_STALE', `${label(id, def)}: ${what} is not known, so the value cannot be checked against it. Nothing was written.`, details(id, def, { needs }));
}

/** The range at write time: the product range narrowed by the live values. */
function liveRange(id: number, def: RegisterDef, identity: DeviceIdentity | null, live: LiveValues): WriteRange | null {
  const base = intersect(encodableRange(def), productRange(def, identity));
  if (!BATTERY_VOLTAGE_REGISTERS.has(def.id) || identity?.family !== 'mppt') return base;
  const terminal = live.terminalVoltage != null && live.terminalVoltage.ageMs <= LIVE_VALUE_MAX_AGE_MS ? live.terminalVoltage.value : null;
  const known = live.systemVoltage != null && SYSTEM_VOLTAGES.includes(live.systemVoltage) ? live.systemVoltage : null;
  if (def.id === VSENSE && terminal === null) throw staleError(id, def, "the charger's terminal voltage", CHARGER_VOLTAGE);
  const system = known ?? (terminal !== null ? systemVoltageFor(terminal) : null);
  if (system === null) throw staleError(id, def, 'the system voltage (0xEDEF)', SYSTEM_VOLTAGE);
  const w = voltageWindow(system);
  const how = known !== null ? 'system voltage' : 'system voltage (judged from the terminal voltage)';
  let range = intersect(base, { ...w, unit: 'V', source: `${w.min}-${w.max} V for a ${system} V ${how}, BlueSolar HEX protocol MPPT note 5` });
  if (def.id === VSENSE && terminal !== null) {
    const min = Math.round((terminal - SENSE_VOLTAGE_MARGIN_V) * 100) / 100;
    const max = Math.round((terminal + SENSE_VOLTAGE_MARGIN_V) * 100) / 100;
    const shown = Math.round(terminal * 100) / 100;
    range = intersect(range, { min, max, unit: 'V', source: `within ±${SENSE_VOLTAGE_MARGIN_V} V of the charger's terminal voltage ${shown} V, BlueSolar HEX protocol MPPT` });
  }
  return range;
}

export class WritePolicy {
  private readonly store: FlashWriteStore;
  private readonly wallClock: Pick<Clock, 'now'>;
  readonly minFlashIntervalMs: number;

  constructor(options: WritePolicyOptions = {}) {
    this.store = options.store ?? new MemoryFlashWriteStore();
    this.wallClock = options.wallClock ?? DATE_CLOCK;
    this.minFlashIntervalMs = options.minFlashIntervalMs ?? DEFAULT_FLASH_INTERVAL_MS;
  }

  /**
   * Every check that needs no traffic, in the order a user fixes them: register, read-only,
   * command and flash opt-ins, type, encodable range, physical and product range. Returns the
   * bytes to send; throws the refusal.
   */
  prepare(request: WriteRequest): PreparedWrite {
    const { id, def: catalogueDef } = resolveRegister(request.ref);
    const identity = request.identity;
    const def = catalogueDef === undefined ? undefined : registerForProduct(catalogueDef, productOf(identity));
    const raw = typeof request.value === 'object' && request.value !== null ? request.value.raw : undefined;
    if (def === undefined && raw === undefined) {
      throw new VeError('VE_UNKNOWN_REGISTER', `${formatRegisterId(id)} is not in the register catalogue, so its type is unknown: write raw bytes instead`, details(id, def));
    }
    if (def?.access === 'ro') throw new VeError('VE_READ_ONLY', `${label(id, def)} is read-only`, details(id, def));
    const kind = writeKind(def);
    if (kind === 'command' && request.allowCommand !== true) {
      throw new VeError('VE_COMMAND_GUARD', `${label(id, def)} is a device command (${def?.description ?? 'an action'}). Nothing was sent. ${COMMAND_OPT_IN_HINT}`, details(id, def, { optIn: 'command' }));
    }
    if (kind === 'flash' && request.allowFlash !== true) {
      const what = def === undefined ? 'not in the register catalogue and may be a setting stored in flash memory' : 'a setting stored in flash memory, which wears out with repeated writes';
      throw new VeError('VE_FLASH_GUARD', `${label(id, def)} is ${what}. Nothing was written. ${FLASH_OPT_IN_HINT}`, details(id, def, { optIn: 'flash' }));
    }
    if (def === undefined) return { id, def, bytes: raw ?? new Uint8Array(0), kind };
    let value: number | string | null;
    let bytes: Uint8Array;
    if (raw !== undefined) {
      // Raw bytes are judged as the value they encode: the same width, the same ranges, and
      // "not available" only where it releases.
      const width = INTEGER_WIDTH[def.type];
      if (width !== undefined && raw.length !== width) {
        throw new VeError('VE_TYPE', `${label(id, def)} takes ${width} byte${width === 1 ? '' : 's'} (${def.type}), got ${raw.length}. Nothing was written.`, details(id, def, { raw: toHex(raw) }));
      }
      bytes = raw;
      value = def.type === 'none' ? null : decodeRegisterValue(def, raw).value;
    } else {
      value = request.value as number | string | null;
      bytes = encodeRegisterValue(def, value);
    }
    if (value === null && width(def) !== undefined && !RELEASE_REGISTERS.has(id)) {
      throw new VeError('VE_TYPE', `${label(id, def)} needs a value. null ("not available") only releases 0x2002, 0x2003, 0x200A and 0x2015. Nothing was written.`, details(id, def, { value }));
    }
    const effective = id === NETWORK_MODE ? this.networkModeKind(id, def, value, request.allowFlash === true) : kind;
    if (typeof value === 'number') {
      const range = liveRange(id, def, identity, request.live ?? {});
      if (range !== null && (value < range.min || value > range.max)) throw rangeError(id, def, value, range);
    }
    return { id, def, bytes, kind: effective };
  }

  /** 0x200E: bits 0 and 2 are link state; any other bit ends up in flash (bit 3: "BMS present"). */
  private networkModeKind(id: number, def: RegisterDef, value: number | string | null, allowFlash: boolean): WriteKind {
    if (typeof value !== 'number') return 'volatile';
    const extra = value & ~NETWORK_MODE_VOLATILE_BITS & 0xff;
    if (extra === 0) return 'volatile';
    if (!allowFlash) {
      throw new VeError(
        'VE_FLASH_GUARD',
        `${label(id, def)}: ${value} sets bit${extra & (extra - 1) ? 's' : ''} 0x${extra.toString(16).toUpperCase().padStart(2, '0')}; only bits 0 (networked) and 2 (external control) are link state. ` +
          `Bit 3 (BMS) makes the charger store "BMS present" in flash and stop charging with error 67 when the data stops. Nothing was written. ${FLASH_OPT_IN_HINT}`,
        details(id, def, { value, optIn: 'flash' }),
      );
    }
    return 'flash';
  }

  /** The key a flash write of `id` on this device is remembered by: serial, else the path. */
  static key(device: string, id: number): string {
    return `${device}/${formatRegisterId(id)}`;
  }

  /**
   * Before a flash write or command: 'unchanged' when these bytes were written within the
   * interval (no need to ask the device), a VE_RATE_LIMIT refusal for other bytes or a command,
   * else undefined.
   */
  recent(key: string, write: PreparedWrite, intervalMs = this.minFlashIntervalMs): 'unchanged' | undefined {
    const last = this.store.get(key);
    if (last === undefined) return undefined;
    let elapsed = this.wallClock.now() - last.at;
    // A record from the future: the clock was set back (a Raspberry Pi boots with the time of
    // its last shutdown until NTP answers). Within a day, count the write as just made; beyond
    // that the record's time cannot be trusted at all.
    if (elapsed < 0) {
      if (elapsed < -CLOCK_SKEW_TRUST_MS) return undefined;
      elapsed = 0;
    }
    if (elapsed >= intervalMs) return undefined;
    const raw = toHex(write.bytes);
    if (last.raw === raw && write.kind !== 'command') return 'unchanged';
    const retryInMs = intervalMs - elapsed;
    const seconds = Math.max(1, Math.ceil(retryInMs / 1000));
    throw new VeError(
      'VE_RATE_LIMIT',
      `${label(write.id, write.def)} was written ${Math.round(elapsed / 1000)} s ago. Flash settings and commands go out at most once per ${Math.round(intervalMs / 100) / 10} s. Try again in ${seconds} s. Nothing was written.`,
      details(write.id, write.def, { retryInMs, intervalMs }),
    );
  }

  /** Count a flash write or command as it leaves (a lost reply may still mean a stored value). */
  async reserve(key: string, write: PreparedWrite): Promise<FlashReservation> {
    const previous = this.store.get(key);
    const record = { at: this.wallClock.now(), raw: toHex(write.bytes) };
    await this.store.set(key, record);
    return {
      key,
      undo: async () => {
        if (this.store.get(key) !== record) return;
        await this.store.set(key, previous);
      },
    };
  }
}

/**
 * The checks that need no device, for a caller that wants to refuse before opening a port
 * (the CLI): register, read-only, opt-ins, type, `null`, what the register encodes, physical
 * ranges. Product and live ranges are judged again at write time.
 */
export function checkBeforeConnecting(request: Omit<WriteRequest, 'identity' | 'live'>): PreparedWrite {
  return OFFLINE.prepare({ ...request, identity: null });
}

const OFFLINE = new WritePolicy();

/** Hex text of value bytes as on the wire ("2D05", "0x2D05", "2d 05") → bytes. */
export function parseHexBytes(text: string): Uint8Array {
  const clean = text.replace(/^0x/i, '').replace(/\s+/g, '');
  if (!/^(?:[0-9a-f]{2})*$/i.test(clean)) {
    throw new VeError('VE_BAD_INPUT', `raw value must be hex bytes as on the wire (little-endian), e.g. "2D05"; got ${quoteInput(text)}`, { value: text });
  }
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}

function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).toUpperCase().padStart(2, '0');
  return out;
}
