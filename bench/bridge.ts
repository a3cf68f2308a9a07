/**
 * Bridge measurements for 1×1, 2×3 and 4×8 (monitors × chargers), and 2×3 sharing the battery
 * current as well: how old a value is when it is written, how often each charger is written,
 * and the bytes the bridge puts on each line against the line's capacity.
 *
 * How: the real stack — SenseBridge, PortAdapter, VeDirectPort (framer, HEX client, identity,
 * snapshots), SerialPortStream over the simulator's serialport binding — against simulated
 * BMV-712 / SmartShunt monitors and SmartSolar MPPTs, all on one ManualClock. Times are device
 * time (the simulated devices' Text blocks every second, HEX reply delays, the link's request
 * pacing), not wall time; a run of 10 device minutes takes about a second of wall time, which
 * is printed as well. Bytes are counted at the simulated devices: frames the host sent, and the
 * replies, async frames and Text blocks they sent back.
 *
 * Run: node --import tsx bench/bridge.ts [--minutes N]
 */

import { SimBench, type DeviceSpec } from '../test/unit/bridge/sim-harness';
import type { BridgeConfigInput, WriteReport } from '../lib/bridge/types';

/** 19200 baud, 8N1: 10 bit times per byte, per direction. */
const LINE_BYTES_PER_S = 1920;
const WARM_UP_MS = 15_000;

interface Scenario {
  readonly name: string;
  readonly monitors: readonly DeviceSpec[];
  readonly chargers: readonly DeviceSpec[];
  readonly config?: BridgeConfigInput;
}

const MONITORS = ['sim:bmv712', 'sim:smartshunt-temp', 'sim:bmv712#2', 'sim:smartshunt-temp#2'];
const CHARGERS = [
  'sim:smartsolar-100-30',
  'sim:smartsolar-250-70',
  'sim:smartsolar-150-70-rev2',
  'sim:smartsolar-100-30#2',
  'sim:smartsolar-250-70#2',
  'sim:smartsolar-150-70-rev2#2',
  'sim:smartsolar-100-30#3',
  'sim:smartsolar-250-70#3',
];

const SCENARIOS: readonly Scenario[] = [
  { name: '1×1', monitors: MONITORS.slice(0, 1), chargers: CHARGERS.slice(0, 1) },
  { name: '2×3', monitors: MONITORS.slice(0, 2), chargers: CHARGERS.slice(0, 3) },
  { name: '4×8', monitors: MONITORS.slice(0, 4), chargers: CHARGERS.slice(0, 8) },
  { name: '2×3 +I', monitors: MONITORS.slice(0, 2), chargers: CHARGERS.slice(0, 3), config: { shareCurrent: true } },
];

export interface BridgeBenchRow {
  readonly scenario: string;
  readonly deviceMinutes: number;
  readonly wallMs: number;
  /** CPU time (user + system) of this process for the row: steadier than wall time on a shared machine. */
  readonly cpuMs: number;
  readonly ageVoltage: { readonly median: number; readonly p95: number; readonly max: number };
  readonly ageTemperature: { readonly median: number; readonly p95: number; readonly max: number };
  /** Null when the current is not shared. */
  readonly ageCurrent: { readonly median: number; readonly p95: number; readonly max: number } | null;
  /** Per charger, per minute: voltage, temperature and current writes (min over the chargers). */
  readonly writesPerMinute: { readonly voltage: number; readonly temperature: number; readonly current: number; readonly total: number };
  /** Largest gap between two voltage / temperature / current writes to one charger, ms. */
  readonly maxGap: { readonly voltage: number; readonly temperature: number; readonly current: number };
  /** Per charger line, per 3 s voltage cycle: bytes the bridge sent and the replies to them (max over chargers). */
  readonly chargerBytesPerCycle: { readonly toDevice: number; readonly replies: number };
  /** Per monitor line, per cycle: the HEX temperature reads and their replies. */
  readonly monitorBytesPerCycle: { readonly toDevice: number; readonly replies: number };
  /** Busiest charger line, whole traffic (Text + async + replies from the device; bridge frames to it), B/s. */
  readonly chargerLine: { readonly fromDevice: number; readonly toDevice: number };
  readonly flashWrites: number;
}

