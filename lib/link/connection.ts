/**
 * Connection: owns one serial port for as long as it is wanted — opens it, frames what it
 * receives into VE.Direct units (Text blocks, HEX frames, rejects), writes HEX requests, and
 * keeps it alive: after an unplug, a port error or a silence it closes what is left and opens
 * again with back-off, forever, until `close()`.
 *
 * State is a small union with one transition function:
 *
 *   closed ──open()──▶ opening ──opened──▶ open ──error / unplug / silence──▶ reconnecting
 *                         │ ▲                                                  │
 *                         │ └──── timer (1 s, 2 s, 4 s … 30 s), or the path ─────┘
 *                         │       is back (replug): at once
 *                         └──open failed──▶ reconnecting
 *   any state ──close()──▶ closing ──stream closed──▶ closed
 *
 * Back-off: the wait doubles per failure, and starts over once a reopened port delivers a
 * valid unit (a checksummed Text block or HEX frame: the device is there and identifies
 * itself). While waiting, the presence check goes on every `presenceIntervalMs`: when the path
 * comes back after it was gone — a replugged cable, a USB hub that browned out — the port is
 * opened at once, whatever the back-off had grown to. A path that never went away (a port
 * busy with another program) keeps the back-off, so nothing is hammered.
 *
 * Why silence reopens the port: after a kernel USB reset a descriptor can stay "open" and
 * deliver nothing forever; only reopening helps. Silence is measured in *valid* units, so a
 * line delivering only noise is reopened too.
 *
 * Every stream callback checks that it comes from the current stream (a late `close` of a
 * stream already given up must not tear down its successor), every error and rejection is
 * handled here (a failing open never throws out of a timer or an event handler), and each
 * distinct failure is logged once, not on every retry.
 */

import type { SerialPortStream } from '@serialport/stream';
import { systemClock, type Clock, type TimerHandle } from '../clock';
import { VeError } from '../errors';
import { Framer, type FramerEvent, type FramerStats } from '../protocol/framer';
import { Listeners, type Remover } from './listeners';
import { safeLogger, type LinkLogger } from './log';
import type { PortFactory } from './serial-stream';
import { serialError, silenceError, type LinkFailure } from './serial-error';

export interface BackoffOptions {
  /** First delay after a failure. */
  readonly initialMs?: number;
  /** The delay doubles per failure up to this. */
  readonly maxMs?: number;
}

/**
 * Whether the path still names the device that was opened: a token for it (any string that
 * changes when another device takes the name), or null when the path is gone.
 */
export type PresenceCheck = (path: string) => Promise<string | null>;

export interface ConnectionOptions {
  readonly portFactory: PortFactory;
  /**
   * Checked every `presenceIntervalMs` while open and while waiting to reopen. A pty whose
   * other end went away, and some USB drivers after an unplug, never report an error: the read
   * just returns nothing, for ever. The path vanishing (or naming a new device) is the sign;
   * its coming back is the sign to reopen at once.
   */
  readonly presence?: PresenceCheck;
  readonly presenceIntervalMs?: number;
  readonly clock?: Clock;
  /** Reopen the port when no valid unit arrived for this long while open. */
  readonly silenceMs?: number;
  readonly backoff?: BackoffOptions;
  readonly log?: LinkLogger;
}

export const DEFAULT_SILENCE_MS = 15_000;
export const DEFAULT_PRESENCE_INTERVAL_MS = 1_000;
export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 1_000, maxMs: 30_000 };
/** A close that hangs (a wedged driver) must not hold up a redeploy. */
const CLOSE_TIMEOUT_MS = 3_000;

export type ConnectionState =
  | { readonly kind: 'closed' }
  | { readonly kind: 'opening'; readonly attempt: number }
  | { readonly kind: 'open'; readonly since: number }
  | {
      readonly kind: 'reconnecting';
      readonly failure: LinkFailure;
      /** What went wrong, as a VeError (VE_PORT_CLOSED, VE_PORT_BUSY); `details.reason` is short. */
      readonly error: VeError;
      /** Consecutive failures so far. */
      readonly attempt: number;
      readonly delayMs: number;
      /** Clock time of the next open attempt. */
      readonly retryAt: number;
    }
  | { readonly kind: 'closing' };

