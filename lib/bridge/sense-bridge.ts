/**
 * SenseBridge: shares battery voltage, temperature and (optionally) current from battery
 * monitors (BMV / SmartShunt) with MPPT solar chargers, the way a GX does Shared Voltage /
 * Temperature / Current Sense (dbus-systemcalc-py batterysense.py), without a GX, and fail-safe.
 *
 * The cycle: every `voltageIntervalMs` (3 s) the voltage and the current, every
 * `temperatureIntervalMs` (9 s) the temperature — written even when unchanged, because only a
 * write refreshes the charger's 60 s timeout (BlueSolar HEX protocol MPPT rev 10, "Remote
 * sensor data"):
 *   read the sources (sources.ts) → combine per strategy (strategies.ts) → per charger, in
 *   parallel across chargers and one request at a time per charger (charger-session.ts):
 *   check, write 0x2002 / 0x2003 / 0x200A or release, verify → report, alarms, status.
 * Only 0x2002, 0x2003 and 0x200A are ever written; 0x200E and flash-backed settings never.
 *
 * Stop (redeploy, close) and disable write the "not available" values 0xFFFF / 0x7FFF / 0x7FFFFFFF once to
 * every charger that may be using a value from this bridge, so the chargers fall back to their
 * own sensing at once instead of after 60 s; stop() resolves after those writes, or after
 * `stopTimeoutMs` at the latest.
 *
 * Pure: time comes from the injected Clock (and, for external timestamps, an injected wall
 * clock); devices are reached only through the MonitorSource / ChargerTarget adapters.
 */

import type { Clock, TimerHandle } from '../clock';
import { VeError } from '../errors';
import { AlarmBook, type AlarmDraft } from './alarms';
import { ChargerSession, type CycleContext, type ShareValue } from './charger-session';
import { resolveConfig, sharesQuantity } from './config';
import { isMonitor } from './gating';
import { buildStatus, sameStatus } from './report';
import { EXTERNAL_ID, ExternalSource, evaluate, strategyOf, type Evaluation, type SourceRuntime } from './sources';
import {
  QUANTITIES,
  type AlarmChange,
  type BridgeConfig,
  type BridgeConfigInput,
  type BridgeReport,
  type BridgeStatus,
  type ChargerTarget,
  type CombinedReport,
  type MonitorSource,
  type Quantity,
  type SourceReport,
  type WriteReport,
} from './types';

/** At most one write per register per charger per second, whatever triggers arrive (Text frames must get through). */
export const MIN_WRITE_SPACING_MS = 1000;
/** Quantities falling due this close together run in one cycle. */
const COALESCE_MS = 100;
/**
 * Monitor temperature reads (HEX 0xEDEC) run on their own schedule, this long before each
 * temperature cycle (at most half the interval), so that the cycle finds a fresh answer — and
 * never waits for one: a silent monitor takes up to 2.5 s (timeout and retry) to give up, and
 * no write to any charger may be held up by that.
 */
const TEMPERATURE_READ_LEAD_MS = 2500;
/** Right after start, ports are still connecting: "stale" and "offline" alarms wait this long. */
export const STARTUP_GRACE_MS = 10_000;
const GRACE_CODES: ReadonlySet<string> = new Set([
  'SOURCE_STALE',
  'VOLTAGE_UNAVAILABLE',
  'TEMPERATURE_UNAVAILABLE',
  'CURRENT_UNAVAILABLE',
  'CHARGER_OFFLINE',
  'VOLTAGE_IMPLAUSIBLE',
  'LITHIUM_TEMPERATURE_UNKNOWN',
]);

export interface SenseBridgeOptions {
  readonly clock: Clock;
  /** Wall clock in ms since 1970 (Date.now), needed only to honour `timestamp` on external readings. */
  readonly wallClock?: () => number;
  /** Where a fault inside a cycle is logged (besides the INTERNAL alarm). */
  readonly logError?: (message: string) => void;
  /** Battery monitors, in priority order (for `first-fresh`). */
  readonly sources: readonly MonitorSource[];
  readonly targets: readonly ChargerTarget[];
  readonly config?: BridgeConfigInput;
}

