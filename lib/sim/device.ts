/**
 * The engine every simulated device runs on: a Text block per second, HEX answers (ping, app
 * version, product id, Get, Set, restart, the unknown-command and frame-error replies), async
 * frames after HEX traffic, restarts, and the faults of faults.ts, all on an injected clock.
 * The family model (profiles/) says which fields and registers exist and what values they
 * hold. Tests reach in through the record of host frames, flash-write counters, fault
 * counters, output listeners and scripted behaviours.
 *
 * Wire facts (BlueSolar HEX protocol MPPT rev 10, BMV-7xx HEX protocol, VE.Direct Protocol
 * 3.33): HEX frames are `:` + command nibble + bytes + checksum + `\n`, uppercase; a frame the
 * device cannot parse gets `:4AAAAFD`; an unknown command gets response 3 with the command as
 * un16; restart has no reply; Text blocks come once per second.
 */

import type { Clock, TimerHandle } from '../clock';
import {
  decodeFrameBody,
  encodeFrame,
  FRAME_ERROR_CODE,
  Flag,
  interpretCommand,
  MAX_BODY_DIGITS,
  registerPayload,
  Response,
  un16Bytes,
  type HexCommand,
} from '../protocol/hex-codec';
import type { SimSystem } from './battery-model';
import { Faults, type FaultSettings } from './faults';
import { versionWord } from './identity';
import type { DeviceContext, FamilyModel, HexHabits, SimIdentity, SimProfile } from './profile';
import { Random, seedFromText } from './random';
import { textBlockSegments } from './text-block';
import { Transmitter, type Placement, type Unit } from './transmitter';

/** "If no incoming hex messages are detected for 2 minutes it will cease to send these messages." */
export const ASYNC_WINDOW_MS = 120_000;
export const TEXT_INTERVAL_MS = 1000;
/** Silence after a restart before the first Text block. */
export const DEFAULT_BOOT_MS = 1500;

const COLON = 0x3a;
const LF = 0x0a;
const CR = 0x0d;

/** One frame the host sent, as the device received it. */
export interface HostFrame {
  /** Clock time of its `\n`. */
  readonly at: number;
  /** `:` and the digits, without the line end. */
  readonly frame: string;
  /** Whether its checksum and format held. */
  readonly valid: boolean;
  /** How the device read it (valid frames only). */
  readonly command?: HexCommand;
}

/** A unit the device finished sending (before any line noise). */
export interface SentUnit {
  readonly id: number;
  readonly kind: 'text' | 'hex' | 'garbage';
  readonly bytes: Uint8Array;
  /** For HEX units: the frame text without `\n`. */
  readonly frame?: string;
  /** For HEX units: reply to a request, or async. */
  readonly role?: 'reply' | 'async';
}

export interface DeviceStats {
  textBlocks: number;
  hexReplies: number;
  asyncFrames: number;
  hostFrames: number;
  /** Host frames answered with `:4AAAAFD`. */
  hostFrameErrors: number;
  restarts: number;
}

/**
 * A scripted behaviour: return frames (without `\n`) to answer with instead of the device's
 * own answer, `null` to stay silent, or `undefined` to let the device answer.
 */
export type Behaviour = (command: HexCommand, frame: string) => readonly string[] | null | undefined;

export interface SimDeviceOptions {
  readonly clock: Clock;
  readonly system: SimSystem;
  readonly profile: SimProfile;
  /** Catalogue name (`smartshunt`), for messages. */
  readonly name?: string;
  readonly serial?: string;
  readonly seed?: number;
  readonly faults?: Partial<FaultSettings>;
  /** Overrides of the family's HEX habits (e.g. `pauseTextOnHex` for older firmware). */
  readonly habits?: Partial<HexHabits>;
  readonly textIntervalMs?: number;
  readonly bootMs?: number;
  /** Keep at most this many host frames in `hostLog` (oldest dropped). Default 10 000. */
  readonly hostLogLimit?: number;
}

interface Expectation {
  readonly description: string;
  readonly matches: (frame: HostFrame) => boolean;
}

type Listener<T> = (value: T) => void;

class Signal<T> {
  private readonly listeners = new Set<Listener<T>>();
  on(listener: Listener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }
}

export class SimDevice {
  readonly name: string;
  readonly identity: SimIdentity;
  readonly habits: HexHabits;
  readonly system: SimSystem;
  readonly clock: Clock;
  readonly faults: Faults;
  readonly model: FamilyModel;
  /** Every frame the host sent, in order. */
  readonly hostLog: HostFrame[] = [];
  /** Accepted writes to flash-backed registers, by id (the value was stored). */
  readonly flashWrites = new Map<number, number>();
  /** Set requests addressed to flash-backed registers, by id, accepted or not. */
  readonly flashWriteAttempts = new Map<number, number>();
  readonly stats: DeviceStats = { textBlocks: 0, hexReplies: 0, asyncFrames: 0, hostFrames: 0, hostFrameErrors: 0, restarts: 0 };

