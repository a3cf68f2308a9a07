/**
 * VeDirectPort: the one object a user of a serial path talks to — the `ve-direct-port` config
 * node, the get/set/in nodes through it, the BMV→MPPT bridge and the CLI. It puts together
 * the Connection (the serial line and its reconnects), the HexClient (requests) and the
 * Device (identity, snapshot, register cache), and publishes one state, counters and events.
 *
 * State, as a status badge paints it:
 *   connecting                 port opening, or open and the device not identified yet
 *   connected  {identity}      identified, valid data within `staleMs`
 *   stale      {identity, silentMs}   no valid data for `staleMs` (also while reopening
 *                              after a silence: a silent MPPT at night is stale, not broken)
 *   error      {code, message, retryInMs}   the port cannot be opened or was lost; or the
 *                              device runs its bootloader (VE_BOOTLOADER, no retry)
 *   mismatch   {identity, expectedSerial}  another device than the expected one: no data is
 *                              delivered and every request is refused with VE_IDENTITY
 *   closed
 *
 * Every write passes the write policy (write-policy.ts) before a byte goes out: the register,
 * the product, the live values and the value decide; flash settings need `allowFlash`, device
 * commands `allowCommand`, and a flash write goes out only when the device holds another
 * value and no sooner than the interval after the last one. A write to anything but a
 * volatile register is never retried, so a lost reply cannot cause a second flash write.
 *
 * Times (`receivedAt`) are the link clock's milliseconds (monotonic); ages are given with
 * every value so a caller never needs to compare clocks.
 */

import { systemClock, type Clock, type TimerHandle } from '../clock';
import { VeError, type VeErrorCode } from '../errors';
import type { FrameErrorEvent, FrameErrorKind } from '../protocol/framer';
import type { FirmwareVersion } from '../protocol/hex-codec';
import { Connection, DEFAULT_SILENCE_MS, type BackoffOptions, type ConnectionState, type PresenceCheck } from './connection';
import {
  Device,
  DEFAULT_STALE_MS,
  registerReading,
  type CachedReading,
  type DeviceIdentity,
  type RegisterReading,
  type TextSnapshotReading,
} from './device';
import { HexClient, HEX_CLIENT_DEFAULTS, type RegisterReply } from './hex-client';
import { Listeners, type Remover } from './listeners';
import { safeLogger, type LinkLogger } from './log';
import { openSerial, pathPresence } from './port-factory';
import type { PortFactory } from './serial-stream';
import { resolveRegister, type RegisterRef } from './register-ref';
import type { LinkReasonKey } from './serial-error';
import { WritePolicy, parseHexBytes, type LiveValues, type PreparedWrite } from './write-policy';
import { CHARGER_VOLTAGE, SYSTEM_VOLTAGE } from '../protocol/catalog/register-ids';
import { findRegister, formatRegisterId } from '../protocol/catalog/registers';
import { decodeRegisterValue } from '../protocol/value-codec';

export interface VeDirectPortOptions {
  /** Accept only the device with this serial number (as on its label / in VictronConnect). */
  readonly expectedSerial?: string;
  /** Reply timeout per HEX attempt (default 1000 ms). */
  readonly requestTimeoutMs?: number;
  /** Resends after a timeout (default 1; never for flash-backed writes). */
  readonly retries?: number;
  /** HEX requests that may wait behind the one in flight (default 32). */
  readonly queueLimit?: number;
  /** Quiet time between HEX transactions (default 50 ms). */
  readonly minGapMs?: number;
  /** Longest wait for a Text block to end before a request is sent anyway (default 150 ms). */
  readonly maxTextWaitMs?: number;
  /** Reopen the port after this long without a valid unit (default 15000 ms). */
  readonly silenceMs?: number;
  /** Values and the port count as stale after this long (default 5000 ms). */
  readonly staleMs?: number;
  /** Reconnect delays (default 1 s doubling to 30 s, reset after 10 s of good data). */
  readonly backoff?: BackoffOptions;
  /** Wait this long for a Text block with PID when the device does not answer HEX (3000 ms). */
  readonly textIdentityWaitMs?: number;
  readonly clock?: Clock;
  readonly portFactory?: PortFactory;
  /** Whether the path still names the opened device (default: a stat of the path, for the default factory). */
  readonly presence?: PresenceCheck;
  readonly log?: LinkLogger;
  /**
   * The gate every write passes; share one between ports so flash writes are counted per
   * device whichever port reaches it (default: a policy of its own, remembering in memory).
   */
  readonly writePolicy?: WritePolicy;
}

