/**
 * Shapes of the charge-limit manager (charge-limit.ts): the charger it writes through, its
 * configuration, and what it reports per cycle, as alarms and as a badge. Times are
 * milliseconds of the injected Clock unless a name says otherwise.
 */

import type { VeErrorCode } from '../errors';
import type { SplitMode } from './charge-split';
import type { DeviceIdentity, RegisterValue, StatusFill, StatusShape, WriteAck } from './types';

/** Charge current limit, un16 0.1 A; 0xFFFF "not available" = no limit (BlueSolar HEX protocol MPPT rev 10). */
export const CHARGE_CURRENT_LIMIT = 0x2015;
/** Network mode; the manager writes only 0x05 (networked + external control) and 0x00 (stand-alone). */
export const LIMIT_NETWORK_MODE = 0x200e;
/** 0x200F network status; bit 4 (ICHARGE, fw ≥ 1.44): the charger uses the remote charge current. */
export const LIMIT_NETWORK_STATUS = 0x200f;
/** Networked (bit 0) + external control (bit 2): what a GX sets while it limits (dvcc.py). Never bit 3. */
export const EXTERNAL_CONTROL = 0x05;
export const STAND_ALONE_MODE = 0x00;
export const STATUS_ICHARGE = 0x10;

/** The registers the manager writes. */
export type LimitRegister = typeof CHARGE_CURRENT_LIMIT | typeof LIMIT_NETWORK_MODE;
/** The registers it reads (besides those of the conflict check). */
export type LimitReadRegister = typeof CHARGE_CURRENT_LIMIT | typeof LIMIT_NETWORK_STATUS | 0x200d | 0xedec;

/** An MPPT the manager limits. */
export interface LimitTarget {
  /** Stable id (the port node's id, or the port path): the claim key. */
  readonly id: string;
  readonly label: string;
  identity(): DeviceIdentity | null;
  online(): boolean;
  /** The charger's own battery current (Text `I`), A, or null. */
  current(): number | null;
  /** Get one register; rejects with a VeError. */
  read(register: LimitReadRegister | typeof LIMIT_NETWORK_MODE): Promise<RegisterValue>;
  /** Set 0x2015 (A, or null for "no limit") or 0x200E through the write policy; rejects with a VeError. */
  write(register: LimitRegister, value: number | null): Promise<WriteAck>;
}

export interface ChargeLimitConfig {
  readonly split: SplitMode;
  /** How often each share is written again. Default 10000; 2000..20000 (the charger drops it after ~50-60 s). */
  readonly refreshMs: number;
  /** A total older than this is released. Default 60000; 5000..86400000. */
  readonly timeoutMs: number;
  /** How often 0x200E / 0x200F are read again for another master. Default 60000. */
  readonly conflictCheckIntervalMs: number;
  /** A charger that stopped answering is asked again after this. Default 15000. */
  readonly offlineRetryMs: number;
  /** A charger that refused is tried again after this (0: never). Default 600000. */
  readonly rejectRetryMs: number;
  /** Consecutive checks with the limit not in use (read-back or ICHARGE) before a charger counts as refusing. Default 2. */
  readonly verifyFailLimit: number;
  /** stop() gives the release at most this long. Default 3000. */
  readonly stopTimeoutMs: number;
}

export type ChargeLimitConfigInput = Partial<ChargeLimitConfig>;

export type LimitChargerState =
  | 'checking' // not identified, or the conflict check is pending
  | 'limiting' // its share is written and confirmed
  | 'released' // no limit asked: nothing written (after the release)
  | 'offline' // the port is not delivering, or the charger does not answer
  | 'conflict' // a GX, a BMS or a VE.Smart network controls it: left alone
  | 'rejected' // it refused a value, or does not use it: left alone until the retry
  | 'unsupported'; // not an MPPT, firmware below 1.29, or no rating in the catalogue

export interface LimitWriteReport {
  readonly register: LimitRegister;
  /** A for 0x2015 (null: "no limit"), the mode for 0x200E. */
  readonly value: number | null;
  readonly release: boolean;
  readonly at: number;
  readonly durationMs: number;
  readonly ok: boolean;
  readonly echo: string | null;
  readonly flags: number | null;
  readonly error: { readonly code: VeErrorCode | 'VE_UNEXPECTED'; readonly message: string } | null;
}

export interface LimitChargerReport {
  readonly id: string;
  readonly label: string;
  readonly product: string | null;
  readonly serial: string | null;
  readonly firmware: string | null;
  /** Rated charge current from the catalogue, A. */
  readonly rating: number | null;
  readonly online: boolean;
  readonly state: LimitChargerState;
  readonly reason: string | null;
  /** What the split gave it this cycle, A (null: not part of the split). */
  readonly share: number | null;
  /** 0x2015 as read back after the write, A (null: "no limit", or not read). */
  readonly readBack: number | null;
  /** 0x200F bit 4 at the latest read; null when not read or the firmware has no such bit. */
  readonly usingLimit: boolean | null;
  /** The charger's own battery current (Text `I`), A. */
  readonly current: number | null;
  readonly writes: readonly LimitWriteReport[];
}

export type LimitAlarmCode =
  | 'INPUT_STALE' // the total is older than `timeout`: released
  | 'CHARGER_OFFLINE'
  | 'CHARGER_CONFLICT'
  | 'CHARGER_REJECTED'
  | 'CHARGER_NOT_LIMITING' // acknowledged, but read-back or 0x200F says the limit is not in use
  | 'CHARGER_UNSUPPORTED'
  | 'NOT_ALL_LIMITED' // a limit is asked, but some chargers are not under it (they charge on their own)
  | 'INTERNAL';

export interface LimitAlarm {
  readonly code: LimitAlarmCode;
  readonly severity: 'info' | 'warning' | 'critical';
  readonly message: string;
  readonly subject: { readonly kind: 'charger' | 'limit'; readonly id: string; readonly label: string };
  readonly errorCode: VeErrorCode | null;
  readonly details: Readonly<Record<string, unknown>>;
  readonly since: number;
}

export interface LimitAlarmChange {
  readonly at: number;
  readonly raised: readonly LimitAlarm[];
  readonly cleared: readonly LimitAlarm[];
  readonly active: readonly LimitAlarm[];
}

export type LimitStatusKey = 'limiting' | 'released' | 'stale' | 'conflict' | 'rejected' | 'waiting' | 'stopped';

export interface LimitStatus {
  readonly fill: StatusFill;
  readonly shape: StatusShape;
  /** "40 A → 12 + 28 A", "released". */
  readonly text: string;
  readonly key: LimitStatusKey;
  readonly params: Readonly<Record<string, string | number>>;
}

/** What was asked: a total, no limit, or a total too old to use. */
export interface LimitDemand {
  readonly state: 'limit' | 'none' | 'stale';
  /** The total asked, A (null: "no limit" or nothing yet). */
  readonly total: number | null;
  readonly receivedAt: number | null;
  readonly ageMs: number | null;
}

export interface ChargeLimitReport {
  readonly cycle: number;
  readonly at: number;
  readonly finishedAt: number;
  readonly trigger: 'timer' | 'input' | 'stop';
  readonly demand: LimitDemand;
  readonly split: SplitMode;
  /** Sum of the shares written this cycle, A. */
  readonly limited: number;
  readonly chargers: readonly LimitChargerReport[];
  readonly alarms: readonly LimitAlarm[];
  readonly status: LimitStatus;
}
