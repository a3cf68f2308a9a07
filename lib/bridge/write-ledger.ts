/**
 * What a bridge has written to one charger, per value: whether the charger may be using it,
 * the last write, and the confirmations from 0x200F. From this follows what must be released
 * (and what need not be: a value is gone 60 s after the last write), and whether a set "in
 * use" bit can be the bridge's own doing.
 *
 * Also how a write's answer is read: acknowledged, no answer (the charger may be asleep,
 * unplugged or busy), or refused.
 */

import { isVeError, type VeErrorCode } from '../errors';
import type { EncodedSense } from './encoding';
import { QUANTITIES, type Quantity, type WriteAck, type WriteReport } from './types';

/** The charger drops a remote value 60 s after its last write (BlueSolar HEX protocol MPPT rev 10). */
export const CHARGER_SENSE_TIMEOUT_MS = 60_000;
/** After that (plus a margin) a value the bridge wrote can no longer be in use. */
export const OWN_VALUE_LINGER_MS = CHARGER_SENSE_TIMEOUT_MS + 5000;
/** After a successful release the charger should have cleared its "in use" bit within this. */
const RELEASE_SETTLE_MS = 5000;
/** A release that could not be delivered is tried this often, then left to the charger's timeout. */
const RELEASE_ATTEMPTS = 2;

export type ErrorCode = VeErrorCode | 'VE_UNEXPECTED';

export interface ErrorInfo {
  readonly code: ErrorCode;
  readonly message: string;
}

/** Errors that mean "no answer": the charger may be asleep (night), unplugged, or busy. */
const SILENT_CODES: ReadonlySet<string> = new Set(['VE_TIMEOUT', 'VE_PORT_CLOSED', 'VE_QUEUE_FULL', 'VE_PORT_BUSY']);
/** Refusals that will not change while the bridge runs: the firmware lacks the register. */
const FINAL_CODES: ReadonlySet<string> = new Set(['VE_UNKNOWN_ID', 'VE_NOT_SUPPORTED', 'VE_READ_ONLY']);

export function errorInfo(err: unknown): ErrorInfo {
  if (isVeError(err)) return { code: err.code, message: err.message };
  return { code: 'VE_UNEXPECTED', message: err instanceof Error ? err.message : String(err) };
}

export const isSilentCode = (code: string): boolean => SILENT_CODES.has(code);
export const isFinalCode = (code: string): boolean => FINAL_CODES.has(code);

function flagsCode(flags: number): VeErrorCode {
  if (flags & 0x01) return 'VE_UNKNOWN_ID';
  if (flags & 0x02) return 'VE_NOT_SUPPORTED';
  return 'VE_PARAMETER';
}

function hex2(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** How a write ended. */
export type WriteOutcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'silent'; readonly error: ErrorInfo }
  /** `tookOther`: flags 0 but another value echoed: the charger uses *something* now. */
  | { readonly kind: 'refused'; readonly error: ErrorInfo; readonly final: boolean; readonly tookOther: boolean };

/** Read a write's answer: the ack (or the error it failed with) against what was sent. */
export function judgeWrite(encoded: EncodedSense, answer: { readonly ack: WriteAck } | { readonly error: unknown }): { outcome: WriteOutcome; echo: string | null; flags: number | null } {
  if ('error' in answer) {
    const error = errorInfo(answer.error);
    if (isSilentCode(error.code)) return { outcome: { kind: 'silent', error }, echo: null, flags: null };
    return { outcome: { kind: 'refused', error, final: isFinalCode(error.code), tookOther: false }, echo: null, flags: null };
  }
  const echo = answer.ack.echo.toUpperCase();
  const flags = answer.ack.flags;
  // Checked here as well as in the link: a device clamps out-of-range values and says so only
  // by echoing another value.
  if (flags !== 0) {
    const error: ErrorInfo = { code: flagsCode(flags), message: `the charger answered flags ${hex2(flags)}` };
    return { outcome: { kind: 'refused', error, final: isFinalCode(error.code), tookOther: false }, echo, flags };
  }
  if (echo !== encoded.raw) {
    const error: ErrorInfo = { code: 'VE_ECHO_MISMATCH', message: `sent ${encoded.raw}, the charger echoed ${echo}` };
    return { outcome: { kind: 'refused', error, final: false, tookOther: true }, echo, flags };
  }
  return { outcome: { kind: 'ok' }, echo, flags };
}

