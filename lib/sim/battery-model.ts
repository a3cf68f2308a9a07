/**
 * The physical world behind the simulated devices: one battery, its DC loads and the sun,
 * shared by every simulated device of a process so that they agree with each other — a
 * monitor reports the battery, an MPPT's terminal voltage is the battery voltage plus its
 * cable drop, and the battery current is what the chargers deliver minus the loads.
 *
 * The model is small and only aims at plausible numbers: open-circuit voltage rising with
 * SOC, an internal resistance that grows near full (so charge current tapers in absorption),
 * temperature drifting towards a daily ambient curve, PV on a clear-sky day curve (sunrise
 * 06:00, sunset 18:00) dimmed by slowly drifting clouds, and a DC load with an evening peak.
 * Simulated time runs `speed` times faster than the injected clock, so a day can pass in
 * minutes. Integration is lazy: state catches up with the clock whenever it is read.
 */

import type { Clock } from '../clock';
import { Random } from './random';

export type NominalVoltage = 12 | 24 | 48;

export interface SimSystemOptions {
  /** Battery bank voltage (12, 24 or 48 V). Default 12. */
  readonly nominalVoltage?: NominalVoltage;
  /** Battery capacity, Ah. Default 200. */
  readonly capacityAh?: number;
  /** State of charge at the start, 0..1. Default 0.8. */
  readonly soc?: number;
  /** Simulated time of day at the start, minutes since midnight. Default 12:00. */
  readonly timeOfDay?: number;
  /** Simulated seconds per second of the clock. Default 1. */
  readonly speed?: number;
  /** Seed of the drift (clouds, loads). Default 1. */
  readonly seed?: number;
  /** Mean ambient temperature, °C. Default 20. */
  readonly ambientC?: number;
  /** Mean DC load besides attached devices, W. Default 40. */
  readonly loadW?: number;
  /**
   * Panels charging the battery through a charger that is not simulated, W at full sun; used
   * only while no simulated charger is attached, so a lone battery monitor still sees days
   * and nights. Default 300; 0 for none.
   */
  readonly backgroundSolarW?: number;
}

export interface BatteryState {
  /** Voltage at the battery posts, V. */
  readonly voltage: number;
  /** Battery current, A; > 0 charging. */
  readonly current: number;
  /** State of charge, 0..1. */
  readonly soc: number;
  readonly temperatureC: number;
  /** Amp-hours taken out since full (≤ 0), as a synchronised monitor counts them. */
  readonly consumedAh: number;
  /** Current drawn by all loads, A. */
  readonly loadCurrent: number;
}

/** What a charger tells the model each step; the MPPT and AC charger profiles implement it. */
export interface ChargerLink {
  /** Largest current the charger can deliver now, A (its PV, limits, state). */
  available(): number;
  /** The voltage it regulates its battery terminals to, V. */
  terminalTarget(): number;
  /** Resistance of its battery cables, Ω: terminal voltage = battery voltage + I·R. */
  readonly cableOhms: number;
  /** After each step: simulated seconds elapsed and the current it delivered, A. */
  advance?(seconds: number, delivered: number): void;
}

export interface AttachedCharger {
  /** Current delivered in the latest step, A. */
  current(): number;
  /** Voltage at its battery terminals, V. */
  terminalVoltage(): number;
  detach(): void;
}

interface ChargerEntry {
  readonly link: ChargerLink;
  delivered: number;
}

const SECONDS_PER_DAY = 86_400;
/** Longest simulated step; shorter steps only cost time. */
const MAX_STEP_S = 10;
/** Battery temperature follows the ambient with this time constant (a few hours for a bank). */
const THERMAL_TAU_S = 4 * 3600;
const CHARGE_EFFICIENCY = 0.95;

function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - edge0) / (edge1 - edge0)));
  return t * t * (3 - 2 * t);
}

export class SimSystem {
  readonly nominalVoltage: NominalVoltage;
  readonly capacityAh: number;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly ambientMeanC: number;
  private readonly loadW: number;
  private readonly chargers: ChargerEntry[] = [];
  private readonly background: ChargerEntry;
  private readonly loads = new Set<() => number>();

  private speed: number;
  private lastClock: number;
  /** Simulated seconds since midnight of day 0. */
  private simTime: number;
  private soc: number;
  private temperatureC: number;
  private cloud = 0.9;
  private loadNoise = 0;
  private voltage: number;
  private current = 0;
  private loadCurrent = 0;
  private stepping = false;

