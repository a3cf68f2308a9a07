/**
 * One charger under the charge-limit manager: may it take a share this cycle, and the writes
 * that give it one or take it back. Each step waits for the charger's answer, so a charger
 * never has two of our requests in flight, and a silent one is asked again only after
 * `offlineRetryMs`.
 *
 * Per cycle:
 * 1. `prepare`: identified MPPT, firmware ≥ 1.29 (gating.ts, the GX's gate), a rating in the
 *    catalogue, port delivering, answering, not refusing; before the first write and every
 *    `conflictCheckIntervalMs`, the shared conflict check (conflict-inspection.ts): 0x200E
 *    other than the 0x05 we keep set, or a role other than stand-alone (or, under our own
 *    mode, externally controlled) means a GX, a BMS or a VE.Smart network: left alone —
 *    nothing is written to it, not even a release, which would lift the other master's limit;
 * 2. `apply(share)`: 0x2015 = share, then 0x200E = 0x05 (both volatile; both refreshed every
 *    cycle, as the GX does), then a read-back of 0x2015 and, from fw 1.44, 0x200F bit 4
 *    (ICHARGE). `verifyFailLimit` checks in a row that say the limit is not in use: the charger
 *    counts as refusing, is released and left alone until `rejectRetryMs`;
 * 3. `apply(null)`: once, if a limit of ours may be in force: 0x2015 = 0xFFFF ("no limit") and
 *    0x200E = 0x00 (stand-alone), then nothing more.
 * Every Set goes through the port's write policy, which refuses 0x2015 above the product's
 * rating and any 0x200E with bit 3 (BMS, stored in flash).
 */

import type { Clock } from '../clock';
import { findProduct } from '../protocol/catalog/products';
import {
  CHARGE_CURRENT_LIMIT,
  EXTERNAL_CONTROL,
  LIMIT_NETWORK_MODE,
  LIMIT_NETWORK_STATUS,
  STAND_ALONE_MODE,
  STATUS_ICHARGE,
  type ChargeLimitConfig,
  type LimitAlarm,
  type LimitChargerReport,
  type LimitChargerState,
  type LimitRegister,
  type LimitTarget,
  type LimitWriteReport,
} from './charge-limit-types';
import type { ChargerClaims } from './charger-claims';
import { inspectCharger, type ReadResult } from './conflict-inspection';
import { atLeast, gateCharger, parseFirmware } from './gating';
import { errorInfo, isFinalCode, isSilentCode, type ErrorInfo } from './write-ledger';
import type { ChargerReadRegister } from './types';
import type { AlarmDraft } from './alarms';
import { STARTUP_GRACE_MS } from './sense-bridge';

/** 0x200F bit 4 (ICHARGE) exists from this firmware (BlueSolar HEX protocol MPPT rev 10). */
const MIN_FIRMWARE_ICHARGE = { major: 1, minor: 44 } as const;
/** A release that could not be delivered is tried this often, then left to the charger's timeout. */
const RELEASE_ATTEMPTS = 2;
/** Half the register's step: a read-back this close to the share is the share. */
const READ_BACK_TOLERANCE_A = 0.05;

export interface SessionContext {
  readonly clock: Clock;
  readonly config: ChargeLimitConfig;
}

type Rejection = { readonly alarm: 'CHARGER_REJECTED' | 'CHARGER_NOT_LIMITING'; readonly error: ErrorInfo; readonly retryAt: number | null };

export class LimitSession {
  readonly target: LimitTarget;
  private readonly claims: ChargerClaims;
  private readonly owner: string;
  state: LimitChargerState = 'checking';
  reason: string | null = null;
  /** Rated charge current, A (known once identified). */
  rating: number | null = null;
  /** A limit of ours may be in force (a 0x2015 write went out and was not released). */
  private active = false;
  /** We set 0x200E = 0x05 and have not put it back. */
  private modeSet = false;
  private lastWritten: number | null = null;
  private checkedAt: number | null = null;
  private silentUntil = 0;
  private silentError: ErrorInfo | null = null;
  private rejection: Rejection | null = null;
  private conflictEvidence: readonly string[] = [];
  private verifyFails = 0;
  private releaseFails = 0;
  private share: number | null = null;
  private readBack: number | null = null;
  private usingLimit: boolean | null = null;
  private writes: LimitWriteReport[] = [];
  /** The first cycle's time: the start of the grace for a port that is still opening. */
  private firstSeen: number | null = null;

