/**
 * One charger, as the bridge sees it: whether it may be written to, what it was last sent,
 * whether it uses it, and the writes of one cycle. Everything that touches the charger goes
 * through one task at a time, so it never has two requests in flight and a slow or silent
 * charger never gets a queue of writes behind it.
 *
 * Per cycle, in order:
 * 1. identity: an MPPT with firmware ≥ 1.29 (gating.ts), identified again after a reconnect;
 * 2. port not delivering → `offline`, nothing sent; a charger that stopped answering is tried
 *    again once per `offlineRetryMs`, or at once when its port reconnects (no write flood at
 *    night, resumes by itself);
 * 3. before the first write, and every `conflictCheckIntervalMs`: another master? 0x200E ≠ 0
 *    (a GX, BMS or ESS set network mode), 0x200F role ≠ 0x04 (not stand-alone), 0x200F /
 *    0x200D bits 7/6 or a networked 0xEDEC while the bridge is not the one sensing (VE.Smart
 *    network). Any of these → `conflict`: nothing written but the release of what the bridge
 *    itself had sent;
 * 4. every `verifyIntervalMs` while sending: 0x200F bits 7 (VSENSE) / 6 (TSENSE). Acknowledged
 *    writes with the bit still clear for `verifyFailLimit` reads → the charger ignores the value:
 *    stop, release, alarm (BlueSolar HEX protocol MPPT rev 10: bits from fw 1.26);
 * 5. per due quantity, one write: the value if valid (voltage also plausible against this
 *    charger's own terminal voltage), else — once — the "not available" value if the charger
 *    had been receiving it, else nothing.
 * A refused write (flags ≠ 0, echo ≠ value sent) stops all writes to the charger and raises an
 * alarm; "unknown id" (old firmware) is final, other refusals are retried after
 * `rejectRetryMs`.
 */

import type { Clock } from '../clock';
import { isVeError, type VeErrorCode } from '../errors';
import type { AlarmDraft } from './alarms';
import { encodeSense, type EncodedSense } from './encoding';
import { gateCharger, type ChargerGate } from './gating';
import { checkSenseVoltage, inferNominal, isPlausibleTemperature, isSaneVoltage, nominalFromSetting, type Nominal, type NominalSource, type VoltageVerdict } from './plausibility';
import {
  BATTERY_TEMPERATURE,
  CHARGER_VOLTAGE,
  NETWORK_INFO,
  NETWORK_MODE,
  NETWORK_STATUS,
  QUANTITIES,
  SENSE_REGISTER,
  SYSTEM_VOLTAGE,
  type BridgeConfig,
  type ChargerReport,
  type ChargerState,
  type ChargerTarget,
  type DeviceIdentity,
  type Quantity,
  type TimedValue,
  type WriteReport,
} from './types';

/** The charger drops a remote value 60 s after its last write (BlueSolar HEX protocol MPPT rev 10). */
export const CHARGER_SENSE_TIMEOUT_MS = 60_000;
/** After that (plus a margin) a value the bridge wrote can no longer be in use. */
const OWN_VALUE_LINGER_MS = CHARGER_SENSE_TIMEOUT_MS + 5000;
/** After a successful release the charger should have cleared its "in use" bit within this. */
const RELEASE_SETTLE_MS = 5000;
/** A release that could not be delivered is tried this often, then left to the charger's timeout. */
const RELEASE_ATTEMPTS = 2;
/** After a fault in the bridge's own code, the charger is tried again this much later. */
const INTERNAL_RETRY_MS = 60_000;
/** First 0x200F check after a value is newly in use: on the next cycle. */
const FIRST_VERIFY_DELAY_MS = 1000;

const STATUS_ROLE_MASK = 0x0f;
const ROLE_STAND_ALONE = 0x04;
const BIT: Readonly<Record<Quantity, number>> = { voltage: 0x80, temperature: 0x40 };
const ROLE_TEXT: Readonly<Record<number, string>> = { 0: 'slave', 1: 'group master', 2: 'instance master', 3: 'group and instance master' };
const MODE_BITS: ReadonlyArray<readonly [number, string]> = [
  [0x01, 'networked'],
  [0x02, 'slave'],
  [0x04, 'external control'],
  [0x08, 'BMS controlled'],
  [0x10, 'group master'],
  [0x20, 'instance master'],
  [0x40, 'standby'],
];

