/**
 * `ve-direct simulate <device> <serial-path>`: runs one simulated Victron device on a real
 * serial port (one end of a socat pty pair, or a USB serial adapter looped to a host), so a
 * host — this package, or any other VE.Direct software — can be tried without hardware.
 * The device sends Text blocks every second and answers the host's `\n`-terminated HEX lines.
 */

import { parseArgs } from 'node:util';
import { systemClock } from '../../clock';
import { quoteInput } from '../../errors';
import { SimSystem, type NominalVoltage } from '../../sim/battery-model';
import { createSimDevice, describeSimDevice, findSimDeviceSpec, SIM_DEVICES } from '../../sim/catalogue';
import type { SimDevice } from '../../sim/device';
import type { FaultSettings } from '../../sim/faults';
import { formatFirmware, parseFirmware } from '../../sim/identity';
import type { OtherMaster } from '../../sim/profiles/mppt';
import type { SenseRejectMode } from '../../sim/remote-sense';
import { UsageError, type CliCommand, type CliIo } from '../command';

const HELP = `Usage: ve-direct simulate <device> <serial-path> [options]
       ve-direct simulate --list

Run a simulated Victron device on a serial port: a Text block every second (with correct
checksums and the fields of that model and firmware) and answers to HEX requests (ping,
product id, Get, Set, ...), with values from a small model of a battery, its loads and the sun.

Try it without hardware, in two terminals (socat makes a pair of linked pseudo-terminals):
  socat -d -d pty,raw,echo=0,link=/tmp/a pty,raw,echo=0,link=/tmp/b &
  ve-direct simulate smartshunt /tmp/b
  ve-direct decode < /tmp/a
Any VE.Direct software can open /tmp/a as if it were the device's USB cable.

Devices (ve-direct simulate --list): bmv700, bmv702, bmv712, smartshunt, smartshunt-temp,
smartsolar-100-30, smartsolar-250-70, smartsolar-150-70-rev2, bluesolar-75-15,
bluesolar-100-30-pvonly, phoenix-inverter, bluesmart-charger, phoenix-inverter-hex,
bluesmart-charger-hex, orion-xs.

Options:
  --list                    name the devices and exit
  --serial SER              serial number (default: one per device and instance)
  --instance NAME           instance name; picks another default serial number
  --firmware X.YY           firmware version (fields and HEX habits follow it)
  --product-id 0xXXXX       product id to report
  --time-of-day HH:MM       simulated time of day at the start (default 12:00)
  --speed N                 simulated seconds per second (default 1; 60 = an hour a minute)
  --soc PERCENT             battery state of charge at the start (default 80)
  --system-voltage V        battery bank voltage: 12, 24 or 48 (default 12)
  --capacity AH             battery capacity (default 200)
  --seed N                  seed of the drift and the faults (same seed, same run)
MPPT options:
  --other-master KIND       another master controls the charger: gx, bms or vesmart
  --sense-reject MODE       answer to a 0x2002 write outside +-5 V of the terminals:
                            parameter-error (default) or ignore (acknowledged, not used)
Faults:
  --noise RATE              probability per byte sent that a bit flips (e.g. 0.001)
  --drop RATE               probability per byte sent that it is lost
  --host-noise RATE         probability per byte received that a bit flips
  --garbage-every MS        a burst of random bytes every MS milliseconds
  --reply-delay MS          time before each HEX reply (default 3)
  --lost-replies RATE       probability that a reply is never sent
  --late-replies RATE       probability that a reply comes --late-ms late
  --late-ms MS              delay of a late reply (default 1500)
  --async-in-block RATE     probability that an async frame lands inside a Text block
Output:
  --verbose                 print each frame the host sends to stderr
  -h, --help                show this help

Stops on Ctrl-C and prints what was sent and injected to stderr.
Exit status: 0 when stopped, 1 when the port cannot be opened or closes, 2 on usage errors.`;

function number(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max) throw new UsageError(`--${name} must be a number from ${min} to ${max}, got ${quoteInput(text)}`);
  return value;
}

function timeOfDay(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) throw new UsageError(`--time-of-day must be HH:MM, got ${quoteInput(text)}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

function choice<T extends string>(name: string, text: string | undefined, allowed: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got ${quoteInput(text)}`);
  return text as T;
}