export type ConnectionStateKind = ConnectionState['kind'];

export interface ConnectionEvents {
  state: ConnectionState;
  /** Every unit the framer completed: valid Text blocks and HEX frames, and rejects. */
  unit: FramerEvent;
}

export interface ConnectionStats extends FramerStats {
  /** Successful opens after the first (each one followed a failure). */
  reconnects: number;
  /** Times an open port was lost (unplug, port error, silence). */
  drops: number;
  /** Failed open attempts. */
  openFailures: number;
}

const ALLOWED: Readonly<Record<ConnectionStateKind, readonly ConnectionStateKind[]>> = {
  closed: ['opening'],
  opening: ['open', 'reconnecting', 'closing'],
  open: ['reconnecting', 'closing'],
  reconnecting: ['opening', 'closing'],
  closing: ['closed'],
};

export class Connection {
  readonly path: string;
  private readonly factory: PortFactory;
  private readonly clock: Clock;
  private readonly silenceMs: number;
  private readonly presence: PresenceCheck | undefined;
  private readonly presenceIntervalMs: number;
  private presenceTimer: TimerHandle | undefined;
  /** The presence token of the device the current stream opened. */
  private presenceToken: string | null | undefined;
  /** While reconnecting: the path was seen gone (or naming another device) since the port was lost. */
  private pathGone = false;
  /** While reconnecting: the presence look in flight belongs to this wait (older ones are ignored). */
  private waitGeneration = 0;
  private readonly backoff: Required<BackoffOptions>;
  private readonly log: LinkLogger;
  private readonly framer = new Framer();
  private readonly events: Listeners<ConnectionEvents>;

  private current: ConnectionState = { kind: 'closed' };
  private stream: SerialPortStream | undefined;
  private streamRemovers: Remover[] = [];
  /** Incremented per open attempt: callbacks of older attempts are ignored. */
  private generation = 0;
  /** Settles when the open call in flight has called back (never rejects). */
  private openInFlight: Promise<void> | undefined;
  private retryTimer: TimerHandle | undefined;
  private silenceTimer: TimerHandle | undefined;
  private closePromise: Promise<void> | undefined;
  private failures = 0;
  private openedAt = 0;
  private lastValidAt = 0;
  private everOpened = false;
  private lastLogged = '';
  private readonly counts = { reconnects: 0, drops: 0, openFailures: 0 };

