/**
 * The charge-limit manager: one total charge current (from a BMS, or a flow) kept in force
 * across MPPT solar chargers, as a GX does with DVCC's charge current limit — each charger's
 * share in 0x2015 under external control (0x200E = 0x05), refreshed every `refreshMs`.
 *
 * - `setLimit(amps)`: the total for all chargers together (0 = stop charging); `setLimit(null)`:
 *   no limit. A total older than `timeoutMs` counts as gone: released, like null.
 * - Each cycle (every `refreshMs`, and at once on a changed total, at most one per second; the
 *   same total again only keeps it fresh): the chargers that can take a share now
 *   (limit-session.ts) split the total (charge-split.ts);
 *   a charger offline, refusing, under another master or not yet checked takes none and its
 *   part goes to the others, within their ratings. A charger that drops out during the cycle
 *   is left out and the split done again at once. Shares that go down are written before
 *   shares that go up, so the sum never exceeds the total on the way.
 * - Released (null, stale, stop): 0x2015 = 0xFFFF and 0x200E = 0x00 once per charger that had
 *   a limit of ours, then silence.
 * - Claims (charger-claims.ts): a charger limited here cannot be limited by a second manager.
 * Pure apart from the targets; the clock is injected. No Node-RED here.
 */

import type { Clock, TimerHandle } from '../clock';
import { VeError } from '../errors';
import { AlarmBook, type AlarmDraft } from './alarms';
import { resolveLimitConfig } from './charge-limit-config';
import type { ChargeLimitConfig, ChargeLimitConfigInput, ChargeLimitReport, LimitAlarm, LimitAlarmChange, LimitDemand, LimitStatus, LimitTarget } from './charge-limit-types';
import { splitCurrent } from './charge-split';
import { chargerClaims as processClaims, type ChargerClaims } from './charger-claims';
import { LimitSession } from './limit-session';
import { buildLimitStatus } from './limit-status';

/** No two cycles closer than this: each cycle is a burst of HEX on every port (Text frames need the gap). */
export const MIN_CYCLE_SPACING_MS = 1000;

export interface ChargeLimitOptions {
  readonly clock: Clock;
  readonly chargers: readonly LimitTarget[];
  readonly config?: ChargeLimitConfigInput;
  /** Who claims the chargers (a node id, "cli"): a second owner on one charger is refused. */
  readonly owner: string;
  /** How the owner is named in a refusal ("charge limit Battery bank"). Default: owner. */
  readonly ownerLabel?: string;
  /** Default: the process's claims. */
  readonly claims?: ChargerClaims;
  /** Where a fault in the manager's own code is reported. */
  readonly logError?: (message: string) => void;
}

export interface ChargeLimitEvents {
  report: ChargeLimitReport;
  alarm: LimitAlarmChange;
  status: LimitStatus;
}

type Listener<T> = (value: T) => void;

export class ChargeLimitManager {
  readonly config: ChargeLimitConfig;
  private readonly clock: Clock;
  private readonly sessions: LimitSession[];
  private readonly claims: ChargerClaims;
  private readonly owner: string;
  private readonly ownerLabel: string;
  private readonly logError: (message: string) => void;
  private readonly listeners: { [K in keyof ChargeLimitEvents]: Set<Listener<ChargeLimitEvents[K]>> } = { report: new Set(), alarm: new Set(), status: new Set() };
  private readonly book = new AlarmBook<LimitAlarm>();
  private phase: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private total: number | null = null;
  private receivedAt: number | null = null;
  private timer: TimerHandle | null = null;
  private cycleNo = 0;
  private lastStart = -Infinity;
  /** The cycles, one after the other. */
  private chain: Promise<unknown> = Promise.resolve();
  private queued: Promise<ChargeLimitReport> | null = null;
  private latest: ChargeLimitReport | null = null;
  private lastStatus: LimitStatus | null = null;
  private internalFault: string | null = null;
  private stopping: Promise<void> | null = null;

