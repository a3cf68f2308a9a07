/**
 * One charger, as the bridge sees it: whether it can be reached, whether it may be written to,
 * and the writes of one cycle. Everything that touches the charger goes through one task at a
 * time, so it never has two requests in flight and a slow or silent charger never gets a queue
 * of writes behind it. The parts: conflict-inspection.ts (is anyone else in control?),
 * value-decision.ts (may this value go to this charger?), write-ledger.ts (what it may be
 * using from us).
 *
 * Per cycle, in order:
 * 1. identity: an MPPT with firmware ≥ 1.29 (gating.ts), identified again after a reconnect;
 *    the current only to firmware ≥ 1.47 (the others get voltage and temperature, and the
 *    report says why not the current);
 * 2. port not delivering → `offline`, nothing sent; a charger that stopped answering is tried
 *    again once per `offlineRetryMs`, or at once when its port reconnects (no write flood at
 *    night, resumes by itself);
 * 3. before the first write, and every `conflictCheckIntervalMs`: another master? Any → 
 *    `conflict`: nothing written but the release of what the bridge itself had sent;
 * 4. every `verifyIntervalMs` while sending: 0x200F bits 7 (VSENSE) / 6 (TSENSE) / 5 (ISENSE).
 *    Acknowledged writes with the bit still clear for `verifyFailLimit` reads → the charger
 *    ignores the value: stop, release, alarm (BlueSolar HEX protocol MPPT rev 10: bits 7/6 from
 *    fw 1.26, bit 5 from 1.44);
 * 5. per due quantity, one write: the value if the decision allows it, else — once — the "not
 *    available" value if the charger had been receiving it, else nothing.
 * A refused write (flags ≠ 0, echo ≠ value sent) stops all writes to the charger and raises an
 * alarm; "unknown id" (old firmware) is final, other refusals are retried after
 * `rejectRetryMs`. Except the current refused as unknown or unsupported (a model without
 * 0x200A): then only the current stops, for as long as the device stays the same. No answer is
 * a result, not an exception: the task ends quietly and the charger is `silent` until it
 * answers again.
 */

import type { Clock } from '../clock';
import type { AlarmDraft } from './alarms';
import { EXTERNAL_CONTROL } from './charge-limit-types';
import { chargerClaims } from './charger-claims';
import { hex2, inspectCharger, type Inspection, type ReadResult } from './conflict-inspection';
import { encodeSense, type EncodedSense } from './encoding';
import { gateCharger, type ChargerGate } from './gating';
import { inferNominal, isSaneVoltage, nominalFromSetting, type Nominal, type NominalSource } from './plausibility';
import {
  CLEAR_STANDING,
  decideFollower,
  decideVoltage,
  precheck,
  stillFresh,
  type ShareValue,
  type ValueDecision,
  type VoltageFacts,
  type VoltageStanding,
} from './value-decision';
import { errorInfo, isFinalCode, isSilentCode, judgeWrite, WriteLedger, type ErrorCode, type ErrorInfo, type WriteOutcome } from './write-ledger';
import {
  CHARGER_VOLTAGE,
  QUANTITIES,
  SENSE_REGISTER,
  SYSTEM_VOLTAGE,
  type BridgeConfig,
  type ChargerReadRegister,
  type ChargerReport,
  type ChargerState,
  type ChargerTarget,
  type DeviceIdentity,
  type Quantity,
  type TimedValue,
  type WriteReport,
} from './types';

export { CHARGER_SENSE_TIMEOUT_MS } from './write-ledger';
export type { ShareValue } from './value-decision';

/** First 0x200F check after a value is newly in use: on the next cycle. */
const FIRST_VERIFY_DELAY_MS = 1000;
/** After a fault in the bridge's own code, the charger is tried again this much later. */
const INTERNAL_RETRY_MS = 60_000;

export interface CycleContext {
  readonly clock: Clock;
  readonly config: BridgeConfig;
  readonly due: ReadonlySet<Quantity>;
  /** Not due, but found invalid between its cycles: may only be released now, never written. */
  readonly releaseOnly: ReadonlySet<Quantity>;
  /** Per quantity: the value to share, or null when the quantity is not shared at all. */
  readonly values: Readonly<Record<Quantity, ShareValue | null>>;
  /** Read at each decision, so a disable takes effect even for a cycle already under way. */
  readonly enabled: () => boolean;
  readonly stopping: () => boolean;
  /** Where a fault in the bridge's own code is logged. */
  readonly logError: (message: string) => void;
}