function stats(values: readonly number[]): { median: number; p95: number; max: number } {
  if (values.length === 0) return { median: NaN, p95: NaN, max: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { median: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] ?? NaN };
}

interface LineCount {
  toDevice: number;
  replies: number;
  async: number;
  text: number;
}

/** One run: the bridge starts `phaseMs` after the devices, then runs `minutes` after a warm-up. */
async function runOnce(scenario: Scenario, minutes: number, phaseMs: number): Promise<Measured> {
  const bench = new SimBench({ monitors: scenario.monitors, chargers: scenario.chargers, start: false, ...(scenario.config ? { config: scenario.config } : {}) });
  await bench.run(phaseMs, 10);
  bench.bridge.start();
  const counts = new Map<string, LineCount>();
  const measuring = { on: false };
  for (const [path, device] of bench.devices) {
    const c: LineCount = { toDevice: 0, replies: 0, async: 0, text: 0 };
    counts.set(path, c);
    device.onHostFrame((f) => {
      if (measuring.on) c.toDevice += f.frame.length + 1;
    });
    device.onUnit((u) => {
      if (!measuring.on) return;
      if (u.kind === 'text') c.text += u.bytes.length;
      else if (u.kind === 'hex' && u.role === 'reply') c.replies += u.bytes.length;
      else if (u.kind === 'hex') c.async += u.bytes.length;
    });
  }
  await bench.run(WARM_UP_MS);
  const from = bench.clock.now();
  measuring.on = true;
  await bench.run(minutes * 60_000);
  measuring.on = false;
  const to = bench.clock.now();
  const seconds = (to - from) / 1000;
  const cycles = (to - from) / 3000;

  const writes: WriteReport[] = bench.reports.filter((r) => r.at >= from && r.at < to).flatMap((r) => r.chargers.flatMap((c) => c.writes));
  const valueWrites = writes.filter((w) => !w.release && w.ok);
  const measured: Measured = {
    ageV: valueWrites.filter((w) => w.quantity === 'voltage').map((w) => w.ageMs ?? NaN),
    ageT: valueWrites.filter((w) => w.quantity === 'temperature').map((w) => w.ageMs ?? NaN),
    ageI: valueWrites.filter((w) => w.quantity === 'current').map((w) => w.ageMs ?? NaN),
    perCharger: [],
    chargerCounts: [],
    monitorCounts: [],
    seconds,
    cycles,
    flashWrites: 0,
  };
  const perCharger = bench.chargerPaths.map((path) => {
    const v = bench.sets(path, 0x2002).filter((s) => s.at >= from && s.at < to);
    const t = bench.sets(path, 0x2003).filter((s) => s.at >= from && s.at < to);
    const i = bench.sets(path, 0x200a).filter((s) => s.at >= from && s.at < to);
    const gap = (list: readonly { at: number }[]): number => {
      let max = 0;
      for (let i = 1; i < list.length; i++) max = Math.max(max, (list[i]?.at ?? 0) - (list[i - 1]?.at ?? 0));
      return max;
    };
    return { v: v.length, t: t.length, i: i.length, gapV: gap(v), gapT: gap(t), gapI: gap(i) };
  });
  measured.perCharger.push(...perCharger);
  measured.chargerCounts.push(...bench.chargerPaths.map((p) => counts.get(p) ?? { toDevice: 0, replies: 0, async: 0, text: 0 }));
  measured.monitorCounts.push(...bench.monitorPaths.map((p) => counts.get(p) ?? { toDevice: 0, replies: 0, async: 0, text: 0 }));
  measured.flashWrites = bench.flashWrites();
  await bench.close();
  return measured;
}

interface Measured {
  readonly ageV: number[];
  readonly ageT: number[];
  readonly ageI: number[];
  /** Per charger: writes counted in the run, and the largest gaps. */
  readonly perCharger: Array<{ v: number; t: number; i: number; gapV: number; gapT: number; gapI: number }>;
  readonly chargerCounts: LineCount[];
  readonly monitorCounts: LineCount[];
  readonly seconds: number;
  readonly cycles: number;
  flashWrites: number;
}