export type PortState =
  | { readonly kind: 'connecting' }
  /** `noHex`: Text arrives but HEX requests go unanswered (a receive-only relay, a Text-only device). */
  | { readonly kind: 'connected'; readonly identity: DeviceIdentity; readonly noHex: boolean }
  | { readonly kind: 'stale'; readonly identity: DeviceIdentity | null; readonly silentMs: number }
  | {
      readonly kind: 'error';
      readonly code: VeErrorCode;
      /** The whole sentence ("cannot open /dev/ttyUSB0: port not found (unplugged?)"). */
      readonly message: string;
      /** The short why, for a badge ("port not found (unplugged?)"). */
      readonly reason: string;
      /** The why as a key, for translated texts. */
      readonly reasonKey: LinkReasonKey;
      /** Until the next open attempt; null when the link does not retry by itself. */
      readonly retryInMs: number | null;
    }
  | { readonly kind: 'mismatch'; readonly identity: DeviceIdentity; readonly expectedSerial: string }
  | { readonly kind: 'closed' };

export type PortStateKind = PortState['kind'];

export interface PortCounters {
  /** Bytes received. */
  bytes: number;
  /** Checksum-valid Text blocks. */
  textBlocks: number;
  /** Checksum-valid HEX frames (replies and async). */
  hexFrames: number;
  /** Units dropped, by kind. */
  rejected: Record<FrameErrorKind, number>;
  /** Bytes outside any unit (noise, a block cut by opening the port). */
  skippedBytes: number;
  /** Completed Text cycles delivered as snapshots. */
  snapshots: number;
  /** Successful reopenings after a failure. */
  reconnects: number;
  /** Times an open port was lost (unplug, error, silence). */
  drops: number;
  openFailures: number;
  /** HEX requests accepted. */
  requests: number;
  completed: number;
  failed: number;
  timeouts: number;
  retries: number;
  /** Replies nobody waited for (late after a timeout). */
  unmatchedReplies: number;
  asyncFrames: number;
  /** `:4` error frames from the device. */
  deviceErrors: number;
  /** Requests refused because the queue was full. */
  queueFull: number;
  /** Requests refused at once because the link carries no HEX (VE_NO_HEX). */
  noHex: number;
  /** Requests waiting plus the one in flight, now. */
  queueDepth: number;
}

export interface TextBlockReading {
  /** One checksum-valid block, label → raw value. */
  readonly fields: Readonly<Record<string, string>>;
  readonly receivedAt: number;
}

export interface PortEvents {
  /** The state changed (kind, identity or error). */
  state: PortState;
  /** The device was identified (every connect; also a refused device). */
  identity: DeviceIdentity;
  /** One completed Text cycle, merged and decoded. */
  snapshot: TextSnapshotReading;
  /** One checksum-valid Text block, as received (before merging). */
  'text-block': TextBlockReading;
  /** A register value learned: Get/Set reply or async frame. */
  register: RegisterReading;
  /** A unit that failed its checks and was dropped. */
  'frame-error': FrameErrorEvent;
}

export interface GetOptions {
  readonly timeoutMs?: number;
  readonly retries?: number;
}

export interface SetOptions extends GetOptions {
  /** Allow writing a flash-backed setting (0xEDxx settings, 0x200E bits other than 0 and 2, …). */
  readonly allowFlash?: boolean;
  /** Allow sending a device command (restore defaults, clear history, zero current, synchronise). */
  readonly allowCommand?: boolean;
  /** Minimum time between two flash writes (or commands) of the register (the policy's default: 60 s). */
  readonly minFlashIntervalMs?: number;
}

/** What a write did. */
export interface WriteResult {
  /** The device's echo; for an unchanged value the device's value (`source` 'get') or the bytes the write would have sent ('set', flags 0). */
  readonly reading: RegisterReading;
  /** Whether a Set went out: false when a flash setting already held the value. */
  readonly written: boolean;
  /** The device's value read before a flash write. */
  readonly previous?: RegisterReading;
}