interface Rejection {
  readonly alarm: 'CHARGER_REJECTED' | 'CHARGER_NOT_SENSING' | 'INTERNAL';
  readonly code: ErrorCode;
  readonly message: string;
  readonly retryAt: number | null;
}

/** Can the charger be reached? */
type Reach =
  | { readonly kind: 'reachable' }
  /** The port is not delivering data, or the device behind it is not identified (yet). */
  | { readonly kind: 'offline'; readonly since: number }
  /** The port delivers, but the charger does not answer (asleep at night, busy). */
  | { readonly kind: 'silent'; readonly since: number; readonly retryAt: number; readonly error: ErrorInfo };

/** May the charger be written to, as far as the checks and its answers tell? */
type Standing =
  /** The check for another master before the first write is still due. */
  | { readonly kind: 'unchecked' }
  | { readonly kind: 'clear'; readonly checkedAt: number }
  | { readonly kind: 'conflict'; readonly checkedAt: number; readonly evidence: readonly string[] }
  /** It refused a value, ignores them, or the bridge failed on it; retried at `retryAt`. */
  | { readonly kind: 'rejected'; readonly rejection: Rejection }
  /** It lacks a register the checks need: never written. */
  | { readonly kind: 'unsupported'; readonly reason: string };

/** What a step that talks to the charger ended with, when not with a value. */
type Silence = { readonly kind: 'silent'; readonly error: ErrorInfo };

export class ChargerSession {
  readonly target: ChargerTarget;
  readonly explicit: boolean;
  private identityKey: { productId: number; serial: string | null } | null = null;
  private gate: ChargerGate = { ok: false, pending: true, reason: 'not identified yet' };
  private task: Promise<WriteReport[]> | null = null;
  private ticket = 0;
  /** The last identity seen (kept while the port is away, for the report). */
  private known: DeviceIdentity | null = null;
  private reach: Reach = { kind: 'reachable' };
  private standing: Standing = { kind: 'unchecked' };
  private readonly ledger = new WriteLedger();
  /** 0xEDEF as read once per device: null before it was asked. */
  private systemSetting: { readonly nominal: Nominal | null } | null = null;
  private terminal: TimedValue | null = null;
  private voltage: VoltageStanding = CLEAR_STANDING;
  /** 0x200F as last read, and the "in use" bits from it. */
  private status: { readonly byte: number; readonly inUse: Readonly<Record<Quantity, boolean>> | null } | null = null;
  private nextVerifyAt: number | null = null;
  /** The charger refused the current as a register it does not have: why, or null. */
  private currentRefused: string | null = null;

  constructor(target: ChargerTarget, explicit: boolean) {
    this.target = target;
    this.explicit = explicit;
  }

  /** Listed in reports and counted in the status: explicit targets, and found ones that are MPPTs. */
  get listed(): boolean {
    if (this.explicit) return true;
    return this.gate.ok || (!this.gate.pending && (this.target.identity() ?? this.known)?.family === 'mppt');
  }

  /**
   * One cycle. While the charger is still busy with the previous one, this cycle waits for it
   * (a newer cycle replaces a waiting one, so nothing queues up). Returns the writes made, or
   * null when replaced or stopping.
   */
  async cycle(ctx: CycleContext): Promise<WriteReport[] | null> {
    const ticket = ++this.ticket;
    while (this.task !== null) {
      await this.task;
      if (ticket !== this.ticket) return null;
    }
    if (ctx.stopping()) return null;
    return this.run(() => this.doCycle(ctx), ctx);
  }

  /** Release whatever the charger may be using (stop, disable), after the current task. */
  async release(ctx: CycleContext): Promise<WriteReport[]> {
    while (this.task !== null) await this.task;
    return this.run(async () => {
      const writes: WriteReport[] = [];
      this.refreshIdentity();
      if (!this.gate.ok || !this.reachable() || this.reach.kind === 'silent') return writes;
      await this.releaseActive(ctx, writes);
      return writes;
    }, ctx);
  }

  /** Forget a refusal so the charger is tried again at the next cycle. */
  clearRejection(): void {
    if (this.standing.kind !== 'rejected') return;
    this.standing = { kind: 'unchecked' };
    this.ledger.resetChecks();
  }

