/**
 * In-process fakes of a battery monitor and an MPPT charger behind the bridge's adapter
 * interfaces, driven by a ManualClock. The charger behaves as the BlueSolar HEX protocol MPPT
 * describes remote sense (60 s timeout, release sentinels, 0x200F bits) and records every
 * request, so tests assert on what a charger actually received.
 */

import type { ManualClock } from '../../../lib/clock';
import { VeError } from '../../../lib/errors';
import { findRegister } from '../../../lib/protocol/catalog/registers';
import { encodeRegisterValue } from '../../../lib/protocol/value-codec';
import type {
  ChargerReadRegister,
  ChargerTarget,
  DeviceIdentity,
  MonitorSource,
  RegisterValue,
  SenseRegister,
  TemperatureReading,
  TimedValue,
  WriteAck,
} from '../../../lib/bridge/types';

export const BMV712: DeviceIdentity = { productId: 0xa381, product: 'BMV-712 Smart', family: 'bmv', firmware: '4.08', serial: 'HQ0001' };
export const SMARTSHUNT: DeviceIdentity = { productId: 0xa389, product: 'SmartShunt 500A/50mV', family: 'smartshunt', firmware: '4.14', serial: 'HQ0002' };
export const MPPT: DeviceIdentity = { productId: 0xa060, product: 'SmartSolar MPPT 100|20', family: 'mppt', firmware: '1.61', serial: 'HQ1000' };

/** Let every promise chain that can settle settle. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Advance the clock in steps, settling promises between steps. */
export async function run(clock: ManualClock, ms: number, step = 100): Promise<void> {
  let left = ms;
  await flush();
  while (left > 0) {
    const d = Math.min(step, left);
    clock.advance(d);
    left -= d;
    await flush();
  }
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).toUpperCase().padStart(2, '0');
  return out;
}

// ── Monitor ──────────────────────────────────────────────────────────────────────────────────

export interface FakeMonitorOptions {
  readonly id: string;
  readonly identity?: DeviceIdentity | null;
  readonly voltage?: number;
  /** Battery temperature, °C; null: no sensor (0xEDEC = 0xFFFF). */
  readonly temperature?: number | null;
  /**
   * The auxiliary input is set to temperature, so Text carries `T` (`---` without a sensor).
   * Default: when a temperature is given; a monitor without a temperature input omits `T`.
   */
  readonly temperatureInput?: boolean;
  /** Answers HEX 0xEDEC (0.01 K resolution); else only Text `T` (whole °C). */
  readonly hex?: boolean;
  /** Battery current, A (Text `I`). Default −1.5. */
  readonly current?: number;
}

/** A BMV / SmartShunt sending a Text block every second. */
export class FakeMonitor implements MonitorSource {
  readonly id: string;
  readonly label: string;
  identityValue: DeviceIdentity | null;
  voltageValue: number;
  currentValue: number;
  temperatureValue: number | null;
  temperatureInput: boolean;
  hex: boolean;
  /** Port open and frames arriving. */
  connected = true;
  /** Frames arrive (false: the port is open but the device went quiet). */
  sending = true;
  lastFrameAt: number | null = null;
  hexTemperatureAt: number | null = null;
  hexTemperature: number | null = null;
  temperatureReads = 0;
  /**
   * HEX requests go unanswered: a 0xEDEC read gives up only after `hexGiveUpMs` (the link's 1 s
   * timeout and one retry), with no value — while Text may still flow.
   */
  hexSilent = false;
  hexGiveUpMs = 2500;

  constructor(
    private readonly clock: ManualClock,
    options: FakeMonitorOptions,
  ) {
    this.id = options.id;
    this.label = options.id;
    this.identityValue = options.identity === undefined ? BMV712 : options.identity;
    this.voltageValue = options.voltage ?? 13.28;
    this.currentValue = options.current ?? -1.5;
    this.temperatureValue = options.temperature === undefined ? 21.53 : options.temperature;
    this.temperatureInput = options.temperatureInput ?? this.temperatureValue !== null;
    this.hex = options.hex ?? true;
    this.frame();
    clock.setInterval(() => this.frame(), 1000);
  }

  private frame(): void {
    if (this.connected && this.sending) this.lastFrameAt = this.clock.now();
  }

