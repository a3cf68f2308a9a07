/**
 * HexClient: the HEX request/response discipline of one port — a bounded FIFO, one request
 * in flight, a timeout and a retry per request, and replies matched to the request they
 * answer. Bytes it writes: `:<cmd><payload><check>\n` frames from the HEX codec; frames it
 * reads: the port's valid HEX frames, handed in by the owner through `handleFrame`.
 *
 * Matching (BlueSolar HEX protocol MPPT §1, BMV-7xx HEX protocol §1; field experience):
 * - Get and Set replies match by response command *and* register id. A reply that arrives
 *   after its request timed out therefore never passes for the answer to the next request
 *   (go-victron retries blindly on a mismatch; krahabb's component reports "unexpected").
 *   Within one register: the late echo of a Set that got no reply is recognised by its value
 *   and not taken for the answer to the next Set of that register; a late Get reply of the
 *   same register is a real (slightly older) value and is taken.
 * - Ping is answered by response 5; App version and Product id by response 1 (Done).
 * - `:A` async frames are never an answer: they go to the `async` listeners (the register
 *   cache). MPPTs from fw 1.17 send them for two minutes after any HEX traffic.
 * - `:4AAAA` (the device could not parse a frame) fails the request in flight, after its
 *   retry if it has one: the device did not act on what it could not read.
 * - `:3` (unknown command) naming the command in flight fails it with VE_UNKNOWN_COMMAND.
 * - Flags in a Get/Set reply become errors: 0x01 VE_UNKNOWN_ID, 0x02 VE_NOT_SUPPORTED, 0x04
 *   VE_PARAMETER with the value the device used instead (it clamps and says so only by echo).
 *   A Set echoing another value than the one sent is VE_ECHO_MISMATCH.
 * - Refusals are final, not retried ("as it will not change"); only silence is retried. The
 *   caller turns retries off for writes that must never happen twice (flash-backed settings).
 *
 * A link that carries no HEX: many network relays pass only device → host, and a few devices
 * speak only Text. When, on a connection that has not answered yet, `noHexAfter` attempts in a
 * row get no reply while Text keeps arriving, the client says so (`hexLink` event, `carriesHex` false): every request is refused at once
 * with VE_NO_HEX instead of timing out one by one, and a ping goes out every `noHexProbeMs`
 * (30 s); any HEX reply — to that ping or to anything — clears it. A reconnect starts afresh.
 *
 * Pacing (VE.Direct community answer "wait for an answer before sending a new command";
 * OpenDTU: with 50 ms between commands none was lost): a request goes out only after
 * `minGapMs` since the previous transaction ended, and not while a Text block is arriving
 * (bounded by `maxTextWaitMs`), so Text keeps flowing and old firmware is not hurried.
 */

import { systemClock, type Clock, type TimerHandle } from '../clock';
import { VeError } from '../errors';
import { findRegister, formatRegisterId } from '../protocol/catalog/registers';
import {
  Command,
  Flag,
  FRAME_ERROR_CODE,
  appVersionFrame,
  decodeVersionWord,
  getFrame,
  interpretResponse,
  pingFrame,
  productIdFrame,
  setFrame,
  toUpperHex,
  type FirmwareVersion,
  type HexFrame,
  type HexResponse,
} from '../protocol/hex-codec';
import { decodeRegisterValue } from '../protocol/value-codec';
import type { ConnectionStateKind } from './connection';
import { Listeners, type Remover } from './listeners';

/** What the client needs of the connection below it. */
export interface HexLink {
  readonly state: { readonly kind: ConnectionStateKind };
  /** True while a Text block or HEX frame is partly received. */
  readonly receiving: boolean;
  write(bytes: Uint8Array): Promise<void>;
  /** The error for a request refused because the link is down. */
  notOpenError(): VeError;
}

