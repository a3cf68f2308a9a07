/**
 * `ve-direct identify PORT`: who is behind a serial port — product id, product, firmware,
 * serial number and model name, as one JSON object.
 */

import { parseArgs } from 'node:util';
import type { DeviceIdentity } from '../../link/device';
import { formatProductId } from '../../protocol/catalog/products';
import { UsageError, writeJsonLine, type CliCommand } from '../command';
import { parseTimeout, withPort } from '../port-session';

const HELP = `Usage: ve-direct identify PORT [--timeout MS] [--verbose]

Identify the Victron device behind a serial port and print one JSON object:
  {"port":"/dev/ttyUSB0","productId":"0xA389","product":"SmartShunt 500A/50mV",
   "family":"smartshunt","firmware":"4.14","serial":"HQ2117NTVX4",
   "model":"BMV-SmartShunt 500A/50mV","hex":true}

PORT is a serial device (/dev/ttyUSB0, or better the stable /dev/serial/by-id/... name) or a
simulated device, sim:<device> (see "ve-direct simulate --list").

The device is asked over HEX (ping, product id, serial 0x010A, model 0x010B). A device that
does not answer HEX (Phoenix inverters, Blue Smart chargers) is identified from its Text
fields PID, SER# and FW; then "hex" is false and "model" is null. Fields the device does not
have are null.

Options:
  --timeout MS  how long to wait for the device (default 10000)
  --verbose     print what the link does (open, identify, reconnect) to stderr
  -h, --help    show this help

Exit status: 0 identified, 1 no device / port error (the message names the VE_ code),
2 usage errors.`;

/** The JSON `identify` (and `scan`) print for an identity. */
export function identityJson(identity: DeviceIdentity): Record<string, unknown> {
  return {
    productId: identity.productId === null ? null : formatProductId(identity.productId),
    product: identity.product,
    family: identity.family,
    firmware: identity.firmware,
    serial: identity.serial,
    model: identity.model,
    hex: identity.hex,
  };
}

export const identifyCommand: CliCommand = {
  name: 'identify',
  summary: 'identify the device behind a port (product, firmware, serial) as JSON',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: { timeout: { type: 'string' }, verbose: { type: 'boolean' } },
    });
    if (positionals.length !== 1) throw new UsageError('identify takes one PORT');
    const path = positionals[0] ?? '';
    const timeoutMs = parseTimeout(values.timeout);
    await withPort(path, io, 'identify', { timeoutMs, verbose: values.verbose === true }, async (_port, identity) => {
      writeJsonLine(io.stdout, { port: path, ...identityJson(identity) });
    });
    return 0;
  },
};