  private readonly random: Random;
  private readonly transmitter: Transmitter;
  private readonly settings = new Map<number, number>();
  private readonly textIntervalMs: number;
  private readonly bootMs: number;
  private readonly hostLogLimit: number;
  private readonly textTimer: TimerHandle;
  private readonly output = new Signal<Uint8Array>();
  private readonly units = new Signal<SentUnit>();
  private readonly hostFrames = new Signal<HostFrame>();
  private readonly behaviours: Behaviour[] = [];
  private readonly expectations: Expectation[] = [];
  private readonly pendingReplies = new Set<TimerHandle>();
  private readonly hexRoles = new Map<number, 'reply' | 'async'>();
  private sink: ((bytes: Uint8Array) => void) | null = null;
  private rx: number[] | null = null;
  private bootedAt: number;
  private bootUntil: number;
  private poweredNow = true;
  private textPausedUntil = -Infinity;
  private asyncUntil = -Infinity;
  private readonly asyncLast = new Map<number, string>();
  private garbageTimer: TimerHandle | null = null;
  private disposed = false;

  constructor(options: SimDeviceOptions) {
    const { profile } = options;
    this.clock = options.clock;
    this.system = options.system;
    this.name = options.name ?? profile.identity.modelName;
    const serial = options.serial ?? `${profile.identity.serialPrefix}01`;
    const { serialPrefix: _prefix, ...rest } = profile.identity;
    this.identity = { ...rest, serial };
    this.habits = { ...profile.habits(this.identity.firmware), ...options.habits };
    this.random = new Random(options.seed ?? seedFromText(serial));
    this.faults = new Faults(this.random.fork(1), () => this.armGarbage());
    if (options.faults) this.faults.set(options.faults);
    this.textIntervalMs = options.textIntervalMs ?? TEXT_INTERVAL_MS;
    this.bootMs = options.bootMs ?? DEFAULT_BOOT_MS;
    this.hostLogLimit = options.hostLogLimit ?? 10_000;
    this.transmitter = new Transmitter(this.clock, (bytes, unit, last) => this.deliver(bytes, unit, last));
    this.bootedAt = this.clock.now();
    // A device found already running: its first block comes within the first second.
    this.bootUntil = this.bootedAt;
    const context: DeviceContext = {
      clock: this.clock,
      system: this.system,
      random: this.random.fork(2),
      identity: this.identity,
      settings: this.settings,
      notifyAsync: (register, value) => this.sendAsync(register, value),
      countFlashWrite: (register) => bump(this.flashWrites, register),
      uptimeSeconds: () => Math.max(0, Math.floor((this.clock.now() - this.bootedAt) / 1000)),
    };
    this.model = profile.create(context);
    this.poweredNow = this.model.powered?.() ?? true;
    // Blocks at a phase of their own, as separate devices are not in step.
    const phase = this.random.int(this.textIntervalMs);
    let interval: TimerHandle | null = null;
    const first = this.clock.setTimeout(() => {
      this.tick();
      interval = this.clock.setInterval(() => this.tick(), this.textIntervalMs);
    }, phase);
    this.textTimer = { cancel: () => (interval ?? first).cancel() };
    this.armGarbage();
  }

  // ── Connection ────────────────────────────────────────────────────────────────────────────

  /** Attach the host side (a port); bytes for the host go to `sink`. Returns the detacher. */
  connect(sink: (bytes: Uint8Array) => void): () => void {
    if (this.sink !== null) throw new Error(`simulated ${this.name} already has a host connected`);
    this.sink = sink;
    return () => {
      if (this.sink === sink) this.sink = null;
    };
  }

  get connected(): boolean {
    return this.sink !== null;
  }

  /** Bytes from the host (HEX lines). */
  receive(bytes: Uint8Array): void {
    if (this.disposed) return;
    const arrived = this.faults.fromHost(bytes);
    if (arrived === null || !this.isAwake()) return;
    for (const b of arrived) this.rxByte(b);
  }

  // ── Observation ───────────────────────────────────────────────────────────────────────────

  /** Every chunk of bytes as it reaches the host (after line noise). */
  onOutput(listener: (bytes: Uint8Array) => void): () => void {
    return this.output.on(listener);
  }

