/**
 * `ve-direct set PORT REG VALUE`: write one register over HEX through the write policy (the
 * same gate the Node-RED nodes and the bridge pass) and print the device's echo as JSON.
 * Flash writes are remembered in a state file, so the interval between two writes of a
 * setting holds across runs.
 */

import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { VeError, isVeError } from '../../errors';
import { JsonFileFlashWriteStore } from '../../link/flash-write-store';
import { COMMAND_OPT_IN_HINT, DEFAULT_FLASH_INTERVAL_MS, FLASH_OPT_IN_HINT, WritePolicy, checkBeforeConnecting } from '../../link/write-policy';
import { UsageError, writeJsonLine, type CliCommand, type CliIo } from '../command';
import { checkRegisterArgument, parseTimeout, withPort } from '../port-session';
import { readingJson } from './get';

const HELP = `Usage: ve-direct set PORT REG VALUE [--allow-flash] [--allow-command] [--min-interval S]
                     [--state-file FILE] [--timeout MS] [--verbose]

Write VALUE to register REG of the device behind PORT, check the device's echo and print it:
  {"register":"0x2002","name":"batteryVoltageSense","value":13.25,"unit":"V","raw":"2D05","flags":0}

REG is a catalogue name (batteryVoltageSense) or an id of a register in the catalogue
(0x2002). VALUE is in the register's unit (13.25 for 13.25 V; negative numbers as they are:
-5), text for text registers, hex bytes for raw registers, or "null" to release a remote
sense or link register (0x2002, 0x2003, 0x200A, 0x2015: the charger drops the value at once).

Checked before anything is sent, for the product behind PORT:
  read-only registers                      refused (VE_READ_ONLY)
  wrong type; null elsewhere than above    refused (VE_TYPE)
  outside the register's range, or the     refused (VE_RANGE; the message says where the
  product's: sense temperature -40..85 C,  limit comes from). The system voltage 0xEDEF and
  battery voltages in the window of the    the terminal voltage 0xEDD5 are read first when
  system voltage (8-17.4 V per 12 V),      not yet known (VE_STALE when they cannot be)
  sense voltage within 5 V of the
  terminals, currents up to the rating
  settings stored in flash memory (0xEDxx  refused without --allow-flash (VE_FLASH_GUARD):
  charger settings, battery capacity, …),  flash wears out, and a wrong charger setting can
  0x200E bits other than 0 and 2 (bit 3:   stop charging until someone intervenes
  BMS), registers not in the catalogue
  device commands (restore defaults, clear refused without --allow-command
  history, zero current, synchronise,      (VE_COMMAND_GUARD)
  remote command)

A flash setting is written only when the device holds another value (then the device's value
is printed and nothing is sent), and at most once per --min-interval for each device and
register (VE_RATE_LIMIT), also across runs: the writes are remembered in
$XDG_STATE_HOME/ve-direct/flash-writes.json (~/.local/state/ve-direct/flash-writes.json when
XDG_STATE_HOME is not set), or in --state-file FILE. A flash write or command is sent once,
never retried.

The device may refuse a value (VE_PARAMETER: it clamps and echoes the value it used, which
the message shows), not support the write (VE_NOT_SUPPORTED), not know the register
(VE_UNKNOWN_ID), or echo another value (VE_ECHO_MISMATCH).

Options:
  --allow-flash       allow writing a setting stored in flash memory
  --allow-command     allow sending a device command
  --min-interval S    minimum time between two flash writes of a register (default 60)
  --state-file FILE   where flash writes are remembered (see above)
  --timeout MS        how long to wait for the device to be identified (default 10000)
  --verbose           print what the link does to stderr
  -h, --help          show this help

Exit status: 0 written and echoed (or already held), 1 refused or no answer (the message
names the VE_ code), 2 usage errors.`;

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/** VALUE as typed: "null", a number, or text (strings, raw hex). */
export function parseValue(text: string): number | string | null {
  if (text === 'null') return null;
  if (NUMBER.test(text.trim())) return Number(text);
  return text;
}