/**
 * Refusals by the device or the queue: nothing was stored, so a flash write does not count.
 * Not VE_PORT_CLOSED or VE_TIMEOUT: the bytes may have gone out before the line was lost.
 */
const NOT_STORED: ReadonlySet<VeErrorCode> = new Set<VeErrorCode>(['VE_PARAMETER', 'VE_UNKNOWN_ID', 'VE_NOT_SUPPORTED', 'VE_QUEUE_FULL', 'VE_IDENTITY', 'VE_BOOTLOADER']);

export interface ReadyOptions {
  readonly timeoutMs?: number;
  /** Reject at the first error state (a CLI: the port does not exist) instead of waiting. */
  readonly failFast?: boolean;
}

export class VeDirectPort {
  readonly path: string;
  readonly options: VeDirectPortOptions;
  private readonly clock: Clock;
  private readonly log: LinkLogger;
  private readonly connection: Connection;
  private readonly client: HexClient;
  private readonly device: Device;
  private readonly events: Listeners<PortEvents>;
  private readonly staleMs: number;
  private readonly policy: WritePolicy;
  private current: PortState = { kind: 'closed' };
  private lastIdentity: DeviceIdentity | null = null;
  /** The failure that sent the connection reconnecting, until it is open again. */
  private lastFailure: Extract<ConnectionState, { kind: 'reconnecting' }> | undefined;
  private staleTimer: TimerHandle | undefined;
  private snapshots = 0;
  private closed = false;

  constructor(path: string, options: VeDirectPortOptions = {}) {
    this.path = path;
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.log = safeLogger(options.log);
    this.staleMs = options.staleMs ?? DEFAULT_STALE_MS;
    this.policy = options.writePolicy ?? new WritePolicy();
    const onListenerError = (err: unknown, event: string): void =>
      this.log.warn(`${path}: a "${event}" listener failed: ${err instanceof Error ? err.message : String(err)}`);
    this.events = new Listeners<PortEvents>(onListenerError);
    this.connection = new Connection(path, {
      portFactory: options.portFactory ?? openSerial,
      // The path check belongs to the default factory's paths; a test factory brings its own.
      ...(options.presence !== undefined ? { presence: options.presence } : options.portFactory === undefined ? { presence: pathPresence } : {}),
      clock: this.clock,
      silenceMs: options.silenceMs ?? DEFAULT_SILENCE_MS,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      log: this.log,
    });
    this.client = new HexClient(
      this.connection,
      {
        clock: this.clock,
        requestTimeoutMs: options.requestTimeoutMs ?? HEX_CLIENT_DEFAULTS.requestTimeoutMs,
        retries: options.retries ?? HEX_CLIENT_DEFAULTS.retries,
        queueLimit: options.queueLimit ?? HEX_CLIENT_DEFAULTS.queueLimit,
        minGapMs: options.minGapMs ?? HEX_CLIENT_DEFAULTS.minGapMs,
        maxTextWaitMs: options.maxTextWaitMs ?? HEX_CLIENT_DEFAULTS.maxTextWaitMs,
      },
      onListenerError,
    );
    this.device = new Device({
      path,
      clock: this.clock,
      staleMs: this.staleMs,
      log: this.log,
      ...(options.expectedSerial !== undefined ? { expectedSerial: options.expectedSerial } : {}),
      ...(options.textIdentityWaitMs !== undefined ? { textIdentityWaitMs: options.textIdentityWaitMs } : {}),
    });
    this.device.onIdentity = (identity) => this.onIdentity(identity);
    this.connection.on('state', (s) => this.onConnectionState(s));
    this.connection.on('unit', (unit) => {
      switch (unit.kind) {
        case 'text-block':
          this.onTextBlock(unit.fields);
          break;
        case 'hex-frame':
          this.client.handleFrame(unit.frame, unit.text);
          break;
        case 'frame-error':
          this.events.emit('frame-error', unit);
          break;
        default: {
          const unreachable: never = unit;
          return unreachable;
        }
      }
      this.client.unitEnded(unit.kind);
      if (unit.kind !== 'frame-error' && this.current.kind === 'stale') this.updateState();
    });
    this.client.on('reply', (reply) => this.onRegister(reply));
    this.client.on('async', (reply) => this.onRegister(reply));
    this.client.on('hexLink', (carries) => {
      if (!carries) this.log.warn(`${path}: this link carries no HEX (requests go unanswered while Text arrives); values come from Text only, requests fail with VE_NO_HEX`);
      else this.log.info(`${path}: HEX answered again`);
      this.updateState();
    });
  }