/** Errors that mean "no answer": the charger may be asleep (night), unplugged, or busy. */
const SILENT_CODES: ReadonlySet<string> = new Set(['VE_TIMEOUT', 'VE_PORT_CLOSED', 'VE_QUEUE_FULL', 'VE_PORT_BUSY']);
/** Refusals that will not change while the bridge runs: the firmware lacks the register. */
const FINAL_CODES: ReadonlySet<string> = new Set(['VE_UNKNOWN_ID', 'VE_NOT_SUPPORTED', 'VE_READ_ONLY']);

type ErrorCode = VeErrorCode | 'VE_UNEXPECTED';

interface ErrorInfo {
  readonly code: ErrorCode;
  readonly message: string;
}

function errorInfo(err: unknown): ErrorInfo {
  if (isVeError(err)) return { code: err.code, message: err.message };
  return { code: 'VE_UNEXPECTED', message: err instanceof Error ? err.message : String(err) };
}

function flagsCode(flags: number): VeErrorCode {
  if (flags & 0x01) return 'VE_UNKNOWN_ID';
  if (flags & 0x02) return 'VE_NOT_SUPPORTED';
  return 'VE_PARAMETER';
}

function hex2(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;
}

function describeMode(mode: number): string {
  const names = MODE_BITS.filter(([bit]) => (mode & bit) !== 0).map(([, name]) => name);
  return names.length > 0 ? names.join(', ') : 'unknown bits';
}

/** Thrown inside a task when the charger stopped answering; the task ends quietly. */
class Silent extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
  }
}

interface QuantityState {
  /** The charger may be using a value this bridge wrote (acknowledged, or sent without answer). */
  active: boolean;
  lastWrite: WriteReport | null;
  lastValueOkAt: number | null;
  releasedOkAt: number | null;
  releaseFailures: number;
  /** Consecutive 0x200F reads with the "in use" bit clear while the value was being sent. */
  clearChecks: number;
  /** Why nothing (or the release) was written at the last decision. */
  reason: string | null;
}

export interface ShareValue {
  readonly value: number | null;
  /** Time of the oldest source value used. */
  readonly receivedAt: number | null;
  readonly reason: string | null;
}

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

type Decision = { readonly write: EncodedSense; readonly receivedAt: number } | { readonly write: null; readonly reason: string };