  constructor(options: ChargeLimitOptions) {
    this.config = resolveLimitConfig(options.config);
    this.clock = options.clock;
    this.claims = options.claims ?? processClaims;
    this.owner = options.owner;
    this.ownerLabel = options.ownerLabel ?? options.owner;
    this.logError = options.logError ?? (() => undefined);
    const ids = new Set<string>();
    for (const c of options.chargers) {
      if (ids.has(c.id)) throw new VeError('VE_BAD_INPUT', `charger ${c.label} is listed twice. Nothing was written.`, { key: c.id });
      ids.add(c.id);
    }
    if (options.chargers.length === 0) throw new VeError('VE_BAD_INPUT', 'a charge limit needs at least one charger. Nothing was written.', { key: 'chargers' });
    this.sessions = options.chargers.map((c) => new LimitSession(c, this.claims, this.owner));
  }

  on<K extends keyof ChargeLimitEvents>(event: K, listener: Listener<ChargeLimitEvents[K]>): () => void {
    const set = this.listeners[event] as Set<Listener<ChargeLimitEvents[K]>>;
    const entry: Listener<ChargeLimitEvents[K]> = (v) => listener(v);
    set.add(entry);
    return () => set.delete(entry);
  }

  /**
   * Claim every charger and start the cycle. Throws VE_CONFLICT (and claims none) when another
   * charge limit in this process already limits one of them.
   */
  start(): void {
    if (this.phase !== 'idle') return;
    const got: LimitSession[] = [];
    for (const s of this.sessions) {
      const r = this.claims.claim(s.target.id, 'limit', this.owner, this.ownerLabel);
      if (!r.ok) {
        for (const g of got) g.unclaim();
        throw new VeError('VE_CONFLICT', `${s.target.label} is already limited by ${r.holder.label}: one charger takes one charge limit. Nothing was written.`, {
          key: s.target.id,
          holder: r.holder.owner,
        });
      }
      got.push(s);
    }
    this.phase = 'running';
    this.timer = this.clock.setInterval(() => void this.trigger('timer'), this.config.refreshMs);
    this.emitStatus(this.status());
    void this.trigger('input');
  }

  /**
   * The total charge current for all chargers together, A (a finite number ≥ 0), or null for
   * no limit. A bad value throws VE_BAD_INPUT and changes nothing. Resolves with the report of
   * the cycle that wrote it.
   */
  setLimit(total: number | null): Promise<ChargeLimitReport> {
    if (total !== null && (typeof total !== 'number' || !Number.isFinite(total) || total < 0)) {
      throw new VeError('VE_BAD_INPUT', `the charge current limit must be a number of amps ≥ 0, or null for no limit; got ${JSON.stringify(total) ?? String(total)}. Nothing was written.`, {
        key: 'payload',
        value: total,
      });
    }
    // The same total again (a BMS repeats its limit every few seconds) only keeps it fresh: the
    // timer's refresh writes it; a cycle per message would fill the link with HEX.
    const unchanged = this.latest !== null && total === this.total && (total === null || this.demand().state === 'limit');
    this.total = total;
    this.receivedAt = this.clock.now();
    if (unchanged && this.latest !== null) return Promise.resolve(this.latest);
    return this.trigger('input');
  }

  /** The demand as a cycle would use it now. */
  demand(): LimitDemand {
    const now = this.clock.now();
    const ageMs = this.receivedAt === null ? null : now - this.receivedAt;
    if (this.total === null) return { state: 'none', total: null, receivedAt: this.receivedAt, ageMs };
    if (ageMs !== null && ageMs > this.config.timeoutMs) return { state: 'stale', total: this.total, receivedAt: this.receivedAt, ageMs };
    return { state: 'limit', total: this.total, receivedAt: this.receivedAt, ageMs };
  }

  report(): ChargeLimitReport | null {
    return this.latest;
  }

