/**
 * Device: what is known about the device behind one port — who it is, its merged Text
 * snapshot and its register cache, each value with the time it arrived.
 *
 * Identity is read again on every (re)connect, because another device may be behind the path
 * now (ports renumber after a reboot; a cable gets moved):
 *   ping `:1` (firmware; a bootloader answer means the application is not running — it gets
 *   no Get/Set traffic), product id `:4` (the 0x0100 register is byte-swapped on some MPPT
 *   builds), Get 0x010A serial and 0x010B model name where supported (unknown id is fine).
 * A device that does not answer HEX (Phoenix inverter, Blue Smart charger) is identified from
 * its Text fields PID / SER# / FW / FWE instead. With an expected serial, a device whose serial
 * differs (or cannot be read) is a `mismatch`: warned about once and otherwise left alone.
 *
 * Text blocks are merged per cycle (BMV/SmartShunt and some MPPTs split a cycle into two
 * checksummed blocks) by TextSnapshot, which also forgets fields that stop coming.
 */

import { systemClock, type Clock, type TimerHandle } from '../clock';
import { VeError, isVeError } from '../errors';
import type { ProductContext } from '../protocol/catalog/overrides';
import { findProduct, formatProductId, parseProductId } from '../protocol/catalog/products';
import { findRegister, formatRegisterId } from '../protocol/catalog/registers';
import type { DeviceFamily } from '../protocol/catalog/types';
import type { FirmwareKind } from '../protocol/hex-codec';
import { TextSnapshot, type SnapshotView } from '../protocol/snapshot';
import { decodeRegisterValue, decodeTextBlock, decodeTextValue, type DecodedTextField } from '../protocol/value-codec';
import type { HexClient, RegisterReply, RegisterReplyType } from './hex-client';
import { safeLogger, type LinkLogger } from './log';

export interface DeviceIdentity {
  /** Product id (`:4`, or Text PID), e.g. 0xA389. */
  readonly productId: number | null;
  /** Catalogue product name ("SmartShunt 500A/50mV"), or "Unknown product 0xA0FF". */
  readonly product: string | null;
  readonly family: DeviceFamily | null;
  /** Firmware version as shown to users ("4.14", "1.02 (bootloader)"). */
  readonly firmware: string | null;
  readonly firmwareKind: FirmwareKind | null;
  /** Serial number (0x010A, or Text SER#). */
  readonly serial: string | null;
  /** Model name (0x010B) where the device has it. */
  readonly model: string | null;
  /** Whether the device answers HEX requests (a Text-only device does not). */
  readonly hex: boolean;
  /** Clock time the identity was read. */
  readonly at: number;
}

/**
 * unknown: nothing read yet on this connection · identifying: reads in progress ·
 * identified: known (and matching the expected serial, when one is set) · unidentified: no
 * HEX answer and no Text identity yet · mismatch: not the expected device · bootloader.
 */
export type IdentityStatus = 'unknown' | 'identifying' | 'identified' | 'unidentified' | 'mismatch' | 'bootloader';

export type RegisterSource = RegisterReplyType;

/** One register value as learned from the device. */
export interface RegisterReading {
  /** Register id as Victron writes it, "0xED8D". */
  readonly register: string;
  readonly id: number;
  /** Catalogue name (`batteryVoltage`), null for registers the catalogue does not know. */
  readonly name: string | null;
  /** Scaled value, string, or null ("not available" sentinel). */
  readonly value: number | string | null;
  readonly unit: string;
  /** Value bytes as on the wire (little-endian), uppercase hex: "6D0A". */
  readonly raw: string;
  readonly flags: number;
  /** Enumeration or bit texts, where the catalogue has them. */
  readonly text?: string;
  /** Clock time of arrival (the link's clock; milliseconds, monotonic). */
  readonly receivedAt: number;
  readonly source: RegisterSource;
}

export interface CachedReading extends RegisterReading {
  readonly ageMs: number;
  /** Older than the port's `staleMs`. */
  readonly stale: boolean;
}

export type SnapshotValue = DecodedTextField & { readonly ageMs: number };

/** One completed Text cycle. */
export interface TextSnapshotReading {
  /** Label → raw value as sent, merged over the cycle's blocks. */
  readonly fields: Readonly<Record<string, string>>;
  /** camelCase name → decoded value with unit, raw text, label and age. */
  readonly values: Readonly<Record<string, SnapshotValue>>;
  /** Clock time of the cycle's newest block. */
  readonly receivedAt: number;
}

export interface DeviceOptions {
  readonly path: string;
  readonly clock?: Clock;
  /** Values older than this count as stale. */
  readonly staleMs?: number;
  /** Refuse any device whose serial differs (case and spaces ignored). */
  readonly expectedSerial?: string;
  /** How long to wait for a Text block carrying PID when HEX gets no answer. */
  readonly textIdentityWaitMs?: number;
  readonly log?: LinkLogger;
}