  /** The state now (a stale port's `silentMs`, an error's `retryInMs` are as of now). */
  get state(): PortState {
    return this.computeState();
  }

  /** The device behind the port: the current one, or the last one seen while reconnecting. */
  get identity(): DeviceIdentity | null {
    return this.device.identity ?? this.lastIdentity;
  }

  /**
   * Whether HEX requests can be answered on this link: null until known, true once a reply
   * came, false when requests go unanswered while Text arrives (then they fail with VE_NO_HEX).
   * A bridge must not count on a charger behind a link that is false.
   */
  get carriesHex(): boolean | null {
    return this.client.carriesHex;
  }

  get counters(): PortCounters {
    const link = this.connection.stats;
    const hex = this.client.counters;
    return {
      bytes: link.bytes,
      textBlocks: link.textBlocks,
      hexFrames: link.hexFrames,
      rejected: { ...link.errors },
      skippedBytes: link.skippedBytes,
      snapshots: this.snapshots,
      reconnects: link.reconnects,
      drops: link.drops,
      openFailures: link.openFailures,
      requests: hex.requests,
      completed: hex.completed,
      failed: hex.failed,
      timeouts: hex.timeouts,
      retries: hex.retries,
      unmatchedReplies: hex.unmatchedReplies,
      asyncFrames: hex.asyncFrames,
      deviceErrors: hex.deviceErrors,
      queueFull: hex.queueFull,
      noHex: hex.noHex,
      queueDepth: this.client.depth,
    };
  }

  on<K extends keyof PortEvents>(event: K, fn: (value: PortEvents[K]) => void): Remover {
    return this.events.on(event, fn);
  }

  once<K extends keyof PortEvents>(event: K, fn: (value: PortEvents[K]) => void): Remover {
    return this.events.once(event, fn);
  }

  /**
   * Start: open the port and keep it open (reconnecting as needed) until `close()`. Never
   * throws. `after`: a previous owner of the device still closing it.
   */
  open(after?: Promise<unknown>): void {
    if (this.closed) return;
    this.connection.open(after);
  }

  /** Stop: refuse pending requests (VE_PORT_CLOSED), stop every timer, close the port. */
  async close(): Promise<void> {
    this.closed = true;
    this.staleTimer?.cancel();
    this.staleTimer = undefined;
    this.client.close();
    this.device.reset();
    await this.connection.close();
    this.updateState();
  }