  private run(body: () => Promise<WriteReport[]>, ctx: CycleContext): Promise<WriteReport[]> {
    const task = Promise.resolve()
      .then(body)
      .catch(async (err: unknown) => {
        // A fault in the bridge itself: stop writing to this charger rather than guess, say
        // so, and release what it may be using (that path may fail the same way: then the
        // charger's own 60 s timeout is the last resort).
        const info = errorInfo(err);
        ctx.logError(`sense bridge: ${this.target.label}: ${err instanceof Error && err.stack !== undefined ? err.stack : info.message}`);
        this.standing = { kind: 'rejected', rejection: { alarm: 'INTERNAL', code: info.code, message: `internal error: ${info.message}`, retryAt: ctx.clock.now() + INTERNAL_RETRY_MS } };
        const writes: WriteReport[] = [];
        try {
          await this.releaseActive(ctx, writes);
        } catch (again) {
          ctx.logError(`sense bridge: ${this.target.label}: release after the fault failed too: ${errorInfo(again).message}`);
        }
        return writes;
      })
      .finally(() => {
        this.task = null;
      });
    this.task = task;
    return task;
  }

  private refreshIdentity(): void {
    const identity = this.target.identity();
    if (identity === null) {
      // Keep what was known while the port reconnects; the gate waits for the identity.
      if (this.identityKey === null) this.gate = gateCharger(null);
      return;
    }
    this.known = identity;
    const previous = this.identityKey;
    // Another device only if the product or a known serial differs: a serial that becomes known
    // later must not make the bridge forget what it sent to this charger.
    if (previous !== null && (previous.productId !== identity.productId || (previous.serial !== null && identity.serial !== null && previous.serial !== identity.serial))) {
      this.forgetDevice();
    }
    this.identityKey = { productId: identity.productId, serial: identity.serial ?? previous?.serial ?? null };
    this.gate = gateCharger(identity);
  }

  /** The port delivers data and the device behind it is identified (not re-identifying). */
  private reachable(): boolean {
    return this.target.online() && this.target.identity() !== null;
  }

  /** Another device (or firmware) behind the port: start over with it. */
  private forgetDevice(): void {
    this.standing = { kind: 'unchecked' };
    this.reach = { kind: 'reachable' };
    this.systemSetting = null;
    this.voltage = CLEAR_STANDING;
    this.status = null;
    this.nextVerifyAt = null;
    this.currentRefused = null;
    this.ledger.forget();
  }

  private async doCycle(ctx: CycleContext): Promise<WriteReport[]> {
    const writes: WriteReport[] = [];
    const now = ctx.clock.now();
    this.refreshIdentity();
    if (!this.reachable()) {
      if (this.reach.kind !== 'offline') this.reach = { kind: 'offline', since: this.reach.kind === 'silent' ? this.reach.since : now };
      this.expireOwnValues(now, this.reach.since);
      return writes;
    }
    if (this.reach.kind === 'offline') {
      // Back (morning, replugged): whatever it held has timed out or was lost; check afresh.
      this.expireOwnValues(now, this.reach.since);
      this.reach = { kind: 'reachable' };
      if (this.standing.kind === 'clear' || this.standing.kind === 'conflict') this.standing = { kind: 'unchecked' };
    }
    if (!this.gate.ok || this.standing.kind === 'unsupported') return writes;
    if (this.reach.kind === 'silent') {
      this.expireOwnValues(now, this.reach.since);
      if (now < this.reach.retryAt) return writes;
    }
    if (this.standing.kind === 'rejected') {
      const { retryAt } = this.standing.rejection;
      if (retryAt === null || now < retryAt) return writes;
      this.clearRejection();
    }
    const silence = await this.inspectAndWrite(ctx, writes, now);
    if (silence !== null) this.markSilent(ctx, silence.error);
    return writes;
  }