export interface HexClientOptions {
  readonly clock?: Clock;
  /** Wait this long for each attempt's reply. */
  readonly requestTimeoutMs?: number;
  /** Send again this many times after a timeout (per request; writes may turn it off). */
  readonly retries?: number;
  /** Requests that may wait behind the one in flight; more are refused with VE_QUEUE_FULL. */
  readonly queueLimit?: number;
  /** Quiet time between the end of one transaction and the next request. */
  readonly minGapMs?: number;
  /** Longest wait for a Text block in progress to end before sending anyway. */
  readonly maxTextWaitMs?: number;
  /** Unanswered attempts in a row, with Text arriving meanwhile, that mean "no HEX on this link". */
  readonly noHexAfter?: number;
  /** While no HEX is carried, ping this often to notice when it is again. */
  readonly noHexProbeMs?: number;
}

export const HEX_CLIENT_DEFAULTS = {
  requestTimeoutMs: 1000,
  retries: 1,
  queueLimit: 32,
  minGapMs: 50,
  maxTextWaitMs: 150,
  noHexAfter: 3,
  noHexProbeMs: 30_000,
} as const;

/** How often a request waiting for a Text block to end looks again. */
const TEXT_WAIT_POLL_MS = 10;
/** How long a Set that got no reply is remembered, so its late echo is not taken for another's. */
const ABANDONED_SET_MS = 10_000;
const ABANDONED_SET_LIMIT = 8;

export interface RequestOptions {
  readonly timeoutMs?: number;
  readonly retries?: number;
  /** Send even on a link known to carry no HEX (the client's own check whether it does again). */
  readonly probe?: boolean;
}

export type RegisterReplyType = 'get' | 'set' | 'async';

/** A Get, Set or Async reply as received. */
export interface RegisterReply {
  readonly type: RegisterReplyType;
  readonly register: number;
  readonly flags: number;
  /** Value bytes as sent, little-endian. */
  readonly value: Uint8Array;
  /** The frame as received, `:` included, `\n` excluded. */
  readonly frame: string;
  /** Clock time of arrival. */
  readonly at: number;
}

export interface UnmatchedReply {
  readonly frame: string;
  readonly response: HexResponse;
  readonly at: number;
}

export interface HexClientEvents {
  /** An `:A` frame: a register value the device sent on its own. */
  async: RegisterReply;
  /** A Get or Set reply that answered a request (flags may be set). */
  reply: RegisterReply;
  /** A reply no request was waiting for (late, after a timeout), or a stray error frame. */
  unmatched: UnmatchedReply;
  /** Whether the link carries HEX changed: false after unanswered requests, true at a reply. */
  hexLink: boolean;
}

export interface HexClientCounters {
  /** Requests accepted into the queue. */
  requests: number;
  /** Requests answered without error. */
  completed: number;
  /** Requests that ended in an error (timeout, refusal, port closed, …). */
  failed: number;
  /** Requests refused because the queue was full. */
  queueFull: number;
  /** Attempts that got no reply in time (a request with one retry can count twice). */
  timeouts: number;
  /** Attempts sent again after a timeout or a frame-error reply. */
  retries: number;
  /** Replies no request was waiting for. */
  unmatchedReplies: number;
  /** `:4` error frames received. */
  deviceErrors: number;
  asyncFrames: number;
  /** Requests refused at once because the link carries no HEX. */
  noHex: number;
}

type RequestKind = 'ping' | 'app-version' | 'product-id' | 'get' | 'set';

interface Pending {
  readonly kind: RequestKind;
  readonly command: number;
  readonly register: number | undefined;
  /** The value of a Set, to check the echo. */
  readonly value: Uint8Array | undefined;
  /** The frame to send, `\n` excluded. */
  readonly frame: string;
  readonly timeoutMs: number;
  retriesLeft: number;
  timer: TimerHandle | undefined;
  resolve(reply: { response: HexResponse; frame: string; at: number }): void;
  reject(err: VeError): void;
}

export class HexClient {
  readonly counters: HexClientCounters = {
    requests: 0,
    completed: 0,
    failed: 0,
    queueFull: 0,
    timeouts: 0,
    retries: 0,
    unmatchedReplies: 0,
    deviceErrors: 0,
    asyncFrames: 0,
    noHex: 0,
  };

