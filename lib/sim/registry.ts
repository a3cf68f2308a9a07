/**
 * Simulated devices by path: `sim:<device>[#<instance>]` names one device of the catalogue,
 * and the same path always gives the same running device, so a test or a demo can reach the
 * device behind a port (to inject faults, read counters) while the link layer talks to it.
 * Every device of a registry shares one battery / sun system.
 */

import { systemClock, type Clock } from '../clock';
import { SimSystem, type SimSystemOptions } from './battery-model';
import { createSimDevice, findSimDeviceSpec, SIM_DEVICES, type CreateSimDeviceOptions } from './catalogue';
import type { SimDevice } from './device';

export const SIM_PATH_PREFIX = 'sim:';

/** Whether a port path names a simulated device (other paths are real serial ports). */
export function isSimPath(path: string): boolean {
  return path.startsWith(SIM_PATH_PREFIX);
}

export interface SimPath {
  /** Catalogue name (`smartsolar-100-30`). */
  readonly name: string;
  /** Instance name (`2` of `#2`); `1` when there is no suffix. */
  readonly instance: string;
  /** The path as the registry keys it (`sim:smartsolar-100-30#2`, `sim:smartshunt`). */
  readonly canonical: string;
}

/** Parse a `sim:` path; throws RangeError for another path or an unknown device name. */
export function parseSimPath(path: string): SimPath {
  if (!isSimPath(path)) throw new RangeError(`not a simulated device path: ${JSON.stringify(path)}`);
  const rest = path.slice(SIM_PATH_PREFIX.length);
  const hash = rest.indexOf('#');
  const name = (hash < 0 ? rest : rest.slice(0, hash)).toLowerCase();
  const instance = hash < 0 ? '1' : rest.slice(hash + 1);
  if (!findSimDeviceSpec(name)) {
    throw new RangeError(`unknown simulated device "${name}" in ${JSON.stringify(path)}; known: ${SIM_DEVICES.map((d) => d.name).join(', ')}`);
  }
  if (instance === '' || !/^[\w.-]{1,32}$/.test(instance)) throw new RangeError(`bad instance name in ${JSON.stringify(path)}`);
  return { name, instance, canonical: `${SIM_PATH_PREFIX}${name}${instance === '1' ? '' : `#${instance}`}` };
}

export interface SimRegistryOptions {
  readonly clock?: Clock;
  /** The shared system, or options for a new one. */
  readonly system?: SimSystem | SimSystemOptions;
  /** Options for every device the registry creates (faults, seed, …). */
  readonly deviceDefaults?: Omit<CreateSimDeviceOptions, 'clock' | 'system' | 'instance'>;
}

export class SimRegistry {
  readonly clock: Clock;
  readonly system: SimSystem;
  private readonly defaults: Omit<CreateSimDeviceOptions, 'clock' | 'system' | 'instance'>;
  private readonly byPath = new Map<string, SimDevice>();

  constructor(options: SimRegistryOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.system = options.system instanceof SimSystem ? options.system : new SimSystem(this.clock, options.system);
    this.defaults = options.deviceDefaults ?? {};
  }

  /**
   * The device behind `path`, created on first use with `options` (later calls ignore them:
   * the device already runs). Throws RangeError for a bad path.
   */
  get(path: string, options: Omit<CreateSimDeviceOptions, 'clock' | 'system' | 'instance'> = {}): SimDevice {
    const parsed = parseSimPath(path);
    let device = this.byPath.get(parsed.canonical);
    if (!device) {
      device = createSimDevice(parsed.name, { ...this.defaults, ...options, clock: this.clock, system: this.system, instance: parsed.instance });
      this.byPath.set(parsed.canonical, device);
    }
    return device;
  }

  /** The device behind `path` if it was created, else undefined. */
  find(path: string): SimDevice | undefined {
    if (!isSimPath(path)) return undefined;
    try {
      return this.byPath.get(parseSimPath(path).canonical);
    } catch {
      return undefined;
    }
  }

  /** Every created device with its canonical path. */
  entries(): Array<[string, SimDevice]> {
    return [...this.byPath.entries()];
  }

  /** Stop and forget one device (a new one is created on the next use of its path). */
  remove(path: string): void {
    const key = parseSimPath(path).canonical;
    this.byPath.get(key)?.dispose();
    this.byPath.delete(key);
  }

  /** Stop and forget every device. */
  clear(): void {
    for (const device of this.byPath.values()) device.dispose();
    this.byPath.clear();
  }
}

let defaultRegistry: SimRegistry | undefined;

/** The process-wide registry behind `simBinding` (system clock). */
export function defaultSimRegistry(): SimRegistry {
  defaultRegistry ??= new SimRegistry();
  return defaultRegistry;
}

/** The device behind a `sim:` path in the process-wide registry, created on first use. */
export function getSimDevice(path: string, options?: Omit<CreateSimDeviceOptions, 'clock' | 'system' | 'instance'>): SimDevice {
  return defaultSimRegistry().get(path, options);
}

/** The device behind a `sim:` path if it exists, else undefined. */
export function findSimDevice(path: string): SimDevice | undefined {
  return defaultRegistry?.find(path);
}

/** Stop and forget every device of the process-wide registry and its battery (between tests). */
export function resetSimDevices(): void {
  defaultRegistry?.clear();
  defaultRegistry = undefined;
}