  constructor(target: LimitTarget, claims: ChargerClaims, owner: string) {
    this.target = target;
    this.claims = claims;
    this.owner = owner;
  }

  /** The share of ours last acknowledged, A (null: none in force). */
  get written(): number | null {
    return this.active ? this.lastWritten : null;
  }

  /** May this charger take a share this cycle? Clears the cycle's writes. */
  async prepare(ctx: SessionContext): Promise<boolean> {
    this.writes = [];
    this.share = null;
    const now = ctx.clock.now();
    const identity = this.target.identity();
    const gate = gateCharger(identity);
    this.firstSeen ??= now;
    if (!gate.ok) {
      // A port still opening after a deploy is not news; one that stays silent is.
      if (gate.pending) return this.set(this.target.online() || now - this.firstSeen < STARTUP_GRACE_MS ? 'checking' : 'offline', gate.reason);
      return this.set('unsupported', gate.reason);
    }
    const product = identity === null ? undefined : findProduct(identity.productId);
    this.rating = product?.ratedChargeCurrent ?? null;
    if (this.rating === null) return this.set('unsupported', `${identity?.product ?? 'the charger'} has no rated charge current in the catalogue`);
    if (!this.target.online()) {
      // After it comes back (perhaps restarted) it is checked again before a write.
      this.checkedAt = null;
      return this.set('offline', 'the port is not delivering');
    }
    if (now < this.silentUntil) return this.set('offline', `no answer (${this.silentError?.code ?? 'VE_TIMEOUT'}); asked again shortly`);
    if (this.rejection !== null) {
      if (this.rejection.retryAt === null || now < this.rejection.retryAt) return this.set('rejected', this.rejection.error.message);
      this.rejection = null;
      this.checkedAt = null;
    }
    if (this.checkedAt === null || now - this.checkedAt >= ctx.config.conflictCheckIntervalMs) {
      const result = await inspectCharger((register) => this.readForInspection(register), {
        full: true,
        initial: this.checkedAt === null,
        // The 0x200F / 0x200D sense bits tell of remote voltage and temperature, the sense
        // bridge's business; a VE.Smart network shows in 0x200E bit 0 (networked).
        senseBits: false,
        networkInfo: false,
        mayBeOurs: () => true,
        ownNetworkMode: this.modeSet ? EXTERNAL_CONTROL : null,
      });
      if (result.kind === 'silent') return this.silent(ctx, result.error);
      if (result.kind === 'unsupported') return this.set('unsupported', result.reason);
      if (result.evidence.length > 0) {
        this.conflictEvidence = result.evidence;
        // Another master writes its own 0x2015 / 0x200E: ours are not refreshed any more, and
        // nothing is written, not even a release that would lift the other master's limit.
        this.forget();
        this.checkedAt = now;
        return this.set('conflict', result.evidence.join('; '));
      }
      this.conflictEvidence = [];
      this.checkedAt = now;
    } else if (this.conflictEvidence.length > 0) {
      // Another master was seen: left alone until the next check says otherwise.
      return this.set('conflict', this.conflictEvidence.join('; '));
    }
    if (this.state === 'conflict' || this.state === 'unsupported' || this.state === 'offline' || this.state === 'rejected') this.set('checking', null);
    return true;
  }

  /** Write `share` (A), or release with null. */
  async apply(ctx: SessionContext, share: number | null): Promise<void> {
    if (share === null) {
      await this.release(ctx);
      if (this.state !== 'offline') this.set('released', null);
      return;
    }
    this.share = share;
    const limit = await this.write(ctx, CHARGE_CURRENT_LIMIT, share);
    if (limit !== 'ok') return;
    this.active = true;
    this.lastWritten = share;
    const mode = await this.write(ctx, LIMIT_NETWORK_MODE, EXTERNAL_CONTROL);
    if (mode !== 'ok') return;
    this.modeSet = true;
    this.claims.setControlling(this.target.id, 'limit', this.owner, true);
    await this.verify(ctx, share);
  }