  constructor(clock: Clock, options: SimSystemOptions = {}) {
    this.clock = clock;
    this.nominalVoltage = options.nominalVoltage ?? 12;
    this.capacityAh = options.capacityAh ?? 200;
    this.soc = Math.min(1, Math.max(0, options.soc ?? 0.8));
    this.speed = options.speed ?? 1;
    this.random = new Random(options.seed ?? 1);
    this.ambientMeanC = options.ambientC ?? 20;
    this.loadW = options.loadW ?? 40;
    this.simTime = (options.timeOfDay ?? 12 * 60) * 60;
    this.lastClock = clock.now();
    this.temperatureC = this.ambientAt(this.simTime);
    this.voltage = this.restVoltage(this.soc);
    const backgroundW = options.backgroundSolarW ?? 300;
    this.background = {
      delivered: 0,
      link: {
        cableOhms: 0,
        available: () => (backgroundW * this.clearSky(this.simTime) * this.cloud) / Math.max(1, this.voltage),
        terminalTarget: () => 14.4 * this.scale,
      },
    };
  }

  /** 1, 2 or 4: how many 12 V blocks in series. */
  get scale(): number {
    return this.nominalVoltage / 12;
  }

  // ── Time ──────────────────────────────────────────────────────────────────────────────────

  /** Simulated minutes since midnight. */
  timeOfDay(): number {
    this.update();
    return (((this.simTime % SECONDS_PER_DAY) + SECONDS_PER_DAY) % SECONDS_PER_DAY) / 60;
  }

  /** Simulated days since the start (day 0 is the first). */
  day(): number {
    this.update();
    return Math.floor(this.simTime / SECONDS_PER_DAY);
  }

  /** Jump to a time of day (minutes since midnight), forward into the next day if needed. */
  setTimeOfDay(minutes: number): void {
    this.update();
    const target = (((minutes * 60) % SECONDS_PER_DAY) + SECONDS_PER_DAY) % SECONDS_PER_DAY;
    const current = this.simTime % SECONDS_PER_DAY;
    this.simTime += (target - current + SECONDS_PER_DAY) % SECONDS_PER_DAY;
  }

  /** Simulated seconds per second of the clock. */
  setSpeed(speed: number): void {
    this.update();
    this.speed = Math.max(0, speed);
  }

  getSpeed(): number {
    return this.speed;
  }

  /** Simulated seconds elapsed since the start (monotonic). */
  simSeconds(): number {
    this.update();
    return this.simTime;
  }

  // ── Sun ───────────────────────────────────────────────────────────────────────────────────

  /** Sunlight on the panels, 0..1 (clear-sky curve times clouds). */
  irradiance(): number {
    this.update();
    return this.clearSky(this.simTime) * this.cloud;
  }

  ambientC(): number {
    this.update();
    return this.ambientAt(this.simTime);
  }

  // ── Battery ───────────────────────────────────────────────────────────────────────────────

  battery(): BatteryState {
    this.update();
    return {
      voltage: this.voltage,
      current: this.current,
      soc: this.soc,
      temperatureC: this.temperatureC,
      consumedAh: -(1 - this.soc) * this.capacityAh,
      loadCurrent: this.loadCurrent,
    };
  }

  /** Force the state of charge (0..1), e.g. to start a test with a flat battery. */
  setSoc(soc: number): void {
    this.update();
    this.soc = Math.min(1, Math.max(0, soc));
    this.voltage = this.restVoltage(this.soc);
  }

  /** Add a load drawing `watts()` W from the battery (an inverter). Returns its remover. */
  attachLoad(watts: () => number): () => void {
    this.update();
    this.loads.add(watts);
    return () => {
      this.update();
      this.loads.delete(watts);
    };
  }

  /** Connect a charger to the battery. */
  attachCharger(link: ChargerLink): AttachedCharger {
    this.update();
    const entry: ChargerEntry = { link, delivered: 0 };
    this.chargers.push(entry);
    return {
      current: () => {
        this.update();
        return entry.delivered;
      },
      terminalVoltage: () => {
        this.update();
        return this.voltage + entry.delivered * link.cableOhms;
      },
      detach: () => {
        this.update();
        const at = this.chargers.indexOf(entry);
        if (at >= 0) this.chargers.splice(at, 1);
      },
    };
  }