  /** Steps 3–5 of the cycle; a Silence when the charger stopped answering on the way. */
  private async inspectAndWrite(ctx: CycleContext, writes: WriteReport[], now: number): Promise<Silence | null> {
    // Before the first write: is anyone else in control? While in conflict, checked again
    // every verifyIntervalMs. Otherwise the periodic checks follow the writes, so that the
    // writes keep their cadence.
    const s = this.standing;
    if (s.kind === 'unchecked' || (s.kind === 'conflict' && now - s.checkedAt >= ctx.config.verifyIntervalMs)) {
      const silence = await this.inspect(ctx, true);
      if (silence !== null) return silence;
    }
    if (this.standing.kind === 'unsupported') return null;
    if (this.standing.kind === 'conflict' || this.standing.kind === 'rejected') return this.releaseActive(ctx, writes);
    const wrote = await this.writeDue(ctx, writes);
    if (wrote !== 'done') return wrote === 'refused' ? null : wrote;
    const prefetched = await this.prefetchTerminal(ctx);
    if (prefetched !== null) return prefetched;
    const after = ctx.clock.now();
    const standing = this.standing as Standing;
    let silence: Silence | null = null;
    if (standing.kind === 'clear' && after - standing.checkedAt >= ctx.config.conflictCheckIntervalMs) silence = await this.inspect(ctx, true);
    else if (this.nextVerifyAt !== null && after >= this.nextVerifyAt) silence = await this.inspect(ctx, false);
    if (silence !== null) return silence;
    const k = (this.standing as Standing).kind;
    if (k === 'conflict' || k === 'rejected') return this.releaseActive(ctx, writes);
    return null;
  }

  /** One write per due quantity. 'refused' when the charger refused one (then everything was released). */
  private async writeDue(ctx: CycleContext, writes: WriteReport[]): Promise<'done' | 'refused' | Silence> {
    for (const quantity of QUANTITIES) {
      const share = ctx.values[quantity];
      const due = ctx.due.has(quantity);
      if (share === null || (!due && !ctx.releaseOnly.has(quantity))) continue;
      if (ctx.stopping()) break;
      const barred = quantity === 'current' ? this.currentBar() : null;
      if (barred !== null) {
        // Not for this charger at all: said in the report, no write, no alarm.
        this.ledger.setReason(quantity, barred);
        continue;
      }
      const decided = await this.decide(quantity, share, ctx);
      if (decided.kind === 'silent') return decided;
      if (!due && decided.kind === 'write') continue;
      // The checks may have taken a request or two: the value must still be fresh now.
      const decision = stillFresh(quantity, decided, ctx.clock.now(), ctx.config);
      let outcome: WriteOutcome;
      if (decision.kind === 'write') {
        this.ledger.setReason(quantity, null);
        outcome = await this.write(quantity, decision.encoded, decision.receivedAt, ctx, writes);
      } else {
        this.ledger.setReason(quantity, decision.reason);
        if (!this.ledger.isActive(quantity)) continue;
        outcome = await this.write(quantity, encodeSense(SENSE_REGISTER[quantity], null), null, ctx, writes);
      }
      if (outcome.kind === 'silent') return outcome;
      if (outcome.kind === 'refused') {
        // The current alone, refused as a register the charger lacks: the others go on.
        if ((this.standing as Standing).kind !== 'rejected') continue;
        const silence = await this.releaseActive(ctx, writes);
        return silence ?? 'refused';
      }
    }
    return 'done';
  }

  /** The charger can no longer be using values sent before `since` − 60 s. */
  private expireOwnValues(now: number, since: number): void {
    if (this.ledger.expire(now, since)) this.nextVerifyAt = null;
  }

  private markSilent(ctx: CycleContext, error: ErrorInfo): void {
    const now = ctx.clock.now();
    const since = this.reach.kind === 'silent' || this.reach.kind === 'offline' ? this.reach.since : now;
    this.reach = { kind: 'silent', since, retryAt: now + ctx.config.offlineRetryMs, error };
  }

  /** An answer: the charger is not silent (any more). */
  private answered(): void {
    if (this.reach.kind === 'silent') this.reach = { kind: 'reachable' };
  }

  private async read(register: ChargerReadRegister): Promise<ReadResult> {
    try {
      const value = await this.target.read(register);
      this.answered();
      return { kind: 'value', value: value.value, rawNumber: value.rawNumber };
    } catch (err) {
      const error = errorInfo(err);
      if (!isSilentCode(error.code) && isFinalCode(error.code)) return { kind: 'unknown' };
      // No answer, or anything else: no usable answer; try again later.
      return { kind: 'silent', error };
    }
  }