  /**
   * Resolves with the identity once the device is identified (connected or stale with a known
   * identity); rejects on a mismatch (VE_IDENTITY), a bootloader, a close, at `timeoutMs`
   * (default 10 s) with the last error, or with `failFast` at the first error state.
   */
  ready(options: ReadyOptions = {}): Promise<DeviceIdentity> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      let settled = false;
      let lastError: VeError | undefined;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        timer.cancel();
        remove();
        fn();
      };
      const timer = this.clock.setTimeout(() => {
        settle(() =>
          reject(
            lastError ??
              new VeError('VE_TIMEOUT', `no VE.Direct device identified on ${this.path} within ${Math.round(timeoutMs / 100) / 10} s (is it connected and powered?)`, {
                path: this.path,
              }),
          ),
        );
      }, timeoutMs);
      const check = (s: PortState): void => {
        switch (s.kind) {
          case 'connected':
            settle(() => resolve(s.identity));
            return;
          case 'stale': {
            const identity = s.identity;
            if (identity) settle(() => resolve(identity));
            return;
          }
          case 'mismatch':
            settle(() => reject(this.identityError(s.identity, s.expectedSerial)));
            return;
          case 'error': {
            const err = new VeError(s.code, s.message, { path: this.path, reason: s.reason, reasonKey: s.reasonKey });
            lastError = err;
            if (options.failFast || s.retryInMs === null) settle(() => reject(err));
            return;
          }
          case 'closed':
            settle(() => reject(new VeError('VE_PORT_CLOSED', `${this.path} was closed`, { path: this.path })));
            return;
          case 'connecting':
            return;
        }
      };
      const remove = this.events.on('state', check);
      check(this.computeState());
    });
  }

  /** Read a register from the device (HEX Get). */
  async get(ref: RegisterRef, options: GetOptions = {}): Promise<RegisterReading> {
    const { id } = resolveRegister(ref);
    await this.gate();
    const reply = await this.client.get(id, requestOptions(options));
    return registerReading(reply, this.identity);
  }

  /**
   * Write a register by catalogue name or id, through the write policy, then check the echo
   * (flags 0, the value sent). `null` writes "not available" where that releases the register
   * (0x2002 → 0xFFFF: the charger drops remote sense data at once). Resolves with the echo, or
   * with the device's value when a flash setting already held it.
   */
  async set(ref: RegisterRef, value: number | string | null, options: SetOptions = {}): Promise<RegisterReading> {
    return (await this.write(ref, value, options)).reading;
  }

  /**
   * Write raw value bytes (little-endian, as on the wire; a Uint8Array or hex text "2D05"),
   * also to a register the catalogue does not know (which counts as a flash write: it may be
   * one). The policy checks the bytes of a known register as it checks a value.
   */
  async setRaw(ref: RegisterRef, bytes: Uint8Array | string, options: SetOptions = {}): Promise<RegisterReading> {
    return (await this.write(ref, { raw: typeof bytes === 'string' ? parseHexBytes(bytes) : bytes }, options)).reading;
  }

  /** `set` / `setRaw` with what happened: whether a Set went out, the value before a flash write. */
  async write(ref: RegisterRef, value: number | string | null | { readonly raw: Uint8Array }, options: SetOptions = {}): Promise<WriteResult> {
    await this.gate();
    const prepared = await this.prepare(ref, value, options);
    try {
      if (prepared.kind === 'volatile') {
        const reply = await this.client.set(prepared.id, prepared.bytes, requestOptions(options));
        return { reading: registerReading(reply, this.identity), written: true };
      }
      return await this.flashWrite(prepared, options);
    } catch (err) {
      throw asProductUses(err, prepared);
    }
  }

  /**
   * The policy's verdict. A range that depends on a live value the port has not seen (the
   * system voltage 0xEDEF, the terminal voltage 0xEDD5) is read once, then judged again.
   */
  private async prepare(ref: RegisterRef, value: number | string | null | { readonly raw: Uint8Array }, options: SetOptions): Promise<PreparedWrite> {
    const request = { ref, value, allowFlash: options.allowFlash === true, allowCommand: options.allowCommand === true };
    for (let attempt = 0; ; attempt++) {
      try {
        return this.policy.prepare({ ...request, identity: this.identity, live: this.liveValues() });
      } catch (err) {
        const needs = err instanceof VeError && err.code === 'VE_STALE' ? err.details.needs : undefined;
        if (attempt > 0 || typeof needs !== 'number' || this.identity?.hex !== true) throw err;
        try {
          await this.get(needs, requestOptions(options));
        } catch {
          throw err; // the refusal says what was missing; the failed read adds nothing
        }
      }
    }
  }

  /** What the port knows of the device for the policy: terminal voltage (Text V or 0xEDD5), system voltage (0xEDEF). */
  private liveValues(): LiveValues {
    const text = this.snapshot()?.values.batteryVoltage;
    const hex = this.cached(CHARGER_VOLTAGE);
    const candidates = [
      typeof text?.value === 'number' ? { value: text.value, ageMs: text.ageMs } : null,
      typeof hex?.value === 'number' ? { value: hex.value, ageMs: hex.ageMs } : null,
    ].filter((c): c is { value: number; ageMs: number } => c !== null);
    candidates.sort((a, b) => a.ageMs - b.ageMs);
    const system = this.cached(SYSTEM_VOLTAGE)?.value;
    return { terminalVoltage: candidates[0] ?? null, systemVoltage: typeof system === 'number' ? system : null };
  }

  /**
   * A flash write or command: not within the interval of the last one (an unchanged value
   * then needs no traffic at all), not when the device holds the value already, counted in the
   * policy's store as it leaves, sent once.
   */
  private async flashWrite(prepared: PreparedWrite, options: SetOptions): Promise<WriteResult> {
    const key = WritePolicy.key(this.identity?.serial ?? this.path, prepared.id);
    const interval = options.minFlashIntervalMs;
    const unchanged = (previous?: RegisterReading): WriteResult => ({ reading: previous ?? this.readingOf(prepared), written: false, ...(previous ? { previous } : {}) });
    if (this.policy.recent(key, prepared, interval) === 'unchanged') return unchanged();
    let previous: RegisterReading | undefined;
    if (prepared.kind === 'flash' && prepared.def?.access !== 'w') {
      previous = await this.get(prepared.id, requestOptions(options));
      if (this.holds(previous, prepared)) return unchanged(previous);
      // Another write may have gone out meanwhile.
      if (this.policy.recent(key, prepared, interval) === 'unchanged') return unchanged(previous);
    }
    await this.gate();
    // Counted from the moment it leaves: a port that is not open would refuse it anyway.
    if (this.connection.state.kind !== 'open') throw this.connection.notOpenError();
    const reservation = await this.policy.reserve(key, prepared);
    try {
      const reply = await this.client.set(prepared.id, prepared.bytes, requestOptions({ ...options, retries: 0 }));
      return { reading: registerReading(reply, this.identity), written: true, ...(previous ? { previous } : {}) };
    } catch (err) {
      if (err instanceof VeError && NOT_STORED.has(err.code)) await reservation.undo();
      throw err;
    }
  }

  /** Whether the device holds the bytes already (strings: the device's padding ignored). */
  private holds(current: RegisterReading, prepared: PreparedWrite): boolean {
    if (current.raw === hexOf(prepared.bytes)) return true;
    return prepared.def?.type === 'string' && current.value === decodeRegisterValue(prepared.def, prepared.bytes).value;
  }

  /** A reading made of the bytes a write would send (an unchanged value, per the record of writes). */
  private readingOf(prepared: PreparedWrite): RegisterReading {
    const decoded = decodeRegisterValue(prepared.def, prepared.bytes);
    return {
      register: formatRegisterId(prepared.id),
      id: prepared.id,
      name: prepared.def?.name ?? null,
      value: decoded.value,
      unit: decoded.unit,
      raw: decoded.raw,
      flags: 0,
      ...(decoded.text !== undefined ? { text: decoded.text } : {}),
      receivedAt: this.clock.now(),
      source: 'set',
    };
  }

  /** Ping: firmware version and type. */
  async ping(options: GetOptions = {}): Promise<FirmwareVersion> {
    await this.gate();
    return this.client.ping(requestOptions(options));
  }

  async productId(options: GetOptions = {}): Promise<number> {
    await this.gate();
    return this.client.productId(requestOptions(options));
  }

  async appVersion(options: GetOptions = {}): Promise<FirmwareVersion> {
    await this.gate();
    return this.client.appVersion(requestOptions(options));
  }

  /** The last value learned for a register (reply or async), with its age; no request made. */
  cached(ref: RegisterRef): CachedReading | undefined {
    if (!this.device.trusted) return undefined;
    return this.device.cached(resolveRegister(ref).id);
  }

  /** The merged Text snapshot as of now (ages as of now); null before the first block. */
  snapshot(): TextSnapshotReading | null {
    if (!this.device.trusted) return null;
    return this.device.snapshot();
  }

  /** No valid data for `staleMs`. */
  isStale(): boolean {
    return this.silentMs() > this.staleMs;
  }

  // ─── internals ────────────────────────────────────────────────────────────────────────────

  /** Refuse requests to a device that must be left alone; wait for the serial check. */
  private async gate(): Promise<void> {
    if (this.closed) throw new VeError('VE_PORT_CLOSED', `${this.path} was closed`, { path: this.path });
    this.refuseUntrusted();
    if (this.device.expectedSerial === undefined || this.device.status === 'identified') return;
    const kind = this.connection.state.kind;
    if (kind !== 'open' && kind !== 'opening') throw this.connection.notOpenError();
    await this.device.settled();
    this.refuseUntrusted();
    // Read again after the wait (the compiler keeps the narrowing from before the await).
    const status: string = this.device.status;
    if (status !== 'identified') {
      const kindNow = this.connection.state.kind;
      if (kindNow !== 'open') throw this.connection.notOpenError();
      throw new VeError('VE_IDENTITY', `${this.path}: the device has not been identified, so its serial cannot be checked against ${this.device.expectedSerial}`, {
        path: this.path,
        expectedSerial: this.device.expectedSerial,
      });
    }
  }

  private refuseUntrusted(): void {
    const identity = this.device.identity;
    if (this.device.status === 'mismatch' && identity) throw this.identityError(identity, this.device.expectedSerial ?? '');
    if (this.device.status === 'bootloader') {
      throw new VeError('VE_BOOTLOADER', `${this.path}: the device runs its bootloader (firmware ${identity?.firmware ?? '?'}), not its application`, { path: this.path });
    }
  }

  private identityError(identity: DeviceIdentity, expectedSerial: string): VeError {
    return new VeError(
      'VE_IDENTITY',
      `${this.path}: expected the device with serial ${expectedSerial}, found ${identity.product ?? 'a device'} with serial ${identity.serial ?? '(unreadable)'}`,
      { path: this.path, expectedSerial, serial: identity.serial, productId: identity.productId },
    );
  }

  private onConnectionState(s: ConnectionState): void {
    if (s.kind === 'reconnecting') this.lastFailure = s;
    if (s.kind === 'open') {
      this.lastFailure = undefined;
      this.client.linkChanged();
      void this.device.identify(this.client);
      this.armStaleTimer(this.staleMs);
    } else if (s.kind === 'reconnecting' || s.kind === 'closing') {
      this.device.reset();
      this.client.linkChanged();
      this.staleTimer?.cancel();
      this.staleTimer = undefined;
    }
    this.updateState();
  }

  private onTextBlock(fields: Readonly<Record<string, string>>): void {
    const cycle = this.device.handleTextBlock(fields, this.client);
    if (!this.device.trusted) return;
    this.events.emit('text-block', { fields, receivedAt: this.clock.now() });
    if (cycle) {
      this.snapshots++;
      this.events.emit('snapshot', cycle);
    }
  }

  private onRegister(reply: RegisterReply): void {
    const reading = this.device.handleRegister(reply);
    if (reading && this.device.trusted) this.events.emit('register', reading);
  }

  private onIdentity(identity: DeviceIdentity): void {
    this.lastIdentity = identity;
    this.events.emit('identity', identity);
    this.updateState();
  }

  private silentMs(): number {
    const conn = this.connection.state;
    const since = conn.kind === 'open' ? Math.max(conn.since, this.connection.lastValidUnitAt) : this.connection.lastValidUnitAt;
    return this.clock.now() - since;
  }

  private armStaleTimer(ms: number): void {
    this.staleTimer?.cancel();
    this.staleTimer = this.clock.setTimeout(() => {
      this.staleTimer = undefined;
      if (this.connection.state.kind !== 'open') return;
      const silent = this.silentMs();
      if (silent > this.staleMs) {
        this.updateState();
        // Look again in a while: data may come back without a unit arriving in a stale state.
        this.armStaleTimer(this.staleMs);
      } else {
        this.updateState();
        this.armStaleTimer(this.staleMs - silent + 1);
      }
    }, ms);
  }

  private computeState(): PortState {
    const conn = this.connection.state;
    if (this.closed || conn.kind === 'closed' || conn.kind === 'closing') return { kind: 'closed' };
    const identity = this.device.identity;
    const status = this.device.status;
    if (status === 'mismatch' && identity) return { kind: 'mismatch', identity, expectedSerial: this.device.expectedSerial ?? '' };
    if (status === 'bootloader') {
      return {
        kind: 'error',
        code: 'VE_BOOTLOADER',
        message: `${this.path}: the device runs its bootloader (firmware ${identity?.firmware ?? '?'})`,
        reason: 'device in bootloader',
        reasonKey: 'bootloader',
        retryInMs: null,
      };
    }
    switch (conn.kind) {
      case 'reconnecting':
      case 'opening': {
        // While a reopen is tried, keep showing why it is needed (no flicker on every attempt).
        const failure = conn.kind === 'reconnecting' ? conn : this.lastFailure;
        if (failure === undefined) return { kind: 'connecting' };
        if (failure.failure === 'silence' && this.lastIdentity) return { kind: 'stale', identity: this.lastIdentity, silentMs: this.silentMs() };
        return {
          kind: 'error',
          code: failure.error.code,
          message: failure.error.message,
          reason: String(failure.error.details.reason ?? failure.error.message),
          reasonKey: reasonKeyOf(failure.error.details.reasonKey),
          retryInMs: Math.max(0, failure.retryAt - this.clock.now()),
        };
      }
      case 'open': {
        const silentMs = this.silentMs();
        if (identity === null) {
          if (this.lastIdentity && silentMs > this.staleMs) return { kind: 'stale', identity: this.lastIdentity, silentMs };
          return { kind: 'connecting' };
        }
        if (silentMs > this.staleMs) return { kind: 'stale', identity, silentMs };
        return { kind: 'connected', identity, noHex: this.client.carriesHex === false };
      }
      default: {
        const unreachable: never = conn;
        return unreachable;
      }
    }
  }

  /** Publish the state when what a badge shows changed (not for a growing silentMs). */
  private updateState(): void {
    const next = this.computeState();
    if (sameState(this.current, next)) return;
    this.current = next;
    this.events.emit('state', next);
  }
}

