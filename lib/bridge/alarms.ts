/**
 * The set of active alarms. Each cycle recomputes the full list from the current state; the
 * book keeps when each alarm was first raised and reports only changes, so the node's alarm
 * output carries one message when something happens, not one per cycle.
 */

import type { Alarm, AlarmChange } from './types';

export type AlarmDraft = Omit<Alarm, 'since'>;

export function alarmKey(a: AlarmDraft): string {
  return `${a.code}|${a.subject.kind}|${a.subject.id}`;
}

export class AlarmBook {
  private active = new Map<string, Alarm>();

  /** Replace the active set with `drafts`; returns the change, or null when the set of alarms is the same. */
  update(drafts: readonly AlarmDraft[], now: number): AlarmChange | null {
    const next = new Map<string, Alarm>();
    const raised: Alarm[] = [];
    for (const draft of drafts) {
      const key = alarmKey(draft);
      if (next.has(key)) continue;
      const previous = this.active.get(key);
      const alarm: Alarm = { ...draft, since: previous?.since ?? now };
      next.set(key, alarm);
      if (previous === undefined) raised.push(alarm);
    }
    const cleared = [...this.active.entries()].filter(([key]) => !next.has(key)).map(([, alarm]) => alarm);
    this.active = next;
    if (raised.length === 0 && cleared.length === 0) return null;
    return { at: now, raised, cleared, active: this.list() };
  }

  list(): Alarm[] {
    return [...this.active.values()];
  }
}