export const DEFAULT_STALE_MS = 5_000;
const DEFAULT_TEXT_IDENTITY_WAIT_MS = 3_000;

interface TextIdentity {
  productId: number | null;
  serial: string | null;
  firmware: string | null;
}

export class Device {
  private readonly path: string;
  private readonly clock: Clock;
  private readonly log: LinkLogger;
  readonly staleMs: number;
  readonly expectedSerial: string | undefined;
  private readonly textIdentityWaitMs: number;

  private currentIdentity: DeviceIdentity | null = null;
  /** The identity accepted last, kept over reconnects: another device means other values. */
  private lastAccepted: DeviceIdentity | null = null;
  private currentStatus: IdentityStatus = 'unknown';
  private readonly textSnapshot = new TextSnapshot();
  private lastSnapshot: TextSnapshotReading | null = null;
  private readonly cache = new Map<number, RegisterReading>();
  private textIdentity: TextIdentity = { productId: null, serial: null, firmware: null };
  /** Bumped per identification run and per reset: a run that was overtaken stops. */
  private run = 0;
  private textWaiter: { resolve: () => void; timer: TimerHandle } | undefined;
  private warnedMismatch = '';
  private settledWaiters: Array<() => void> = [];

  /** Called with every new identity (the owner repaints and checks it). */
  onIdentity: (identity: DeviceIdentity, status: IdentityStatus) => void = () => undefined;

  constructor(options: DeviceOptions) {
    this.path = options.path;
    this.clock = options.clock ?? systemClock;
    this.log = safeLogger(options.log);
    this.staleMs = options.staleMs ?? DEFAULT_STALE_MS;
    this.expectedSerial = options.expectedSerial?.trim() || undefined;
    this.textIdentityWaitMs = options.textIdentityWaitMs ?? DEFAULT_TEXT_IDENTITY_WAIT_MS;
  }

  get identity(): DeviceIdentity | null {
    return this.currentIdentity;
  }

  get status(): IdentityStatus {
    return this.currentStatus;
  }

  /** Whether data from this device may be delivered: never from a refused device. */
  get trusted(): boolean {
    if (this.currentStatus === 'mismatch' || this.currentStatus === 'bootloader') return false;
    return this.expectedSerial === undefined || this.currentStatus === 'identified';
  }

