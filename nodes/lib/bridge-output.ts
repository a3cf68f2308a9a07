/**
 * The sense bridge's reports and alarm changes as the `ve-bmv-to-mppt` node sends them: the
 * same objects, with every point in time turned from the bridge's monotonic clock (ms since
 * the process started, for measuring intervals) into wall-clock ms since 1970, like
 * `Date.now()` — what a user compares with other messages and a dashboard shows. Durations
 * and ages (`durationMs`, `*AgeMs`) stay as they are.
 */

import type { Alarm, AlarmChange, BridgeReport, ChargerReport, CombinedReport, WriteReport } from '../../lib/bridge/types';
import { systemClock, type Clock } from '../../lib/clock';

/** Monotonic clock time → wall-clock time. */
export type ToWall = (t: number) => number;

/** The conversion as of now: wall clock minus monotonic clock. */
export function wallClockNow(clock: Clock = systemClock, wall: () => number = Date.now): ToWall {
  const offset = wall() - clock.now();
  return (t) => Math.round(t + offset);
}

function maybe(toWall: ToWall, t: number | null): number | null {
  return t === null ? null : toWall(t);
}

function write(toWall: ToWall, w: WriteReport): WriteReport;
function write(toWall: ToWall, w: WriteReport | null): WriteReport | null;
function write(toWall: ToWall, w: WriteReport | null): WriteReport | null {
  return w === null ? null : { ...w, at: toWall(w.at) };
}

function charger(toWall: ToWall, c: ChargerReport): ChargerReport {
  return {
    ...c,
    notAvailableNotice: {
      voltage: maybe(toWall, c.notAvailableNotice.voltage),
      temperature: maybe(toWall, c.notAvailableNotice.temperature),
      current: maybe(toWall, c.notAvailableNotice.current),
    },
    writes: c.writes.map((w) => write(toWall, w)),
    lastWrite: { voltage: write(toWall, c.lastWrite.voltage), temperature: write(toWall, c.lastWrite.temperature), current: write(toWall, c.lastWrite.current) },
  };
}

function combined(toWall: ToWall, c: CombinedReport): CombinedReport {
  return { ...c, evaluatedAt: maybe(toWall, c.evaluatedAt) };
}

export function alarmOut(toWall: ToWall, a: Alarm): Alarm {
  const retryAt = a.details.retryAt;
  return {
    ...a,
    since: toWall(a.since),
    // A refused charger's next attempt (CHARGER_REJECTED).
    details: typeof retryAt === 'number' ? { ...a.details, retryAt: toWall(retryAt) } : a.details,
  };
}

export function reportOut(toWall: ToWall, r: BridgeReport): BridgeReport {
  return {
    ...r,
    at: toWall(r.at),
    finishedAt: toWall(r.finishedAt),
    voltage: combined(toWall, r.voltage),
    temperature: combined(toWall, r.temperature),
    current: combined(toWall, r.current),
    chargers: r.chargers.map((c) => charger(toWall, c)),
    alarms: r.alarms.map((a) => alarmOut(toWall, a)),
  };
}

export function alarmChangeOut(toWall: ToWall, change: AlarmChange): AlarmChange {
  return {
    at: toWall(change.at),
    raised: change.raised.map((a) => alarmOut(toWall, a)),
    cleared: change.cleared.map((a) => alarmOut(toWall, a)),
    active: change.active.map((a) => alarmOut(toWall, a)),
  };
}

/** An alarm as the node log needs it: the bridge's and the charge limit's alarms both fit. */
interface LoggedAlarm {
  readonly code: string;
  readonly severity: string;
  readonly message: string;
}

/**
 * Each raised alarm to the Node-RED log (a warning, or a log line for an `info` one), each cleared
 * one as a log line, titled by the node's own `alarms.<code>` text (`t` reads the node's locale).
 */
export function logAlarmChange(
  node: { log(msg: string): void; warn(msg: string): void },
  t: (key: string, params?: Record<string, string | number>) => string,
  change: { readonly raised: readonly LoggedAlarm[]; readonly cleared: readonly LoggedAlarm[] },
): void {
  for (const a of change.raised) {
    const text = t('log.raised', { title: t(`alarms.${a.code}`), message: a.message });
    if (a.severity === 'info') node.log(text);
    else node.warn(text);
  }
  for (const a of change.cleared) node.log(t('log.cleared', { title: t(`alarms.${a.code}`), message: a.message }));
}
