/**
 * `ve-direct get PORT REG`: read one register over HEX and print it as JSON, scaled, with its
 * unit and the raw bytes.
 */

import { parseArgs } from 'node:util';
import { VeError, isVeError } from '../../errors';
import type { DeviceIdentity, RegisterReading } from '../../link/device';
import { equivalentRegisters, otherFamilyHint } from '../../protocol/catalog/equivalents';
import { findRegister } from '../../protocol/catalog/registers';
import { resolveRegister } from '../../link/register-ref';
import { UsageError, writeJsonLine, type CliCommand } from '../command';
import { checkRegisterArgument, parseTimeout, withPort } from '../port-session';

const HELP = `Usage: ve-direct get PORT REG [--timeout MS] [--verbose]

Read register REG of the device behind PORT and print one JSON object:
  {"register":"0xED8D","name":"batteryVoltage","value":26.69,"unit":"V","raw":"6D0A","flags":0}

REG is a catalogue name (batteryVoltage, case ignored) or a register id (0xED8D). Ids the
catalogue does not know are read as plain integers (or hex text when longer than 4 bytes).
"value" is scaled to the unit; a "not available" value (no sensor, 0xFFFF) is null, never a
number. "raw" is the value bytes as sent (little-endian). Enumerations add a "text".

PORT is a serial device (/dev/ttyUSB0, /dev/serial/by-id/...) or sim:<device>.

Options:
  --timeout MS  how long to wait for the device to be identified (default 10000)
  --verbose     print what the link does to stderr
  -h, --help    show this help

Exit status: 0 read, 1 refused or no answer (VE_UNKNOWN_ID: the device has no such register;
VE_TIMEOUT: no reply within 1 s, after one retry; the message names the code), 2 usage errors.
When the register belongs to another family of devices (batteryVoltage, 0xED8D, is a battery
monitor's; an MPPT's battery voltage is chargerVoltage, 0xEDD5), the message says which
register of the device's own family to read.`;

/** The JSON `get` and `set` print for a reading. */
export function readingJson(r: RegisterReading): Record<string, unknown> {
  const out: Record<string, unknown> = { register: r.register, name: r.name, value: r.value, unit: r.unit, raw: r.raw, flags: r.flags };
  if (r.text !== undefined) out.text = r.text;
  return out;
}

/**
 * A register the device does not know (VE_UNKNOWN_ID) is often one of another family's (a
 * monitor's batteryVoltage asked of a charger): add which register of its family to read.
 */
export function withFamilyHint(err: unknown, register: string, identity: DeviceIdentity): unknown {
  if (!isVeError(err) || err.code !== 'VE_UNKNOWN_ID' || identity.family === null) return err;
  const def = findRegister(register);
  const hint = def && otherFamilyHint(def, identity.family);
  if (!def || hint === undefined) return err;
  const instead = equivalentRegisters(def, identity.family).map((r) => r.name);
  return new VeError('VE_UNKNOWN_ID', `${err.message}. ${hint}`, { ...err.details, suggestions: instead });
}

export const getCommand: CliCommand = {
  name: 'get',
  summary: 'read a register (by name or 0xID) as JSON',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: { timeout: { type: 'string' }, verbose: { type: 'boolean' } },
    });
    if (positionals.length !== 2) throw new UsageError('get takes a PORT and a REG');
    const [path, register] = positionals as [string, string];
    const timeoutMs = parseTimeout(values.timeout);
    // An unknown name is a usage mistake: say so before opening anything.
    checkRegisterArgument(() => resolveRegister(register));
    const reading = await withPort(path, io, 'get', { timeoutMs, verbose: values.verbose === true }, (port, identity) =>
      port.get(register).catch((err: unknown) => {
        throw withFamilyHint(err, register, identity);
      }),
    );
    writeJsonLine(io.stdout, readingJson(reading));
    return 0;
  },
};
