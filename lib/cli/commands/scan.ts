/**
 * `ve-direct scan`: every serial port, Victron cables first, with its stable by-id name and
 * the device that answers behind it.
 */

import { parseArgs } from 'node:util';
import { listPorts, type DiscoveredPort } from '../../link/discovery';
import { writeJsonLine, UsageError, type CliCommand } from '../command';
import { parseTimeout } from '../port-session';
import { identityJson } from './identify';

const HELP = `Usage: ve-direct scan [--no-probe] [--no-sim] [--timeout MS]

List the serial ports, VE.Direct USB cables first, and identify the device behind each.
One JSON object per port:
  {"path":"/dev/serial/by-id/usb-VictronEnergy_BV_VE_Direct_cable_HQ2132QX4CN-if00-port0",
   "device":"/dev/ttyUSB0","victron":true,"label":"VE.Direct cable HQ2132QX4CN (/dev/ttyUSB0)",
   "productId":"0xA389","product":"SmartShunt 500A/50mV","serial":"HQ2117NTVX4",...}
"path" is the name to configure: the /dev/serial/by-id/... name stays the same when ports are
renumbered after a reboot (ttyUSB0 and ttyUSB1 swap); /dev/ttyUSB0 does not. Ports that did
not answer carry an "error". Simulated devices (sim:<device>) are listed last.

Where the port list cannot be read (no udev, e.g. in a container), the ports found under
/dev/serial/by-id are still listed and a warning goes to stderr: type the path.

Options:
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
  return out;
}

export const scanCommand: CliCommand = {
  name: 'scan',
  summary: 'list serial ports (Victron cables first) and identify the device behind each',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: { 'no-probe': { type: 'boolean' }, 'no-sim': { type: 'boolean' }, timeout: { type: 'string' } },
    });
    if (positionals.length > 0) throw new UsageError('scan takes no PORT (use "ve-direct identify PORT" for one port)');
    const timeoutMs = parseTimeout(values.timeout, 4000);
    const keepAlive = setInterval(() => undefined, 60_000);
    try {
      const { ports, warning } = await listPorts({ probe: values['no-probe'] !== true, sim: values['no-sim'] !== true, timeoutMs });
      if (warning) io.stderr.write(`ve-direct scan: ${warning}\n`);
      for (const port of ports) writeJsonLine(io.stdout, portJson(port));
    } finally {
      clearInterval(keepAlive);
    }
    return 0;
  },
};