/**
 * In a simulation the monitors' Text blocks and the bridge's cycle keep one phase for ever, so
 * one run would show a single age. Real clocks drift through every phase: the scenario runs at
 * PHASES start offsets spread over the 1 s Text period and the ages are pooled.
 */
const PHASES = 10;

export async function runScenario(scenario: Scenario, minutes: number): Promise<BridgeBenchRow> {
  const started = Date.now();
  const cpu = process.cpuUsage();
  const runs: Measured[] = [];
  for (let i = 0; i < PHASES; i++) runs.push(await runOnce(scenario, minutes / PHASES, Math.round((i * 1000) / PHASES) + 7));
  const all = <T>(pick: (m: Measured) => readonly T[]): T[] => runs.flatMap((m) => [...pick(m)]);
  const perCharger = all((m) => m.perCharger);
  const seconds = runs.reduce((sum, m) => sum + m.seconds, 0);
  const cycles = runs.reduce((sum, m) => sum + m.cycles, 0);
  // Bytes per charger line, summed over the runs (each run has the same set of chargers).
  const sumLines = (pick: (m: Measured) => readonly LineCount[]): LineCount[] =>
    (runs[0] ? pick(runs[0]) : []).map((_, i) =>
      runs.reduce(
        (acc, m) => {
          const c = pick(m)[i];
          return c === undefined ? acc : { toDevice: acc.toDevice + c.toDevice, replies: acc.replies + c.replies, async: acc.async + c.async, text: acc.text + c.text };
        },
        { toDevice: 0, replies: 0, async: 0, text: 0 },
      ),
    );
  const chargerCounts = sumLines((m) => m.chargerCounts);
  // Writes per minute per charger, pooled over the runs.
  const minutesMeasured = seconds / 60;
  const rates = (runs[0]?.perCharger ?? []).map((_, i) => ({
    v: runs.reduce((sum, m) => sum + (m.perCharger[i]?.v ?? 0), 0) / minutesMeasured,
    t: runs.reduce((sum, m) => sum + (m.perCharger[i]?.t ?? 0), 0) / minutesMeasured,
    i: runs.reduce((sum, m) => sum + (m.perCharger[i]?.i ?? 0), 0) / minutesMeasured,
  }));
  const ageI = all((m) => m.ageI);
  const monitorCounts = sumLines((m) => m.monitorCounts);
  const used = process.cpuUsage(cpu);
  return {
    scenario: scenario.name,
    deviceMinutes: minutes,
    wallMs: Date.now() - started,
    cpuMs: Math.round((used.user + used.system) / 1000),
    ageVoltage: stats(all((m) => m.ageV)),
    ageTemperature: stats(all((m) => m.ageT)),
    ageCurrent: ageI.length > 0 ? stats(ageI) : null,
    writesPerMinute: {
      voltage: Math.min(...rates.map((c) => c.v)),
      temperature: Math.min(...rates.map((c) => c.t)),
      current: Math.min(...rates.map((c) => c.i)),
      total: Math.min(...rates.map((c) => c.v + c.t + c.i)),
    },
    maxGap: {
      voltage: Math.max(...perCharger.map((c) => c.gapV)),
      temperature: Math.max(...perCharger.map((c) => c.gapT)),
      current: Math.max(...perCharger.map((c) => c.gapI)),
    },
    chargerBytesPerCycle: {
      toDevice: Math.max(...chargerCounts.map((c) => c.toDevice)) / cycles,
      replies: Math.max(...chargerCounts.map((c) => c.replies)) / cycles,
    },
    monitorBytesPerCycle: {
      toDevice: Math.max(...monitorCounts.map((c) => c.toDevice)) / cycles,
      replies: Math.max(...monitorCounts.map((c) => c.replies)) / cycles,
    },
    chargerLine: {
      fromDevice: Math.max(...chargerCounts.map((c) => (c.text + c.async + c.replies) / seconds)),
      toDevice: Math.max(...chargerCounts.map((c) => c.toDevice / seconds)),
    },
    flashWrites: runs.reduce((sum, m) => sum + m.flashWrites, 0),
  };
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : ' '.repeat(width - text.length) + text;
}