export class ChargerSession {
  readonly target: ChargerTarget;
  readonly explicit: boolean;
  private identityKey: { productId: number; serial: string | null } | null = null;
  private gate: ChargerGate = { ok: false, pending: true, reason: 'not identified yet' };
  private task: Promise<WriteReport[]> | null = null;
  private ticket = 0;
  /** The last identity seen (kept while the port is away, for the report). */
  private known: DeviceIdentity | null = null;
  /** Last full conflict check; null: the check before the first write is still due. */
  private checkedAt: number | null = null;
  private conflict: string[] | null = null;
  private rejection: Rejection | null = null;
  private unsupported: string | null = null;
  private silent: { since: number; retryAt: number; reason: ErrorInfo } | null = null;
  private offlineSince: number | null = null;
  private nominal: Nominal | null = null;
  private nominalAsked = false;
  private terminal: TimedValue | null = null;
  private verdict: VoltageVerdict | null = null;
  private implausibleAt: number | null = null;
  /** Why the voltage is not shared with this charger although there is a valid value (alarm). */
  private voltageProblem: { message: string; verdict: Extract<VoltageVerdict, { ok: false }> } | null = null;
  private statusByte: number | null = null;
  private sensing: Record<Quantity, boolean | null> = { voltage: null, temperature: null };
  private nextVerifyAt: number | null = null;
  private readonly q: Record<Quantity, QuantityState> = { voltage: freshQuantity(), temperature: freshQuantity() };

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
      if (!this.gate.ok || !this.reachable() || this.silent !== null) return writes;
      await this.releaseActive(ctx, writes);
      return writes;
    }, ctx);
  }

  /** Forget a refusal so the charger is tried again at the next cycle. */
  clearRejection(): void {
    if (this.rejection === null) return;
    this.rejection = null;
    this.checkedAt = null;
    for (const q of QUANTITIES) this.q[q].clearChecks = 0;
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
        this.rejection = { alarm: 'INTERNAL', code: info.code, message: `internal error: ${info.message}`, retryAt: ctx.clock.now() + INTERNAL_RETRY_MS };
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
    this.checkedAt = null;
    this.conflict = null;
    this.rejection = null;
    this.unsupported = null;
    this.silent = null;
    this.nominal = null;
    this.nominalAsked = false;
    this.implausibleAt = null;
    this.voltageProblem = null;
    this.statusByte = null;
    this.sensing = { voltage: null, temperature: null };
    this.nextVerifyAt = null;
    for (const q of QUANTITIES) Object.assign(this.q[q], freshQuantity());
  }

  private async doCycle(ctx: CycleContext): Promise<WriteReport[]> {
    const writes: WriteReport[] = [];
    const now = ctx.clock.now();
    this.refreshIdentity();
    if (!this.reachable()) {
      this.offlineSince ??= now;
      this.expireOwnValues(now, this.offlineSince);
      return writes;
    }
    if (this.offlineSince !== null) {
      // Back (morning, replugged): whatever it held has timed out or was lost; check afresh.
      this.expireOwnValues(now, this.offlineSince);
      this.offlineSince = null;
      this.silent = null;
      this.checkedAt = null;
    }
    if (!this.gate.ok || this.unsupported !== null) return writes;
    if (this.silent !== null) {
      this.expireOwnValues(now, this.silent.since);
      if (now < this.silent.retryAt) return writes;
    }
    if (this.rejection !== null) {
      if (this.rejection.retryAt === null || now < this.rejection.retryAt) return writes;
      this.clearRejection();
    }
    try {
      // Before the first write: is anyone else in control? While in conflict, checked again
      // every verifyIntervalMs. Otherwise the periodic checks follow the writes, so that the
      // writes keep their cadence.
      const first = this.checkedAt === null || this.conflict !== null;
      if (first && (this.checkedAt === null || now - this.checkedAt >= ctx.config.verifyIntervalMs)) await this.inspect(ctx, true);
      if (this.unsupported !== null) return writes;
      if (this.conflict !== null || this.rejection !== null) {
        await this.releaseActive(ctx, writes);
        return writes;
      }
      if (await this.writeDue(ctx, writes)) return writes;
      const after = ctx.clock.now();
      if (this.checkedAt !== null && after - this.checkedAt >= ctx.config.conflictCheckIntervalMs) await this.inspect(ctx, true);
      else if (this.nextVerifyAt !== null && after >= this.nextVerifyAt) await this.inspect(ctx, false);
      if (this.conflict !== null || this.rejection !== null) await this.releaseActive(ctx, writes);
    } catch (err) {
      if (!(err instanceof Silent)) throw err;
      this.markSilent(ctx, err.info);
    }
    return writes;
  }

  /** One write per due quantity. True when the charger refused one (then everything was released). */
  private async writeDue(ctx: CycleContext, writes: WriteReport[]): Promise<boolean> {
    for (const quantity of QUANTITIES) {
      const share = ctx.values[quantity];
      const due = ctx.due.has(quantity);
      if (share === null || (!due && !ctx.releaseOnly.has(quantity))) continue;
      if (ctx.stopping()) break;
      let decision = await this.decide(quantity, share, ctx);
      const state = this.q[quantity];
      if (!due && decision.write !== null) continue;
      // The checks may have taken a request or two: the value must still be fresh now.
      if (decision.write !== null && ctx.clock.now() - decision.receivedAt > ctx.config.freshnessMs) {
        decision = { write: null, reason: `the ${quantity} went stale before it could be written` };
      }
      let outcome: 'ok' | 'refused';
      if (decision.write !== null) {
        state.reason = null;
        outcome = await this.write(quantity, decision.write, decision.receivedAt, ctx, writes);
      } else {
        state.reason = decision.reason;
        if (!state.active) continue;
        outcome = await this.write(quantity, encodeSense(SENSE_REGISTER[quantity], null), null, ctx, writes);
      }
      if (outcome === 'refused') {
        await this.releaseActive(ctx, writes);
        return true;
      }
    }
    return false;
  }

  /** The charger can no longer be using values sent before `since` − 60 s. */
  private expireOwnValues(now: number, since: number): void {
    if (now - since < OWN_VALUE_LINGER_MS) return;
    for (const q of QUANTITIES) {
      this.q[q].active = false;
      this.q[q].clearChecks = 0;
    }
    this.nextVerifyAt = null;
  }

  private markSilent(ctx: CycleContext, info: ErrorInfo): void {
    const now = ctx.clock.now();
    this.silent = { since: this.silent?.since ?? now, retryAt: now + ctx.config.offlineRetryMs, reason: info };
  }

  /** Could a set bit for `q` be the effect of this bridge's own writes? */
  private mayBeOurs(q: Quantity, now: number): boolean {
    const s = this.q[q];
    if (s.active) return true;
    if (s.lastValueOkAt === null) return false;
    if (s.releasedOkAt !== null && s.releasedOkAt >= s.lastValueOkAt) return now - s.releasedOkAt <= RELEASE_SETTLE_MS;
    return now - s.lastValueOkAt <= OWN_VALUE_LINGER_MS;
  }

  private async read(register: Parameters<ChargerTarget['read']>[0]): Promise<{ value: number | null; rawNumber: number | null } | 'unknown'> {
    try {
      const value = await this.target.read(register);
      this.silent = null;
      return value;
    } catch (err) {
      const info = errorInfo(err);
      if (SILENT_CODES.has(info.code)) throw new Silent(info);
      if (FINAL_CODES.has(info.code)) return 'unknown';
      throw new Silent(info); // anything else: treat as no usable answer, try again later
    }
  }

  /** Conflict check (`full`) and/or verification of the "in use" bits. */
  private async inspect(ctx: CycleContext, full: boolean): Promise<void> {
    const now = ctx.clock.now();
    const initial = this.checkedAt === null;
    const evidence: string[] = [];
    const gate = this.gate;
    if (!gate.ok) return;
    if (full) {
      const mode = await this.read(NETWORK_MODE);
      if (mode === 'unknown') {
        this.unsupported = 'the charger does not know 0x200E (network mode), so another master cannot be ruled out';
        return;
      }
      if (mode.rawNumber !== null && mode.rawNumber !== 0) {
        evidence.push(`0x200E network mode ${hex2(mode.rawNumber)} (${describeMode(mode.rawNumber)}): another master (GX, BMS or ESS) controls this charger`);
      }
    }
    const status = await this.read(NETWORK_STATUS);
    if (status === 'unknown' || status.rawNumber === null) {
      this.unsupported = 'the charger does not report 0x200F (network status), so its use of the values cannot be checked';
      return;
    }
    const byte = status.rawNumber;
    this.statusByte = byte;
    const role = byte & STATUS_ROLE_MASK;
    const statusFindings: string[] = [];
    if (role !== ROLE_STAND_ALONE) statusFindings.push(`role ${ROLE_TEXT[role] ?? hex2(role)}, not stand-alone`);
    if (gate.senseBits) {
      const foreign: Quantity[] = [];
      for (const q of QUANTITIES) {
        const inUse = (byte & BIT[q]) !== 0;
        this.sensing[q] = inUse;
        if (inUse && !this.mayBeOurs(q, now)) foreign.push(q);
        const s = this.q[q];
        if (s.active && s.lastWrite?.ok === true && !s.lastWrite.release) s.clearChecks = inUse ? 0 : s.clearChecks + 1;
      }
      if (foreign.length > 0) statusFindings.push(`remote ${foreign.join(' and ')} already in use, not sent by this bridge`);
    }
    if (statusFindings.length > 0) evidence.push(`0x200F network status ${hex2(byte)}: ${statusFindings.join('; ')}`);
    if (full && initial && gate.networkInfo) {
      const info = await this.read(NETWORK_INFO);
      if (info !== 'unknown' && info.rawNumber !== null) {
        const bits = info.rawNumber;
        const foreign = QUANTITIES.filter((q) => (bits & BIT[q]) !== 0 && !this.mayBeOurs(q, now));
        if (foreign.length > 0) evidence.push(`0x200D network info ${hex2(bits)}: remote ${foreign.join(' and ')} sense in use (VE.Smart network?)`);
      }
      const networked = await this.read(BATTERY_TEMPERATURE);
      if (networked !== 'unknown' && networked.value !== null && !this.mayBeOurs('temperature', now)) {
        evidence.push(`0xEDEC shows a battery temperature from a VE.Smart network (${networked.value.toFixed(2)} °C)`);
      }
    }
    if (full) {
      this.checkedAt = now;
      this.conflict = evidence.length > 0 ? evidence : null;
    } else if (evidence.length > 0) {
      // A verification read can add evidence; only a full check clears it.
      this.conflict = [...(this.conflict ?? []), ...evidence];
    }
    const ignored = QUANTITIES.filter((q) => this.q[q].clearChecks >= ctx.config.verifyFailLimit);
    if (this.conflict === null && ignored.length > 0) {
      this.rejection = {
        alarm: 'CHARGER_NOT_SENSING',
        code: 'VE_PARAMETER',
        message: `the charger acknowledged the ${ignored.join(' and ')} but does not use it (0x200F ${hex2(byte)} after ${ctx.config.verifyFailLimit} checks)`,
        retryAt: ctx.config.rejectRetryMs > 0 ? now + ctx.config.rejectRetryMs : null,
      };
    }
    const sending = QUANTITIES.some((q) => this.q[q].active);
    this.nextVerifyAt = sending && gate.senseBits ? now + ctx.config.verifyIntervalMs : null;
  }

  private async decide(quantity: Quantity, share: ShareValue, ctx: CycleContext): Promise<Decision> {
    if (quantity === 'voltage') this.voltageProblem = null;
    if (!ctx.enabled()) return { write: null, reason: 'sharing is disabled' };
    if (share.value === null || share.receivedAt === null) return { write: null, reason: share.reason ?? 'no valid value' };
    const now = ctx.clock.now();
    if (now - share.receivedAt > ctx.config.freshnessMs) return { write: null, reason: `the ${quantity} went stale before it could be written` };
    const encoded = encodeSense(SENSE_REGISTER[quantity], share.value);
    if (quantity === 'temperature') {
      // A monitor whose voltage is that far from this charger's terminals is most likely on
      // another battery or mis-wired: its temperature is no more trustworthy for this charger.
      // (Sharing the temperature alone, there is no voltage to compare: it goes out.)
      if (ctx.values.voltage !== null && this.implausibleAt !== null) {
        return { write: null, reason: `the voltage is implausible for this charger, so the temperature is withheld too (${this.voltageProblem?.message ?? 'see the voltage'})` };
      }
      // Checked at the source already; once more on the value about to go out.
      if (encoded.value === null || !isPlausibleTemperature(encoded.value, ctx.config.temperatureMin, ctx.config.temperatureMax)) {
        return { write: null, reason: `temperature ${String(encoded.value)} °C is outside ${ctx.config.temperatureMin}..${ctx.config.temperatureMax} °C` };
      }
      return { write: encoded, receivedAt: share.receivedAt };
    }

    const terminal = await this.freshTerminal(ctx);
    const nominal = await this.nominalFor(ctx, terminal);
    // encodeSense returns a number for a number
    const verdict = checkSenseVoltage(encoded.value as number, terminal?.value ?? null, nominal?.nominal ?? null, ctx.config.plausibilityWindow, nominal?.from);
    this.verdict = verdict;
    if (!verdict.ok) {
      if (verdict.reason !== 'terminal-unknown' && verdict.reason !== 'nominal-unknown') this.implausibleAt = now;
      this.voltageProblem = { message: verdict.message, verdict };
      return { write: null, reason: verdict.message };
    }
    const hold = ctx.config.implausibleHoldMs;
    if (this.implausibleAt !== null && now - this.implausibleAt < hold) {
      const message = `plausible again for ${((now - this.implausibleAt) / 1000).toFixed(0)} s of the ${hold / 1000} s required after an implausible voltage`;
      if (this.voltageProblem === null) this.voltageProblem = { message, verdict: { ok: false, reason: 'below-terminal', offset: verdict.offset, window: verdict.window, message } };
      return { write: null, reason: message };
    }
    this.implausibleAt = null;
    return { write: encoded, receivedAt: share.receivedAt };
  }

  /** The charger's terminal voltage if fresh; asks for 0xEDD5 when Text `V` is not (old firmware pauses Text during HEX traffic). */
  private async freshTerminal(ctx: CycleContext): Promise<TimedValue | null> {
    const now = ctx.clock.now();
    const fresh = (t: TimedValue | null): t is TimedValue => t !== null && now - t.receivedAt <= ctx.config.freshnessMs && isSaneVoltage(t.value);
    const latest = this.target.terminalVoltage();
    if (fresh(latest)) return (this.terminal = latest);
    const read = await this.read(CHARGER_VOLTAGE);
    const asked = read === 'unknown' || read.value === null ? null : { value: read.value, receivedAt: ctx.clock.now() };
    this.terminal = asked ?? latest;
    return fresh(asked) ? asked : null;
  }

  private async nominalFor(ctx: CycleContext, terminal: TimedValue | null): Promise<{ nominal: Nominal; from: NominalSource } | null> {
    if (ctx.config.systemVoltage !== 'auto') return { nominal: ctx.config.systemVoltage, from: 'setting' };
    if (this.nominal !== null) return { nominal: this.nominal, from: 'charger' };
    if (!this.nominalAsked) {
      this.nominalAsked = true;
      const setting = await this.read(SYSTEM_VOLTAGE);
      if (setting !== 'unknown') this.nominal = nominalFromSetting(setting.value);
      if (this.nominal !== null) return { nominal: this.nominal, from: 'charger' };
    }
    const inferred = terminal === null ? null : inferNominal(terminal.value);
    return inferred === null ? null : { nominal: inferred, from: 'inferred' };
  }

  private async write(quantity: Quantity, encoded: EncodedSense, receivedAt: number | null, ctx: CycleContext, writes: WriteReport[]): Promise<'ok' | 'refused'> {
    const state = this.q[quantity];
    const release = encoded.value === null;
    const at = ctx.clock.now();
    let error: ErrorInfo | null = null;
    let echo: string | null = null;
    let flags: number | null = null;
    try {
      const ack = await this.target.write(encoded.register, encoded.value);
      echo = ack.echo.toUpperCase();
      flags = ack.flags;
      // Checked here as well as in the link: a device clamps out-of-range values and says so
      // only by echoing another value.
      if (ack.flags !== 0) error = { code: flagsCode(ack.flags), message: `the charger answered flags ${hex2(ack.flags)}` };
      else if (echo !== encoded.raw) error = { code: 'VE_ECHO_MISMATCH', message: `sent ${encoded.raw}, the charger echoed ${echo}` };
    } catch (err) {
      error = errorInfo(err);
    }
    const done = ctx.clock.now();
    const report: WriteReport = {
      quantity,
      register: encoded.register,
      value: encoded.value,
      raw: encoded.raw,
      release,
      at,
      durationMs: done - at,
      ageMs: receivedAt === null ? null : at - receivedAt,
      ok: error === null,
      echo,
      flags,
      error,
    };
    writes.push(report);
    state.lastWrite = report;
    if (error === null) {
      this.silent = null;
      if (release) {
        state.active = false;
        state.releasedOkAt = at;
        state.releaseFailures = 0;
        state.clearChecks = 0;
        if (!QUANTITIES.some((q) => this.q[q].active)) this.nextVerifyAt = null;
      } else {
        // A value newly in use is confirmed at the next cycle, not at the next regular check.
        if (!state.active) this.nextVerifyAt = Math.min(this.nextVerifyAt ?? Infinity, done + FIRST_VERIFY_DELAY_MS);
        state.active = true;
        state.lastValueOkAt = at;
      }
      return 'ok';
    }
    if (SILENT_CODES.has(error.code)) {
      if (release) {
        state.releaseFailures++;
        if (state.releaseFailures >= RELEASE_ATTEMPTS) state.active = false; // left to the charger's 60 s timeout
      } else {
        state.active = true; // it may have arrived
      }
      throw new Silent(error);
    }
    // Refused. A mismatching echo with flags 0 means the charger took *another* value: treat it
    // as in use so that it is released at once.
    if (error.code === 'VE_ECHO_MISMATCH' && flags === 0) state.active = true;
    else if (release) state.active = false;
    const final = FINAL_CODES.has(error.code);
    this.rejection = {
      alarm: 'CHARGER_REJECTED',
      code: error.code,
      message: `${release ? 'release of' : 'write of'} ${encoded.register === SENSE_REGISTER.voltage ? '0x2002' : '0x2003'} = ${encoded.raw} refused: ${error.message}`,
      retryAt: final || ctx.config.rejectRetryMs === 0 ? null : done + ctx.config.rejectRetryMs,
    };
    return 'refused';
  }

  /** Write "not available" for every quantity the charger may be using from this bridge. */
  private async releaseActive(ctx: CycleContext, writes: WriteReport[]): Promise<void> {
    try {
      for (const quantity of QUANTITIES) {
        if (!this.q[quantity].active) continue;
        if (this.rejection?.code === 'VE_UNKNOWN_ID' && this.q[quantity].lastWrite?.error?.code === 'VE_UNKNOWN_ID') continue;
        await this.write(quantity, encodeSense(SENSE_REGISTER[quantity], null), null, ctx, writes);
      }
    } catch (err) {
      if (!(err instanceof Silent)) throw err;
      this.markSilent(ctx, err.info);
    }
  }

  // ── Report ───────────────────────────────────────────────────────────────────────────────

  state(): { state: ChargerState; reason: string | null } {
    const online = this.reachable();
    if (!this.gate.ok) return { state: this.gate.pending ? 'checking' : 'unsupported', reason: this.gate.reason };
    if (this.unsupported !== null) return { state: 'unsupported', reason: this.unsupported };
    if (!online) return { state: 'offline', reason: 'the charger port is not delivering data' };
    if (this.rejection !== null) return { state: 'rejected', reason: this.rejection.message };
    if (this.conflict !== null) return { state: 'conflict', reason: this.conflict.join('; ') };
    if (this.silent !== null) return { state: 'not-sensing', reason: `the charger does not answer (${this.silent.reason.message})` };
    if (this.checkedAt === null) return { state: 'checking', reason: 'checking for another master' };
    const active = QUANTITIES.filter((q) => this.q[q].active);
    const notSent = QUANTITIES.filter((q) => !this.q[q].active && this.q[q].reason !== null).map((q) => `${q}: ${this.q[q].reason ?? ''}`);
    if (active.length === 0) return { state: 'released', reason: notSent.length > 0 ? notSent.join('; ') : 'nothing sent yet' };
    const unconfirmed = active.filter((q) => this.sensing[q] !== true);
    if (unconfirmed.length === 0) return { state: 'sensing', reason: notSent.length > 0 ? notSent.join('; ') : null };
    const waiting = unconfirmed.map((q) => (this.q[q].clearChecks > 0 ? `${q} not in use per 0x200F (${this.q[q].clearChecks} checks)` : `${q} not confirmed yet`));
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
      nominalVoltage: this.nominal ?? (terminal === null ? null : inferNominal(terminal.value)),
      offset: this.verdict?.offset ?? null,
      sensingVoltage: this.sensing.voltage,
      sensingTemperature: this.sensing.temperature,
      networkStatus: this.statusByte,
      notAvailableNotice: {
        voltage: this.target.notAvailableNotice?.(SENSE_REGISTER.voltage) ?? null,
        temperature: this.target.notAvailableNotice?.(SENSE_REGISTER.temperature) ?? null,
      },
      writes,
      lastWrite: { voltage: this.q.voltage.lastWrite, temperature: this.q.temperature.lastWrite },
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
    if (this.unsupported !== null) {
      out.push({ code: 'CHARGER_UNSUPPORTED', severity: 'critical', message: `${this.target.label}: ${this.unsupported}`, subject, errorCode: 'VE_NOT_SUPPORTED_DEVICE', details: {} });
      return out;
    }
    if (!this.reachable() || this.silent !== null) {
      const pvOnly = identity?.pvOnly === true;
      out.push({
        code: 'CHARGER_OFFLINE',
        severity: pvOnly ? 'info' : 'warning',
        message: `${this.target.label}: ${this.silent !== null ? `does not answer (${this.silent.reason.message})` : 'port not delivering data'}${pvOnly ? ' (a "pv only" model is silent at night)' : ''}`,
        subject,
        errorCode: this.silent?.reason.code === 'VE_UNEXPECTED' ? null : (this.silent?.reason.code ?? 'VE_PORT_CLOSED'),
        details: {},
      });
    }
    if (this.rejection !== null) {
      out.push({
        code: this.rejection.alarm,
        severity: 'critical',
        message: `${this.target.label}: ${this.rejection.message}; writes stopped${this.rejection.retryAt === null ? '' : ' (retried later)'}`,
        subject,
        errorCode: this.rejection.code === 'VE_UNEXPECTED' ? null : this.rejection.code,
        details: { retryAt: this.rejection.retryAt },
      });
    }
    if (this.conflict !== null) {
      out.push({
        code: 'CHARGER_CONFLICT',
        severity: 'critical',
        message: `${this.target.label}: refused: ${this.conflict.join('; ')}`,
        subject,
        errorCode: 'VE_CONFLICT',
        details: { evidence: this.conflict },
      });
    }
    const problem = this.voltageProblem;
    if (shareVoltage && problem !== null && this.rejection === null && this.conflict === null) {
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

function freshQuantity(): QuantityState {
  return { active: false, lastWrite: null, lastValueOkAt: null, releasedOkAt: null, releaseFailures: 0, clearChecks: 0, reason: null };
}