  /** Take our limit back, once (stop, null, stale input, a refusal). */
  async release(ctx: SessionContext): Promise<void> {
    if (!this.active && !this.modeSet) return;
    if (!this.target.online()) {
      this.releaseFailed();
      return;
    }
    if (this.active) {
      const r = await this.write(ctx, CHARGE_CURRENT_LIMIT, null, true);
      if (r === 'silent') return this.releaseFailed();
      this.active = false;
    }
    if (this.modeSet) {
      const r = await this.write(ctx, LIMIT_NETWORK_MODE, STAND_ALONE_MODE, true);
      if (r === 'silent') return this.releaseFailed();
      this.modeSet = false;
    }
    this.releaseFails = 0;
    this.claims.setControlling(this.target.id, 'limit', this.owner, false);
  }

  /** Our values stop being refreshed without a write (another master, or given up). */
  private forget(): void {
    this.active = false;
    this.modeSet = false;
    this.lastWritten = null;
    this.claims.setControlling(this.target.id, 'limit', this.owner, false);
  }

  private releaseFailed(): void {
    // Undeliverable: tried once more next cycle, then left to the charger's own timeout.
    if (++this.releaseFails >= RELEASE_ATTEMPTS) {
      this.releaseFails = 0;
      this.forget();
    }
  }

  private async verify(ctx: SessionContext, share: number): Promise<void> {
    const back = await this.read(ctx, CHARGE_CURRENT_LIMIT);
    if (back === null) return;
    this.readBack = back.value;
    let ok = back.value !== null && Math.abs(back.value - share) <= READ_BACK_TOLERANCE_A;
    const fw = parseFirmware(this.target.identity()?.firmware ?? null);
    if (fw !== null && atLeast(fw, MIN_FIRMWARE_ICHARGE)) {
      const status = await this.read(ctx, LIMIT_NETWORK_STATUS);
      if (status === null) return;
      this.usingLimit = status.rawNumber === null ? null : (status.rawNumber & STATUS_ICHARGE) !== 0;
      if (this.usingLimit === false) ok = false;
    }
    if (ok) {
      this.verifyFails = 0;
      this.set('limiting', null);
      return;
    }
    this.verifyFails++;
    const what =
      back.value === null || Math.abs(back.value - share) > READ_BACK_TOLERANCE_A
        ? `0x2015 reads back ${back.value === null ? 'no limit' : `${back.value} A`} after ${share} A was acknowledged`
        : '0x200F bit 4 (ICHARGE) stays clear: the charger does not use the limit';
    if (this.verifyFails < ctx.config.verifyFailLimit) {
      this.set('limiting', `not confirmed yet: ${what}`);
      return;
    }
    this.verifyFails = 0;
    await this.reject(ctx, 'CHARGER_NOT_LIMITING', { code: 'VE_PARAMETER', message: what });
  }

  private async reject(ctx: SessionContext, alarm: Rejection['alarm'], error: ErrorInfo): Promise<void> {
    const final = isFinalCode(error.code);
    const retryAt = final || ctx.config.rejectRetryMs === 0 ? null : ctx.clock.now() + ctx.config.rejectRetryMs;
    this.rejection = { alarm, error, retryAt };
    this.set('rejected', error.message);
    await this.release(ctx);
    this.set('rejected', error.message);
  }

  private async write(ctx: SessionContext, register: LimitRegister, value: number | null, release = false): Promise<'ok' | 'silent' | 'refused'> {
    const at = ctx.clock.now();
    try {
      const ack = await this.target.write(register, value);
      this.writes.push({ register, value, release, at, durationMs: ctx.clock.now() - at, ok: true, echo: ack.echo, flags: ack.flags, error: null });
      return 'ok';
    } catch (err) {
      const error = errorInfo(err);
      this.writes.push({ register, value, release, at, durationMs: ctx.clock.now() - at, ok: false, echo: null, flags: null, error });
      if (isSilentCode(error.code)) {
        this.silent(ctx, error);
        return 'silent';
      }
      if (!release) await this.reject(ctx, 'CHARGER_REJECTED', error);
      return 'refused';
    }
  }

