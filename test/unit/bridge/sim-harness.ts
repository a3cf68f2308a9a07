/**
 * The bridge on the real link stack against simulated devices, in one process: `sim:` ports
 * through the simulator's serialport binding, VeDirectPort (framer, HEX client, identity,
 * snapshot) and the port adapters — everything on one ManualClock, so minutes of device time
 * take a fraction of a second and every run is the same. Used by the integration tests and the
 * bridge benchmark.
 */

import { ManualClock } from '../../../lib/clock';
import { PortAdapter } from '../../../lib/bridge/port-adapters';
import { SenseBridge } from '../../../lib/bridge/sense-bridge';
import type { AlarmChange, BridgeConfigInput, BridgeReport } from '../../../lib/bridge/types';
import { PortRegistry } from '../../../lib/link/registry';
import type { VeDirectPort } from '../../../lib/link/port';
import { streamWithBinding } from '../../../lib/link/serial-stream';
import { createSimBinding } from '../../../lib/sim/binding';
import type { SimSystemOptions } from '../../../lib/sim/battery-model';
import { mpptOf, type CreateSimDeviceOptions } from '../../../lib/sim/catalogue';
import type { SimDevice } from '../../../lib/sim/device';
import type { MpptModel } from '../../../lib/sim/profiles/mppt';
import { SimRegistry } from '../../../lib/sim/registry';
import { decodeFrame, interpretCommand } from '../../../lib/protocol/hex-codec';

export type DeviceSpec = string | { readonly path: string; readonly options?: Omit<CreateSimDeviceOptions, 'clock' | 'system' | 'instance'> };

export interface SimBenchOptions {
  readonly monitors: readonly DeviceSpec[];
  readonly chargers: readonly DeviceSpec[];
  readonly config?: BridgeConfigInput;
  readonly system?: SimSystemOptions;
  /** Start the bridge at once (default true). */
  readonly start?: boolean;
}

/** A Set the host sent, as the device received it. */
export interface ReceivedSet {
  readonly at: number;
  readonly register: number;
  /** Value bytes, uppercase hex ("2D05"). */
  readonly raw: string;
  readonly frame: string;
}

const OWNER = 'bridge test';

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).toUpperCase().padStart(2, '0');
  return out;
}

async function settle(rounds = 4): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class SimBench {
  readonly clock = new ManualClock();
  readonly sims: SimRegistry;
  readonly registry = new PortRegistry();
  readonly monitorPaths: string[];
  readonly chargerPaths: string[];
  readonly devices = new Map<string, SimDevice>();
  readonly ports = new Map<string, VeDirectPort>();
  readonly adapters = new Map<string, PortAdapter>();
  /** Bytes each device sent (Text, replies, async), by path. */
  readonly deviceBytes = new Map<string, number>();
  bridge: SenseBridge;
  readonly reports: BridgeReport[] = [];
  readonly alarms: AlarmChange[] = [];
  private readonly config: BridgeConfigInput | undefined;

  constructor(options: SimBenchOptions) {
    this.sims = new SimRegistry({ clock: this.clock, system: { seed: 5, ...options.system } });
    const binding = createSimBinding(this.sims);
    const portFactory = (path: string) => streamWithBinding(path, binding);
    const open = (spec: DeviceSpec): string => {
      const path = typeof spec === 'string' ? spec : spec.path;
      const device = this.sims.get(path, typeof spec === 'string' ? {} : (spec.options ?? {}));
      this.devices.set(path, device);
      this.deviceBytes.set(path, 0);
      device.onOutput((bytes) => this.deviceBytes.set(path, (this.deviceBytes.get(path) ?? 0) + bytes.length));
      const port = this.registry.acquire(path, OWNER, { clock: this.clock, portFactory });
      this.ports.set(path, port);
      this.adapters.set(path, new PortAdapter(port, { clock: this.clock }));
      return path;
    };
    this.monitorPaths = options.monitors.map(open);
    this.chargerPaths = options.chargers.map(open);
    this.config = options.config;
    this.bridge = this.newBridge();
    if (options.start !== false) this.bridge.start();
  }

  /** A bridge on the same ports (a redeploy creates a new one). */
  newBridge(): SenseBridge {
    const adapter = (path: string): PortAdapter => {
      const a = this.adapters.get(path);
      if (a === undefined) throw new Error(`no adapter for ${path}`);
      return a;
    };
    const bridge = new SenseBridge({
      clock: this.clock,
      sources: this.monitorPaths.map(adapter),
      targets: this.chargerPaths.map(adapter),
      ...(this.config !== undefined ? { config: this.config } : {}),
    });
    bridge.on('report', (r) => this.reports.push(r));
    bridge.on('alarm', (a) => this.alarms.push(a));
    this.bridge = bridge;
    return bridge;
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

  /** Advance device time in steps, letting the serial streams and promises run between steps. */
  async run(ms: number, step = 20): Promise<void> {
    await settle();
    for (let t = 0; t < ms; t += step) {
      this.clock.advance(Math.min(step, ms - t));
      await settle();
    }
  }

  /** Run until `promise` settles (or `limitMs` of device time passed). */
  async until<T>(promise: Promise<T>, limitMs = 10_000, step = 20): Promise<T> {
    let done = false;
    const watched = promise.finally(() => (done = true));
    for (let t = 0; t < limitMs && !done; t += step) {
      this.clock.advance(step);
      await settle();
    }
    return watched;
  }

  /** Set frames the device at `path` received (any register). */
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

  /** Writes to flash-backed settings, over every device. */
  flashWrites(): number {
    let n = 0;
    for (const d of this.devices.values()) n += d.flashWriteCount;
    return n;
  }

  /** Stop the bridge (bounded), close the ports, stop the devices. */
  async close(): Promise<void> {
    await this.until(this.bridge.stop(), 5000);
    await this.until(Promise.all([...this.ports.keys()].map((p) => this.registry.release(p, OWNER))), 5000);
    this.sims.clear();
  }
}

/** The "not available" values of 0x2002, 0x2003 and 0x200A. */
const RELEASES: ReadonlySet<string> = new Set(['FFFF', 'FF7F', 'FFFFFF7F']);

/** Largest gap between consecutive Sets of `register` with a value (not the release) in [from, to]. */
export function maxSetGap(sets: readonly ReceivedSet[], from: number, to: number): number {
  const times = sets.filter((s) => !RELEASES.has(s.raw) && s.at >= from && s.at <= to).map((s) => s.at);
  let gap = 0;
  let prev = from;
  for (const t of times) {
    gap = Math.max(gap, t - prev);
    prev = t;
  }
  return Math.max(gap, to - prev);
}

/** Little-endian raw hex to the value: un16 0.01 V, sn16 0.01 °C, or sn32 0.001 A. */
export function senseValue(register: number, raw: string): number {
  if (register === 0x200a) return Buffer.from(raw, 'hex').readInt32LE(0) / 1000;
  const n = Number.parseInt(raw.slice(2, 4) + raw.slice(0, 2), 16);
  if (register === 0x2003) return (n >= 0x8000 ? n - 0x10000 : n) / 100;
  return n / 100;
}