  private readonly link: HexLink;
  private readonly clock: Clock;
  private readonly options: Required<Omit<HexClientOptions, 'clock'>>;
  private readonly events: Listeners<HexClientEvents>;
  private readonly queue: Pending[] = [];
  private inFlight: Pending | undefined;
  private paceTimer: TimerHandle | undefined;
  /** Clock time the previous transaction ended (reply, timeout or failure). */
  private lastEndAt = -Infinity;
  /** When the head of the queue began waiting for a Text block to end. */
  private textWaitSince: number | undefined;
  private closed = false;
  /**
   * Sets given up on (no reply): a late echo of one of them, arriving while another Set of the
   * same register waits, carries the old value and is not that Set's answer.
   */
  private abandonedSets: Array<{ register: number; value: Uint8Array; at: number }> = [];
  /** Attempts in a row that got no reply, since the last HEX reply or reconnect. */
  private unanswered = 0;
  /** A Text block arrived while those attempts went unanswered: the line itself works. */
  private textWhileUnanswered = false;
  /** Known not to carry HEX (see the header); null: no reply seen yet, true: replies seen. */
  private hex: boolean | null = null;
  private noHexProbe: TimerHandle | undefined;

  constructor(link: HexLink, options: HexClientOptions = {}, onListenerError?: (err: unknown, event: string) => void) {
    this.link = link;
    this.clock = options.clock ?? systemClock;
    this.options = {
      requestTimeoutMs: options.requestTimeoutMs ?? HEX_CLIENT_DEFAULTS.requestTimeoutMs,
      retries: options.retries ?? HEX_CLIENT_DEFAULTS.retries,
      queueLimit: options.queueLimit ?? HEX_CLIENT_DEFAULTS.queueLimit,
      minGapMs: options.minGapMs ?? HEX_CLIENT_DEFAULTS.minGapMs,
      maxTextWaitMs: options.maxTextWaitMs ?? HEX_CLIENT_DEFAULTS.maxTextWaitMs,
      noHexAfter: options.noHexAfter ?? HEX_CLIENT_DEFAULTS.noHexAfter,
      noHexProbeMs: options.noHexProbeMs ?? HEX_CLIENT_DEFAULTS.noHexProbeMs,
    };
    this.events = new Listeners<HexClientEvents>(onListenerError);
  }

  on<K extends keyof HexClientEvents>(event: K, fn: (value: HexClientEvents[K]) => void): Remover {
    return this.events.on(event, fn);
  }

  /**
   * Whether the link carries HEX: null until a reply (or the lack of replies) showed it, true
   * once a HEX reply arrived, false after `noHexAfter` unanswered attempts while Text arrived.
   */
  get carriesHex(): boolean | null {
    return this.hex;
  }

  /** Requests waiting plus the one in flight. */
  get depth(): number {
    return this.queue.length + (this.inFlight ? 1 : 0);
  }

  /** Ping (`:1`): the firmware version and type (a bootloader answers too). */
  async ping(options?: RequestOptions): Promise<FirmwareVersion> {
    const { response } = await this.enqueue('ping', Command.Ping, pingFrame(), undefined, undefined, options);
    if (response.type !== 'ping') throw unexpected(response);
    return response.firmware;
  }

  /** App version (`:3`): the version word "as stored in the header". */
  async appVersion(options?: RequestOptions): Promise<FirmwareVersion> {
    const { response, frame } = await this.enqueue('app-version', Command.AppVersion, appVersionFrame(), undefined, undefined, options);
    if (response.type !== 'done' || response.data.length < 2) throw badReply('app version', frame);
    return decodeVersionWord(un16(response.data));
  }

  /** Product id (`:4`): the un16 id; the 0x0100 register is byte-swapped on some MPPT builds. */
  async productId(options?: RequestOptions): Promise<number> {
    const { response, frame } = await this.enqueue('product-id', Command.ProductId, productIdFrame(), undefined, undefined, options);
    if (response.type !== 'done' || response.data.length < 2) throw badReply('product id', frame);
    return un16(response.data);
  }

  /** Get (`:7`): the register's value bytes; flags other than 0 reject with a typed error. */
  async get(register: number, options?: RequestOptions): Promise<RegisterReply> {
    const reply = await this.registerRequest('get', register, undefined, options);
    if (reply.flags !== 0) throw flagError(reply, 'read');
    return reply;
  }