  /** Resolves once the identification in progress ended (at once when none is running). */
  settled(): Promise<void> {
    if (this.currentStatus !== 'identifying' && this.currentStatus !== 'unknown') return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /**
   * Read the identity over HEX (falling back to Text). Never rejects: a run cut short by the
   * connection dropping just stops; the next connection starts a new one.
   */
  identify(client: HexClient): Promise<void> {
    return this.runIdentify(client).catch((err: unknown) => {
      // Only a bug gets here (every request failure is handled below); keep the link alive.
      this.log.warn(`${this.path}: identification failed: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  private async runIdentify(client: HexClient): Promise<void> {
    const run = ++this.run;
    this.setStatus('identifying');
    this.cancelTextWait();
    try {
      let firmware;
      try {
        firmware = await client.ping();
      } catch (err) {
        if (run !== this.run || isPortClosed(err)) return;
        // No HEX answer: a Text-only device, or one that is silent right now.
        await this.identifyFromText(run);
        return;
      }
      if (run !== this.run) return;
      if (firmware.kind === 'bootloader') {
        this.accept(run, { ...this.blank(), firmware: firmware.text, firmwareKind: firmware.kind, hex: true }, 'bootloader');
        return;
      }
      const productId = await optional(() => client.productId());
      if (run !== this.run) return;
      const serial = await optional(() => readString(client, 0x010a));
      if (run !== this.run) return;
      const model = await optional(() => readString(client, 0x010b));
      if (run !== this.run) return;
      let identity = this.describe({
        productId: productId ?? this.textIdentity.productId,
        serial: serial ?? this.textIdentity.serial,
        firmware: firmware.text,
        firmwareKind: firmware.kind,
        model,
        hex: true,
      });
      if (identity.serial === null && this.expectedSerial !== undefined) {
        // Not every device has 0x010A, and MPPTs send SER# in Text: wait for a block.
        await this.waitForText(run, (t) => t.serial !== null);
        if (run !== this.run) return;
        identity = { ...identity, serial: this.textIdentity.serial };
      }
      this.accept(run, identity, this.check(identity));
    } finally {
      if (run === this.run && (this.currentStatus === 'identifying' || this.currentStatus === 'unknown')) this.setStatus('unidentified');
      this.releaseSettled();
    }
  }

  /** The connection dropped: whatever is behind the path must be identified again. */
  reset(): void {
    this.run++;
    this.cancelTextWait();
    this.currentIdentity = null;
    this.setStatus('unknown');
    this.releaseSettled();
  }

  /**
   * Take one checksum-valid Text block. Returns the completed cycle, if this block completed
   * one. Also watches PID / SER#: a change means another device is behind the path.
   */
  handleTextBlock(fields: Readonly<Record<string, string>>, client: HexClient): TextSnapshotReading | null {
    const now = this.clock.now();
    this.learnTextIdentity(fields, client);
    const view = this.textSnapshot.update(fields, now);
    if (view === null) return null;
    this.lastSnapshot = reading(view, now);
    return this.lastSnapshot;
  }

  /** Cache a register value learned from a reply or an async frame; null when not a value. */
  handleRegister(reply: RegisterReply): RegisterReading | null {
    if (reply.flags !== 0) return null;
    // Decoded as this product uses the register (a BMV-702 sends thresholds in 0.1 V).
    const result = registerReading(reply, this.identity);
    this.cache.set(reply.register, result);
    return result;
  }

  cached(id: number): CachedReading | undefined {
    const r = this.cache.get(id);
    if (r === undefined) return undefined;
    const ageMs = this.clock.now() - r.receivedAt;
    return { ...r, ageMs, stale: ageMs > this.staleMs };
  }

  /** The merged Text snapshot now (fields that stopped coming are gone), ages as of now. */
  snapshot(): TextSnapshotReading | null {
    const now = this.clock.now();
    const view = this.textSnapshot.current(now);
    return view === null ? null : reading(view, now);
  }

  /** Forget values (another device appeared behind the path). */
  clearValues(): void {
    this.textSnapshot.clear();
    this.lastSnapshot = null;
    this.cache.clear();
  }

  // ─── internals ────────────────────────────────────────────────────────────────────────────

  private async identifyFromText(run: number): Promise<void> {
    await this.waitForText(run, (t) => t.productId !== null);
    if (run !== this.run) return;
    if (this.textIdentity.productId === null) {
      this.setStatus('unidentified');
      return;
    }
    const identity = this.fromText();
    this.accept(run, identity, this.check(identity));
  }

  private fromText(): DeviceIdentity {
    const t = this.textIdentity;
    return this.describe({ productId: t.productId, serial: t.serial, firmware: t.firmware, firmwareKind: t.firmware ? 'application' : null, model: null, hex: false });
  }

  private learnTextIdentity(fields: Readonly<Record<string, string>>, client: HexClient): void {
    const pidText = fields.PID;
    const serText = fields['SER#'];
    const fwText = fields.FWE ?? fields.FW;
    if (pidText === undefined && serText === undefined && fwText === undefined) return;
    const productId = pidText !== undefined ? (parseProductId(pidText) ?? null) : this.textIdentity.productId;
    const serial = serText !== undefined ? serText.trim() || null : this.textIdentity.serial;
    let firmware = this.textIdentity.firmware;
    if (fwText !== undefined) {
      const decoded = decodeTextValue(fields.FWE !== undefined ? 'FWE' : 'FW', fwText).value;
      firmware = typeof decoded === 'string' ? decoded : fwText;
    }
    this.textIdentity = { productId, serial, firmware };
    if (this.textWaiter) {
      this.textWaiter.resolve();
      return;
    }
    const id = this.currentIdentity;
    if (id === null) {
      // A Text-only device whose first block came after the wait ended.
      if (this.currentStatus === 'unidentified' && productId !== null) {
        const identity = this.fromText();
        this.accept(this.run, identity, this.check(identity));
      }
      return;
    }
    // Another device behind the same path (a cable moved without the USB side noticing).
    const otherProduct = pidText !== undefined && productId !== null && id.productId !== null && productId !== id.productId;
    const otherSerial = serText !== undefined && serial !== null && id.serial !== null && !sameSerial(serial, id.serial);
    if (otherProduct || otherSerial) {
      this.log.warn(`${this.path}: the device changed (now ${describeIdentity(this.fromText())}); identifying it again`);
      this.clearValues();
      this.currentIdentity = null;
      void this.identify(client);
    }
  }

  private waitForText(run: number, done: (t: TextIdentity) => boolean): Promise<void> {
    if (done(this.textIdentity)) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = (): void => {
        this.cancelTextWait();
        resolve();
      };
      const timer = this.clock.setTimeout(finish, this.textIdentityWaitMs);
      this.textWaiter = {
        resolve: () => {
          if (run !== this.run || done(this.textIdentity)) finish();
        },
        timer,
      };
    });
  }

  private cancelTextWait(): void {
    const waiter = this.textWaiter;
    this.textWaiter = undefined;
    waiter?.timer.cancel();
    waiter?.resolve();
  }

  private check(identity: DeviceIdentity): IdentityStatus {
    if (this.expectedSerial === undefined) return 'identified';
    return identity.serial !== null && sameSerial(identity.serial, this.expectedSerial) ? 'identified' : 'mismatch';
  }

  private accept(run: number, identity: DeviceIdentity, status: IdentityStatus): void {
    if (run !== this.run) return;
    const previous = this.lastAccepted;
    if (previous !== null && (previous.productId !== identity.productId || !sameSerial(previous.serial ?? '', identity.serial ?? ''))) this.clearValues();
    this.currentIdentity = identity;
    this.lastAccepted = identity;
    this.setStatus(status);
    if (status === 'mismatch') {
      const key = identity.serial ?? '(unknown)';
      if (this.warnedMismatch !== key) {
        this.warnedMismatch = key;
        this.log.warn(
          `${this.path}: expected the device with serial ${this.expectedSerial ?? ''} but found ${describeIdentity(identity)}; leaving it alone (no data, no requests)`,
        );
      }
    } else if (status === 'bootloader') {
      this.log.warn(`${this.path}: the device runs its bootloader (firmware ${identity.firmware ?? '?'}), not its application; sending it nothing`);
    } else {
      this.warnedMismatch = '';
      this.log.info(`${this.path}: ${describeIdentity(identity)}`);
    }
    this.onIdentity(identity, status);
  }

  private setStatus(status: IdentityStatus): void {
    this.currentStatus = status;
  }

  private releaseSettled(): void {
    if (this.currentStatus === 'identifying') return;
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private blank(): DeviceIdentity {
    return { productId: null, product: null, family: null, firmware: null, firmwareKind: null, serial: null, model: null, hex: false, at: this.clock.now() };
  }

  private describe(parts: Omit<DeviceIdentity, 'product' | 'family' | 'at'>): DeviceIdentity {
    const product = parts.productId !== null ? findProduct(parts.productId) : undefined;
    return {
      ...parts,
      product: parts.productId === null ? null : (product?.name ?? `Unknown product ${formatProductId(parts.productId)}`),
      family: product?.family ?? null,
      at: this.clock.now(),
    };
  }
}

/** "SmartShunt 500A/50mV HQ2117NTVX4 (firmware 4.14)" */
export function describeIdentity(identity: DeviceIdentity): string {
  const parts = [identity.product ?? identity.model ?? 'unknown device'];
  if (identity.serial) parts.push(identity.serial);
  if (identity.firmware) parts.push(`(firmware ${identity.firmware})`);
  return parts.join(' ');
}

export function sameSerial(a: string, b: string): boolean {
  return a.replace(/\s+/g, '').toUpperCase() === b.replace(/\s+/g, '').toUpperCase();
}

/** A register reading from a reply: catalogue decoding (as `product` uses the register), raw bytes, source. */
export function registerReading(reply: RegisterReply, product?: ProductContext | null): RegisterReading {
  const def = findRegister(reply.register);
  let decoded;
  try {
    decoded = decodeRegisterValue(def, reply.value, product);
  } catch {
    // A width the catalogue type cannot hold (a firmware changed it): keep the bytes.
    decoded = decodeRegisterValue(undefined, reply.value);
  }
  const base = {
    register: formatRegisterId(reply.register),
    id: reply.register,
    name: def?.name ?? null,
    value: decoded.value,
    unit: decoded.unit,
    raw: decoded.raw,
    flags: reply.flags,
    receivedAt: reply.at,
    source: reply.type,
  };
  return decoded.text === undefined ? base : { ...base, text: decoded.text };
}

function reading(view: SnapshotView, now: number): TextSnapshotReading {
  const decoded = decodeTextBlock({ ...view.fields });
  const values: Record<string, SnapshotValue> = {};
  for (const [name, field] of Object.entries(decoded)) {
    values[name] = { ...field, ageMs: now - (view.receivedAt[field.label] ?? view.at) };
  }
  return { fields: view.fields, values, receivedAt: view.at };
}

function isPortClosed(err: unknown): boolean {
  return isVeError(err) && (err.code === 'VE_PORT_CLOSED' || err.code === 'VE_PORT_BUSY');
}

/** A read that may fail (unknown id, not supported, timeout, port closed): null then. */
async function optional<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof VeError) return null;
    throw err;
  }
}

async function readString(client: HexClient, register: number): Promise<string | null> {
  const reply = await client.get(register);
  const value = decodeRegisterValue(findRegister(register), reply.value).value;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}