  /** Every unit the device finished sending (before line noise). */
  onUnit(listener: (unit: SentUnit) => void): () => void {
    return this.units.on(listener);
  }

  /** Every frame the host sent, when it arrives. */
  onHostFrame(listener: (frame: HostFrame) => void): () => void {
    return this.hostFrames.on(listener);
  }

  /**
   * The next sent unit that matches; with `timeoutMs`, rejects when the device clock passes
   * it first (with a ManualClock, advance the clock after calling this).
   */
  nextUnit(predicate: (unit: SentUnit) => boolean = () => true, timeoutMs?: number): Promise<SentUnit> {
    return new Promise((resolve, reject) => {
      let timer: TimerHandle | undefined;
      const off = this.units.on((unit) => {
        if (!predicate(unit)) return;
        off();
        timer?.cancel();
        resolve(unit);
      });
      if (timeoutMs !== undefined) {
        timer = this.clock.setTimeout(() => {
          off();
          reject(new Error(`simulated ${this.name}: no matching unit within ${timeoutMs} ms`));
        }, timeoutMs);
      }
    });
  }

  /** Total accepted writes to flash-backed registers. */
  get flashWriteCount(): number {
    let total = 0;
    for (const n of this.flashWrites.values()) total += n;
    return total;
  }

  /** The device's current value bytes of a register (undefined when it has none). */
  readRegister(id: number): Uint8Array | undefined {
    return this.model.registers.get(id)?.read?.();
  }

  // ── Scripting ─────────────────────────────────────────────────────────────────────────────

  /** Answer some requests your way (see Behaviour). Returns the remover. */
  addBehaviour(behaviour: Behaviour): () => void {
    this.behaviours.unshift(behaviour);
    return () => {
      const at = this.behaviours.indexOf(behaviour);
      if (at >= 0) this.behaviours.splice(at, 1);
    };
  }

  /** Declare a frame the host must send during the test (`:7F0ED0071`, a RegExp, a predicate). */
  expectHostFrame(match: string | RegExp | ((frame: HostFrame) => boolean), description?: string): void {
    const matches =
      typeof match === 'string'
        ? (f: HostFrame) => f.frame.toUpperCase() === match.replace(/\r?\n$/, '').toUpperCase()
        : match instanceof RegExp
          ? (f: HostFrame) => match.test(f.frame)
          : match;
    this.expectations.push({ description: description ?? String(match), matches });
  }

  /** Descriptions of the expected frames the host never sent. */
  unmetExpectations(): string[] {
    return this.expectations.filter((e) => !this.hostLog.some(e.matches)).map((e) => e.description);
  }

  /** Throws when an expected frame never came (a scripted request that the host skipped). */
  assertExpectationsMet(): void {
    const unmet = this.unmetExpectations();
    if (unmet.length > 0) throw new Error(`simulated ${this.name}: the host never sent ${unmet.join(', ')}`);
  }

  // ── Faults that need the engine ───────────────────────────────────────────────────────────

  /** A burst of random bytes on the line now. */
  injectGarbage(length?: number): void {
    this.transmitter.send('garbage', [this.faults.garbage(length)], 'next-record');
  }

  /** Reboot now (power glitch, watchdog): the unit in progress is cut, volatile state lost. */
  reboot(): void {
    this.faults.stats.reboots++;
    this.restart();
  }