  /**
   * Set (`:8`): write value bytes and check the echo — flags 0, same value — else a typed
   * error. Pass `retries: 0` for writes that must not be repeated after a lost reply.
   */
  async set(register: number, value: Uint8Array, options?: RequestOptions): Promise<RegisterReply> {
    const reply = await this.registerRequest('set', register, value, options);
    if (reply.flags !== 0) throw flagError(reply, 'write');
    if (!sameBytes(reply.value, value)) {
      const def = findRegister(register);
      throw new VeError(
        'VE_ECHO_MISMATCH',
        `${describeRegister(register)}: wrote ${toUpperHex(value) || '(no data)'} but the device answered ${toUpperHex(reply.value) || '(no data)'}`,
        { register: formatRegisterId(register), id: register, sent: toUpperHex(value), echoed: toUpperHex(reply.value), echoedValue: safeDecode(def, reply.value), frame: reply.frame },
      );
    }
    return reply;
  }

  /** Take one valid HEX frame from the port. */
  handleFrame(frame: HexFrame, text: string): void {
    const at = this.clock.now();
    const response = interpretResponse(frame);
    if (response.type === 'async') {
      this.counters.asyncFrames++;
      this.events.emit('async', { type: 'async', register: response.register, flags: response.flags, value: response.value, frame: text, at });
      return;
    }
    // Any reply proves the host's bytes reach the device (an async frame does not: it may
    // come from HEX traffic of long ago).
    this.hexAnswered();
    const p = this.inFlight;
    if (response.type === 'error') this.counters.deviceErrors++;
    if (p && answers(p, response) && !this.isAbandonedEcho(p, response, at)) {
      this.complete(p, { response, frame: text, at });
      return;
    }
    if (p && response.type === 'error') {
      this.deviceError(p, response.code, text);
      return;
    }
    if (p && response.type === 'unknown-command' && response.data[0] === p.command) {
      this.fail(p, new VeError('VE_UNKNOWN_COMMAND', `the device does not know HEX command ${p.command} (${p.frame})`, { command: p.command, frame: text }));
      return;
    }
    this.counters.unmatchedReplies++;
    this.events.emit('unmatched', { frame: text, response, at });
  }

  /**
   * A unit ended (a Text block completed): a request waiting for the line to be quiet may go.
   * `kind` tells a Text block from other units (for the no-HEX detection).
   */
  unitEnded(kind?: 'text-block' | 'hex-frame' | 'frame-error'): void {
    if (kind === 'text-block' && this.unanswered > 0) this.textWhileUnanswered = true;
    if (this.textWaitSince !== undefined && !this.link.receiving) {
      this.paceTimer?.cancel();
      this.paceTimer = undefined;
      this.pump();
    }
  }

  /** The connection changed state: send when it opened, refuse everything when it went down. */
  linkChanged(): void {
    const kind = this.link.state.kind;
    if (kind === 'open') this.pump();
    else if (kind !== 'opening') {
      // Another connection may carry HEX (a relay restarted with other settings, a new cable).
      this.resetHexLink();
      this.rejectAll(this.link.notOpenError());
    }
  }

  /** Refuse everything pending and every later request (the port is being closed). */
  close(): void {
    this.closed = true;
    this.noHexProbe?.cancel();
    this.noHexProbe = undefined;
    this.rejectAll(new VeError('VE_PORT_CLOSED', 'the port was closed', { reason: 'closed' }));
  }

  // ─── internals ────────────────────────────────────────────────────────────────────────────

  private registerRequest(kind: 'get' | 'set', register: number, value: Uint8Array | undefined, options?: RequestOptions): Promise<RegisterReply> {
    let frame: string;
    try {
      frame = kind === 'get' ? getFrame(register) : setFrame(register, value ?? new Uint8Array(0));
    } catch (err) {
      return Promise.reject(err);
    }
    return this.enqueue(kind, kind === 'get' ? Command.Get : Command.Set, frame, register, value, options).then(({ response, frame: text, at }) => {
      if (response.type !== 'get' && response.type !== 'set') throw unexpected(response);
      return { type: response.type, register: response.register, flags: response.flags, value: response.value, frame: text, at };
    });
  }