  /** Catch the state up with the clock. Every reader calls it; calling it more is harmless. */
  update(): void {
    // Chargers read the state while a step runs; they get the state of that step.
    if (this.stepping) return;
    const now = this.clock.now();
    const elapsed = ((now - this.lastClock) / 1000) * this.speed;
    // Sub-millisecond steps would only add cost (the system clock moves between any two reads).
    if (!(elapsed >= 0.001)) return;
    this.lastClock = now;
    // Long jumps (a day at high speed) take bigger steps rather than unbounded time.
    const steps = Math.min(10_000, Math.ceil(elapsed / MAX_STEP_S));
    const dt = elapsed / steps;
    this.stepping = true;
    try {
      for (let i = 0; i < steps; i++) this.step(dt);
    } finally {
      this.stepping = false;
    }
  }

  // ── Physics ───────────────────────────────────────────────────────────────────────────────

  /** Resting voltage: 11.8 V empty to 12.8 V full per 12 V block. */
  private restVoltage(soc: number): number {
    return this.scale * (11.8 + 1.0 * soc);
  }

  /** Internal resistance, Ω; charging near full it rises, which makes the charge current taper. */
  private resistance(soc: number, charging: boolean): number {
    const base = this.scale * 0.02 * (100 / this.capacityAh);
    return charging ? base * (1 + 8 * smoothstep(0.85, 1, soc)) : base;
  }

  private clearSky(simTime: number): number {
    const hour = (((simTime % SECONDS_PER_DAY) + SECONDS_PER_DAY) % SECONDS_PER_DAY) / 3600;
    if (hour <= 6 || hour >= 18) return 0;
    return Math.pow(Math.sin((Math.PI * (hour - 6)) / 12), 1.2);
  }

  /** Daily swing of ±5 °C around the mean, warmest at 15:00. */
  private ambientAt(simTime: number): number {
    const hour = simTime / 3600;
    return this.ambientMeanC + 5 * Math.sin((2 * Math.PI * (hour - 9)) / 24);
  }

  /** DC load: the mean, more in the evening (18–23 h), with a little wander. */
  private baseLoadW(simTime: number): number {
    const hour = (((simTime % SECONDS_PER_DAY) + SECONDS_PER_DAY) % SECONDS_PER_DAY) / 3600;
    const evening = hour >= 18 && hour < 23 ? 0.8 : 0;
    return Math.max(0, this.loadW * (1 + evening + this.loadNoise));
  }

  private step(dt: number): void {
    this.simTime += dt;
    const r = this.random;
    const drift = Math.sqrt(dt / 60);
    this.cloud = Math.min(1, Math.max(0.45, this.cloud + r.gauss(0.03) * drift));
    this.loadNoise = Math.min(0.5, Math.max(-0.5, this.loadNoise * 0.98 + r.gauss(0.04) * drift));

    let loadW = this.baseLoadW(this.simTime);
    for (const load of this.loads) loadW += Math.max(0, load());
    const loadCurrent = loadW / Math.max(1, this.voltage);

    const ocv = this.restVoltage(this.soc);
    const rCharge = this.resistance(this.soc, true);
    let delivered = 0;
    for (const entry of this.chargers.length > 0 ? this.chargers : [this.background]) {
      const { link } = entry;
      // The charger regulates its terminals; the battery sees that minus the cable drop.
      const drop = entry.delivered * link.cableOhms;
      const wantAtBattery = (link.terminalTarget() - drop - ocv) / rCharge;
      const need = wantAtBattery + loadCurrent - delivered;
      const current = Math.min(Math.max(0, link.available()), Math.max(0, need));
      entry.delivered = current;
      delivered += current;
    }
    const current = delivered - loadCurrent;
    const charging = current > 0;
    this.voltage = ocv + current * this.resistance(this.soc, charging);
    this.current = current;
    this.loadCurrent = loadCurrent;
    const ah = (current * dt) / 3600;
    this.soc = Math.min(1, Math.max(0, this.soc + (charging ? ah * CHARGE_EFFICIENCY : ah) / this.capacityAh));
    // Towards the ambient, plus a little heat from large currents.
    const heat = (current * current * this.resistance(this.soc, charging) * dt) / (this.capacityAh * 400);
    this.temperatureC += ((this.ambientAt(this.simTime) - this.temperatureC) * dt) / THERMAL_TAU_S + heat;
    for (const entry of this.chargers) entry.link.advance?.(dt, entry.delivered);
  }
}