  /** Stop every timer and leave the shared system. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.textTimer.cancel();
    this.garbageTimer?.cancel();
    for (const t of this.pendingReplies) t.cancel();
    this.pendingReplies.clear();
    this.transmitter.clear();
    this.model.dispose?.();
    this.sink = null;
  }

  // ── Text ──────────────────────────────────────────────────────────────────────────────────

  private isAwake(): boolean {
    return this.poweredNow && this.clock.now() >= this.bootUntil;
  }

  private tick(): void {
    if (this.disposed) return;
    const powered = this.model.powered?.() ?? true;
    if (powered !== this.poweredNow) {
      this.poweredNow = powered;
      // Power lost (night for "pv only") or back: like a restart either way.
      this.restart(false);
      if (!powered) return;
    }
    if (!this.isAwake()) return;
    const now = this.clock.now();
    if (this.sink !== null && now >= this.textPausedUntil) {
      for (const block of this.model.textBlocks()) this.transmitter.send('text', textBlockSegments(block), 'end');
    }
    if (now < this.asyncUntil) this.sendChangedAsync();
  }

  // ── HEX in ────────────────────────────────────────────────────────────────────────────────

  private rxByte(b: number): void {
    if (b === COLON) {
      if (this.rx !== null) this.frameIn(this.rx, false);
      this.rx = [];
      return;
    }
    if (this.rx === null) return; // between frames: line idle noise, a host's stray `\r`
    if (b === LF) {
      const body = this.rx;
      this.rx = null;
      this.frameIn(body, true);
    } else if (b !== CR) {
      this.rx.push(b);
      if (this.rx.length > MAX_BODY_DIGITS) {
        this.rx = null;
        this.frameIn([], false);
      }
    }
  }

  private frameIn(body: number[], complete: boolean): void {
    const text = String.fromCharCode(...body);
    const decoded = complete ? decodeFrameBody(text) : null;
    const now = this.clock.now();
    this.stats.hostFrames++;
    if (!decoded || !decoded.ok) {
      const record: HostFrame = { at: now, frame: `:${text}`, valid: false };
      this.logHostFrame(record);
      if (!this.habits.answersHex) return;
      this.stats.hostFrameErrors++;
      this.reply([encodeFrame(Response.Error, un16Bytes(FRAME_ERROR_CODE))]);
      return;
    }
    const command = interpretCommand(decoded.frame);
    const record: HostFrame = { at: now, frame: `:${text.toUpperCase()}`, valid: true, command };
    this.logHostFrame(record);
    if (!this.habits.answersHex) return;
    if (this.habits.pauseTextOnHex) this.textPausedUntil = now + this.habits.hexHoldMs;
    if (this.habits.asyncAfterHex) {
      if (now >= this.asyncUntil) this.asyncLast.clear();
      this.asyncUntil = now + ASYNC_WINDOW_MS;
    }
    for (const behaviour of this.behaviours) {
      const scripted = behaviour(command, record.frame);
      if (scripted === null) return;
      if (scripted !== undefined) {
        this.reply(scripted);
        return;
      }
    }
    const frames = this.answer(command);
    if (frames.length > 0) this.reply(frames);
  }

  private logHostFrame(record: HostFrame): void {
    // A long run (a demo, a soak test) must not grow without bound.
    if (this.hostLog.length >= this.hostLogLimit) this.hostLog.splice(0, this.hostLog.length - this.hostLogLimit + 1);
    this.hostLog.push(record);
    this.hostFrames.emit(record);
  }

  private answer(command: HexCommand): string[] {
    const { identity } = this;
    switch (command.type) {
      case 'ping':
        return [encodeFrame(Response.Ping, un16Bytes(versionWord(identity.firmware)))];
      case 'app-version':
        return [encodeFrame(Response.Done, un16Bytes(versionWord(identity.firmware)))];
      case 'product-id':
        return [encodeFrame(Response.Done, un16Bytes(identity.productId))];
      case 'restart':
        // No reply (BlueSolar HEX protocol MPPT, BMV-7xx HEX protocol).
        this.clock.setTimeout(() => this.restart(), this.faults.current.replyDelayMs);
        return [];
      case 'enter-boot':
        // Never brick the simulator: answer as a device that cannot enter its bootloader,
        // error response with value 0 (`:4000051`, BlueSolar HEX protocol MPPT §responses).
        return [encodeFrame(Response.Error, un16Bytes(0))];
      case 'get':
        return [this.get(command.register)];
      case 'set':
        return [this.set(command.register, command.value)];
      case 'async':
        // "Should not be replied."
        return [];
      case 'malformed':
        return [encodeFrame(Response.Error, un16Bytes(FRAME_ERROR_CODE))];
      case 'unsupported':
        // "Unknown command, data is the unknown command" (`:253` → `:3020050`).
        return [encodeFrame(Response.Unknown, un16Bytes(command.command))];
    }
  }

  private get(id: number): string {
    const slot = this.model.registers.get(id);
    if (!slot) return encodeFrame(Response.Get, registerPayload(id, Flag.UnknownId));
    if (!slot.read) return encodeFrame(Response.Get, registerPayload(id, Flag.NotSupported));
    return encodeFrame(Response.Get, registerPayload(id, slot.readFlags?.() ?? 0, slot.read()));
  }

  private set(id: number, value: Uint8Array): string {
    const slot = this.model.registers.get(id);
    // Unknown id: flags 0x01 and no value (`:820030129`, Victron Community thread 38831).
    if (!slot) return encodeFrame(Response.Set, registerPayload(id, Flag.UnknownId));
    const flash = slot.def.storage === 'flash';
    if (flash) bump(this.flashWriteAttempts, id);
    // Read-only by the catalogue (or by this device): flags 0x02 with the current value.
    if (slot.def.access === 'ro' || !slot.write) return encodeFrame(Response.Set, registerPayload(id, Flag.NotSupported, slot.read?.() ?? []));
    const outcome = slot.write(value);
    if (outcome.stored && flash) bump(this.flashWrites, id);
    return encodeFrame(Response.Set, registerPayload(id, outcome.flags, outcome.value));
  }

  // ── HEX out ───────────────────────────────────────────────────────────────────────────────

  private reply(frames: readonly string[]): void {
    const fate = this.faults.replyFate();
    if (fate.lost) return;
    const timer = this.clock.setTimeout(() => {
      this.pendingReplies.delete(timer);
      if (!this.isAwake()) return;
      for (const frame of frames) this.sendHex(frame, this.habits.replyPlacement, 'reply');
    }, fate.delayMs);
    this.pendingReplies.add(timer);
  }

  private sendHex(frame: string, placement: Placement, role: 'reply' | 'async'): void {
    const id = this.transmitter.send('hex', [Buffer.from(`${frame}\n`, 'latin1')], placement);
    this.hexRoles.set(id, role);
  }

  private sendAsync(register: number, value: Uint8Array): void {
    if (!this.isAwake() || this.sink === null) return;
    // Announced now: the change detector need not send it again.
    this.asyncLast.set(register, Buffer.from(value).toString('hex'));
    const frame = encodeFrame(Response.Async, registerPayload(register, 0, value));
    if (this.transmitter.inTextBlock && this.faults.asyncInsideBlock()) {
      this.sendHex(frame, 'next-record', 'async');
    } else {
      this.sendHex(frame, 'after-unit', 'async');
    }
  }

  /** Async frames for registers whose value changed since last sent (all, on entering the mode). */
  private sendChangedAsync(): void {
    if (this.sink === null) return;
    const inside = this.faults.current.asyncInsideBlockRate > 0;
    for (const id of this.model.asyncRegisters) {
      const value = this.model.registers.get(id)?.read?.();
      if (!value) continue;
      const key = Buffer.from(value).toString('hex');
      if (this.asyncLast.get(id) === key) continue;
      this.asyncLast.set(id, key);
      if (inside && this.faults.asyncInsideBlock()) {
        // Somewhere inside the block being sent, as captures show.
        const delay = this.random.int(80);
        this.clock.setTimeout(() => {
          if (!this.isAwake()) return;
          this.sendHex(encodeFrame(Response.Async, registerPayload(id, 0, value)), 'next-record', 'async');
        }, delay);
      } else {
        this.sendHex(encodeFrame(Response.Async, registerPayload(id, 0, value)), 'after-unit', 'async');
      }
    }
  }