interface Entry {
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

function fresh(): Entry {
  return { active: false, lastWrite: null, lastValueOkAt: null, releasedOkAt: null, releaseFailures: 0, clearChecks: 0, reason: null };
}

export class WriteLedger {
  private readonly entries: Record<Quantity, Entry> = { voltage: fresh(), temperature: fresh(), current: fresh() };

  /** The charger may be using this value from us: it must be released before we stop. */
  isActive(q: Quantity): boolean {
    return this.entries[q].active;
  }

  anyActive(): boolean {
    return QUANTITIES.some((q) => this.entries[q].active);
  }

  lastWrite(q: Quantity): WriteReport | null {
    return this.entries[q].lastWrite;
  }

  reason(q: Quantity): string | null {
    return this.entries[q].reason;
  }

  setReason(q: Quantity, reason: string | null): void {
    this.entries[q].reason = reason;
  }

  clearChecks(q: Quantity): number {
    return this.entries[q].clearChecks;
  }

  /** Record a write and how it ended. */
  record(q: Quantity, report: WriteReport, outcome: WriteOutcome): void {
    const e = this.entries[q];
    e.lastWrite = report;
    switch (outcome.kind) {
      case 'ok':
        if (report.release) {
          e.active = false;
          e.releasedOkAt = report.at;
          e.releaseFailures = 0;
          e.clearChecks = 0;
        } else {
          e.active = true;
          e.lastValueOkAt = report.at;
        }
        return;
      case 'silent':
        if (report.release) {
          e.releaseFailures++;
          if (e.releaseFailures >= RELEASE_ATTEMPTS) e.active = false; // left to the charger's 60 s timeout
        } else {
          e.active = true; // it may have arrived
        }
        return;
      case 'refused':
        // A mismatching echo with flags 0: the charger took *another* value; it is in use, so
        // that it is released at once.
        if (outcome.tookOther) e.active = true;
        else if (report.release) e.active = false;
        return;
    }
  }

  /** Could a set "in use" bit for `q` be the effect of this bridge's own writes? */
  mayBeOurs(q: Quantity, now: number): boolean {
    const e = this.entries[q];
    if (e.active) return true;
    if (e.lastValueOkAt === null) return false;
    if (e.releasedOkAt !== null && e.releasedOkAt >= e.lastValueOkAt) return now - e.releasedOkAt <= RELEASE_SETTLE_MS;
    return now - e.lastValueOkAt <= OWN_VALUE_LINGER_MS;
  }

  /** 0x200F as read: count the checks in which an acknowledged value was not in use. */
  noteInUse(inUse: Readonly<Record<Quantity, boolean>>): void {
    for (const q of QUANTITIES) {
      const e = this.entries[q];
      if (e.active && e.lastWrite?.ok === true && !e.lastWrite.release) e.clearChecks = inUse[q] ? 0 : e.clearChecks + 1;
    }
  }

  /** Values acknowledged but not in use for `limit` checks in a row: the charger ignores them. */
  ignored(limit: number): Quantity[] {
    return QUANTITIES.filter((q) => this.entries[q].clearChecks >= limit);
  }

  resetChecks(): void {
    for (const q of QUANTITIES) this.entries[q].clearChecks = 0;
  }

  /** Unreachable since `since`: after the charger's timeout nothing of ours can be in use. True when that happened. */
  expire(now: number, since: number): boolean {
    if (now - since < OWN_VALUE_LINGER_MS) return false;
    for (const q of QUANTITIES) {
      this.entries[q].active = false;
      this.entries[q].clearChecks = 0;
    }
    return true;
  }

  /** Another device behind the port: nothing of the old one applies. */
  forget(): void {
    for (const q of QUANTITIES) Object.assign(this.entries[q], fresh());
  }
}
