/**
 * The charge limit's reports and alarm changes as the `ve-charge-limit` node sends them: the
 * same objects with every point in time turned from the manager's monotonic clock into
 * wall-clock ms since 1970 (as bridge-output.ts does for the sense bridge). Durations and
 * ages stay as they are.
 */

import type { ChargeLimitReport, LimitAlarm, LimitAlarmChange } from '../../lib/bridge/charge-limit-types';
import type { ToWall } from './bridge-output';

function alarmOut(toWall: ToWall, a: LimitAlarm): LimitAlarm {
  const retryAt = a.details.retryAt;
  return { ...a, since: toWall(a.since), details: typeof retryAt === 'number' ? { ...a.details, retryAt: toWall(retryAt) } : a.details };
}

export function limitReportOut(toWall: ToWall, r: ChargeLimitReport): ChargeLimitReport {
  return {
    ...r,
    at: toWall(r.at),
    finishedAt: toWall(r.finishedAt),
    demand: { ...r.demand, receivedAt: r.demand.receivedAt === null ? null : toWall(r.demand.receivedAt) },
    chargers: r.chargers.map((c) => ({ ...c, writes: c.writes.map((w) => ({ ...w, at: toWall(w.at) })) })),
    alarms: r.alarms.map((a) => alarmOut(toWall, a)),
  };
}

export function limitAlarmChangeOut(toWall: ToWall, change: LimitAlarmChange): LimitAlarmChange {
  return {
    at: toWall(change.at),
    raised: change.raised.map((a) => alarmOut(toWall, a)),
    cleared: change.cleared.map((a) => alarmOut(toWall, a)),
    active: change.active.map((a) => alarmOut(toWall, a)),
  };
}
