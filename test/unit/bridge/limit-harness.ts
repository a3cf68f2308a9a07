/**
 * The charge-limit manager on the real link stack against simulated MPPTs, in one process:
 * `sim:` ports through the simulator's serialport binding, VeDirectPort (framer, HEX client,
 * write policy) and PortLimitTarget — all on one ManualClock, so minutes of device time take a
 * fraction of a second. What the chargers received is read from their host logs.
 */

import { ManualClock } from '../../../lib/clock';
import { ChargeLimitManager } from '../../../lib/bridge/charge-limit';
import type { ChargeLimitConfigInput, ChargeLimitReport, LimitAlarmChange, LimitStatus } from '../../../lib/bridge/charge-limit-types';
import { ChargerClaims } from '../../../lib/bridge/charger-claims';
import { PortLimitTarget } from '../../../lib/bridge/limit-target';
import { PortRegistry } from '../../../lib/link/registry';
import type { VeDirectPort } from '../../../lib/link/port';
import { streamWithBinding } from '../../../lib/link/serial-stream';
import { createSimBinding } from '../../../lib/sim/binding';
import { mpptOf } from '../../../lib/sim/catalogue';
import type { SimDevice } from '../../../lib/sim/device';
import type { MpptModel } from '../../../lib/sim/profiles/mppt';
import { SimRegistry } from '../../../lib/sim/registry';
import type { DeviceSpec, ReceivedSet } from './sim-harness';
import { decodeFrame, interpretCommand } from '../../../lib/protocol/hex-codec';

const OWNER = 'limit test';

async function settle(rounds = 4): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).toUpperCase().padStart(2, '0');
  return out;
}

export class LimitBench {
  readonly clock = new ManualClock();
  readonly sims: SimRegistry;
  readonly registry = new PortRegistry();
  readonly claims = new ChargerClaims();
  readonly paths: string[];
  readonly devices = new Map<string, SimDevice>();
  readonly ports = new Map<string, VeDirectPort>();
  readonly targets = new Map<string, PortLimitTarget>();
  readonly reports: ChargeLimitReport[] = [];
  readonly alarms: LimitAlarmChange[] = [];
  readonly statuses: LimitStatus[] = [];
  manager: ChargeLimitManager;

  constructor(chargers: readonly DeviceSpec[], config: ChargeLimitConfigInput = {}, options: { start?: boolean; timeOfDay?: number } = {}) {
    this.sims = new SimRegistry({ clock: this.clock, system: { seed: 5, timeOfDay: options.timeOfDay ?? 12 * 60, soc: 0.4 } });
    const binding = createSimBinding(this.sims);
    const portFactory = (path: string) => streamWithBinding(path, binding);
    this.paths = chargers.map((spec) => {
      const path = typeof spec === 'string' ? spec : spec.path;
      const device = this.sims.get(path, typeof spec === 'string' ? {} : (spec.options ?? {}));
      this.devices.set(path, device);
      const port = this.registry.acquire(path, OWNER, { clock: this.clock, portFactory });
      this.ports.set(path, port);
      this.targets.set(path, new PortLimitTarget(port, { clock: this.clock }));
      return path;
    });
    this.manager = this.newManager(config, 'limit A');
    if (options.start !== false) this.manager.start();
  }

  newManager(config: ChargeLimitConfigInput = {}, owner = 'limit B'): ChargeLimitManager {
    const m = new ChargeLimitManager({ clock: this.clock, chargers: this.paths.map((p) => this.target(p)), config, owner, claims: this.claims });
    m.on('report', (r) => this.reports.push(r));
    m.on('alarm', (a) => this.alarms.push(a));
    m.on('status', (s) => this.statuses.push(s));
    return m;
  }

  target(path: string): PortLimitTarget {
    const t = this.targets.get(path);
    if (t === undefined) throw new Error(`no target ${path}`);
    return t;
  }

  device(path: string): SimDevice {
    const d = this.devices.get(path);
    if (d === undefined) throw new Error(`no device ${path}`);
    return d;
  }

  mppt(path: string): MpptModel {
    const m = mpptOf(this.device(path));
    if (m === undefined) throw new Error(`${path} is not an MPPT`);
    return m;
  }

  async run(ms: number, step = 20): Promise<void> {
    await settle();
    for (let t = 0; t < ms; t += step) {
      this.clock.advance(Math.min(step, ms - t));
      await settle();
    }
  }

  async until<T>(promise: Promise<T>, limitMs = 10_000, step = 20): Promise<T> {
    let done = false;
    const watched = promise.finally(() => (done = true));
    // Handled by the caller after the loop: not an unhandled rejection meanwhile.
    watched.catch(() => undefined);
    for (let t = 0; t < limitMs && !done; t += step) {
      this.clock.advance(step);
      await settle();
    }
    return watched;
  }

  /** Send `total` every `everyMs` for `ms`, as a BMS repeats its limit. */
  async feed(total: number | null, ms: number, everyMs = 20_000): Promise<void> {
    for (let t = 0; t < ms; t += everyMs) {
      void this.manager.setLimit(total);
      await this.run(Math.min(everyMs, ms - t));
    }
  }

  /** Set frames the device received (any register, or one). */
  sets(path: string, register?: number): ReceivedSet[] {
    const out: ReceivedSet[] = [];
    for (const f of this.device(path).hostLog) {
      const decoded = decodeFrame(f.frame);
      if (!decoded.ok) continue;
      const command = interpretCommand(decoded.frame);
      if (command.type !== 'set') continue;
      if (register !== undefined && command.register !== register) continue;
      out.push({ at: f.at, register: command.register, raw: hex(command.value), frame: f.frame });
    }
    return out;
  }

  /** The 0x2015 limit the charger holds now, A (null: none). */
  held(path: string): number | null {
    const raw = this.mppt(path).chargeLimit.readRaw();
    return raw === 0xffff ? null : raw / 10;
  }

  flashWrites(): number {
    let n = 0;
    for (const d of this.devices.values()) n += d.flashWriteCount;
    return n;
  }

  async close(): Promise<void> {
    await this.until(this.manager.stop(), 5000);
    await this.until(Promise.all([...this.ports.keys()].map((p) => this.registry.release(p, OWNER))), 5000);
    this.sims.clear();
  }
}

/** un16 little-endian raw hex in 0.1 A → A; FFFF → null. */
export function limitAmps(raw: string): number | null {
  const n = Number.parseInt(raw.slice(2, 4) + raw.slice(0, 2), 16);
  return n === 0xffff ? null : n / 10;
}