  identity(): DeviceIdentity | null {
    return this.connected ? this.identityValue : null;
  }

  online(): boolean {
    return this.connected && this.lastFrameAt !== null && this.clock.now() - this.lastFrameAt < 3000;
  }

  voltage(): TimedValue | null {
    if (this.lastFrameAt === null) return null;
    return { value: this.voltageValue, receivedAt: this.lastFrameAt };
  }

  current(): TimedValue | null {
    if (this.lastFrameAt === null) return null;
    return { value: this.currentValue, receivedAt: this.lastFrameAt };
  }

  temperature(): TemperatureReading {
    const now = this.clock.now();
    if (this.hexTemperatureAt !== null && now - this.hexTemperatureAt <= 5000) {
      return this.hexTemperature === null
        ? { kind: 'no-sensor', receivedAt: this.hexTemperatureAt, configured: this.temperatureInput }
        : { kind: 'value', value: this.hexTemperature, receivedAt: this.hexTemperatureAt, via: 'hex' };
    }
    if (this.lastFrameAt === null) return { kind: 'unknown' };
    if (this.temperatureValue === null) return { kind: 'no-sensor', receivedAt: this.lastFrameAt, configured: this.temperatureInput };
    return { kind: 'value', value: Math.round(this.temperatureValue), receivedAt: this.lastFrameAt, via: 'text' };
  }

  async refreshTemperature(): Promise<void> {
    if (!this.hex || !this.connected) return;
    this.temperatureReads++;
    if (this.hexSilent || !this.sending) {
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, this.hexGiveUpMs));
      return;
    }
    this.hexTemperatureAt = this.clock.now();
    this.hexTemperature = this.temperatureValue;
  }
}

// ── Charger ──────────────────────────────────────────────────────────────────────────────────

export type WriteBehaviour = 'ok' | 'silent' | 'unknown-id' | 'parameter' | 'echo-mismatch' | 'ignore';

export interface ChargerRequest {
  readonly at: number;
  readonly kind: 'write' | 'read';
  readonly register: number;
  readonly value?: number | null;
  /** Value bytes as the charger received them (writes). */
  readonly raw?: string;
  readonly answered: boolean;
}

export interface FakeChargerOptions {
  readonly id: string;
  readonly identity?: DeviceIdentity | null;
  readonly terminal?: number;
  readonly latencyMs?: number;
  /** Registers this firmware lacks: a write gets flags 0x01 (VE_UNKNOWN_ID). */
  readonly unknownRegisters?: readonly number[];
}

/** An MPPT charger with remote sense. */
export class FakeCharger implements ChargerTarget {
  readonly id: string;
  readonly label: string;
  identityValue: DeviceIdentity | null;
  terminal: number;
  /** When set, Text `V` stopped at this time (the terminal voltage goes stale). */
  terminalFrozenAt: number | null = null;
  connected = true;
  behaviour: WriteBehaviour = 'ok';
  latencyMs: number;
  readonly unknownRegisters: ReadonlySet<number>;
  /** 0x200E as another master left it. */
  networkMode = 0;
  /** 0x200F low nibble. */
  role = 0x04;
  /** Sense bits set by someone else (VE.Smart), ORed into 0x200F / 0x200D. */
  foreignBits = 0;
  /** 0xEDEC: a VE.Smart network temperature, °C, or null. */
  networkedTemperature: number | null = null;
  /** 0xEDEF as read. */
  systemVoltage = 12;
  readonly requests: ChargerRequest[] = [];
  /** Writes to any register other than 0x2002 / 0x2003 (there must be none). */
  readonly forbidden: number[] = [];
  private inFlight = 0;
  maxInFlight = 0;
  /** Remote values in use, with the time of their last write. */
  using: { voltage: { value: number; at: number } | null; temperature: { value: number; at: number } | null } = { voltage: null, temperature: null };

  constructor(
    private readonly clock: ManualClock,
    options: FakeChargerOptions,
  ) {
    this.id = options.id;
    this.label = options.id;
    this.identityValue = options.identity === undefined ? MPPT : options.identity;
    this.terminal = options.terminal ?? 13.4;
    this.latencyMs = options.latencyMs ?? 20;
    this.unknownRegisters = new Set(options.unknownRegisters ?? []);
  }

