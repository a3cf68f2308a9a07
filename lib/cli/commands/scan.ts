/**
 * `ve-direct scan`: every serial port, Victron cables first, with its stable by-id name and
 * the device that answers behind it.
 */

import { parseArgs } from 'node:util';
import { listPorts, type DiscoveredPort } from '../../link/discovery';
import { writeJsonLine, UsageError, type CliCommand } from '../command';
import { parseTimeout } from '../port-session';
import { identityJson } from './identify';

const HELP = `Usage: ve-direct scan [--json] [--all] [--no-probe] [--no-sim] [--timeout MS]

List the serial ports, VE.Direct USB cables first, and identify the device behind each:

  PRODUCT               SERIAL       FIRMWARE  PATH                                                                      PORT
  SmartShunt 500A/50mV  HQ2117NTVX4  4.14      /dev/serial/by-id/usb-VictronEnergy_BV_VE_Direct_cable_HQ2132QX4CN-if00-port0  VE.Direct cable HQ2132QX4CN (/dev/ttyUSB0)
  —                     —            —         /dev/ttyS0                                                                Serial port (/dev/ttyS0): not a Victron cable, not asked (--all asks it)

PATH is the name to configure: the /dev/serial/by-id/... name stays the same when ports are
renumbered after a reboot (ttyUSB0 and ttyUSB1 swap); /dev/ttyUSB0 does not. PORT says what
the port is and, when no device was identified, why. Only VE.Direct cables (and FTDI FT-X
cables, which third-party VE.Direct cables use) are asked by default: asking means writing HEX
requests, and another serial port may be a GPS, a modem or the console. --all asks every port.
Simulated devices (sim:<device>) are listed last.

With --json, one JSON object per port instead:
  {"path":"/dev/serial/by-id/usb-VictronEnergy_BV_VE_Direct_cable_HQ2132QX4CN-if00-port0",
   "device":"/dev/ttyUSB0","victron":true,"label":"VE.Direct cable HQ2132QX4CN (/dev/ttyUSB0)",
   "productId":"0xA389","product":"SmartShunt 500A/50mV","serial":"HQ2117NTVX4",...}
Ports that did not answer carry an "error"; ports not asked carry "skipped" with the reason.

Where the port list cannot be read (no udev, e.g. in a container), the ports found under
/dev/serial/by-id are still listed and a warning goes to stderr: type the path.

Options:
  --json        JSON lines instead of a table
  --all         also ask serial ports that are not VE.Direct cables (writes HEX requests to them)
  --no-probe    list only, do not open the ports
  --no-sim      leave out the simulated devices
  --timeout MS  time to identify each device (default 4000)
  -h, --help    show this help

Ports are probed in parallel; a port another program holds is reported as in use.
Exit status: 0 (also when nothing answered), 2 usage errors.`;

function portJson(p: DiscoveredPort): Record<string, unknown> {
  const out: Record<string, unknown> = {
    path: p.path,
    device: p.device,
    byId: p.byId,
    victron: p.victron,
    sim: p.sim,
    label: p.label,
  };
  if (p.manufacturer) out.manufacturer = p.manufacturer;
  if (p.serialNumber) out.cableSerial = p.serialNumber;
  if (p.owner) out.owner = p.owner;
  if (p.identity) Object.assign(out, identityJson(p.identity));
  if (p.probeError) out.error = p.probeError;
  if (p.probeSkipped) out.skipped = p.probeSkipped;
  return out;
}

const NONE = '—';

/** One row of the table: product, serial, firmware, path, and what the port is (or why nothing answered). */
export function portRow(p: DiscoveredPort): string[] {
  const identity = p.identity ?? null;
  const what = p.sim ? 'simulated' : p.label;
  const why = p.probeError ?? (p.probeSkipped ? 'not a Victron cable, not asked (--all asks it)' : undefined) ?? (p.owner && !identity ? `in use by ${p.owner}` : undefined);
  return [identity?.product ?? NONE, identity?.serial ?? NONE, identity?.firmware ?? NONE, p.path, why ? `${what}: ${why}` : what];
}

/** Aligned columns, the last one unpadded. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export const scanCommand: CliCommand = {
  name: 'scan',
  summary: 'list serial ports (Victron cables first) and identify the device behind each',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: { json: { type: 'boolean' }, all: { type: 'boolean' }, 'no-probe': { type: 'boolean' }, 'no-sim': { type: 'boolean' }, timeout: { type: 'string' } },
    });
    if (positionals.length > 0) throw new UsageError('scan takes no PORT (use "ve-direct identify PORT" for one port)');
    const timeoutMs = parseTimeout(values.timeout, 4000);
    const keepAlive = setInterval(() => undefined, 60_000);
    try {
      const { ports, warning } = await listPorts({ probe: values['no-probe'] !== true, probeAll: values.all === true, sim: values['no-sim'] !== true, timeoutMs });
      if (warning) io.stderr.write(`ve-direct scan: ${warning}\n`);
      if (values.json === true) for (const port of ports) writeJsonLine(io.stdout, portJson(port));
      else io.stdout.write(formatTable(['PRODUCT', 'SERIAL', 'FIRMWARE', 'PATH', 'PORT'], ports.map(portRow)));
    } finally {
      clearInterval(keepAlive);
    }
    return 0;
  },
};