  /** Conflict check (`full`) and/or verification of the "in use" bits. */
  private async inspect(ctx: CycleContext, full: boolean): Promise<Silence | null> {
    const gate = this.gate;
    if (!gate.ok) return null;
    const now = ctx.clock.now();
    const before = this.standing;
    const result: Inspection = await inspectCharger((register) => this.read(register), {
      full,
      initial: before.kind === 'unchecked',
      senseBits: gate.senseBits,
      networkInfo: gate.networkInfo,
      currentBit: gate.currentBit,
      mayBeOurs: (q) => this.ledger.mayBeOurs(q, now),
      // A charge limit in this process keeps 0x200E = 0x05 on this charger: not another master.
      ownNetworkMode: chargerClaims.controlledHere(this.target.id, 'limit') ? EXTERNAL_CONTROL : null,
    });
    if (result.kind === 'silent') return result;
    if (result.kind === 'unsupported') {
      this.standing = { kind: 'unsupported', reason: result.reason };
      return null;
    }
    this.status = { byte: result.statusByte, inUse: result.inUse };
    if (result.inUse !== null) this.ledger.noteInUse(result.inUse);
    if (full) {
      this.standing = result.evidence.length > 0 ? { kind: 'conflict', checkedAt: now, evidence: result.evidence } : { kind: 'clear', checkedAt: now };
    } else if (result.evidence.length > 0) {
      // A verification read can add evidence; only a full check clears it.
      const checkedAt = before.kind === 'clear' || before.kind === 'conflict' ? before.checkedAt : now;
      this.standing = { kind: 'conflict', checkedAt, evidence: [...(before.kind === 'conflict' ? before.evidence : []), ...result.evidence] };
    }
    const ignored = this.ledger.ignored(ctx.config.verifyFailLimit);
    if (this.standing.kind === 'clear' && ignored.length > 0) {
      this.standing = {
        kind: 'rejected',
        rejection: {
          alarm: 'CHARGER_NOT_SENSING',
          code: 'VE_PARAMETER',
          message: `the charger acknowledged the ${ignored.join(' and ')} but does not use it (0x200F ${hex2(result.statusByte)} after ${ctx.config.verifyFailLimit} checks)`,
          retryAt: ctx.config.rejectRetryMs > 0 ? now + ctx.config.rejectRetryMs : null,
        },
      };
    }
    this.nextVerifyAt = this.ledger.anyActive() && gate.senseBits ? now + ctx.config.verifyIntervalMs : null;
    return null;
  }

  private async decide(quantity: Quantity, share: ShareValue, ctx: CycleContext): Promise<ValueDecision | Silence> {
    const candidate = precheck(quantity, share, ctx.clock.now(), ctx.config, ctx.enabled());
    if (quantity !== 'voltage') return decideFollower(quantity, candidate, ctx.values.voltage === null ? null : this.voltage, ctx.config);
    let facts: VoltageFacts = { terminal: null, nominal: null };
    if (candidate.kind === 'write') {
      const terminal = await this.freshTerminal(ctx);
      if (terminal !== null && 'kind' in terminal) return terminal;
      const nominal = await this.nominalFor(ctx, terminal);
      if (nominal !== null && 'kind' in nominal) return nominal;
      facts = { terminal, nominal };
    }
    const { decision, standing } = decideVoltage(candidate, facts, this.voltage, ctx.clock.now(), ctx.config);
    this.voltage = standing;
    return decision;
  }

  /**
   * The charger's terminal voltage if fresh: Text `V`, or 0xEDD5 read after an earlier cycle's
   * writes (prefetchTerminal). Asks for 0xEDD5 before the write only when neither is fresh
   * (first cycle, old firmware that pauses Text during HEX traffic and no earlier read).
   */
  private async freshTerminal(ctx: CycleContext): Promise<TimedValue | null | Silence> {
    const now = ctx.clock.now();
    const fresh = (t: TimedValue | null): t is TimedValue => t !== null && now - t.receivedAt <= ctx.config.freshnessMs && isSaneVoltage(t.value);
    const latest = this.latestTerminal();
    if (fresh(latest)) return (this.terminal = latest);
    const asked = await this.readTerminal(ctx);
    if (asked !== null && 'kind' in asked) return asked;
    this.terminal = asked ?? latest;
    return fresh(asked) ? asked : null;
  }

