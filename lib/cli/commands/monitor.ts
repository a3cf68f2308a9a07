/**
 * `ve-direct monitor PORT`: the device's live values, one decoded snapshot per Text cycle,
 * as JSON lines (or a table for people), until Ctrl-C.
 */

import { parseArgs } from 'node:util';
import type { DeviceIdentity, TextSnapshotReading } from '../../link/device';
import type { PortState } from '../../link/port';
import { UsageError, writeJsonLine, type CliCommand, type CliIo } from '../command';
import { parseTimeout, withPort } from '../port-session';

const HELP = `Usage: ve-direct monitor PORT [--table] [--count N] [--timeout MS] [--verbose]

Print the live values of the device behind PORT: one decoded snapshot per Text cycle (BMVs
and SmartShunts send a cycle as two blocks; they are merged), until Ctrl-C.

Output, one JSON object per cycle:
  {"port":"sim:smartshunt","product":"SmartShunt 500A/50mV","serial":"HQ2312SHT01",
   "values":{"batteryVoltage":{"value":12.78,"unit":"V"},"stateOfCharge":{"value":80,"unit":"%"},...}}
Values are scaled to their units; "not available" is null; enumerations add a "text".
With --table, an aligned table per cycle instead. Changes of the link's state (stale, error,
reconnecting) go to stderr.

Only checksum-valid Text blocks are shown; broken ones are counted and dropped.

Options:
  --table       a table per cycle instead of JSON lines
  --count N     stop after N snapshots
  --timeout MS  how long to wait for the device to be identified (default 10000)
  --verbose     print what the link does to stderr
  -h, --help    show this help

Exit status: 0 when stopped (Ctrl-C or --count), 1 no device / port error, 2 usage errors.`;

type SnapshotValue = TextSnapshotReading['values'][string];

function valueJson(v: SnapshotValue): Record<string, unknown> {
  const out: Record<string, unknown> = { value: v.value, unit: v.unit };
  if (v.text !== undefined) out.text = v.text;
  return out;
}

function snapshotJson(path: string, identity: DeviceIdentity | null, snapshot: TextSnapshotReading): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(snapshot.values)) values[name] = valueJson(v);
  return { port: path, product: identity?.product ?? null, serial: identity?.serial ?? null, values };
}

function table(identity: DeviceIdentity | null, snapshot: TextSnapshotReading): string {
  const rows = Object.entries(snapshot.values).map(([name, v]) => {
    const value = v.value === null ? '—' : String(v.value);
    return [name, `${value}${v.unit ? ` ${v.unit}` : ''}`, v.text ?? ''] as const;
  });
  const width = Math.max(...rows.map((r) => r[0].length), 4);
  const header = `${identity?.product ?? 'device'} ${identity?.serial ?? ''}`.trim();
  return [header, ...rows.map(([n, v, t]) => `  ${n.padEnd(width)}  ${v}${t ? `  (${t})` : ''}`), ''].join('\n') + '\n';
}

function describeState(s: PortState): string {
  switch (s.kind) {
    case 'connected':
      return `connected: ${s.identity.product ?? ''} ${s.identity.serial ?? ''}`.trim();
    case 'stale':
      return `stale: no data for ${Math.round(s.silentMs / 1000)} s`;
    case 'error':
      return `error: ${s.reason}${s.retryInMs !== null ? `; retrying in ${Math.ceil(s.retryInMs / 1000)} s` : ''}`;
    case 'mismatch':
      return `refused: serial ${s.identity.serial ?? '?'} is not ${s.expectedSerial}`;
    case 'connecting':
    case 'closed':
      return s.kind;
  }
}

async function monitor(path: string, io: CliIo, options: { table: boolean; count: number; timeoutMs: number; verbose: boolean }): Promise<number> {
  await withPort(path, io, 'monitor', { timeoutMs: options.timeoutMs, verbose: options.verbose }, async (port) => {
    let seen = 0;
    await new Promise<void>((resolve) => {
      const removers = [
        port.on('snapshot', (snapshot) => {
          if (options.table) io.stdout.write(table(port.identity, snapshot));
          else writeJsonLine(io.stdout, snapshotJson(path, port.identity, snapshot));
          if (++seen >= options.count) stop();
        }),
        port.on('state', (s) => io.stderr.write(`ve-direct monitor: ${describeState(s)}\n`)),
      ];
      const stop = (): void => {
        for (const remove of removers) remove();
        resolve();
      };
      void io.interrupted.then(stop);
    });
  });
  return 0;
}

export const monitorCommand: CliCommand = {
  name: 'monitor',
  summary: 'print the live decoded values of a device, one snapshot per cycle',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: { table: { type: 'boolean' }, count: { type: 'string' }, timeout: { type: 'string' }, verbose: { type: 'boolean' } },
    });
    if (positionals.length !== 1) throw new UsageError('monitor takes one PORT');
    let count = Infinity;
    if (values.count !== undefined) {
      count = Number(values.count);
      if (!Number.isInteger(count) || count < 1) throw new UsageError(`--count must be a positive whole number, got ${JSON.stringify(values.count)}`);
    }
    return monitor(positionals[0] ?? '', io, { table: values.table === true, count, timeoutMs: parseTimeout(values.timeout), verbose: values.verbose === true });
  },
};
