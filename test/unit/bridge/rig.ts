/**
 * A bridge wired to fake monitors and chargers on a ManualClock, recording its reports,
 * alarm changes and badges.
 */

import assert from 'node:assert/strict';
import { ManualClock } from '../../../lib/clock';
import { SenseBridge } from '../../../lib/bridge/sense-bridge';
import type { AlarmChange, BridgeConfigInput, BridgeReport, BridgeStatus, ChargerTarget, MonitorSource } from '../../../lib/bridge/types';
import { FakeCharger, FakeMonitor, run, type FakeChargerOptions, type FakeMonitorOptions } from './fakes';

/** Wall clock of the rig: 2026-11-24T00:00:00Z plus the manual clock. */
export const WALL_EPOCH = Date.UTC(2026, 10, 24);

export interface RigOptions {
  readonly monitors?: ReadonlyArray<Partial<FakeMonitorOptions>>;
  readonly chargers?: ReadonlyArray<Partial<FakeChargerOptions>>;
  readonly config?: BridgeConfigInput;
  /** Give the monitors and chargers to the bridge as both sources and targets (auto selection). */
  readonly autoPorts?: boolean;
}

/** A charger's port offered as a source. */
function asSource(c: FakeCharger): MonitorSource {
  return {
    id: c.id,
    label: c.label,
    identity: () => c.identity(),
    online: () => c.online(),
    voltage: () => c.terminalVoltage(),
    current: () => null,
    temperature: () => ({ kind: 'unknown' }),
  };
}

/** A monitor's port offered as a target: any write to it is a failure of the test. */
function asTarget(m: FakeMonitor): ChargerTarget {
  const refuse = (): Promise<never> => Promise.reject(new Error(`${m.id} is a monitor and must never be written`));
  return { id: m.id, label: m.label, identity: () => m.identity(), online: () => m.online(), terminalVoltage: () => null, write: refuse, read: refuse };
}

export class Rig {
  readonly clock = new ManualClock();
  readonly monitors: FakeMonitor[];
  readonly chargers: FakeCharger[];
  readonly bridge: SenseBridge;
  readonly reports: BridgeReport[] = [];
  readonly alarms: AlarmChange[] = [];
  readonly statuses: BridgeStatus[] = [];
  /** What the bridge logged as errors. */
  readonly errors: string[] = [];
  /** Timers armed by the fakes themselves (the monitors' 1 s frames). */
  readonly baseTimers: number;

  constructor(options: RigOptions = {}) {
    const monitorOptions = options.monitors ?? [{}, {}];
    this.monitors = monitorOptions.map((m, i) => new FakeMonitor(this.clock, { id: `bmv${i + 1}`, ...m }));
    const chargerOptions = options.chargers ?? [{}, {}, {}];
    this.chargers = chargerOptions.map((c, i) => new FakeCharger(this.clock, { id: `mppt${i + 1}`, ...c }));
    this.baseTimers = this.clock.pending;
    // "All found": every port is offered both as a source and as a target; the bridge keeps
    // the monitors as sources and the MPPTs as targets.
    const sources: MonitorSource[] = options.autoPorts ? [...this.monitors, ...this.chargers.map(asSource)] : this.monitors;
    const targets: ChargerTarget[] = options.autoPorts ? [...this.monitors.map(asTarget), ...this.chargers] : this.chargers;
    this.bridge = new SenseBridge({
      clock: this.clock,
      wallClock: () => WALL_EPOCH + this.clock.now(),
      logError: (message) => this.errors.push(message),
      sources,
      targets,
      config: options.autoPorts ? { sourceSelection: 'auto', targetSelection: 'auto', ...options.config } : options.config,
    });
    this.bridge.on('report', (r) => this.reports.push(r));
    this.bridge.on('alarm', (a) => this.alarms.push(a));
    this.bridge.on('status', (s) => this.statuses.push(s));
  }

  get charger(): FakeCharger {
    const c = this.chargers[0];
    assert.ok(c);
    return c;
  }

  get monitor(): FakeMonitor {
    const m = this.monitors[0];
    assert.ok(m);
    return m;
  }

  start(): void {
    this.bridge.start();
  }

  run(ms: number, step = 100): Promise<void> {
    return run(this.clock, ms, step);
  }

  last(): BridgeReport {
    const r = this.reports.at(-1);
    assert.ok(r, 'no report yet');
    return r;
  }

  /** Alarm codes currently active. */
  activeCodes(): string[] {
    return (this.bridge.report()?.alarms ?? []).map((a) => a.code);
  }

  /** Alarm codes raised over the whole run, in order. */
  raisedCodes(): string[] {
    return this.alarms.flatMap((a) => a.raised.map((r) => r.code));
  }

  /** Invariants every test must keep: one request at a time per charger, only 0x2002 / 0x2003 written. */
  checkInvariants(): void {
    for (const c of this.chargers) {
      assert.ok(c.maxInFlight <= 1, `${c.id}: ${c.maxInFlight} requests at once`);
      assert.deepEqual(c.forbidden, [], `${c.id}: wrote other registers`);
      for (const w of c.writes(0x2003)) assert.notEqual(w.raw, 'FFFF', `${c.id}: FFFF written to 0x2003`);
    }
  }
}