  private async read(ctx: SessionContext, register: typeof CHARGE_CURRENT_LIMIT | typeof LIMIT_NETWORK_STATUS): Promise<{ value: number | null; rawNumber: number | null } | null> {
    try {
      return await this.target.read(register);
    } catch (err) {
      const error = errorInfo(err);
      if (isSilentCode(error.code)) this.silent(ctx, error);
      else await this.reject(ctx, 'CHARGER_REJECTED', error);
      return null;
    }
  }

  private async readForInspection(register: ChargerReadRegister): Promise<ReadResult> {
    try {
      // The conflict check reads only 0x200E / 0x200F here (senseBits and networkInfo off).
      const value = await this.target.read(register as typeof LIMIT_NETWORK_MODE);
      return { kind: 'value', value: value.value, rawNumber: value.rawNumber };
    } catch (err) {
      const error = errorInfo(err);
      if (!isSilentCode(error.code) && isFinalCode(error.code)) return { kind: 'unknown' };
      return { kind: 'silent', error };
    }
  }

  private silent(ctx: SessionContext, error: ErrorInfo): false {
    this.silentUntil = ctx.clock.now() + ctx.config.offlineRetryMs;
    this.silentError = error;
    return this.set('offline', `no answer (${error.code})`);
  }

  private set(state: LimitChargerState, reason: string | null): false {
    this.state = state;
    this.reason = reason;
    return false;
  }

  /** Drop the claim (the manager stops). */
  unclaim(): void {
    this.claims.release(this.target.id, 'limit', this.owner);
  }

  report(): LimitChargerReport {
    const identity = this.target.identity();
    return {
      id: this.target.id,
      label: this.target.label,
      product: identity?.product ?? null,
      serial: identity?.serial ?? null,
      firmware: identity?.firmware ?? null,
      rating: this.rating,
      online: this.target.online(),
      state: this.state,
      reason: this.reason,
      share: this.share,
      readBack: this.readBack,
      usingLimit: this.usingLimit,
      current: this.target.current(),
      writes: this.writes,
    };
  }

  alarms(): AlarmDraft<LimitAlarm>[] {
    const subject = { kind: 'charger' as const, id: this.target.id, label: this.target.label };
    const details = { state: this.state, reason: this.reason };
    switch (this.state) {
      case 'offline':
        return [{ code: 'CHARGER_OFFLINE', severity: 'warning', message: `${this.target.label}: ${this.reason ?? 'offline'}`, subject, errorCode: this.silentError?.code === 'VE_PORT_CLOSED' ? 'VE_PORT_CLOSED' : 'VE_TIMEOUT', details }];
      case 'conflict':
        return [{ code: 'CHARGER_CONFLICT', severity: 'warning', message: `${this.target.label}: left alone, another master controls it (${this.conflictEvidence.join('; ')})`, subject, errorCode: 'VE_CONFLICT', details }];
      case 'rejected': {
        const r = this.rejection;
        const code = r?.error.code;
        return [
          {
            code: r?.alarm ?? 'CHARGER_REJECTED',
            severity: 'critical',
            message: `${this.target.label}: ${this.reason ?? 'refused'}`,
            subject,
            errorCode: code === undefined || code === 'VE_UNEXPECTED' ? 'VE_PARAMETER' : code,
            details: { ...details, retryAt: r?.retryAt ?? null },
          },
        ];
      }
      case 'unsupported':
        return [{ code: 'CHARGER_UNSUPPORTED', severity: 'warning', message: `${this.target.label}: ${this.reason ?? 'not supported'}`, subject, errorCode: 'VE_NOT_SUPPORTED_DEVICE', details }];
      default:
        return [];
    }
  }
}
