/**
 * `ve-direct set PORT REG VALUE`: write one register over HEX, after checking it against the
 * register catalogue, and print the device's echo as JSON.
 */

import { parseArgs } from 'node:util';
import { prepareWrite } from '../../link/write-guard';
import { UsageError, writeJsonLine, type CliCommand } from '../command';
import { checkRegisterArgument, parseTimeout, withPort } from '../port-session';
import { readingJson } from './get';

const HELP = `Usage: ve-direct set PORT REG VALUE [--allow-flash] [--timeout MS] [--verbose]

Write VALUE to register REG of the device behind PORT, check the device's echo and print it:
  {"register":"0x2002","name":"batteryVoltageSense","value":13.25,"unit":"V","raw":"2D05","flags":0}

REG is a catalogue name (batteryVoltageSense) or an id of a register in the catalogue
(0x2002). VALUE is in the register's unit (13.25 for 13.25 V), text for text registers, hex
bytes for raw registers, or "null" for the register's "not available" value (0x2002 null
makes an MPPT drop remote voltage sense at once).

Checked before anything is sent: read-only registers are refused (VE_READ_ONLY), values
outside the register's range or type are refused (VE_RANGE, VE_TYPE), and settings stored in
flash memory (most 0xEDxx charger settings, battery capacity, …) and device commands (restore
defaults, clear history, …) are refused unless --allow-flash is given (VE_FLASH_GUARD): flash
wears out, and a wrong charger setting can stop charging until someone intervenes. A write to
flash is sent once, never retried.

The device may refuse a value (VE_PARAMETER: it clamps and echoes the value it used, which
the message shows), not support the write (VE_NOT_SUPPORTED), not know the register
(VE_UNKNOWN_ID), or echo another value (VE_ECHO_MISMATCH).

Options:
  --allow-flash  allow writing a flash-backed setting or sending a device command
  --timeout MS   how long to wait for the device to be identified (default 10000)
  --verbose      print what the link does to stderr
  -h, --help     show this help

Exit status: 0 written and echoed, 1 refused or no answer (the message names the VE_ code),
2 usage errors.`;

/** VALUE as typed: "null", a number, or text (strings, raw hex). */
export function parseValue(text: string): number | string | null {
  if (text === 'null') return null;
  if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text.trim())) return Number(text);
  return text;
}

export const setCommand: CliCommand = {
  name: 'set',
  summary: 'write a register (checked against the catalogue; flash needs --allow-flash)',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: { 'allow-flash': { type: 'boolean' }, timeout: { type: 'string' }, verbose: { type: 'boolean' } },
    });
    if (positionals.length !== 3) throw new UsageError('set takes a PORT, a REG and a VALUE');
    const [path, register, text] = positionals as [string, string, string];
    const timeoutMs = parseTimeout(values.timeout);
    const value = parseValue(text);
    const allowFlash = values['allow-flash'] === true;
    // Refusals that need no device come before the port is opened (VE_FLASH_GUARD, VE_RANGE…).
    checkRegisterArgument(() => prepareWrite(register, value, allowFlash));
    const reading = await withPort(path, io, 'set', { timeoutMs, verbose: values.verbose === true }, (port) => port.set(register, value, { allowFlash }));
    writeJsonLine(io.stdout, readingJson(reading));
    return 0;
  },
};
