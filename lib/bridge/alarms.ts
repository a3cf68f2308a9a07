/**
 * The set of active alarms. Each cycle recomputes the full list from the current state; the
 * book keeps when each alarm was first raised and reports only changes, so the node's alarm
 * output carries one message when something happens, not one per cycle.
 */

import type { Alarm } from './types';

/** What the book needs of an alarm: the bridge's, or the charge limit's (its own codes). */
export interface BookedAlarm {
  readonly code: string;
  readonly subject: { readonly kind: string; readonly id: string };
  readonly since: number;
}

export type AlarmDraft<A extends BookedAlarm = Alarm> = Omit<A, 'since'>;

/** Structurally the bridge's AlarmChange when A is its Alarm. */
export interface BookChange<A extends BookedAlarm> {
  readonly at: number;
  readonly raised: readonly A[];
  readonly cleared: readonly A[];
  readonly active: readonly A[];
}

export function alarmKey(a: Omit<BookedAlarm, 'since'>): string {
  return `${a.code}|${a.subject.kind}|${a.subject.id}`;
}

export class AlarmBook<A extends BookedAlarm = Alarm> {
  private active = new Map<string, A>();

  /** Replace the active set with `drafts`; returns the change, or null when the set of alarms is the same. */
  update(drafts: readonly AlarmDraft<A>[], now: number): BookChange<A> | null {
    const next = new Map<string, A>();
    const raised: A[] = [];
    for (const draft of drafts) {
      const key = alarmKey(draft);
      if (next.has(key)) continue;
      const previous = this.active.get(key);
      const alarm = { ...draft, since: previous?.since ?? now } as A; // a draft plus `since` is an A
      next.set(key, alarm);
      if (previous === undefined) raised.push(alarm);
    }
    const cleared = [...this.active.entries()].filter(([key]) => !next.has(key)).map(([, alarm]) => alarm);
    this.active = next;
    if (raised.length === 0 && cleared.length === 0) return null;
    return { at: now, raised, cleared, active: this.list() };
  }

  list(): A[] {
    return [...this.active.values()];
  }
}
