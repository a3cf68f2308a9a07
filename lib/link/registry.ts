/**
 * Port registry: one VeDirectPort per serial device per runtime, and one owner for it.
 *
 * The owner is whoever configured the port (a `ve-direct-port` config node, the CLI); every
 * node that names that config node shares the owner's port object instead of opening the
 * device again. A second, different owner of the same device gets VE_PORT_BUSY naming the
 * first, never a second opener fighting over the line. The same device reached through two
 * names (`/dev/serial/by-id/usb-VictronEnergy_BV_…` and `/dev/ttyUSB0`) is one device: paths
 * are compared by the key their scheme gives (serial: symlinks resolved; `tcp://`: host in
 * lower case and port, so one relay has one owner).
 *
 * The same owner may acquire a path several times (each acquire needs a release); the port
 * closes when its last acquire is released, and `releasePort` resolves once it is closed. A
 * new owner acquiring a path whose previous owner is still closing gets its port at once; the
 * port opens as soon as the previous one has closed (a redeploy must not see "port in use").
 */

import { VeError } from '../errors';
import { VeDirectPort, type VeDirectPortOptions } from './port';
import { deviceKey } from './port-factory';

export { deviceKey } from './port-factory';

interface Entry {
  readonly key: string;
  readonly path: string;
  readonly owner: string;
  readonly port: VeDirectPort;
  refs: number;
}

export interface RegisteredPort {
  /** The path as the owner gave it. */
  readonly path: string;
  /** The device it resolves to (symlinks followed). */
  readonly device: string;
  readonly owner: string;
  readonly port: VeDirectPort;
}

export class PortRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly closing = new Map<string, Promise<void>>();

  /**
   * The port for `path`, owned by `owner` (a label that names it in errors: `ve-direct-port
   * "MPPT" (a1b2c3)`). Creates and opens it on the first acquire; later acquires by the same
   * owner get the same object (their `options` are ignored). Throws VE_PORT_BUSY when
   * another owner has the device.
   */
  acquire(path: string, owner: string, options: VeDirectPortOptions = {}): VeDirectPort {
    const key = deviceKey(path);
    const entry = this.entries.get(key) ?? this.byPath(path);
    if (entry) {
      if (entry.owner !== owner) {
        const alias = entry.path !== path ? ` (as ${entry.path})` : '';
        throw new VeError('VE_PORT_BUSY', `${path} is already used by ${entry.owner}${alias}: a port can have only one owner; share that one`, {
          path,
          owner: entry.owner,
          ownerPath: entry.path,
        });
      }
      entry.refs++;
      return entry.port;
    }
    const port = new VeDirectPort(path, options);
    this.entries.set(key, { key, path, owner, port, refs: 1 });
    port.open(this.closing.get(key));
    return port;
  }

  /** Give back one acquire; on the owner's last one, close the port. Resolves when closed. */
  async release(path: string, owner: string): Promise<void> {
    const entry = this.entries.get(deviceKey(path)) ?? this.byPath(path);
    if (!entry || entry.owner !== owner) return;
    entry.refs--;
    if (entry.refs > 0) return;
    this.entries.delete(entry.key);
    const closed = entry.port.close();
    this.closing.set(entry.key, closed);
    try {
      await closed;
    } finally {
      if (this.closing.get(entry.key) === closed) this.closing.delete(entry.key);
    }
  }

  /** The port that owns the device `path` names, if any (discovery probes through it). */
  find(path: string): RegisteredPort | undefined {
    const entry = this.entries.get(deviceKey(path)) ?? this.byPath(path);
    return entry ? { path: entry.path, device: entry.key, owner: entry.owner, port: entry.port } : undefined;
  }

  list(): RegisteredPort[] {
    return [...this.entries.values()].map((e) => ({ path: e.path, device: e.key, owner: e.owner, port: e.port }));
  }

  private byPath(path: string): Entry | undefined {
    for (const entry of this.entries.values()) if (entry.path === path) return entry;
    return undefined;
  }
}

/** The runtime's registry (Node-RED loads this module once, so all nodes share it). */
export const portRegistry = new PortRegistry();

export function acquirePort(path: string, owner: string, options?: VeDirectPortOptions): VeDirectPort {
  return portRegistry.acquire(path, owner, options);
}

export function releasePort(path: string, owner: string): Promise<void> {
  return portRegistry.release(path, owner);
}