  /**
   * After the writes of a voltage cycle: read 0xEDD5 now when the terminal voltage would be
   * stale by the next voltage cycle, so that cycle checks plausibility without a request ahead
   * of its write. A read before the write put a round trip, which grows on a busy link or
   * host, between the tick and the write; now the writes keep their cadence.
   * Useless when the freshness limit is shorter than the interval: then the read stays before
   * the write.
   */
  private async prefetchTerminal(ctx: CycleContext): Promise<Silence | null> {
    const { voltageIntervalMs, freshnessMs } = ctx.config;
    if (!ctx.due.has('voltage') || !this.ledger.isActive('voltage') || voltageIntervalMs >= freshnessMs) return null;
    const latest = this.latestTerminal();
    if (latest !== null && ctx.clock.now() + voltageIntervalMs - latest.receivedAt <= freshnessMs) return null;
    const asked = await this.readTerminal(ctx);
    if (asked !== null && 'kind' in asked) return asked;
    if (asked !== null) this.terminal = asked;
    return null;
  }

  /** The newest terminal voltage known: the port's (Text `V` or its cached 0xEDD5) or this session's own read. */
  private latestTerminal(): TimedValue | null {
    const port = this.target.terminalVoltage();
    const own = this.terminal;
    if (port === null || own === null) return port ?? own;
    return own.receivedAt > port.receivedAt ? own : port;
  }

  /** Read 0xEDD5: the value with the time it came, null when the charger has none, or the Silence. */
  private async readTerminal(ctx: CycleContext): Promise<TimedValue | null | Silence> {
    const read = await this.read(CHARGER_VOLTAGE);
    if (read.kind === 'silent') return read;
    return read.kind === 'unknown' || read.value === null ? null : { value: read.value, receivedAt: ctx.clock.now() };
  }

  private async nominalFor(ctx: CycleContext, terminal: TimedValue | null): Promise<{ nominal: Nominal; from: NominalSource } | null | Silence> {
    if (ctx.config.systemVoltage !== 'auto') return { nominal: ctx.config.systemVoltage, from: 'setting' };
    if (this.systemSetting === null) {
      const setting = await this.read(SYSTEM_VOLTAGE);
      if (setting.kind === 'silent') return setting;
      this.systemSetting = { nominal: setting.kind === 'value' ? nominalFromSetting(setting.value) : null };
    }
    if (this.systemSetting.nominal !== null) return { nominal: this.systemSetting.nominal, from: 'charger' };
    const inferred = terminal === null ? null : inferNominal(terminal.value);
    return inferred === null ? null : { nominal: inferred, from: 'inferred' };
  }

  private async write(quantity: Quantity, encoded: EncodedSense, receivedAt: number | null, ctx: CycleContext, writes: WriteReport[]): Promise<WriteOutcome> {
    const release = encoded.value === null;
    const at = ctx.clock.now();
    let answer: { ack: Awaited<ReturnType<ChargerTarget['write']>> } | { error: unknown };
    try {
      answer = { ack: await this.target.write(encoded.register, encoded.value) };
    } catch (err) {
      answer = { error: err };
    }
    const done = ctx.clock.now();
    const { outcome, echo, flags } = judgeWrite(encoded, answer);
    const report: WriteReport = {
      quantity,
      register: encoded.register,
      value: encoded.value,
      raw: encoded.raw,
      release,
      at,
      durationMs: done - at,
      ageMs: receivedAt === null ? null : at - receivedAt,
      ok: outcome.kind === 'ok',
      echo,
      flags,
      error: outcome.kind === 'ok' ? null : outcome.error,
    };
    writes.push(report);
    const wasActive = this.ledger.isActive(quantity);
    this.ledger.record(quantity, report, outcome);
    if (outcome.kind === 'ok') {
      this.answered();
      if (release) {
        if (!this.ledger.anyActive()) this.nextVerifyAt = null;
      } else if (!wasActive) {
        // A value newly in use is confirmed at the next cycle, not at the next regular check.
        this.nextVerifyAt = Math.min(this.nextVerifyAt ?? Infinity, done + FIRST_VERIFY_DELAY_MS);
      }
    } else if (outcome.kind === 'refused' && quantity === 'current' && outcome.final && !release) {
      this.currentRefused = `the charger does not take the battery current (0x200A ${outcome.error.message}): no current sent`;
      this.ledger.setReason(quantity, this.currentRefused);
    } else if (outcome.kind === 'refused') {
      this.standing = {
        kind: 'rejected',
        rejection: {
          alarm: 'CHARGER_REJECTED',
          code: outcome.error.code,
          message: `${release ? 'release of' : 'write of'} 0x${encoded.register.toString(16).toUpperCase().padStart(4, '0')} = ${encoded.raw} refused: ${outcome.error.message}`,
          retryAt: outcome.final || ctx.config.rejectRetryMs === 0 ? null : done + ctx.config.rejectRetryMs,
        },
      };
    }
    return outcome;
  }

