/**
 * `ve-direct monitor PORT`: the device's live values, one decoded snapshot per Text cycle,
 * as JSON lines (or a table for people), until Ctrl-C.
 */

import { parseArgs } from 'node:util';
import type { DeviceIdentity, TextSnapshotReading } from '../../link/device';
import type { PortState } from '../../link/port';
import { UsageError, writeJsonLine, type CliCommand, type CliIo } from '../command';
import { parseTimeout, withPort } from '../port-session';
import { quoteInput } from '../../errors';

const HELP = `Usage: ve-direct monitor PORT [--table] [--count N] [--timeout MS] [--verbose]

Print the live values of the device behind PORT: one decoded snapshot per Text cycle (BMVs
and SmartShunts send a cycle as two blocks; they are merged), until Ctrl-C.

Output, one JSON object per cycle:
  {"port":"sim:smartshunt","product":"SmartShunt 500A/50mV","serial":"HQ2312SHT01",
   "values":{"batteryVoltage":{"value":12.78,"unit":"V"},"stateOfCharge":{"value":80,"unit":"%"},...}}
Values are scaled to their units; "not available" is null; enumerations add a "text".
With --table, an aligned table instead: on a terminal it is redrawn in place every cycle,
with the link's state (connected, stale, error, reconnecting) and the time in its first
line; into a pipe or a file, one table per cycle scrolls by. Otherwise changes of the link's
state go to stderr.

Only checksum-valid Text blocks are shown; broken ones are counted and dropped.

Options:
  --table       a table instead of JSON lines (redrawn in place on a terminal)
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

function tableLines(identity: DeviceIdentity | null, snapshot: TextSnapshotReading): string[] {
  const rows = Object.entries(snapshot.values).map(([name, v]) => {
    const value = v.value === null ? '—' : String(v.value);
    return [name, `${value}${v.unit ? ` ${v.unit}` : ''}`, v.text ?? ''] as const;
  });
  const width = Math.max(...rows.map((r) => r[0].length), 4);
  const header = `${identity?.product ?? 'device'} ${identity?.serial ?? ''}`.trim();
  return [header, ...rows.map(([n, v, t]) => `  ${n.padEnd(width)}  ${v}${t ? `  (${t})` : ''}`)];
}

/** The table as scrolling text, for a pipe or a file: one table per cycle, a blank line after. */
function table(identity: DeviceIdentity | null, snapshot: TextSnapshotReading): string {
  return [...tableLines(identity, snapshot), ''].join('\n') + '\n';
}

const CURSOR_HOME = '\x1b[H';
const CLEAR_SCREEN = '\x1b[2J';
const CLEAR_TO_LINE_END = '\x1b[K';
const CLEAR_TO_SCREEN_END = '\x1b[J';

/**
 * The table redrawn in place on a terminal: cursor home, each line over the previous one's
 * (cleared to its end), the rest of the screen cleared. What does not fit the terminal is
 * cut — lines at its width, the table at its height, with a note — since a wrapped or
 * scrolled line would push the top of the table away.
 */
export function screen(lines: readonly string[], size: { readonly rows?: number; readonly columns?: number } = {}): string {
  const { rows, columns } = size;
  let shown = [...lines];
  if (rows !== undefined && rows > 2 && shown.length > rows - 1) {
    const hidden = shown.length - (rows - 2);
    shown = [...shown.slice(0, rows - 2), `  … ${hidden} more lines: make the terminal taller`];
  }
  if (columns !== undefined && columns > 1) shown = shown.map((l) => (l.length > columns - 1 ? l.slice(0, columns - 2) + '…' : l));
  return CURSOR_HOME + shown.map((l) => l + CLEAR_TO_LINE_END).join('\n') + '\n' + CLEAR_TO_SCREEN_END;
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
  // On a terminal the table is redrawn in place, with the link's state in its header; into a
  // pipe or a file it scrolls, and state changes go to stderr.
  const terminal = io.stdout as Partial<NodeJS.WriteStream>;
  const redraw = options.table && terminal.isTTY === true;
  await withPort(path, io, 'monitor', { timeoutMs: options.timeoutMs, verbose: options.verbose }, async (port) => {
    let seen = 0;
    let last: TextSnapshotReading | null = null;
    let state = 'connected';
    const draw = (): void => {
      if (last === null) return;
      const lines = tableLines(port.identity, last);
      lines[0] = `${lines[0]!}  ·  ${state}  ·  ${new Date().toTimeString().slice(0, 8)}  ·  Ctrl-C to stop`;
      io.stdout.write(screen(lines, { rows: terminal.rows, columns: terminal.columns }));
    };
    if (redraw) io.stdout.write(CLEAR_SCREEN);
    await new Promise<void>((resolve) => {
      const removers = [
        port.on('snapshot', (snapshot) => {
          if (redraw) {
            last = snapshot;
            draw();
          } else if (options.table) io.stdout.write(table(port.identity, snapshot));
          else writeJsonLine(io.stdout, snapshotJson(path, port.identity, snapshot));
          if (++seen >= options.count) stop();
        }),
        port.on('state', (s) => {
          if (redraw) {
            state = describeState(s);
            draw();
          } else io.stderr.write(`ve-direct monitor: ${describeState(s)}\n`);
        }),
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
      if (!Number.isInteger(count) || count < 1) throw new UsageError(`--count must be a positive whole number, got ${quoteInput(values.count)}`);
    }
    return monitor(positionals[0] ?? '', io, { table: values.table === true, count, timeoutMs: parseTimeout(values.timeout), verbose: values.verbose === true });
  },
};