  private enqueue(
    kind: RequestKind,
    command: number,
    frame: string,
    register: number | undefined,
    value: Uint8Array | undefined,
    options: RequestOptions | undefined,
  ): Promise<{ response: HexResponse; frame: string; at: number }> {
    if (this.closed) return Promise.reject(new VeError('VE_PORT_CLOSED', 'the port was closed', { reason: 'closed' }));
    const linkKind = this.link.state.kind;
    if (linkKind !== 'open' && linkKind !== 'opening') return Promise.reject(this.link.notOpenError());
    if (this.hex === false && !(options?.probe ?? false)) {
      this.counters.noHex++;
      return Promise.reject(this.noHexError(frame));
    }
    if (this.queue.length >= this.options.queueLimit) {
      this.counters.queueFull++;
      return Promise.reject(
        new VeError(
          'VE_QUEUE_FULL',
          `HEX request queue full (${this.queue.length} waiting behind ${this.inFlight ? 'one in flight' : 'none'}): requests arrive faster than the device answers`,
          { queueLimit: this.options.queueLimit, frame },
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.counters.requests++;
      this.queue.push({
        kind,
        command,
        register,
        value,
        frame,
        timeoutMs: options?.timeoutMs ?? this.options.requestTimeoutMs,
        retriesLeft: Math.max(0, options?.retries ?? this.options.retries),
        timer: undefined,
        resolve,
        reject,
      });
      this.pump();
    });
  }

  /** Send the head of the queue if nothing is in flight and pacing allows. */
  private pump(): void {
    if (this.closed || this.inFlight || this.paceTimer || this.link.state.kind !== 'open') return;
    const head = this.queue[0];
    if (!head) return;
    const now = this.clock.now();
    const gapLeft = this.lastEndAt + this.options.minGapMs - now;
    if (gapLeft > 0) {
      this.wait(gapLeft);
      return;
    }
    if (this.link.receiving) {
      this.textWaitSince ??= now;
      const left = this.textWaitSince + this.options.maxTextWaitMs - now;
      if (left > 0) {
        this.wait(Math.min(left, TEXT_WAIT_POLL_MS));
        return;
      }
    }
    this.textWaitSince = undefined;
    this.queue.shift();
    this.send(head);
  }

  private wait(ms: number): void {
    this.paceTimer = this.clock.setTimeout(() => {
      this.paceTimer = undefined;
      this.pump();
    }, ms);
  }

  private send(p: Pending): void {
    this.inFlight = p;
    p.timer = this.clock.setTimeout(() => this.timedOut(p), p.timeoutMs);
    this.link.write(Buffer.from(p.frame + '\n', 'latin1')).catch((err: unknown) => {
      if (this.inFlight !== p) return;
      this.fail(p, err instanceof VeError ? err : new VeError('VE_PORT_CLOSED', `write failed: ${String(err)}`, { frame: p.frame }));
    });
  }

  private timedOut(p: Pending): void {
    if (this.inFlight !== p) return;
    p.timer = undefined;
    this.counters.timeouts++;
    this.unanswered++;
    // Only on a connection that has not answered yet: one that did carries HEX, and a few
    // timeouts there are a busy or sleepy device, not a one-way relay.
    if (this.hex === null && this.unanswered >= this.options.noHexAfter && this.textWhileUnanswered) {
      this.noHexDetected(p);
      return;
    }
    if (p.retriesLeft > 0) {
      this.retry(p);
      return;
    }
    if (p.kind === 'set' && p.register !== undefined && p.value !== undefined) {
      this.abandonedSets.push({ register: p.register, value: p.value, at: this.clock.now() });
      if (this.abandonedSets.length > ABANDONED_SET_LIMIT) this.abandonedSets.shift();
    }
    this.fail(
      p,
      new VeError('VE_TIMEOUT', `no reply to ${describeRequest(p)} within ${p.timeoutMs} ms`, {
        frame: p.frame,
        timeoutMs: p.timeoutMs,
        ...(p.register !== undefined ? { register: formatRegisterId(p.register), id: p.register } : {}),
      }),
    );
  }

  /** No HEX on this link: refuse what waits, tell the owner, look again now and then. */
  private noHexDetected(inFlight: Pending): void {
    this.hex = false;
    this.end(inFlight);
    this.counters.failed++;
    inFlight.reject(this.noHexError(inFlight.frame));
    for (const p of this.queue.splice(0)) {
      this.counters.failed++;
      this.counters.noHex++;
      p.reject(this.noHexError(p.frame));
    }
    this.events.emit('hexLink', false);
    this.scheduleNoHexProbe();
  }

  private scheduleNoHexProbe(): void {
    this.noHexProbe?.cancel();
    this.noHexProbe = this.clock.setTimeout(() => {
      this.noHexProbe = undefined;
      if (this.closed || this.hex !== false) return;
      if (this.link.state.kind !== 'open') {
        this.scheduleNoHexProbe();
        return;
      }
      this.enqueue('ping', Command.Ping, pingFrame(), undefined, undefined, { retries: 0, probe: true }).then(
        () => undefined,
        () => {
          if (this.hex === false) this.scheduleNoHexProbe();
        },
      );
    }, this.options.noHexProbeMs);
  }

  private hexAnswered(): void {
    this.unanswered = 0;
    this.textWhileUnanswered = false;
    if (this.hex === true) return;
    const was = this.hex;
    this.hex = true;
    this.noHexProbe?.cancel();
    this.noHexProbe = undefined;
    if (was === false) this.events.emit('hexLink', true);
  }

  private resetHexLink(): void {
    this.unanswered = 0;
    this.textWhileUnanswered = false;
    this.noHexProbe?.cancel();
    this.noHexProbe = undefined;
    this.hex = null;
  }

  private noHexError(frame: string): VeError {
    return new VeError(
      'VE_NO_HEX',
      `this link carries no HEX: ${this.unanswered} attempts went unanswered while Text arrived (a relay that passes only device → host, or a Text-only device); values come from Text only`,
      { frame, unanswered: this.unanswered },
    );
  }

  /**
   * A Set reply of the right register that echoes, not this Set's value, but exactly the value
   * of an earlier Set of that register that got no reply in time: the late answer to that one.
   * (A late Get reply cannot be told apart this way: it is a real, slightly older value.)
   */
  private isAbandonedEcho(p: Pending, response: HexResponse, at: number): boolean {
    if (p.kind !== 'set' || response.type !== 'set' || p.value === undefined) return false;
    this.abandonedSets = this.abandonedSets.filter((a) => at - a.at <= ABANDONED_SET_MS);
    if (sameBytes(response.value, p.value)) return false;
    const index = this.abandonedSets.findIndex((a) => a.register === response.register && sameBytes(a.value, response.value));
    if (index < 0) return false;
    this.abandonedSets.splice(index, 1);
    return true;
  }

  private deviceError(p: Pending, code: number, text: string): void {
    if (p.retriesLeft > 0) {
      this.retry(p);
      return;
    }
    const meaning = code === FRAME_ERROR_CODE ? 'the device could not read the request (frame error)' : `the device answered error 0x${code.toString(16).toUpperCase()}`;
    this.fail(p, new VeError('VE_DEVICE_ERROR', `${describeRequest(p)}: ${meaning}`, { code, frame: text, request: p.frame }));
  }

  /** Put the request back at the head of the queue; pacing applies to the resend too. */
  private retry(p: Pending): void {
    p.timer?.cancel();
    p.timer = undefined;
    p.retriesLeft--;
    this.counters.retries++;
    this.inFlight = undefined;
    this.lastEndAt = this.clock.now();
    this.queue.unshift(p);
    this.pump();
  }

  private complete(p: Pending, reply: { response: HexResponse; frame: string; at: number }): void {
    this.end(p);
    const { response } = reply;
    if (response.type === 'get' || response.type === 'set') {
      this.events.emit('reply', { type: response.type, register: response.register, flags: response.flags, value: response.value, frame: reply.frame, at: reply.at });
    }
    // Counted as completed here; get/set may still reject on flags, which then counts as failed.
    if ((response.type === 'get' || response.type === 'set') && response.flags !== 0) this.counters.failed++;
    else this.counters.completed++;
    p.resolve(reply);
    this.pump();
  }

  private fail(p: Pending, err: VeError): void {
    this.end(p);
    this.counters.failed++;
    p.reject(err);
    this.pump();
  }

  private end(p: Pending): void {
    p.timer?.cancel();
    p.timer = undefined;
    if (this.inFlight === p) this.inFlight = undefined;
    this.lastEndAt = this.clock.now();
  }

  private rejectAll(err: VeError): void {
    this.paceTimer?.cancel();
    this.paceTimer = undefined;
    this.textWaitSince = undefined;
    const pending = [...(this.inFlight ? [this.inFlight] : []), ...this.queue.splice(0)];
    this.inFlight = undefined;
    for (const p of pending) {
      p.timer?.cancel();
      p.timer = undefined;
      this.counters.failed++;
      p.reject(err);
    }
  }
}

function answers(p: Pending, response: HexResponse): boolean {
  switch (p.kind) {
    case 'ping':
      return response.type === 'ping';
    case 'app-version':
    case 'product-id':
      return response.type === 'done';
    case 'get':
    case 'set':
      return response.type === p.kind && response.register === p.register;
  }
}

function un16(data: Uint8Array): number {
  return (data[0] ?? 0) | ((data[1] ?? 0) << 8);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function describeRegister(register: number): string {
  const def = findRegister(register);
  return def ? `${formatRegisterId(register)} ${def.name}` : formatRegisterId(register);
}

function describeRequest(p: Pending): string {
  switch (p.kind) {
    case 'ping':
      return 'ping';
    case 'app-version':
      return 'app version request';
    case 'product-id':
      return 'product id request';
    case 'get':
      return `get ${describeRegister(p.register ?? 0)}`;
    case 'set':
      return `set ${describeRegister(p.register ?? 0)}`;
  }
}

function safeDecode(def: ReturnType<typeof findRegister>, bytes: Uint8Array): number | string | null {
  try {
    return decodeRegisterValue(def, bytes).value;
  } catch {
    return toUpperHex(bytes);
  }
}

/** The typed error for a Get/Set reply with flags set. */
export function flagError(reply: RegisterReply, action: 'read' | 'write'): VeError {
  const def = findRegister(reply.register);
  const name = describeRegister(reply.register);
  const base = { register: formatRegisterId(reply.register), id: reply.register, flags: reply.flags, raw: toUpperHex(reply.value), frame: reply.frame };
  if (reply.flags & Flag.UnknownId) {
    return new VeError('VE_UNKNOWN_ID', `${name}: the device does not have this register (unknown id)`, base);
  }
  if (reply.flags & Flag.NotSupported) {
    return new VeError('VE_NOT_SUPPORTED', `${name}: the device does not support this ${action} (not supported${action === 'write' ? ', read-only?' : ''})`, base);
  }
  if (reply.flags & Flag.ParameterError) {
    const clamped = reply.value.length > 0 ? safeDecode(def, reply.value) : null;
    const unit = def?.unit ? ` ${def.unit}` : '';
    const text =
      action === 'write'
        ? `${name}: value out of range or inconsistent (parameter error)${clamped !== null ? `; the device used ${String(clamped)}${unit} instead` : ''}`
        : `${name}: parameter error (no data for this register now)`;
    return new VeError('VE_PARAMETER', text, { ...base, clamped, unit: def?.unit ?? '' });
  }
  return new VeError('VE_DEVICE_ERROR', `${name}: the device answered with flags 0x${reply.flags.toString(16).toUpperCase()}`, base);
}

function unexpected(response: HexResponse): VeError {
  return new VeError('VE_BAD_FRAME', `unexpected reply type ${response.type}`, { type: response.type });
}

function badReply(what: string, frame: string): VeError {
  return new VeError('VE_BAD_FRAME', `malformed ${what} reply ${frame}`, { frame });
}