function sameState(a: PortState, b: PortState): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'connected':
      return a.identity === (b as typeof a).identity && a.noHex === (b as typeof a).noHex;
    case 'stale':
    case 'mismatch':
      return a.identity === (b as typeof a).identity;
    case 'error':
      return a.message === (b as typeof a).message && (a.retryInMs === null) === ((b as typeof a).retryInMs === null);
    case 'connecting':
    case 'closed':
      return true;
  }
}

const REASON_KEYS: readonly LinkReasonKey[] = [
  'not-found',
  'permission-denied',
  'in-use',
  'disconnected',
  'no-data',
  'bootloader',
  'refused',
  'unreachable',
  'unknown-host',
  'bad-path',
  'other',
];

function reasonKeyOf(value: unknown): LinkReasonKey {
  return REASON_KEYS.find((k) => k === value) ?? 'other';
}

/**
 * A device's answer to a write, with the values it names decoded as the product uses the
 * register: the HEX client knows only the catalogue, so a BMV-702 that clamped a threshold to
 * 115 (11.5 V) would otherwise be reported as having used 1.15 V.
 */
function asProductUses(err: unknown, prepared: PreparedWrite): unknown {
  const def = prepared.def;
  if (!(err instanceof VeError) || def === undefined) return err;
  const catalogue = findRegister(prepared.id);
  if (catalogue === undefined || (catalogue.scale === def.scale && catalogue.offset === def.offset)) return err;
  const unit = def.unit === '' ? '' : ` ${def.unit}`;
  const decode = (hex: unknown): number | string | null | undefined =>
    typeof hex === 'string' && hex !== '' && /^(?:[0-9A-F]{2})+$/i.test(hex) ? decodeRegisterValue(def, parseHexBytes(hex)).value : undefined;
  const name = `${formatRegisterId(prepared.id)} ${def.name}`;
  if (err.code === 'VE_PARAMETER') {
    const clamped = decode(err.details.raw);
    if (clamped === undefined) return err;
    return new VeError('VE_PARAMETER', `${name}: value out of range or inconsistent (parameter error); the device used ${String(clamped)}${unit} instead`, { ...err.details, clamped });
  }
  if (err.code === 'VE_ECHO_MISMATCH') {
    const echoedValue = decode(err.details.echoed);
    if (echoedValue === undefined) return err;
    return new VeError('VE_ECHO_MISMATCH', `${name}: wrote ${hexOf(prepared.bytes)} but the device answered ${String(err.details.echoed)} (${String(echoedValue)}${unit})`, { ...err.details, echoedValue });
  }
  return err;
}

function hexOf(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).toUpperCase().padStart(2, '0');
  return out;
}

function requestOptions(options: GetOptions): GetOptions {
  return {
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.retries !== undefined ? { retries: options.retries } : {}),
  };
}