  /** Why the current may not go to this charger (firmware, or it refused the register), or null. */
  private currentBar(): string | null {
    if (!this.gate.ok) return this.gate.reason;
    return this.gate.currentRefusal ?? this.currentRefused;
  }

  /** Write "not available" for every quantity the charger may be using from this bridge. */
  private async releaseActive(ctx: CycleContext, writes: WriteReport[]): Promise<Silence | null> {
    for (const quantity of QUANTITIES) {
      if (!this.ledger.isActive(quantity)) continue;
      const s = this.standing;
      if (s.kind === 'rejected' && s.rejection.code === 'VE_UNKNOWN_ID' && this.ledger.lastWrite(quantity)?.error?.code === 'VE_UNKNOWN_ID') continue;
      const outcome = await this.write(quantity, encodeSense(SENSE_REGISTER[quantity], null), null, ctx, writes);
      if (outcome.kind === 'silent') {
        this.markSilent(ctx, outcome.error);
        return null;
      }
    }
    return null;
  }

  // ── Report ───────────────────────────────────────────────────────────────────────────────

  state(): { state: ChargerState; reason: string | null } {
    if (!this.gate.ok) return { state: this.gate.pending ? 'checking' : 'unsupported', reason: this.gate.reason };
    const s = this.standing;
    if (s.kind === 'unsupported') return { state: 'unsupported', reason: s.reason };
    if (!this.reachable()) return { state: 'offline', reason: 'the charger port is not delivering data' };
    if (s.kind === 'rejected') return { state: 'rejected', reason: s.rejection.message };
    if (s.kind === 'conflict') return { state: 'conflict', reason: s.evidence.join('; ') };
    if (this.reach.kind === 'silent') return { state: 'not-sensing', reason: `the charger does not answer (${this.reach.error.message})` };
    if (s.kind === 'unchecked') return { state: 'checking', reason: 'checking for another master' };
    const active = QUANTITIES.filter((q) => this.ledger.isActive(q));
    const notSent = QUANTITIES.filter((q) => !this.ledger.isActive(q) && this.ledger.reason(q) !== null).map((q) => `${q}: ${this.ledger.reason(q) ?? ''}`);
    if (active.length === 0) return { state: 'released', reason: notSent.length > 0 ? notSent.join('; ') : 'nothing sent yet' };
    const unconfirmed = active.filter((q) => this.status?.inUse?.[q] !== true);
    if (unconfirmed.length === 0) return { state: 'sensing', reason: notSent.length > 0 ? notSent.join('; ') : null };
    const waiting = unconfirmed.map((q) => (this.ledger.clearChecks(q) > 0 ? `${q} not in use per 0x200F (${this.ledger.clearChecks(q)} checks)` : `${q} not confirmed yet`));
    return { state: 'not-sensing', reason: [...waiting, ...notSent].join('; ') };
  }

