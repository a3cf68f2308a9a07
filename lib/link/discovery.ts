/**
 * Discovery: the ports a user can pick, best first — Victron VE.Direct USB cables
 * (manufacturer "VictronEnergy BV", FTDI 0403:6015) before other ports, each with its stable
 * `/dev/serial/by-id/…` name (`ttyUSB0` and `ttyUSB1` swap after a reboot; by-id names do
 * not), then the `tcp://` relays in use or named by the user, the ports of other schemes
 * (the simulator's `sim:` devices) last — and, when asked to probe, which device answers
 * behind each (product, serial, firmware).
 *
 * Probing writes HEX requests to the port. By default only ports where a VE.Direct device is
 * expected are probed: Victron cables, `tcp://` relays the user named, simulated devices. A
 * serial port of unknown purpose (on a Raspberry Pi /dev/ttyS0 or /dev/ttyAMA0 is the console
 * or a GPS) is probed only when asked for (`probeAll`).
 *
 * `SerialPort.list()` needs udev and fails without it (`spawn udevadm ENOENT` in containers):
 * then the ports found under /dev/serial/by-id are still listed and a warning says to type the
 * path. Probing a port that already has an owner in this runtime reads that owner's identity;
 * it never opens the port a second time.
 */

import { readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { PortInfo } from '@serialport/bindings-interface';
import { isVeError } from '../errors';
import type { DeviceIdentity } from './device';
import { VeDirectPort, type VeDirectPortOptions } from './port';
import { portRegistry, type PortRegistry } from './registry';
import { deviceKey, listSchemes, schemeFor } from './port-factory';
import { serialScheme } from './serial-scheme';

export interface DiscoveredPort {
  /** The name to configure: the by-id path when there is one, else the device path. */
  readonly path: string;
  /** The device node (`/dev/ttyUSB0`), the relay (`tcp://host:port`) or `sim:<device>`. */
  readonly device: string;
  /** The path's scheme: `serial`, `tcp`, `sim`. */
  readonly scheme: string;
  readonly byId: string | null;
  /** A Victron VE.Direct USB cable (by manufacturer or by-id name). */
  readonly victron: boolean;
  readonly sim: boolean;
  /** What the USB side reports, where it does. */
  readonly manufacturer: string | null;
  readonly serialNumber: string | null;
  readonly vendorId: string | null;
  readonly productId: string | null;
  /** One line for a picker: "VE.Direct cable HQ2132QX4CN (/dev/ttyUSB0)". */
  readonly label: string;
  /** Who owns the port in this runtime (a port node), if anyone. */
  readonly owner: string | null;
  /** With `probe`: the device that answered, or null when none did. */
  readonly identity?: DeviceIdentity | null;
  /** With `probe`: why no device was identified. */
  readonly probeError?: string;
  /** With `probe`: why this port was not asked (not a Victron cable, and `probeAll` not set). */
  readonly probeSkipped?: string;
}

export interface ListPortsResult {
  readonly ports: DiscoveredPort[];
  /** Set when the port list is incomplete (no udev): say so to the user. */
  readonly warning?: string;
}

export interface ListPortsOptions {
  /**
   * Open each free port briefly and identify the device behind it: Victron cables, `tcp://`
   * relays and simulated devices (a probe writes HEX requests to the port).
   */
  readonly probe?: boolean;
  /** Probe every serial port, also those that are not Victron cables. */
  readonly probeAll?: boolean;
  /** Ports the user named (`tcp://host:port`, a serial path): listed, and probed with `probe`. */
  readonly paths?: readonly string[];
  /** Time per probe (default 4000 ms: a Text-only device needs ping timeouts plus a block). */
  readonly timeoutMs?: number;
  /** Include the simulated devices, when the simulator is loaded (default true). */
  readonly sim?: boolean;
  readonly registry?: PortRegistry;
  /** The platform port list (default: the serial binding's `list()`). */
  readonly list?: () => Promise<PortInfo[]>;
  /** Where the stable names live (default /dev/serial/by-id). */
  readonly byIdDir?: string;
  /** Options for probe ports (a factory, a clock) in tests. */
  readonly probeOptions?: VeDirectPortOptions;
}

export const UDEV_WARNING = 'could not list serial ports (udev is not available): type the path';

const VICTRON_MANUFACTURER = /victron/i;
const FTDI_VENDOR = '0403';
const FT_X_PRODUCT = '6015';

export async function listPorts(options: ListPortsOptions = {}): Promise<ListPortsResult> {
  const registry = options.registry ?? portRegistry;
  const byId = byIdNames(options.byIdDir ?? '/dev/serial/by-id');
  let warning: string | undefined;
  let infos: PortInfo[] = [];
  try {
    infos = await (options.list ?? (() => serialScheme.list?.() ?? Promise.resolve([])))();
  } catch (err) {
    warning = `${UDEV_WARNING} (${err instanceof Error ? err.message : String(err)})`;
  }
  const devices = new Map<string, { info: PortInfo | undefined; scheme: string; named: boolean }>();
  for (const info of infos) devices.set(deviceKey(info.path), { info, scheme: serialScheme.name, named: false });
  for (const device of byId.keys()) if (!devices.has(device)) devices.set(device, { info: undefined, scheme: serialScheme.name, named: false });
  for (const scheme of listSchemes()) {
    if (scheme === serialScheme || !scheme.list || (scheme.name === 'sim' && options.sim === false)) continue;
    for (const info of await scheme.list()) devices.set(scheme.key(info.path), { info, scheme: scheme.name, named: false });
  }
  // Ports that cannot be listed (relays) are known from the port nodes using them and from the user.
  const named = [...registry.list().map((r) => r.path), ...(options.paths ?? [])];
  for (const path of named) {
    let scheme: string;
    try {
      scheme = schemeFor(path).name;
    } catch {
      continue; // not a usable path: nothing to list or probe
    }
    const key = deviceKey(path);
    const known = devices.get(key);
    if (known) known.named = known.named || (options.paths ?? []).includes(path);
    else devices.set(key, { info: scheme === serialScheme.name ? undefined : { ...blankInfo(), path }, scheme, named: (options.paths ?? []).includes(path) });
  }
  const ports = [...devices.entries()].map(([device, d]) => ({ port: describe(device, d.scheme, d.info, byId.get(device) ?? null, registry), named: d.named }));
  ports.sort((a, b) => byPreference(a.port, b.port));
  const result = options.probe
    ? await Promise.all(
        ports.map(({ port, named }) => {
          const skipped = named || options.probeAll ? null : probeSkipReason(port);
          return skipped === null ? probe(port, options, registry) : { ...port, probeSkipped: skipped };
        }),
      )
    : ports.map((p) => p.port);
  return warning === undefined ? { ports: result } : { ports: result, warning };
}

/** Why a port is not probed by default, or null when it is. */
function probeSkipReason(port: DiscoveredPort): string | null {
  // An owned port is asked through its owner: nothing is written.
  if (port.scheme !== serialScheme.name || port.owner !== null) return null;
  if (rank(port) <= 1) return null;
  return 'not a Victron cable: probed only when asked to probe every serial port';
}

function blankInfo(): PortInfo {
  return { path: '', manufacturer: undefined, serialNumber: undefined, pnpId: undefined, locationId: undefined, productId: undefined, vendorId: undefined };
}

/** Device node → by-id path, from the symlinks in `dir` (none when it does not exist). */
function byIdNames(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const name of names) {
    const link = join(dir, name);
    try {
      out.set(realpathSync(link), link);
    } catch {
      // A dangling link (the cable was just pulled): nothing to open behind it.
    }
  }
  return out;
}

