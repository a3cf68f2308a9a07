/**
 * `ve-direct limit PORT… AMPS`: keep a total charge current in force across MPPT chargers —
 * the same manager as the ve-charge-limit node — until Ctrl-C or SIGTERM, then release the
 * chargers (0x2015 = 0xFFFF, 0x200E = 0x00) before the ports close.
 */

import { parseArgs } from 'node:util';
import { ChargeLimitManager } from '../../bridge/charge-limit';
import { LIMIT_CONFIG_BOUNDS } from '../../bridge/charge-limit-config';
import type { ChargeLimitReport } from '../../bridge/charge-limit-types';
import { SPLIT_MODES, type SplitMode } from '../../bridge/charge-split';
import { PortLimitTarget } from '../../bridge/limit-target';
import { systemClock } from '../../clock';
import { quoteInput } from '../../errors';
import type { VeDirectPort } from '../../link/port';
import { UsageError, writeJsonLine, type CliCommand, type CliIo } from '../command';
import { parseTimeout, withPort } from '../port-session';

const [REFRESH_MIN_MS, REFRESH_MAX_MS] = LIMIT_CONFIG_BOUNDS.refreshMs;

const HELP = `Usage: ve-direct limit PORT... AMPS [--split rated|equal] [--refresh S] [--timeout MS] [--verbose]

Keep the total charge current of the MPPT solar chargers behind the PORTs at AMPS (0 stops
charging), as a GX does with DVCC: each charger gets a share of AMPS in 0x2015 under external
control (0x200E = 0x05), written again every --refresh seconds, until Ctrl-C or SIGTERM. Then
every charger is released (0x2015 = 0xFFFF "no limit", 0x200E = 0x00 stand-alone) before the
ports close, and the chargers charge by their own settings again.

The split (--split): "rated" (default) in proportion to each charger's rated current, so
40 A over a 100/30 and a 250/70 is 12 + 28 A; "equal" the same for each. No share exceeds its
charger's rating; shares are in 0.1 A steps, rounded down, so they never add up to more than
AMPS. A charger under a GX, a BMS or a VE.Smart network is left alone; one that is offline or
refuses leaves its part to the others.

Output, one JSON object per cycle:
  {"at":"2026-…","limit":40,"status":"40 A → 12 + 28 A","chargers":[{"port":"/dev/ttyUSB1",
   "product":"SmartSolar MPPT 100|30","state":"limiting","share":12,"readBack":12,"current":11.8},…]}
Alarms (a charger offline, under another master, refusing) go to stderr.

Options:
  --split MODE   rated (default) or equal
  --refresh S    seconds between refreshes, ${REFRESH_MIN_MS / 1000}-${REFRESH_MAX_MS / 1000} (default 10)
  --timeout MS   how long to wait for each device to be identified (default 10000)
  --verbose      print what the link does to stderr
  -h, --help     show this help

Exit status: 0 when stopped and released, 1 no device / port error / refused, 2 usage errors.`;

function reportJson(r: ChargeLimitReport, paths: ReadonlyMap<string, string>): Record<string, unknown> {
  return {
    at: new Date().toISOString(),
    limit: r.demand.total,
    status: r.status.text,
    chargers: r.chargers.map((c) => ({
      port: paths.get(c.id) ?? c.id,
      product: c.product,
      state: c.state,
      ...(c.reason !== null ? { reason: c.reason } : {}),
      share: c.share,
      readBack: c.readBack,
      current: c.current,
    })),
  };
}

/** Open every path in turn (each waits for its device), run `fn` with all of them, close them all. */
function withPorts<T>(paths: readonly string[], io: CliIo, options: { timeoutMs: number; verbose: boolean }, fn: (ports: VeDirectPort[]) => Promise<T>, opened: VeDirectPort[] = []): Promise<T> {
  const [first, ...rest] = paths;
  if (first === undefined) return fn(opened);
  return withPort(first, io, 'limit', options, (port) => withPorts(rest, io, options, fn, [...opened, port]));
}

async function limit(paths: readonly string[], amps: number, io: CliIo, options: { split: SplitMode; refreshMs: number; timeoutMs: number; verbose: boolean }): Promise<number> {
  return withPorts(paths, io, options, async (ports) => {
    // The ports run on systemClock (their default): the manager must run on the same one.
    const targets = ports.map((port) => new PortLimitTarget(port, { clock: systemClock }));
    const byId = new Map(targets.map((t) => [t.id, t.port.path]));
    const manager = new ChargeLimitManager({
      clock: systemClock,
      chargers: targets,
      config: { split: options.split, refreshMs: options.refreshMs },
      owner: 'cli',
      ownerLabel: 've-direct limit',
      logError: (message) => io.stderr.write(`ve-direct limit: ${message}\n`),
    });
    const removers = [
      manager.on('report', (r) => writeJsonLine(io.stdout, reportJson(r, byId))),
      manager.on('alarm', (change) => {
        for (const a of change.raised) io.stderr.write(`ve-direct limit: alarm ${a.code}: ${a.message}\n`);
        for (const a of change.cleared) io.stderr.write(`ve-direct limit: cleared ${a.code}: ${a.message}\n`);
      }),
    ];
    manager.start();
    // The command is the source of the total: it keeps it fresh while it runs.
    const keepFresh = systemClock.setInterval(() => void manager.setLimit(amps), options.refreshMs);
    try {
      await manager.setLimit(amps);
      await io.interrupted;
    } finally {
      keepFresh.cancel();
      await manager.stop();
      for (const remove of removers) remove();
    }
    io.stderr.write('ve-direct limit: released\n');
    return 0;
  });
}

export const limitCommand: CliCommand = {
  name: 'limit',
  summary: 'keep a total charge current across MPPT chargers until Ctrl-C, then release',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: { split: { type: 'string' }, refresh: { type: 'string' }, timeout: { type: 'string' }, verbose: { type: 'boolean' } },
    });
    if (positionals.length < 2) throw new UsageError('limit takes one or more PORTs and the total AMPS');
    const ampsText = positionals.at(-1) ?? '';
    const amps = Number(ampsText);
    if (ampsText.trim() === '' || !Number.isFinite(amps) || amps < 0) throw new UsageError(`AMPS must be a number ≥ 0, got ${quoteInput(ampsText)}`);
    const paths = positionals.slice(0, -1);
    if (new Set(paths).size !== paths.length) throw new UsageError('a PORT is given twice');
    const split = (values.split ?? 'rated') as SplitMode;
    if (!SPLIT_MODES.includes(split)) throw new UsageError(`--split must be rated or equal, got ${quoteInput(values.split)}`);
    let refreshMs = 10_000;
    if (values.refresh !== undefined) {
      refreshMs = Number(values.refresh) * 1000;
      if (!Number.isFinite(refreshMs) || refreshMs < REFRESH_MIN_MS || refreshMs > REFRESH_MAX_MS) {
        throw new UsageError(`--refresh must be ${REFRESH_MIN_MS / 1000}-${REFRESH_MAX_MS / 1000} seconds, got ${quoteInput(values.refresh)}`);
      }
    }
    return limit(paths, amps, io, { split, refreshMs, timeoutMs: parseTimeout(values.timeout), verbose: values.verbose === true });
  },
};