  constructor(path: string, options: ConnectionOptions) {
    this.path = path;
    this.factory = options.portFactory;
    this.clock = options.clock ?? systemClock;
    this.silenceMs = options.silenceMs ?? DEFAULT_SILENCE_MS;
    this.presence = options.presence;
    this.presenceIntervalMs = options.presenceIntervalMs ?? DEFAULT_PRESENCE_INTERVAL_MS;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.log = safeLogger(options.log);
    this.events = new Listeners<ConnectionEvents>((err, event) =>
      this.log.warn(`${this.path}: a "${event}" listener failed: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** True while a Text block or HEX frame is partly received: requests wait for its end. */
  get receiving(): boolean {
    return this.current.kind === 'open' && this.framer.busy;
  }

  /** Clock time of the last valid unit (Text block or HEX frame), 0 before the first. */
  get lastValidUnitAt(): number {
    return this.lastValidAt;
  }

  get stats(): ConnectionStats {
    const s = this.framer.stats;
    return { ...s, errors: { ...s.errors }, ...this.counts };
  }

  on<K extends keyof ConnectionEvents>(event: K, fn: (value: ConnectionEvents[K]) => void): Remover {
    return this.events.on(event, fn);
  }

  /**
   * Start owning the port: open it now and keep it open until `close()`. Never throws and
   * never rejects: failures show in `state` and are retried. `after`: wait for this first
   * (a previous owner of the same device still closing it).
   */
  open(after?: Promise<unknown>): void {
    if (this.current.kind !== 'closed' || this.closePromise) return;
    this.failures = 0;
    if (after) {
      // Shown as opening while the predecessor closes; its outcome does not matter.
      this.transition({ kind: 'opening', attempt: 1 });
      const generation = ++this.generation;
      after.then(
        () => this.startOpen(generation),
        () => this.startOpen(generation),
      );
      return;
    }
    this.transition({ kind: 'opening', attempt: 1 });
    this.startOpen(++this.generation);
  }

  /** Write bytes to the open port; rejects with VE_PORT_CLOSED when it is not open. */
  write(bytes: Uint8Array): Promise<void> {
    const stream = this.stream;
    if (this.current.kind !== 'open' || stream === undefined) return Promise.reject(this.notOpenError());
    return new Promise((resolve, reject) => {
      try {
        stream.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), (err) => {
          // A failed write also closes the stream (serialport reports a disconnect); the close
          // handler reconnects. Here only the caller learns of it.
          if (err) reject(serialError(this.path, 'lost', err));
          else resolve();
        });
      } catch (err) {
        reject(serialError(this.path, 'lost', err));
      }
    });
  }

  /** Why requests cannot be written now (for the HEX client's refusals). */
  notOpenError(): VeError {
    const s = this.current;
    if (s.kind === 'reconnecting') {
      const seconds = Math.max(0, Math.ceil((s.retryAt - this.clock.now()) / 1000));
      return new VeError('VE_PORT_CLOSED', `${this.path} is not connected (${String(s.error.details.reason ?? s.error.message)}); retrying in ${seconds} s`, {
        path: this.path,
        reason: s.error.details.reason,
      });
    }
    return new VeError('VE_PORT_CLOSED', `${this.path} is not open (${s.kind})`, { path: this.path, reason: s.kind });
  }

  /**
   * Stop owning the port: cancel every timer, close the stream, end in `closed`. Resolves once
   * the stream is closed (or a close that hangs was given up on); never rejects.
   */
  close(): Promise<void> {
    this.closePromise ??= this.doClose().finally(() => {
      this.closePromise = undefined;
    });
    return this.closePromise;
  }

  // ─── internals ────────────────────────────────────────────────────────────────────────────

  private transition(next: ConnectionState): void {
    const from = this.current.kind;
    if (!ALLOWED[from].includes(next.kind)) {
      // A programming error, not a runtime condition: say so loudly but keep running.
      this.log.warn(`${this.path}: ignored connection state change ${from} → ${next.kind}`);
      return;
    }
    this.current = next;
    this.events.emit('state', next);
  }

  private startOpen(generation: number): void {
    if (generation !== this.generation || this.current.kind !== 'opening') return;
    let stream: SerialPortStream;
    try {
      stream = this.factory(this.path);
    } catch (err) {
      this.openFailed(err);
      return;
    }
    // Kept for the stream's whole life: an 'error' event without a listener would be thrown.
    stream.on('error', (err: Error) => this.onStreamError(stream, err));
    let settle: () => void = () => undefined;
    this.openInFlight = new Promise<void>((resolve) => (settle = resolve));
    try {
      stream.open((err) => {
        this.openInFlight = undefined;
        try {
          this.opened(stream, generation, err);
        } finally {
          settle();
        }
      });
    } catch (err) {
      this.openInFlight = undefined;
      settle();
      this.openFailed(err);
    }
  }

  private opened(stream: SerialPortStream, generation: number, err: Error | null): void {
    if (generation !== this.generation || this.current.kind !== 'opening') {
      // close() was called meanwhile: doClose() waits for this callback, then closes it.
      if (!err) this.stream = stream;
      return;
    }
    if (err) {
      this.openFailed(err);
      return;
    }
    this.stream = stream;
    this.streamRemovers = [
      listen(stream, 'data', (chunk: Buffer) => this.onData(stream, chunk)),
      listen(stream, 'close', (closeErr: Error | null) => this.onStreamClose(stream, closeErr)),
    ];
    this.framer.reset();
    const now = this.clock.now();
    this.openedAt = now;
    if (this.everOpened) this.counts.reconnects++;
    this.everOpened = true;
    this.pathGone = false;
    this.lastLogged = '';
    this.log.info(`${this.path}: opened at 19200 baud`);
    this.armSilenceTimer(this.silenceMs);
    this.presenceToken = undefined;
    this.checkPresence(stream);
    this.transition({ kind: 'open', since: now });
  }

  private openFailed(err: unknown): void {
    this.counts.openFailures++;
    const error = serialError(this.path, 'open-failed', err);
    // "No such device": gone as surely as a presence look that found nothing.
    if (error.details.reasonKey === 'not-found') this.pathGone = true;
    this.scheduleRetry('open-failed', error);
  }

  private onData(stream: SerialPortStream, chunk: Buffer): void {
    if (stream !== this.stream || this.current.kind !== 'open') return;
    let units: FramerEvent[];
    try {
      units = this.framer.push(chunk);
    } catch (err) {
      // The framer is pure and total; this guards the runtime against a bug all the same.
      this.log.warn(`${this.path}: framer failed: ${err instanceof Error ? err.message : String(err)}`);
      this.framer.reset();
      return;
    }
    for (const unit of units) {
      if (unit.kind !== 'frame-error') {
        this.lastValidAt = this.clock.now();
        // Open, and the device identified itself with a checksummed unit: the link works, so
        // the next failure starts the back-off over.
        this.failures = 0;
      }
      this.events.emit('unit', unit);
      // A listener may have closed the connection.
      if (stream !== this.stream) return;
    }
  }

  private onStreamClose(stream: SerialPortStream, err: Error | null): void {
    if (stream !== this.stream || this.current.kind !== 'open') return;
    this.drop('lost', serialError(this.path, 'lost', err ?? new Error('port closed')));
  }

  private onStreamError(stream: SerialPortStream, err: Error): void {
    if (stream !== this.stream || this.current.kind !== 'open') return;
    this.drop('lost', serialError(this.path, 'lost', err));
  }

  /** Look whether the path still names the opened device; again every presenceIntervalMs. */
  private checkPresence(stream: SerialPortStream): void {
    const presence = this.presence;
    if (!presence) return;
    this.presenceTimer = undefined;
    presence(this.path).then(
      (token) => {
        if (stream !== this.stream || this.current.kind !== 'open') return;
        if (token === null) {
          this.pathGone = true;
          this.drop('lost', serialError(this.path, 'lost', new Error('device disconnected (the path is gone)')));
          return;
        }
        if (this.presenceToken === undefined) this.presenceToken = token;
        else if (token !== this.presenceToken) {
          // Another device already sits behind the path: it is "back" at the next look.
          this.pathGone = true;
          this.drop('lost', serialError(this.path, 'lost', new Error('device disconnected (the path now names another device)')));
          return;
        }
        this.presenceTimer = this.clock.setTimeout(() => this.checkPresence(stream), this.presenceIntervalMs);
      },
      () => {
        // Could not look (a permission quirk): keep the port, look again later.
        if (stream === this.stream && this.current.kind === 'open') {
          this.presenceTimer = this.clock.setTimeout(() => this.checkPresence(stream), this.presenceIntervalMs);
        }
      },
    );
  }

  private armSilenceTimer(ms: number): void {
    this.silenceTimer?.cancel();
    this.silenceTimer = this.clock.setTimeout(() => this.checkSilence(), ms);
  }

  private checkSilence(): void {
    this.silenceTimer = undefined;
    if (this.current.kind !== 'open') return;
    const silentMs = this.clock.now() - Math.max(this.openedAt, this.lastValidAt);
    if (silentMs >= this.silenceMs) this.drop('silence', silenceError(this.path, silentMs));
    else this.armSilenceTimer(this.silenceMs - silentMs);
  }

  /** Give up the open stream and schedule a reopen. */
  private drop(failure: LinkFailure, error: VeError): void {
    const stream = this.detach();
    this.counts.drops++;
    if (stream?.isOpen) closeQuietly(stream);
    this.scheduleRetry(failure, error);
  }

  /**
   * While reconnecting: look at the path every presenceIntervalMs; once it is back after being
   * gone, reopen now instead of at the end of the back-off.
   */
  private watchPath(wait: number): void {
    const presence = this.presence;
    if (!presence) return;
    this.presenceTimer = this.clock.setTimeout(() => {
      this.presenceTimer = undefined;
      if (wait !== this.waitGeneration || this.current.kind !== 'reconnecting') return;
      presence(this.path).then(
        (token) => {
          if (wait !== this.waitGeneration || this.current.kind !== 'reconnecting') return;
          if (token === null) this.pathGone = true;
          else if (this.pathGone || (this.presenceToken !== undefined && this.presenceToken !== null && token !== this.presenceToken)) {
            // Back, or a new device node (replugged between two looks): a replug starts the
            // back-off over, so an open refused while udev still sets permissions is retried in 1 s.
            this.log.info(`${this.path}: the device is back; reopening now`);
            this.failures = 0;
            this.reopenNow();
            return;
          }
          this.watchPath(wait);
        },
        () => {
          // Could not look: the back-off timer still reopens.
          if (wait === this.waitGeneration && this.current.kind === 'reconnecting') this.watchPath(wait);
        },
      );
    }, this.presenceIntervalMs);
  }

  private reopenNow(): void {
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    this.presenceTimer?.cancel();
    this.presenceTimer = undefined;
    this.waitGeneration++;
    this.pathGone = false;
    this.transition({ kind: 'opening', attempt: this.failures + 1 });
    this.startOpen(++this.generation);
  }

  private detach(): SerialPortStream | undefined {
    const stream = this.stream;
    for (const remove of this.streamRemovers) remove();
    this.streamRemovers = [];
    this.stream = undefined;
    this.silenceTimer?.cancel();
    this.silenceTimer = undefined;
    this.presenceTimer?.cancel();
    this.presenceTimer = undefined;
    return stream;
  }

  private scheduleRetry(failure: LinkFailure, error: VeError): void {
    this.failures++;
    const delayMs = Math.min(this.backoff.initialMs * 2 ** (this.failures - 1), this.backoff.maxMs);
    if (error.message !== this.lastLogged) {
      this.lastLogged = error.message;
      this.log.warn(`${error.message}; retrying in ${formatDelay(delayMs)}`);
    }
    this.retryTimer?.cancel();
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (this.current.kind !== 'reconnecting') return;
      this.reopenNow();
    }, delayMs);
    this.presenceTimer?.cancel();
    this.presenceTimer = undefined;
    const wait = ++this.waitGeneration;
    this.transition({ kind: 'reconnecting', failure, error, attempt: this.failures, delayMs, retryAt: this.clock.now() + delayMs });
    this.watchPath(wait);
  }

  private async doClose(): Promise<void> {
    if (this.current.kind === 'closed') return;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    this.presenceTimer?.cancel();
    this.presenceTimer = undefined;
    this.waitGeneration++;
    this.generation++;
    this.transition({ kind: 'closing' });
    // An open that never calls back (a wedged driver) must not hold the close up for ever.
    if (this.openInFlight) await withTimeout(this.openInFlight, this.clock, CLOSE_TIMEOUT_MS);
    const stream = this.detach();
    if (stream?.isOpen) await closeStream(stream, this.clock);
    this.transition({ kind: 'closed' });
  }
}

function listen<A extends unknown[]>(stream: SerialPortStream, event: string, fn: (...args: A) => void): Remover {
  const handler = (...args: unknown[]): void => fn(...(args as A));
  stream.on(event, handler);
  return () => {
    stream.removeListener(event, handler);
  };
}

/** Close, ignoring the outcome (a pty answers EIO once its other side is gone). */
function closeQuietly(stream: SerialPortStream): void {
  try {
    stream.close(() => undefined);
  } catch {
    // Already closing or closed: nothing left to release.
  }
}

function withTimeout(promise: Promise<void>, clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = clock.setTimeout(resolve, ms);
    void promise.then(() => {
      timer.cancel();
      resolve();
    });
  });
}

/** Close and wait for it, but not forever. */
function closeStream(stream: SerialPortStream, clock: Clock): Promise<void> {
  return new Promise((resolve) => {
    const timer = clock.setTimeout(resolve, CLOSE_TIMEOUT_MS);
    const done = (): void => {
      timer.cancel();
      resolve();
    };
    try {
      stream.close(done);
    } catch {
      done();
    }
  });
}

function formatDelay(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}