function describe(device: string, scheme: string, info: PortInfo | undefined, byId: string | null, registry: PortRegistry): DiscoveredPort {
  const sim = scheme === 'sim';
  const serial = scheme === serialScheme.name;
  const manufacturer = info?.manufacturer ?? null;
  const victron = serial && ((manufacturer !== null && VICTRON_MANUFACTURER.test(manufacturer)) || (byId !== null && /VictronEnergy/i.test(byId)));
  const serialNumber = info?.serialNumber ?? null;
  const path = byId ?? info?.path ?? device;
  const owner = registry.find(path)?.owner ?? registry.find(device)?.owner ?? null;
  let label: string;
  if (sim) label = `Simulated ${info?.pnpId ?? device.slice(device.indexOf(':') + 1)}`;
  else if (!serial) label = `Network relay (${path})`;
  else label = `${victron ? `VE.Direct cable${serialNumber ? ` ${serialNumber}` : ''}` : (manufacturer ?? 'Serial port')} (${device})`;
  return {
    path,
    device,
    scheme,
    byId,
    victron,
    sim,
    manufacturer,
    serialNumber,
    vendorId: info?.vendorId ?? null,
    productId: info?.productId ?? null,
    label,
    owner,
  };
}

/** Victron cables, FTDI FT-X cables, other serial ports, relays, simulated devices. */
function rank(p: DiscoveredPort): number {
  if (p.sim) return 4;
  if (p.scheme !== serialScheme.name) return 3;
  if (p.victron) return 0;
  if (p.vendorId?.toLowerCase() === FTDI_VENDOR && p.productId?.toLowerCase() === FT_X_PRODUCT) return 1;
  return 2;
}

function byPreference(a: DiscoveredPort, b: DiscoveredPort): number {
  return rank(a) - rank(b) || a.path.localeCompare(b.path, 'en', { numeric: true });
}

async function probe(port: DiscoveredPort, options: ListPortsOptions, registry: PortRegistry): Promise<DiscoveredPort> {
  const timeoutMs = options.timeoutMs ?? 4000;
  const owned = registry.find(port.path) ?? registry.find(port.device);
  if (owned) {
    // Never a second opener: ask the owner.
    const identity = owned.port.identity;
    return identity ? { ...port, identity } : { ...port, identity: null, probeError: `owned by ${owned.owner}; no device identified yet` };
  }
  const probePort = new VeDirectPort(port.path, {
    // One attempt: a probe that cannot open the port says why instead of retrying.
    backoff: { initialMs: timeoutMs * 2 },
    textIdentityWaitMs: Math.max(500, timeoutMs - 2500),
    ...options.probeOptions,
  });
  probePort.open();
  try {
    const identity = await probePort.ready({ timeoutMs, failFast: true });
    return { ...port, identity };
  } catch (err) {
    return { ...port, identity: null, probeError: isVeError(err) ? err.message : String(err) };
  } finally {
    await probePort.close();
  }
}