  identity(): DeviceIdentity | null {
    return this.connected ? this.identityValue : null;
  }

  online(): boolean {
    return this.connected;
  }

  terminalVoltage(): TimedValue | null {
    if (!this.connected) return null;
    const now = this.clock.now();
    return { value: this.terminal, receivedAt: this.terminalFrozenAt ?? now - (now % 1000) };
  }

  /** Values in use now (the 60 s timeout applied). */
  inUse(): { voltage: number | null; temperature: number | null } {
    const now = this.clock.now();
    const live = (u: { value: number; at: number } | null): number | null => (u !== null && now - u.at < 60_000 ? u.value : null);
    return { voltage: live(this.using.voltage), temperature: live(this.using.temperature) };
  }

  writes(register?: SenseRegister): ChargerRequest[] {
    return this.requests.filter((r) => r.kind === 'write' && (register === undefined || r.register === register));
  }

  private async answer<T>(kind: 'write' | 'read', register: number, value: number | null | undefined, raw: string | undefined, body: () => T): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const silent = !this.connected || this.behaviour === 'silent';
    const entry: ChargerRequest = { at: this.clock.now(), kind, register, answered: !silent, ...(value !== undefined ? { value } : {}), ...(raw !== undefined ? { raw } : {}) };
    this.requests.push(entry);
    try {
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, silent ? 1000 : this.latencyMs));
      if (silent) throw new VeError('VE_TIMEOUT', `no answer to ${kind} 0x${register.toString(16)}`);
      return body();
    } finally {
      this.inFlight--;
    }
  }

  write(register: SenseRegister, value: number | null): Promise<WriteAck> {
    if (register !== 0x2002 && register !== 0x2003) this.forbidden.push(register);
    const def = findRegister(register);
    if (def === undefined) throw new Error('catalogue lacks the register');
    const raw = hex(encodeRegisterValue(def, value));
    return this.answer('write', register, value, raw, () => {
      if (this.unknownRegisters.has(register)) throw new VeError('VE_UNKNOWN_ID', 'unknown id');
      switch (this.behaviour) {
        case 'unknown-id':
          throw new VeError('VE_UNKNOWN_ID', 'unknown id');
        case 'parameter':
          throw new VeError('VE_PARAMETER', 'parameter error', { clamped: 0 });
        case 'echo-mismatch':
          return { echo: raw === 'FFFF' || raw === 'FF7F' ? raw : '0000', flags: 0 };
        default:
          break;
      }
      const q = register === 0x2002 ? 'voltage' : 'temperature';
      if (value === null) this.using[q] = null;
      else if (this.behaviour === 'ok') this.using[q] = { value, at: this.clock.now() };
      return { echo: raw, flags: 0 };
    });
  }

  read(register: ChargerReadRegister): Promise<RegisterValue> {
    return this.answer('read', register, undefined, undefined, () => {
      const inUse = this.inUse();
      const bits = (inUse.voltage !== null ? 0x80 : 0) | (inUse.temperature !== null ? 0x40 : 0) | this.foreignBits;
      switch (register) {
        case 0x200e:
          return { value: this.networkMode, rawNumber: this.networkMode };
        case 0x200f:
          return { value: this.role | bits, rawNumber: this.role | bits };
        case 0x200d:
          return { value: bits, rawNumber: bits };
        case 0xedec:
          return { value: this.networkedTemperature, rawNumber: this.networkedTemperature === null ? 0xffff : Math.round((this.networkedTemperature + 273.15) * 100) };
        case 0xedd5:
          return { value: this.terminal, rawNumber: Math.round(this.terminal * 100) };
        case 0xedef:
          return { value: this.systemVoltage, rawNumber: this.systemVoltage };
      }
    });
  }
}

/** Largest gap between consecutive acknowledged value writes of `register` in [from, to]. */
export function maxGap(charger: FakeCharger, register: SenseRegister, from: number, to: number): number {
  const times = charger
    .writes(register)
    .filter((w) => w.answered && w.value !== null)
    .map((w) => w.at)
    .filter((t) => t >= from && t <= to);
  let gap = 0;
  let prev = from;
  for (const t of times) {
    gap = Math.max(gap, t - prev);
    prev = t;
  }
  return Math.max(gap, to - prev);
}