const OPTIONS = {
  list: { type: 'boolean' },
  serial: { type: 'string' },
  instance: { type: 'string' },
  firmware: { type: 'string' },
  'product-id': { type: 'string' },
  'time-of-day': { type: 'string' },
  speed: { type: 'string' },
  soc: { type: 'string' },
  'system-voltage': { type: 'string' },
  capacity: { type: 'string' },
  seed: { type: 'string' },
  'other-master': { type: 'string' },
  'sense-reject': { type: 'string' },
  noise: { type: 'string' },
  drop: { type: 'string' },
  'host-noise': { type: 'string' },
  'garbage-every': { type: 'string' },
  'reply-delay': { type: 'string' },
  'lost-replies': { type: 'string' },
  'late-replies': { type: 'string' },
  'late-ms': { type: 'string' },
  'async-in-block': { type: 'string' },
  verbose: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function faultsFrom(values: Values): Partial<FaultSettings> {
  const faults: { -readonly [K in keyof FaultSettings]?: FaultSettings[K] } = {};
  const set = <K extends keyof FaultSettings>(key: K, value: FaultSettings[K] | undefined): void => {
    if (value !== undefined) faults[key] = value;
  };
  set('bitErrorRate', number('noise', values.noise, 0, 1));
  set('dropRate', number('drop', values.drop, 0, 1));
  set('hostBitErrorRate', number('host-noise', values['host-noise'], 0, 1));
  set('garbageIntervalMs', number('garbage-every', values['garbage-every'], 0, 3_600_000));
  set('replyDelayMs', number('reply-delay', values['reply-delay'], 0, 60_000));
  set('lostReplyRate', number('lost-replies', values['lost-replies'], 0, 1));
  set('lateReplyRate', number('late-replies', values['late-replies'], 0, 1));
  set('lateReplyMs', number('late-ms', values['late-ms'], 0, 60_000));
  set('asyncInsideBlockRate', number('async-in-block', values['async-in-block'], 0, 1));
  return faults;
}

function buildDevice(name: string, values: Values): SimDevice {
  const clock = systemClock;
  const nominal = number('system-voltage', values['system-voltage'], 12, 48);
  if (nominal !== undefined && nominal !== 12 && nominal !== 24 && nominal !== 48) throw new UsageError('--system-voltage must be 12, 24 or 48');
  const soc = number('soc', values.soc, 0, 100);
  const seed = number('seed', values.seed, 0, 2 ** 32 - 1);
  const tod = timeOfDay(values['time-of-day']);
  const speed = number('speed', values.speed, 0, 100_000);
  const capacity = number('capacity', values.capacity, 1, 100_000);
  const system = new SimSystem(clock, {
    ...(nominal !== undefined ? { nominalVoltage: nominal as NominalVoltage } : {}),
    ...(soc !== undefined ? { soc: soc / 100 } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(tod !== undefined ? { timeOfDay: tod } : {}),
    ...(speed !== undefined ? { speed } : {}),
    ...(capacity !== undefined ? { capacityAh: capacity } : {}),
  });
  let firmware: number | undefined;
  if (values.firmware !== undefined) {
    try {
      firmware = parseFirmware(values.firmware);
    } catch (err) {
      throw new UsageError(`--firmware: ${(err as Error).message}`);
    }
  }
  let productId: number | undefined;
  if (values['product-id'] !== undefined) {
    const m = /^(?:0x)?([0-9a-f]{1,4})$/i.exec(values['product-id']);
    if (!m || m[1] === undefined) throw new UsageError(`--product-id must be hex like 0xA056, got ${quoteInput(values['product-id'])}`);
    productId = Number.parseInt(m[1], 16);
  }
  const otherMaster = choice<OtherMaster>('other-master', values['other-master'], ['gx', 'bms', 'vesmart']);
  const senseRejectMode = choice<SenseRejectMode>('sense-reject', values['sense-reject'], ['parameter-error', 'ignore']);
  return createSimDevice(name, {
    clock,
    system,
    faults: faultsFrom(values),
    ...(values.serial !== undefined ? { serial: values.serial } : {}),
    ...(values.instance !== undefined ? { instance: values.instance } : {}),
    ...(firmware !== undefined ? { firmware } : {}),
    ...(productId !== undefined ? { productId } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(otherMaster !== undefined ? { otherMaster } : {}),
    ...(senseRejectMode !== undefined ? { senseRejectMode } : {}),
  });
}

function summary(device: SimDevice): string {
  const { stats } = device;
  const f = device.faults.stats;
  const parts = [
    `${stats.textBlocks} Text blocks, ${stats.hexReplies} HEX replies, ${stats.asyncFrames} async frames`,
    `host sent ${stats.hostFrames} frames (${stats.hostFrameErrors} unreadable)`,
  ];
  const injected = [
    f.blocksCorrupted ? `${f.blocksCorrupted} blocks corrupted` : '',
    f.framesCorrupted ? `${f.framesCorrupted} frames corrupted` : '',
    f.bytesFlipped ? `${f.bytesFlipped} bytes flipped` : '',
    f.bytesDropped ? `${f.bytesDropped} bytes dropped` : '',
    f.garbageBursts ? `${f.garbageBursts} garbage bursts` : '',
    f.repliesLost ? `${f.repliesLost} replies lost` : '',
    f.repliesLate ? `${f.repliesLate} replies late` : '',
  ].filter(Boolean);
  if (injected.length > 0) parts.push(`injected: ${injected.join(', ')}`);
  const flash = device.flashWriteCount;
  if (flash > 0) parts.push(`${flash} writes to flash-backed settings`);
  return parts.join('; ');
}

async function simulate(name: string, path: string, values: Values, io: CliIo): Promise<number> {
  const device = buildDevice(name, values);
  // Loaded here, so `--list` and `--help` need no native serial module.
  const { SerialPort } = await import('serialport');
  const { ReadlineParser } = await import('@serialport/parser-readline');
  const port = new SerialPort({ path, baudRate: 19200, autoOpen: false });
  try {
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  } catch (err) {
    device.dispose();
    io.stderr.write(`ve-direct simulate: cannot open ${path}: ${(err as Error).message}\n`);
    return 1;
  }
  const { identity } = device;
  io.stderr.write(
    `ve-direct simulate: ${identity.modelName} (PID 0x${identity.productId.toString(16).toUpperCase().padStart(4, '0')}, ` +
      `SER# ${identity.serial}, fw ${formatFirmware(identity.firmware)}) on ${path}; Ctrl-C to stop\n`,
  );
  const detach = device.connect((bytes) => {
    if (port.isOpen) port.write(Buffer.from(bytes));
  });
  if (values.verbose) device.onHostFrame((frame) => io.stderr.write(`> ${frame.frame}${frame.valid ? '' : '    # unreadable'}\n`));
  // Host → device traffic is `\n`-terminated HEX lines.
  const parser = port.pipe(new ReadlineParser({ delimiter: '\n', encoding: 'latin1' }));
  parser.on('data', (line: string) => device.receive(Buffer.from(`${line}\n`, 'latin1')));
  const closed = new Promise<string>((resolve) => {
    port.on('close', () => resolve('the port closed'));
    port.on('error', (err: Error) => resolve(`port error: ${err.message}`));
  });
  const outcome = await Promise.race([io.interrupted.then(() => null), closed]);
  detach();
  device.dispose();
  if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  io.stderr.write(`ve-direct simulate: ${summary(device)}\n`);
  if (outcome !== null) {
    io.stderr.write(`ve-direct simulate: stopped: ${outcome}\n`);
    return 1;
  }
  return 0;
}

export const simulateCommand: CliCommand = {
  name: 'simulate',
  summary: 'run a simulated BMV, SmartShunt, MPPT, inverter or charger on a serial port',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({ args: [...args], allowPositionals: true, options: OPTIONS });
    if (values.list) {
      for (const spec of SIM_DEVICES) io.stdout.write(`${describeSimDevice(spec)}\n`);
      return 0;
    }
    if (positionals.length !== 2) throw new UsageError('simulate takes a device name and a serial port path (or --list)');
    const [name, path] = positionals as [string, string];
    if (!findSimDeviceSpec(name)) throw new UsageError(`unknown device ${quoteInput(name)}; run "ve-direct simulate --list"`);
    return simulate(name, path, values, io);
  },
};
