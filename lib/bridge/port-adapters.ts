/**
 * The bridge's adapters on top of a real VeDirectPort: one object per port that can serve as a
 * monitor source and as a charger target (the bridge decides by the device's identity which
 * role it really has). No listeners are added to the port: everything is read when asked, so
 * there is nothing to remove when the bridge stops.
 *
 * Where the values come from:
 * - voltage: Text `V` (mV, every second) of the merged snapshot, with its age;
 * - temperature: HEX 0xEDEC (0.01 K) when read within the freshness limit, else Text `T`
 *   (whole °C). `---`, an absent `T` in a fresh block, and 0xEDEC = 0xFFFF all mean "no
 *   sensor" (VE.Direct Protocol, note on T; BMV-7xx HEX protocol);
 * - current: Text `I` (mA, every second), or the 0xED8F (0.1 A) the monitor reports when asked,
 *   whichever is newer;
 * - charger terminal voltage: Text `V`, or the 0xEDD5 the MPPT reports (asynchronously from
 *   fw 1.26, or when asked), whichever is newer.
 * The port's clock must be the bridge's clock: times are compared directly.
 */

import type { Clock } from '../clock';
import { isVeError } from '../errors';
import { findProduct } from '../protocol/catalog/products';
import type { DeviceIdentity as LinkIdentity } from '../link/device';
import type { VeDirectPort } from '../link/port';
import {
  BATTERY_TEMPERATURE,
  CHARGER_VOLTAGE,
  type ChargerReadRegister,
  type ChargerTarget,
  type DeviceIdentity,
  type MonitorSource,
  type RegisterValue,
  type SenseRegister,
  type TemperatureReading,
  type TimedValue,
  type WriteAck,
} from './types';

/** A monitor's battery current, HEX sn16 0.1 A (BMV-7xx HEX protocol). */
const MONITOR_CURRENT = 0xed8f;
/** A HEX temperature older than this is not used (the Text `T` is then). */
const HEX_TEMPERATURE_FRESH_MS = 5000;
/** A Text snapshot with a block this recent tells whether `T` is there at all. */
const SNAPSHOT_FRESH_MS = 5000;

export interface PortAdapterOptions {
  /** The port's clock (the same one the bridge gets). */
  readonly clock: Clock;
  /** Default: the port path. */
  readonly id?: string;
  /** Default: the port path. */
  readonly label?: string;
}

function toBridgeIdentity(identity: LinkIdentity | null): DeviceIdentity | null {
  if (identity === null || identity.productId === null || identity.family === null) return null;
  const pvOnly = findProduct(identity.productId)?.pvOnly === true;
  return {
    productId: identity.productId,
    product: identity.product ?? `product 0x${identity.productId.toString(16)}`,
    family: identity.family,
    // A bootloader's version is not the application's: no remote sense gate can pass on it.
    firmware: identity.firmwareKind === 'bootloader' ? null : identity.firmware,
    serial: identity.serial,
    ...(pvOnly ? { pvOnly } : {}),
  };
}

/** Little-endian hex bytes ("0F20") to an unsigned integer; null for none or more than 4 bytes. */
function rawInteger(raw: string): number | null {
  if (raw.length === 0 || raw.length > 8 || raw.length % 2 !== 0) return null;
  let value = 0;
  for (let i = raw.length - 2; i >= 0; i -= 2) value = value * 256 + Number.parseInt(raw.slice(i, i + 2), 16);
  return Number.isFinite(value) ? value : null;
}

export class PortAdapter implements MonitorSource, ChargerTarget {
  readonly id: string;
  readonly label: string;
  readonly port: VeDirectPort;
  private readonly clock: Clock;
  private hexTemperature: { value: number | null; receivedAt: number } | null = null;
  /** The monitor answered "unknown id" for 0xEDEC (no HEX temperature): stop asking. */
  private noHexTemperature = false;

  constructor(port: VeDirectPort, options: PortAdapterOptions) {
    this.port = port;
    this.clock = options.clock;
    this.id = options.id ?? port.path;
    this.label = options.label ?? port.path;
  }

  identity(): DeviceIdentity | null {
    const state = this.port.state;
    if (state.kind === 'connected' || state.kind === 'stale') return toBridgeIdentity(state.identity);
    return null;
  }