export interface BridgeEvents {
  /** After every cycle (and after a stop or disable): what was read and written. */
  readonly report: BridgeReport;
  /** When the set of active alarms changes. */
  readonly alarm: AlarmChange;
  /** When the badge changes. */
  readonly status: BridgeStatus;
}

type Listener<T> = (value: T) => void;

function withLimit<T>(clock: Clock, work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: TimerHandle | null = null;
  const limit = new Promise<undefined>((resolve) => {
    timer = clock.setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([work, limit]).finally(() => (timer as TimerHandle | null)?.cancel());
}

function emptyCombined(quantity: Quantity, config: BridgeConfig): CombinedReport {
  return {
    quantity,
    shared: sharesQuantity(config, quantity),
    value: null,
    written: null,
    strategy: strategyOf(quantity, config),
    used: [],
    ageMs: null,
    spread: null,
    reason: sharesQuantity(config, quantity) ? 'not evaluated yet' : 'not shared',
    evaluatedAt: null,
  };
}

export class SenseBridge {
  readonly config: BridgeConfig;
  private readonly clock: Clock;
  private readonly wallClock: (() => number) | undefined;
  private readonly sources: SourceRuntime[];
  private readonly sessions: ChargerSession[];
  private readonly externalSource = new ExternalSource();
  private readonly alarmBook = new AlarmBook();
  private readonly listeners: { [K in keyof BridgeEvents]: Set<Listener<BridgeEvents[K]>> } = {
    report: new Set(),
    alarm: new Set(),
    status: new Set(),
  };
  private phase: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private enabled = true;
  private timer: TimerHandle | null = null;
  private startedAt = 0;
  private cycleNo = 0;
  private readonly nextDue: Record<Quantity, number> = { voltage: 0, temperature: 0, current: 0 };
  /** What the cycles handle: voltage and temperature always (a quantity not shared is still reported), the current only when shared. */
  private readonly scheduled: readonly Quantity[];
  /** Clock time of the next round of monitor temperature reads. */
  private nextReadAt = 0;
  /** Monitors with a temperature read in flight: a silent one is not asked again meanwhile. */
  private readonly reading = new Set<SourceRuntime>();
  /** A fault inside the bridge's own code at the latest cycle (INTERNAL alarm), or null. */
  private fault: { readonly message: string; readonly at: number } | null = null;
  private readonly logError: (message: string) => void;
  private readonly lastCycleAt: Record<Quantity, number | null> = { voltage: null, temperature: null, current: null };
  private readonly evaluations: Record<Quantity, Evaluation | null> = { voltage: null, temperature: null, current: null };
  private latest: BridgeReport | null = null;
  private lastStatus: BridgeStatus | null = null;
  private lastCycle: Promise<BridgeReport> | null = null;
  private stopPromise: Promise<void> | null = null;
  /** The first error a listener threw (listeners must not throw; the bridge goes on). */
  listenerError: unknown = null;

  constructor(options: SenseBridgeOptions) {
    this.config = resolveConfig(options.config);
    this.scheduled = QUANTITIES.filter((q) => q !== 'current' || this.config.shareCurrent);
    this.clock = options.clock;
    this.wallClock = options.wallClock;
    this.logError = options.logError ?? (() => undefined);
    const ids = new Set<string>();
    for (const s of options.sources) {
      if (s.id === EXTERNAL_ID) throw new VeError('VE_BAD_INPUT', `"${EXTERNAL_ID}" is reserved for the external input`);
      if (ids.has(s.id)) throw new VeError('VE_BAD_INPUT', `source "${s.id}" is listed twice`, { id: s.id });
      ids.add(s.id);
    }
    for (const key of ['voltageSources', 'temperatureSources'] as const) {
      const list = this.config[key];
      if (list === 'all') continue;
      for (const id of list) if (!ids.has(id)) throw new VeError('VE_BAD_INPUT', `${key} names "${id}", which is not a source`, { key, id });
    }
    const targetIds = new Set<string>();
    for (const t of options.targets) {
      if (targetIds.has(t.id)) throw new VeError('VE_BAD_INPUT', `target "${t.id}" is listed twice`, { id: t.id });
      // A charger's own values must never be written back to it: one port cannot be both.
      if (ids.has(t.id) && (this.config.sourceSelection === 'explicit' || this.config.targetSelection === 'explicit')) {
        throw new VeError('VE_BAD_INPUT', `"${t.id}" is both a source and a target`, { id: t.id });
      }
      targetIds.add(t.id);
    }
    const supplies = (id: string, key: 'voltageSources' | 'temperatureSources'): boolean => {
      const list = this.config[key];
      return list === 'all' || list.includes(id);
    };
    const explicitSources = this.config.sourceSelection === 'explicit';
    this.sources = options.sources.map((source) => ({
      source,
      explicit: explicitSources,
      // The current comes from the voltage sources: a monitor chosen only for its temperature sensor may sit on another battery.
      supplies: { voltage: supplies(source.id, 'voltageSources'), temperature: supplies(source.id, 'temperatureSources'), current: supplies(source.id, 'voltageSources') },
      temperatureSeen: false,
      wasMonitor: false,
    }));
    this.sessions = options.targets.map((t) => new ChargerSession(t, this.config.targetSelection === 'explicit'));
  }

  // ── Public API ───────────────────────────────────────────────────────────────────────────

  /** Start the cycle; the first one runs at once. */
  start(): void {
    if (this.phase === 'running') return;
    if (this.phase !== 'idle') throw new VeError('VE_BAD_INPUT', 'a stopped bridge cannot be started again: create a new one');
    this.phase = 'running';
    const now = this.clock.now();
    this.startedAt = now;
    for (const q of this.scheduled) this.nextDue[q] = now;
    this.nextReadAt = now;
    this.arm();
  }

  /**
   * Stop: no more cycles; release ("not available") every value a charger may be using from
   * this bridge; resolve when done, or after `stopTimeoutMs`. Never rejects.
   */
  stop(): Promise<void> {
    if (this.stopPromise !== null) return this.stopPromise;
    const wasRunning = this.phase === 'running';
    this.phase = 'stopping';
    this.timer?.cancel();
    this.timer = null;
    this.stopPromise = (async () => {
      if (wasRunning) await this.releaseAll('stop');
      this.phase = 'stopped';
      this.publishStatus();
    })().catch(() => {
      this.phase = 'stopped';
    });
    return this.stopPromise;
  }

  /**
   * Run a cycle now (an input message, an inject). Quantities written less than a second ago
   * are not written again; the regular schedule restarts from now. Resolves with the report.
   */
  trigger(): Promise<BridgeReport> {
    if (this.phase !== 'running') return Promise.reject(new VeError('VE_BAD_INPUT', 'the bridge is not running'));
    const now = this.clock.now();
    const due = this.scheduled.filter((q) => {
      const last = this.lastCycleAt[q];
      return last === null || now - last >= MIN_WRITE_SPACING_MS;
    });
    if (due.length === 0) return this.lastCycle ?? Promise.reject(new VeError('VE_BAD_INPUT', 'no cycle has run yet'));
    for (const q of due) this.nextDue[q] = now + this.interval(q);
    if (due.includes('temperature')) this.readTemperatures();
    this.arm();
    return this.startCycle(due, 'manual');
  }

  /**
   * A reading from another flow: `{ voltage?, temperature?, timestamp? }`. It counts as one more
   * source under the same rules. Throws VE_BAD_INPUT (and changes nothing) for a bad reading or
   * a quantity not enabled by `externalVoltage` / `externalTemperature`.
   */
  external(reading: unknown): void {
    this.externalSource.accept(reading, this.clock.now(), this.config, this.wallClock);
  }

  /** Pause or resume sharing. Pausing releases what the chargers were using; resolves after that (bounded). */
  async setEnabled(enabled: boolean): Promise<void> {
    if (this.enabled === enabled) return;
    this.enabled = enabled;
    if (!enabled && this.phase === 'running') await this.releaseAll('disable');
    else if (this.phase === 'running') {
      // A report that says so at once: a message that resumed sharing within a second of the
      // last cycle gets this one back, not the paused cycle's.
      this.publish(++this.cycleNo, this.clock.now(), [], 'enable', this.sessions.map(() => null));
    } else this.publishStatus();
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  /** Try chargers that refused a value again at the next cycle (after the cause was fixed). */
  retryRejected(): void {
    for (const s of this.sessions) s.clearRejection();
  }

  /** The latest report, or null before the first cycle. */
  report(): BridgeReport | null {
    return this.latest;
  }

  /** The current badge. */
  status(): BridgeStatus {
    return this.lastStatus ?? this.computeStatus([]);
  }

  on<K extends keyof BridgeEvents>(event: K, listener: Listener<BridgeEvents[K]>): () => void {
    const set = this.listeners[event] as Set<Listener<BridgeEvents[K]>>;
    set.add(listener);
    return () => set.delete(listener);
  }

  // ── Scheduling ───────────────────────────────────────────────────────────────────────────

  /** The current goes with the voltage (a GX writes both on its 3 s tick). */
  private interval(q: Quantity): number {
    return q === 'temperature' ? this.config.temperatureIntervalMs : this.config.voltageIntervalMs;
  }

  private arm(): void {
    this.timer?.cancel();
    this.timer = null;
    if (this.phase !== 'running') return;
    const next = Math.min(...this.scheduled.map((q) => this.nextDue[q]), this.nextReadAt);
    this.timer = this.clock.setTimeout(() => this.onTimer(), Math.max(0, next - this.clock.now()));
  }

  private onTimer(): void {
    this.timer = null;
    if (this.phase !== 'running') return;
    const now = this.clock.now();
    const due = this.scheduled.filter((q) => this.nextDue[q] <= now + COALESCE_MS);
    for (const q of due) {
      // Anchored to the schedule, so timer latency does not add up; never in the past.
      const next = this.nextDue[q] + this.interval(q);
      this.nextDue[q] = next > now ? next : now + this.interval(q);
    }
    // Reads first: one that answers at once (a cached value) is then used by this cycle.
    if (this.nextReadAt <= now + COALESCE_MS) this.readTemperatures();
    this.arm();
    // Faults become an INTERNAL alarm; only when not even a report can be made is there an
    // error left, and the log is all that can take it.
    if (due.length > 0) {
      void this.startCycle(due, 'timer').catch((err: unknown) => this.logError(`sense bridge: no report could be made: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  private startCycle(due: Quantity[], trigger: BridgeReport['trigger']): Promise<BridgeReport> {
    const cycle = this.runCycle(due, trigger).catch((err: unknown) => this.onFault(err, due, trigger));
    this.lastCycle = cycle;
    return cycle;
  }

  /**
   * A fault in the bridge's own code (never a device's doing: those are handled where they
   * happen). Logged, raised as an INTERNAL alarm until a cycle completes again, and whatever the
   * chargers may be using from this bridge is released — sharing values computed by code that
   * just failed is not fail-safe.
   */
  private async onFault(err: unknown, due: Quantity[], trigger: BridgeReport['trigger']): Promise<BridgeReport> {
    const message = err instanceof Error ? err.message : String(err);
    const at = this.clock.now();
    this.fault = { message, at };
    this.logError(`sense bridge: a cycle failed: ${err instanceof Error && err.stack !== undefined ? err.stack : message}`);
    const ctx = { ...this.context([]), enabled: () => false };
    const results: Array<WriteReport[] | null> = this.sessions.map(() => null);
    const work = Promise.all(
      this.sessions.map(async (s, i) => {
        results[i] = await s.release(ctx);
      }),
    );
    await withLimit(this.clock, work, this.config.stopTimeoutMs);
    try {
      return this.publish(++this.cycleNo, at, due, trigger, results);
    } catch (again) {
      // Publishing failed as well: at least the log says so; the report stays the previous one.
      this.logError(`sense bridge: the report after a failed cycle failed too: ${again instanceof Error ? again.message : String(again)}`);
      if (this.latest !== null) return this.latest;
      throw again;
    }
  }

  // ── The cycle ────────────────────────────────────────────────────────────────────────────

  private context(due: readonly Quantity[], releaseOnly: readonly Quantity[] = []): CycleContext {
    const values = {} as Record<Quantity, ShareValue | null>;
    for (const q of QUANTITIES) values[q] = sharesQuantity(this.config, q) ? (this.evaluations[q]?.share ?? { value: null, receivedAt: null, reason: 'not evaluated yet' }) : null;
    return {
      clock: this.clock,
      config: this.config,
      due: new Set(due),
      releaseOnly: new Set(releaseOnly),
      values,
      enabled: () => this.enabled,
      stopping: () => this.phase !== 'running',
      logError: this.logError,
    };
  }

  private async runCycle(due: Quantity[], trigger: BridgeReport['trigger']): Promise<BridgeReport> {
    const cycle = ++this.cycleNo;
    const at = this.clock.now();
    for (const q of due) this.lastCycleAt[q] = at;
    const now = this.clock.now();
    for (const q of due) this.evaluations[q] = evaluate(q, this.sources, this.externalSource, this.config, now);
    const ctx = this.context(due, this.lapsed(due, now));
    const writes = await Promise.all(this.sessions.map((s) => s.cycle(ctx)));
    this.fault = null;
    return this.publish(cycle, at, due, trigger, writes);
  }

  /**
   * Quantities not due whose last shared value has meanwhile grown too old, or whose monitor
   * stopped delivering (unplugged between two temperature cycles): evaluated again now, and if nothing valid is
   * left, released at once rather than at their next cycle. A still-valid result is not
   * written (and not kept), so the regular cadence and its HEX reads stay as they are.
   */
  private lapsed(due: readonly Quantity[], now: number): Quantity[] {
    const out: Quantity[] = [];
    for (const q of QUANTITIES) {
      const last = this.evaluations[q];
      if (due.includes(q) || last === null || last.share.receivedAt === null) continue;
      const gone = last.combined.used.some((id) => this.sources.find((rt) => rt.source.id === id)?.source.online() === false);
      if (!gone && now - last.share.receivedAt <= this.config.freshnessMs) continue;
      const again = evaluate(q, this.sources, this.externalSource, this.config, now);
      if (again.share.value !== null) continue;
      this.evaluations[q] = again;
      out.push(q);
    }
    return out;
  }

  /**
   * Ask every monitor for its temperature, without waiting: the answers land in the adapters and
   * the next temperature cycle takes what is fresh by then. A monitor whose previous read is
   * still in flight (silent) is not asked again. Schedules the next round before the next
   * temperature cycle.
   */
  private readTemperatures(): void {
    const lead = Math.min(TEMPERATURE_READ_LEAD_MS, this.config.temperatureIntervalMs / 2);
    const now = this.clock.now();
    const next = this.nextDue.temperature - lead;
    this.nextReadAt = next > now ? next : next + this.config.temperatureIntervalMs;
    if (!sharesQuantity(this.config, 'temperature')) return;
    for (const rt of this.sources) {
      // Only battery monitors are asked: with "all found", chargers are listed as sources too.
      const identity = rt.source.identity();
      if (rt.source.refreshTemperature === undefined || (identity !== null && !isMonitor(identity)) || this.reading.has(rt)) continue;
      this.reading.add(rt);
      let read: Promise<void>;
      try {
        read = rt.source.refreshTemperature();
      } catch (err) {
        read = Promise.reject(err);
      }
      void read
        .catch((err: unknown) => this.logError(`sense bridge: temperature read from ${rt.source.label} failed: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => this.reading.delete(rt));
    }
  }

  private async releaseAll(trigger: 'stop' | 'disable'): Promise<void> {
    const at = this.clock.now();
    const ctx = { ...this.context([]), enabled: () => false, stopping: () => false };
    const results: Array<WriteReport[] | null> = this.sessions.map(() => null);
    const work = Promise.all(
      this.sessions.map(async (s, i) => {
        results[i] = await s.release(ctx);
      }),
    );
    await withLimit(this.clock, work, this.config.stopTimeoutMs);
    this.publish(++this.cycleNo, at, [], trigger, results);
  }

  // ── Output ───────────────────────────────────────────────────────────────────────────────

  private sourceReports(): SourceReport[] {
    const v = this.evaluations.voltage?.parts;
    const t = this.evaluations.temperature?.parts;
    const c = this.evaluations.current?.parts;
    const out: SourceReport[] = [];
    const entries: Array<{ id: string; label: string; kind: 'monitor' | 'external'; source: MonitorSource | null }> = this.sources.map((rt) => ({
      id: rt.source.id,
      label: rt.source.label,
      kind: 'monitor',
      source: rt.source,
    }));
    if (this.config.externalVoltage || this.config.externalTemperature) entries.push({ id: EXTERNAL_ID, label: 'external input', kind: 'external', source: null });
    for (const e of entries) {
      const vp = v?.get(e.id);
      const tp = t?.get(e.id);
      const cp = c?.get(e.id);
      if (vp === undefined && tp === undefined && cp === undefined) continue;
      const identity = e.source?.identity() ?? null;
      out.push({
        id: e.id,
        label: e.label,
        kind: e.kind,
        product: identity?.product ?? null,
        serial: identity?.serial ?? null,
        online: e.source === null ? true : e.source.online(),
        voltage: vp?.value ?? null,
        voltageAgeMs: vp?.ageMs ?? null,
        voltageState: vp?.state ?? 'disabled',
        usedForVoltage: vp?.used ?? false,
        temperature: tp?.value ?? null,
        temperatureAgeMs: tp?.ageMs ?? null,
        temperatureVia: tp?.via ?? null,
        temperatureState: tp?.state ?? 'disabled',
        usedForTemperature: tp?.used ?? false,
        current: cp?.value ?? null,
        currentAgeMs: cp?.ageMs ?? null,
        currentState: cp?.state ?? 'disabled',
        usedForCurrent: cp?.used ?? false,
      });
    }
    return out;
  }

  private combined(q: Quantity): CombinedReport {
    return this.evaluations[q]?.combined ?? emptyCombined(q, this.config);
  }

  private computeStatus(chargers: BridgeReport['chargers']): BridgeStatus {
    return buildStatus({
      phase: this.phase,
      enabled: this.enabled,
      voltage: this.combined('voltage'),
      temperature: this.combined('temperature'),
      current: this.combined('current'),
      chargers,
    });
  }

  private alarmDrafts(now: number): AlarmDraft[] {
    const drafts: AlarmDraft[] = [];
    for (const q of QUANTITIES) drafts.push(...(this.evaluations[q]?.alarms ?? []));
    const shareVoltage = sharesQuantity(this.config, 'voltage');
    for (const s of this.sessions) drafts.push(...s.alarms(shareVoltage && this.enabled));
    if (this.fault !== null) {
      drafts.push({
        code: 'INTERNAL',
        severity: 'critical',
        message: `a cycle failed (${this.fault.message}); what the chargers had from this bridge was released`,
        subject: { kind: 'bridge', id: 'bridge', label: 'bridge' },
        errorCode: null,
        details: {},
      });
    }
    if (now - this.startedAt < STARTUP_GRACE_MS) return drafts.filter((d) => !GRACE_CODES.has(d.code));
    return drafts;
  }

  private publish(cycle: number, at: number, due: Quantity[], trigger: BridgeReport['trigger'], writes: ReadonlyArray<WriteReport[] | null>): BridgeReport {
    const now = this.clock.now();
    const chargers = this.sessions.flatMap((s, i) => (s.listed ? [s.report(now, writes[i] ?? [])] : []));
    const change = this.alarmBook.update(this.alarmDrafts(now), now);
    const status = this.computeStatus(chargers);
    const report: BridgeReport = {
      cycle,
      at,
      finishedAt: now,
      trigger,
      due,
      enabled: this.enabled,
      running: this.phase === 'running',
      sources: this.sourceReports(),
      voltage: this.combined('voltage'),
      temperature: this.combined('temperature'),
      current: this.combined('current'),
      chargers,
      alarms: this.alarmBook.list(),
      status,
    };
    this.latest = report;
    this.emit('report', report);
    if (change !== null) this.emit('alarm', change);
    this.setStatus(status);
    return report;
  }

  private publishStatus(): void {
    this.setStatus(this.computeStatus(this.latest?.chargers ?? []));
  }

  private setStatus(status: BridgeStatus): void {
    if (sameStatus(this.lastStatus, status)) return;
    this.lastStatus = status;
    this.emit('status', status);
  }

  private emit<K extends keyof BridgeEvents>(event: K, value: BridgeEvents[K]): void {
    for (const listener of this.listeners[event] as Set<Listener<BridgeEvents[K]>>) {
      try {
        listener(value);
      } catch (err) {
        this.listenerError ??= err;
      }
    }
  }
}