  report(now: number, writes: readonly WriteReport[]): ChargerReport {
    const identity = this.target.identity() ?? this.known;
    const { state, reason } = this.state();
    const terminal = this.target.terminalVoltage() ?? this.terminal;
    return {
      id: this.target.id,
      label: this.target.label,
      product: identity?.product ?? null,
      serial: identity?.serial ?? null,
      firmware: identity?.firmware ?? null,
      online: this.reachable(),
      state,
      reason,
      terminalVoltage: terminal?.value ?? null,
      terminalVoltageAgeMs: terminal === null ? null : Math.max(0, now - terminal.receivedAt),
      nominalVoltage: this.systemSetting?.nominal ?? (terminal === null ? null : inferNominal(terminal.value)),
      offset: this.voltage.verdict?.offset ?? null,
      sensingVoltage: this.status?.inUse?.voltage ?? null,
      sensingTemperature: this.status?.inUse?.temperature ?? null,
      // Bit 5 only where the firmware has it.
      sensingCurrent: this.gate.ok && this.gate.currentBit ? (this.status?.inUse?.current ?? null) : null,
      networkStatus: this.status?.byte ?? null,
      notAvailableNotice: {
        voltage: this.target.notAvailableNotice?.(SENSE_REGISTER.voltage) ?? null,
        temperature: this.target.notAvailableNotice?.(SENSE_REGISTER.temperature) ?? null,
        current: this.target.notAvailableNotice?.(SENSE_REGISTER.current) ?? null,
      },
      writes,
      lastWrite: { voltage: this.ledger.lastWrite('voltage'), temperature: this.ledger.lastWrite('temperature'), current: this.ledger.lastWrite('current') },
    };
  }

  alarms(shareVoltage: boolean): AlarmDraft[] {
    const identity = this.target.identity() ?? this.known;
    const subject = { kind: 'charger' as const, id: this.target.id, label: this.target.label };
    const out: AlarmDraft[] = [];
    if (!this.listed) return out;
    if (!this.gate.ok && !this.gate.pending) {
      out.push({ code: 'CHARGER_UNSUPPORTED', severity: 'critical', message: `${this.target.label}: ${this.gate.reason}`, subject, errorCode: 'VE_NOT_SUPPORTED_DEVICE', details: {} });
      return out;
    }
    const s = this.standing;
    if (s.kind === 'unsupported') {
      out.push({ code: 'CHARGER_UNSUPPORTED', severity: 'critical', message: `${this.target.label}: ${s.reason}`, subject, errorCode: 'VE_NOT_SUPPORTED_DEVICE', details: {} });
      return out;
    }
    const silent = this.reach.kind === 'silent' ? this.reach.error : null;
    if (silent?.code === 'VE_NO_HEX') {
      // Not a charger asleep at night: the link itself cannot carry a write, so the charger is
      // refused until the link changes, and that needs a person.
      out.push({
        code: 'CHARGER_NO_HEX',
        severity: 'critical',
        message: `${this.target.label}: refused: ${silent.message}; nothing is written, the charger uses its own sensing`,
        subject,
        errorCode: 'VE_NO_HEX',
        details: {},
      });
    } else if (!this.reachable() || silent !== null) {
      const pvOnly = identity?.pvOnly === true;
      out.push({
        code: 'CHARGER_OFFLINE',
        severity: pvOnly ? 'info' : 'warning',
        message: `${this.target.label}: ${silent !== null ? `does not answer (${silent.message})` : 'port not delivering data'}${pvOnly ? ' (a "pv only" model is silent at night)' : ''}`,
        subject,
        errorCode: silent?.code === 'VE_UNEXPECTED' ? null : (silent?.code ?? 'VE_PORT_CLOSED'),
        details: {},
      });
    }
    if (s.kind === 'rejected') {
      const r = s.rejection;
      out.push({
        code: r.alarm,
        severity: 'critical',
        message: `${this.target.label}: ${r.message}; writes stopped${r.retryAt === null ? '' : ' (retried later)'}`,
        subject,
        errorCode: r.code === 'VE_UNEXPECTED' ? null : r.code,
        details: { retryAt: r.retryAt },
      });
    }
    if (s.kind === 'conflict') {
      out.push({
        code: 'CHARGER_CONFLICT',
        severity: 'critical',
        message: `${this.target.label}: refused: ${s.evidence.join('; ')}`,
        subject,
        errorCode: 'VE_CONFLICT',
        details: { evidence: s.evidence },
      });
    }
    const problem = this.voltage.problem;
    if (shareVoltage && problem !== null && s.kind !== 'rejected' && s.kind !== 'conflict') {
      const unknown = problem.verdict.reason === 'terminal-unknown' || problem.verdict.reason === 'nominal-unknown';
      out.push({
        code: 'VOLTAGE_IMPLAUSIBLE',
        severity: unknown ? 'warning' : 'critical',
        message: `${this.target.label}: voltage not shared: ${problem.message}`,
        subject,
        errorCode: null,
        details: { offset: problem.verdict.offset, window: problem.verdict.window, reason: problem.verdict.reason },
      });
    }
    return out;
  }
}