  private deliver(bytes: Uint8Array, unit: Unit, last: boolean): void {
    if (last) this.unitDone(unit);
    if (this.sink === null) return;
    const arrived = this.faults.toHost(bytes, unit.kind, unit.id);
    if (arrived === null || arrived.length === 0) return;
    this.sink(arrived);
    this.output.emit(arrived);
  }

  private unitDone(unit: Unit): void {
    const bytes = Buffer.concat(unit.segments as Uint8Array[]);
    if (unit.kind === 'text') {
      this.stats.textBlocks++;
      this.units.emit({ id: unit.id, kind: 'text', bytes });
    } else if (unit.kind === 'hex') {
      const role = this.hexRoles.get(unit.id) ?? 'reply';
      this.hexRoles.delete(unit.id);
      if (role === 'reply') this.stats.hexReplies++;
      else this.stats.asyncFrames++;
      this.units.emit({ id: unit.id, kind: 'hex', bytes, frame: bytes.toString('latin1').replace(/\n$/, ''), role });
    } else {
      this.units.emit({ id: unit.id, kind: 'garbage', bytes });
    }
  }

  // ── Restart ───────────────────────────────────────────────────────────────────────────────

  private restart(counted = true): void {
    if (counted) this.stats.restarts++;
    this.transmitter.clear();
    this.hexRoles.clear();
    for (const t of this.pendingReplies) t.cancel();
    this.pendingReplies.clear();
    this.rx = null;
    this.textPausedUntil = -Infinity;
    this.asyncUntil = -Infinity;
    this.asyncLast.clear();
    this.model.restart?.();
    this.bootedAt = this.clock.now();
    this.bootUntil = this.bootedAt + this.bootMs;
  }

  private armGarbage(): void {
    this.garbageTimer?.cancel();
    this.garbageTimer = null;
    const every = this.faults.current.garbageIntervalMs;
    if (every > 0 && !this.disposed) {
      this.garbageTimer = this.clock.setInterval(() => {
        if (this.isAwake() && this.sink !== null) this.injectGarbage();
      }, every);
    }
  }
}

function bump(map: Map<number, number>, key: number): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}


