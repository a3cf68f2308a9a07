/**
 * Discovery: the serial ports a user can pick, best first — Victron VE.Direct USB cables
 * (manufacturer "VictronEnergy BV", FTDI 0403:6015) before other ports, each with its stable
 * `/dev/serial/by-id/…` name (`ttyUSB0` and `ttyUSB1` swap after a reboot; by-id names do
 * not), the simulated `sim:` devices last — and, when asked to probe, which device answers
 * behind each (product, serial, firmware).
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
import { platformBinding } from './port-factory';
import type { DeviceIdentity } from './device';
import { VeDirectPort, type VeDirectPortOptions } from './port';
import { deviceKey, portRegistry, type PortRegistry } from './registry';
import { simBinding } from '../sim/binding';

export interface DiscoveredPort {
  /** The name to configure: the by-id path when there is one, else the device path. */
  readonly path: string;
  /** The device node (`/dev/ttyUSB0`) or `sim:<device>`. */
  readonly device: string;
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
}

export interface ListPortsResult {
  readonly ports: DiscoveredPort[];
  /** Set when the port list is incomplete (no udev): say so to the user. */
  readonly warning?: string;
}

export interface ListPortsOptions {
  /** Open each free port briefly and identify the device behind it. */
  readonly probe?: boolean;
  /** Time per probe (default 4000 ms: a Text-only device needs ping timeouts plus a block). */
  readonly timeoutMs?: number;
  /** Include the simulated devices (default true). */
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
    infos = await (options.list ?? (() => platformBinding().list()))();
  } catch (err) {
    warning = `${UDEV_WARNING} (${err instanceof Error ? err.message : String(err)})`;
  }
  const devices = new Map<string, PortInfo | undefined>();
  for (const info of infos) devices.set(deviceKey(info.path), info);
  for (const device of byId.keys()) if (!devices.has(device)) devices.set(device, undefined);
  const ports: DiscoveredPort[] = [...devices.entries()].map(([device, info]) => describe(device, info, byId.get(device) ?? null, registry));
  if (options.sim !== false) {
    for (const info of await simBinding.list()) ports.push(describe(info.path, info, null, registry));
  }
  ports.sort(byPreference);
  const result = options.probe ? await Promise.all(ports.map((p) => probe(p, options, registry))) : ports;
  return warning === undefined ? { ports: result } : { ports: result, warning };
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

function describe(device: string, info: PortInfo | undefined, byId: string | null, registry: PortRegistry): DiscoveredPort {
  const sim = device.startsWith('sim:');
  const manufacturer = info?.manufacturer ?? null;
  const victron = !sim && ((manufacturer !== null && VICTRON_MANUFACTURER.test(manufacturer)) || (byId !== null && /VictronEnergy/i.test(byId)));
  const serialNumber = info?.serialNumber ?? null;
  const owner = registry.find(byId ?? device)?.owner ?? null;
  const what = sim ? `Simulated ${info?.pnpId ?? device.slice(4)}` : victron ? `VE.Direct cable${serialNumber ? ` ${serialNumber}` : ''}` : (manufacturer ?? 'Serial port');
  return {
    path: byId ?? device,
    device,
    byId,
    victron,
    sim,
    manufacturer,
    serialNumber,
    vendorId: info?.vendorId ?? null,
    productId: info?.productId ?? null,
    label: sim ? what : `${what} (${device})`,
    owner,
  };
}

function rank(p: DiscoveredPort): number {
  if (p.sim) return 3;
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