export function formatRows(rows: readonly BridgeBenchRow[]): string {
  const cycleCapacity = LINE_BYTES_PER_S * 3;
  const lines: string[] = [];
  const header = ['', 'age V med/p95/max ms', 'age T med/p95/max ms', 'age I med/p95/max ms', 'writes/charger/min V+T+I', 'max gap V / T / I s', 'B/cycle to+from charger', 'B/cycle to+from monitor', 'charger line B/s in / out', 'flash', 'CPU ms', 'wall ms'];
  const table = rows.map((r) => [
    r.scenario,
    `${r.ageVoltage.median} / ${r.ageVoltage.p95} / ${r.ageVoltage.max}`,
    `${r.ageTemperature.median} / ${r.ageTemperature.p95} / ${r.ageTemperature.max}`,
    r.ageCurrent === null ? '–' : `${r.ageCurrent.median} / ${r.ageCurrent.p95} / ${r.ageCurrent.max}`,
    `${r.writesPerMinute.voltage.toFixed(1)} + ${r.writesPerMinute.temperature.toFixed(1)} + ${r.writesPerMinute.current.toFixed(1)}`,
    `${(r.maxGap.voltage / 1000).toFixed(2)} / ${(r.maxGap.temperature / 1000).toFixed(2)} / ${r.ageCurrent === null ? '–' : (r.maxGap.current / 1000).toFixed(2)}`,
    `${r.chargerBytesPerCycle.toDevice.toFixed(1)} + ${r.chargerBytesPerCycle.replies.toFixed(1)}`,
    `${r.monitorBytesPerCycle.toDevice.toFixed(1)} + ${r.monitorBytesPerCycle.replies.toFixed(1)}`,
    `${r.chargerLine.fromDevice.toFixed(0)} / ${r.chargerLine.toDevice.toFixed(1)}`,
    String(r.flashWrites),
    String(r.cpuMs),
    String(r.wallMs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? '').length)));
  lines.push(header.map((h, i) => pad(h, widths[i] ?? 0)).join('  '));
  for (const row of table) lines.push(row.map((cell, i) => pad(cell, widths[i] ?? 0)).join('  '));
  lines.push('');
  lines.push(`Line capacity: ${LINE_BYTES_PER_S} B/s per direction (19200 baud 8N1), ${cycleCapacity} B per 3 s voltage cycle.`);
  for (const r of rows) {
    const bridgeShare = ((r.chargerBytesPerCycle.toDevice / cycleCapacity) * 100).toFixed(2);
    const replyShare = ((r.chargerBytesPerCycle.replies / cycleCapacity) * 100).toFixed(2);
    const lineShare = ((r.chargerLine.fromDevice / LINE_BYTES_PER_S) * 100).toFixed(1);
    lines.push(
      `${r.scenario}: the bridge uses ${bridgeShare} % of a charger line towards the charger and ${replyShare} % of the way back for its replies; ` +
        `the busiest charger line carries ${lineShare} % of its capacity from the device (Text + async + replies).`,
    );
  }
  return lines.join('\n');
}

export async function benchBridge(minutes = 10): Promise<BridgeBenchRow[]> {
  const rows: BridgeBenchRow[] = [];
  for (const s of SCENARIOS) rows.push(await runScenario(s, minutes));
  console.log(
    `\nSense bridge: ${minutes} device minutes per row (${PHASES} runs at different phases to the monitors' Text blocks, each after ${WARM_UP_MS / 1000} s warm-up);\n` +
      `real link stack over the simulator's serialport binding, one ManualClock: device time, not wall time.\n`,
  );
  console.log(formatRows(rows));
  return rows;
}

if (require.main === module) {
  const i = process.argv.indexOf('--minutes');
  const minutes = i >= 0 ? Number(process.argv[i + 1]) : 10;
  benchBridge(Number.isFinite(minutes) && minutes > 0 ? minutes : 10).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