/** Where flash writes are remembered when --state-file is not given (XDG base directory spec). */
export function defaultStateFile(env: CliIo['env']): string {
  const stateHome = env.XDG_STATE_HOME !== undefined && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(env.HOME ?? homedir(), '.local', 'state');
  return join(stateHome, 've-direct', 'flash-writes.json');
}

/**
 * The arguments with negative numbers kept as positionals: parseArgs reads "-5" as an option.
 * A negative number never names an option, so it is set aside and put back after parsing.
 */
function splitNegatives(args: readonly string[]): { args: string[]; restore: (positionals: string[]) => string[] } {
  const negatives: string[] = [];
  const marked = args.map((a) => {
    if (a.startsWith('-') && NUMBER.test(a)) {
      negatives.push(a);
      return `\u0000${negatives.length - 1}`;
    }
    return a;
  });
  const restore = (positionals: string[]): string[] => positionals.map((p) => (p.startsWith('\u0000') ? (negatives[Number(p.slice(1))] ?? p) : p));
  return { args: marked, restore };
}

/** A refusal's "allow it" sentence as this command's flag. */
function withFlagHint(err: unknown): unknown {
  if (!isVeError(err)) return err;
  const hint = err.code === 'VE_FLASH_GUARD' ? FLASH_OPT_IN_HINT : err.code === 'VE_COMMAND_GUARD' ? COMMAND_OPT_IN_HINT : null;
  if (hint === null || !err.message.includes(hint)) return err;
  const flag = err.code === 'VE_FLASH_GUARD' ? 'Use --allow-flash to write it.' : 'Use --allow-command to send it.';
  return new VeError(err.code, err.message.replace(hint, flag), err.details);
}

export const setCommand: CliCommand = {
  name: 'set',
  summary: 'write a register (checked for the product; flash needs --allow-flash, commands --allow-command)',
  help: HELP,
  async run(args, io) {
    const split = splitNegatives(args);
    const { values, positionals: parsed } = parseArgs({
      args: split.args,
      allowPositionals: true,
      options: {
        'allow-flash': { type: 'boolean' },
        'allow-command': { type: 'boolean' },
        'min-interval': { type: 'string' },
        'state-file': { type: 'string' },
        timeout: { type: 'string' },
        verbose: { type: 'boolean' },
      },
    });
    const positionals = split.restore(parsed);
    if (positionals.length !== 3) throw new UsageError('set takes a PORT, a REG and a VALUE');
    const [path, register, text] = positionals as [string, string, string];
    const timeoutMs = parseTimeout(values.timeout);
    const minFlashIntervalMs = parseInterval(values['min-interval']);
    const value = parseValue(text);
    const allowFlash = values['allow-flash'] === true;
    const allowCommand = values['allow-command'] === true;
    try {
      // Refusals that need no device come before the port is opened.
      checkRegisterArgument(() => checkBeforeConnecting({ ref: register, value, allowFlash, allowCommand }));
      const stateFile = values['state-file'] ?? defaultStateFile(io.env);
      const store = new JsonFileFlashWriteStore(stateFile, { onError: (message) => io.stderr.write(`ve-direct set: ${message}\n`) });
      const writePolicy = new WritePolicy({ store, minFlashIntervalMs });
      const result = await withPort(path, io, 'set', { timeoutMs, verbose: values.verbose === true, port: { writePolicy } }, (port) =>
        port.write(register, value, { allowFlash, allowCommand }),
      );
      if (!result.written) io.stderr.write(`ve-direct set: the device holds this value already; nothing was written\n`);
      writeJsonLine(io.stdout, readingJson(result.reading));
      return 0;
    } catch (err) {
      throw withFlagHint(err);
    }
  },
};

function parseInterval(text: string | undefined): number {
  if (text === undefined) return DEFAULT_FLASH_INTERVAL_MS;
  const s = Number(text);
  if (!Number.isFinite(s) || s < 0) throw new UsageError(`--min-interval must be a number of seconds (0 or more), got ${JSON.stringify(text.slice(0, 60))}`);
  return s * 1000;
}