  /** Run a cycle (after the one under way, at most one per MIN_CYCLE_SPACING_MS); triggers that wait together share one cycle. */
  trigger(kind: 'timer' | 'input' = 'input'): Promise<ChargeLimitReport> {
    if (this.phase !== 'running') return Promise.resolve(this.latest ?? this.emptyReport());
    if (this.queued !== null) return this.queued;
    const next = this.chain
      .then(() => this.spacing())
      .then(() => {
        this.queued = null;
        return this.phase === 'running' ? this.cycle(kind) : (this.latest ?? this.emptyReport());
      });
    this.queued = next;
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Release every charger (bounded by stopTimeoutMs), drop the claims, go quiet. */
  stop(): Promise<void> {
    // Every port's beforeClose asks: each must wait for the one release.
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const wasRunning = this.phase === 'running';
    this.phase = 'stopping';
    this.timer?.cancel();
    this.timer = null;
    if (wasRunning) {
      const busy = this.chain;
      const release = (async () => {
        await busy;
        await this.releaseAll();
      })();
      let timeout: TimerHandle | null = null;
      await Promise.race([release, new Promise<void>((resolve) => (timeout = this.clock.setTimeout(resolve, this.config.stopTimeoutMs)))]);
      (timeout as TimerHandle | null)?.cancel();
      this.publish('stop', this.clock.now(), null);
    }
    for (const s of this.sessions) s.unclaim();
    this.phase = 'stopped';
    this.emitStatus(this.status());
  }

  private async releaseAll(): Promise<void> {
    const ctx = { clock: this.clock, config: this.config };
    await Promise.all(this.sessions.map((s) => s.release(ctx).catch((err: unknown) => this.fault(err))));
  }

  private async spacing(): Promise<void> {
    const wait = this.lastStart + MIN_CYCLE_SPACING_MS - this.clock.now();
    if (wait > 0) await new Promise<void>((resolve) => this.clock.setTimeout(resolve, wait));
  }

  private async cycle(kind: 'timer' | 'input'): Promise<ChargeLimitReport> {
    const at = this.clock.now();
    this.lastStart = at;
    this.cycleNo++;
    const ctx = { clock: this.clock, config: this.config };
    const demand = this.demand();
    try {
      const ready = await Promise.all(this.sessions.map((s) => s.prepare(ctx)));
      let taking = this.sessions.filter((_, i) => ready[i] === true);
      if (demand.state !== 'limit' || demand.total === null) {
        await Promise.all(taking.map((s) => s.apply(ctx, null)));
        // Offline ones keep a pending release for when they answer again.
        await Promise.all(this.sessions.filter((_, i) => ready[i] !== true).map((s) => (s.state === 'offline' ? Promise.resolve() : s.release(ctx))));
      } else {
        // A charger that drops out while being written leaves its part to the others at once.
        for (let pass = 0; pass < 2 && taking.length > 0; pass++) {
          await this.writeShares(ctx, demand.total, taking);
          const still = taking.filter((s) => s.state === 'limiting');
          if (still.length === taking.length) break;
          taking = still;
        }
      }
      this.internalFault = null;
    } catch (err) {
      this.fault(err);
      await this.releaseAll();
    }
    return this.publish(kind, at, demand);
  }

  private async writeShares(ctx: { clock: Clock; config: ChargeLimitConfig }, total: number, taking: readonly LimitSession[]): Promise<void> {
    const shares = splitCurrent(
      total,
      taking.map((s) => ({ id: s.target.id, rating: s.rating ?? 0 })),
      this.config.split,
    );
    const plan = taking.map((s, i) => ({ s, share: shares[i] ?? 0 }));
    // Down before up: a charger without a limit of ours charges at its own maximum, so any share lowers it.
    const lowers = plan.filter((p) => p.s.written === null || p.share <= p.s.written);
    const raises = plan.filter((p) => !lowers.includes(p));
    await Promise.all(lowers.map((p) => p.s.apply(ctx, p.share)));
    await Promise.all(raises.map((p) => p.s.apply(ctx, p.share)));
  }

  private fault(err: unknown): void {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    this.internalFault = message;
    this.logError(`charge limit: internal fault, limits released: ${message}`);
  }

  private alarmDrafts(demand: LimitDemand | null): AlarmDraft<LimitAlarm>[] {
    const subject = { kind: 'limit' as const, id: this.owner, label: this.ownerLabel };
    const drafts: AlarmDraft<LimitAlarm>[] = this.sessions.flatMap((s) => s.alarms());
    if (demand?.state === 'stale') {
      drafts.push({
        code: 'INPUT_STALE',
        severity: 'warning',
        message: `no charge current limit received for ${Math.round((demand.ageMs ?? 0) / 1000)} s (timeout ${this.config.timeoutMs / 1000} s): limits released`,
        subject,
        errorCode: 'VE_STALE',
        details: { ageMs: demand.ageMs, timeoutMs: this.config.timeoutMs },
      });
    }
    if (demand?.state === 'limit') {
      const loose = this.sessions.filter((s) => s.state !== 'limiting');
      if (loose.length > 0) {
        drafts.push({
          code: 'NOT_ALL_LIMITED',
          severity: demand.total === 0 ? 'critical' : 'warning',
          message: `${loose.map((s) => s.target.label).join(', ')} not under the limit of ${demand.total} A: ${loose.length === 1 ? 'it charges' : 'they charge'} by ${loose.length === 1 ? 'its' : 'their'} own settings`,
          subject,
          errorCode: null,
          details: { chargers: loose.map((s) => s.target.id) },
        });
      }
    }
    if (this.internalFault !== null) {
      drafts.push({ code: 'INTERNAL', severity: 'critical', message: `internal fault, limits released: ${this.internalFault.split('\n')[0] ?? ''}`, subject, errorCode: null, details: {} });
    }
    return drafts;
  }

  private status(demand: LimitDemand | null = null): LimitStatus {
    return buildLimitStatus({ phase: this.phase, demand, chargers: this.sessions.map((s) => s.report()) });
  }

  private emptyReport(): ChargeLimitReport {
    const now = this.clock.now();
    return { cycle: this.cycleNo, at: now, finishedAt: now, trigger: 'stop', demand: this.demand(), split: this.config.split, limited: 0, chargers: [], alarms: this.book.list(), status: this.status() };
  }

  private publish(trigger: ChargeLimitReport['trigger'], at: number, demand: LimitDemand | null): ChargeLimitReport {
    const now = this.clock.now();
    const chargers = this.sessions.map((s) => s.report());
    const change = this.book.update(this.alarmDrafts(demand), now);
    const status = this.status(demand);
    const report: ChargeLimitReport = {
      cycle: this.cycleNo,
      at,
      finishedAt: now,
      trigger,
      demand: demand ?? this.demand(),
      split: this.config.split,
      limited: Math.round(chargers.reduce((sum, c) => sum + (c.state === 'limiting' ? (c.share ?? 0) : 0), 0) * 10) / 10,
      chargers,
      alarms: this.book.list(),
      status,
    };
    this.latest = report;
    this.emit('report', report);
    if (change !== null) this.emit('alarm', change);
    this.emitStatus(status);
    return report;
  }

  private emitStatus(status: LimitStatus): void {
    const last = this.lastStatus;
    if (last !== null && last.text === status.text && last.fill === status.fill && last.shape === status.shape) return;
    this.lastStatus = status;
    this.emit('status', status);
  }

  private emit<K extends keyof ChargeLimitEvents>(event: K, value: ChargeLimitEvents[K]): void {
    for (const listener of [...this.listeners[event]] as Listener<ChargeLimitEvents[K]>[]) {
      try {
        listener(value);
      } catch (err) {
        this.logError(`charge limit: a ${String(event)} listener failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}