  online(): boolean {
    return this.port.state.kind === 'connected';
  }

  private textValue(name: string): { value: number | string | boolean | null; receivedAt: number } | 'absent' | null {
    const snapshot = this.port.snapshot();
    if (snapshot === null) return null;
    const now = this.clock.now();
    const field = snapshot.values[name];
    if (field === undefined) return now - snapshot.receivedAt <= SNAPSHOT_FRESH_MS ? 'absent' : null;
    return { value: field.value, receivedAt: now - field.ageMs };
  }

  voltage(): TimedValue | null {
    const v = this.textValue('batteryVoltage');
    if (v === null || v === 'absent' || typeof v.value !== 'number') return null;
    return { value: v.value, receivedAt: v.receivedAt };
  }

  temperature(): TemperatureReading {
    const now = this.clock.now();
    const hex = this.hexTemperature;
    const t = this.textValue('batteryTemperature');
    // Text `T` is sent only when the auxiliary input is set to temperature (VE.Direct Protocol 3.33).
    const configured = t !== null && t !== 'absent';
    if (hex !== null && now - hex.receivedAt <= HEX_TEMPERATURE_FRESH_MS) {
      return hex.value === null ? { kind: 'no-sensor', receivedAt: hex.receivedAt, configured } : { kind: 'value', value: hex.value, receivedAt: hex.receivedAt, via: 'hex' };
    }
    if (t === null) return { kind: 'unknown' };
    if (t === 'absent') return { kind: 'no-sensor', receivedAt: this.port.snapshot()?.receivedAt ?? now, configured: false };
    // `---` decodes to null: no sensor, never a number.
    if (typeof t.value !== 'number') return { kind: 'no-sensor', receivedAt: t.receivedAt, configured: true };
    return { kind: 'value', value: t.value, receivedAt: t.receivedAt, via: 'text' };
  }

  async refreshTemperature(): Promise<void> {
    if (this.noHexTemperature || !this.online()) return;
    try {
      const reading = await this.port.get(BATTERY_TEMPERATURE);
      const value = typeof reading.value === 'number' ? reading.value : null;
      this.hexTemperature = { value, receivedAt: reading.receivedAt };
    } catch (err) {
      if (isVeError(err) && err.code === 'VE_UNKNOWN_ID') this.noHexTemperature = true;
    }
  }

  current(): TimedValue | null {
    const t = this.textValue('batteryCurrent');
    const text = t === null || t === 'absent' || typeof t.value !== 'number' ? null : { value: t.value, receivedAt: t.receivedAt };
    return this.newer(text, MONITOR_CURRENT);
  }

  terminalVoltage(): TimedValue | null {
    return this.newer(this.voltage(), CHARGER_VOLTAGE);
  }

  /** The Text value or the cached HEX register, whichever arrived last. */
  private newer(text: TimedValue | null, register: number): TimedValue | null {
    const cached = this.port.cached(register);
    const hex = cached !== undefined && typeof cached.value === 'number' ? { value: cached.value, receivedAt: cached.receivedAt } : null;
    if (text === null) return hex;
    if (hex === null) return text;
    return hex.receivedAt > text.receivedAt ? hex : text;
  }

  async write(register: SenseRegister, value: number | null): Promise<WriteAck> {
    const reading = await this.port.set(register, value);
    return { echo: reading.raw, flags: reading.flags };
  }

  notAvailableNotice(register: SenseRegister): number | null {
    const cached = this.port.cached(register);
    // The cache holds the latest of Set replies and async frames: an async sentinel is the charger's own notice.
    if (cached === undefined || cached.source !== 'async' || cached.value !== null) return null;
    return cached.receivedAt;
  }

  async read(register: ChargerReadRegister): Promise<RegisterValue> {
    const reading = await this.port.get(register);
    return { value: typeof reading.value === 'number' ? reading.value : null, rawNumber: rawInteger(reading.raw) };
  }
}

/** One adapter per port, usable as a source and as a target. */
export function portAdapter(port: VeDirectPort, options: PortAdapterOptions): PortAdapter {
  return new PortAdapter(port, options);
}
