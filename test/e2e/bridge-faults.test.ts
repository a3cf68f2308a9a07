/**
 * The bridge and the link under faults, in the package's own Node-RED (`npm start` on a flow of
 * the editor's defaults) over real pseudo-terminals:
 * - 2 monitors × 4 chargers, `ve-direct simulate` children, each with its own battery; one
 *   monitor goes silent for 10 s (its process stopped, the line left open): no charger's voltage
 *   write waits for that monitor's unanswered reads;
 * - one charger is then on another battery (restarted at 5 % charge, 0.7 V below the monitors):
 *   it gets neither value — both released once — while the others go on;
 * - a cable that drops every few seconds (2 s out, 6 s in), 20 times: each replug is back
 *   within 3 s, and Node-RED holds no more file descriptors afterwards than before.
 * Times are taken in this process when a device prints a host frame (stderr) or Node-RED logs an
 * open: real time, so the bounds are the issue's own, with the measured values printed.
 */

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getSimDevice, resetSimDevices } from '../../lib/sim';
import { freePort, removeDir, startNpmStart, tempDir, type NodeRedProcess } from '../helpers/node-red-process';
import { PtySimDevice } from '../helpers/pty-device';
import { PtyPair, waitFor } from '../helpers/pty';
import { SimulatorProcess } from '../helpers/simulator-process';

const V_RELEASE = ':8022000FFFF2D';
const T_RELEASE = ':8032000FF7FAC';
const FLAPS = 20;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Line {
  readonly id: string;
  readonly pty: PtyPair;
  sim: SimulatorProcess;
}

function simLine(id: string, device: string, args: readonly string[] = []): Line {
  const pty = new PtyPair(`faults-${id}`);
  // At night, with the same seed, every child's battery rests at the same voltage.
  return { id, pty, sim: new SimulatorProcess(device, pty.b, ['--verbose', '--seed', '3', '--time-of-day', '01:00', ...args]) };
}

/** Host Set frames of one register a device printed, with the time they reached this process. */
function sets(sim: SimulatorProcess, register: 0x2002 | 0x2003): Array<{ at: number; frame: string }> {
  const prefix = register === 0x2002 ? ':80220' : ':80320';
  return sim.timeline.filter((l) => l.line.startsWith('> ') && l.line.slice(2).trim().startsWith(prefix)).map((l) => ({ at: l.at, frame: l.line.slice(2).trim() }));
}

/** Largest time between value writes (not releases) of 0x2002 in [from, to], edges included. */
function largestGap(sim: SimulatorProcess, from: number, to: number): number {
  const times = sets(sim, 0x2002)
    .filter((s) => s.frame !== V_RELEASE && s.at >= from && s.at <= to)
    .map((s) => s.at);
  let gap = 0;
  let prev = from;
  for (const t of [...times, to]) {
    gap = Math.max(gap, t - prev);
    prev = t;
  }
  return gap;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/**
 * The Node-RED runtime (not `npm start`'s wrapper). It renames itself "node-red", so it is found
 * by the user directory in its environment.
 */
function nodeRedPid(userDir: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (environ.includes(`VE_DIRECT_USER_DIR=${userDir}`) && cmd.startsWith('node-red')) return Number(entry);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  throw new Error(`no Node-RED process for ${userDir}`);
}

const openFds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

describe('bridge and link under faults, in Node-RED over ptys', { timeout: 600_000 }, () => {
  const monitors = [simLine('bmv', 'bmv712'), simLine('shunt', 'smartshunt-temp')];
  const chargers = [simLine('m1', 'smartsolar-100-30'), simLine('m2', 'smartsolar-250-70'), simLine('m3', 'smartsolar-150-70-rev2'), simLine('m4', 'smartsolar-100-30', ['--instance', '4'])];
  const lines = [...monitors, ...chargers];
  // The flapping cable: a device in this process, so a replug puts it back on the line at once.
  const flapPty = new PtyPair('faults-flap');
  let flapDevice: PtySimDevice | undefined;
  let userDir = '';
  let red: NodeRedProcess | undefined;

  before(async () => {
    await Promise.all([...lines.map((l) => l.pty.start()), flapPty.start()]);
    await Promise.all(lines.map((l) => l.sim.start()));
    flapDevice = new PtySimDevice(flapPty.b, getSimDevice('sim:bmv712#flap'));
    await flapDevice.start();
    flapDevice.connect();
    userDir = tempDir('ve-faults-');
    const port = (l: { id: string }, path: string): Record<string, unknown> => ({
      id: `port-${l.id}`,
      type: 've-direct-port',
      name: l.id,
      path,
      expectedSerial: '',
      requestTimeout: 1000,
      retries: 1,
      staleAfter: 5,
      reconnectAfter: 15,
      version: 1,
    });
    const flow = [
      { id: 'tab', type: 'tab', label: 'faults', disabled: false, info: '' },
      ...lines.map((l) => port(l, l.pty.a)),
      port({ id: 'flap' }, flapPty.a),
      // The editor's defaults, except that one monitor missing must not stop the sharing
      // (requireAllSources off): the silent monitor's reads are what is under test.
      {
        id: 'bridge',
        type: 've-bmv-to-mppt',
        z: 'tab',
        name: '',
        sources: monitors.map((l) => `port-${l.id}`),
        sourcesAll: false,
        targets: chargers.map((l) => `port-${l.id}`),
        targetsAll: false,
        share: 'both',
        voltageStrategy: 'max',
        temperatureStrategy: '',
        requireAllSources: false,
        maxSpreadVoltage: 0.3,
        maxSpreadTemperature: 5,
        chemistry: 'lead-acid',
        lowTemperatureLimit: 5,
        voltageInterval: 3,
        temperatureInterval: 9,
        freshness: 5,
        plausibilityWindow: 0.5,
        systemVoltage: 'auto',
        externalVoltage: false,
        externalTemperature: false,
        bmsDisconnect: false,
        bmsAccept: false,
        enabled: true,
        version: 1,
        x: 300,
        y: 100,
        wires: [[], []],
      },
      { id: 'flap-in', type: 've-direct-in', z: 'tab', name: '', port: 'port-flap', mode: 'every', interval: 10, asyncUpdates: false, staleMessage: false, counters: false, x: 300, y: 200, wires: [[]] },
    ];
    writeFileSync(join(userDir, 'flows.json'), JSON.stringify(flow, null, 2));
    red = await startNpmStart(userDir, await freePort(), 180_000);
    await waitFor(() => chargers.every((l) => sets(l.sim, 0x2002).filter((s) => s.frame !== V_RELEASE).length >= 3), 90_000, 'every charger receiving the voltage');
  });

  after(async () => {
    await red?.stop();
    await flapDevice?.stop();
    resetSimDevices();
    await Promise.all(lines.map((l) => l.sim.stop()));
    await Promise.all([...lines.map((l) => l.pty.dispose()), flapPty.dispose()]);
    removeDir(userDir);
  });

  it('one monitor silent for 10 s: no voltage write to any charger waits for it (largest gap ≤ 3.5 s)', async (t) => {
    const shunt = monitors[1];
    assert.ok(shunt);
    const from = Date.now();
    await sleep(6000);
    const silentAt = Date.now();
    await shunt.sim.stop(); // the line stays open: Text stops, HEX requests go unanswered
    await sleep(10_000);
    await shunt.sim.start();
    await sleep(8000);
    const to = Date.now();
    const gaps = chargers.map((l) => largestGap(l.sim, from, to));
    t.diagnostic(`largest voltage-write gap per charger over ${Math.round((to - from) / 1000)} s with the SmartShunt silent ${Math.round((Date.now() - silentAt) / 1000) - 8} s: ${gaps.map((g, i) => `${chargers[i]?.id} ${g} ms`).join(', ')}`);
    for (const [i, gap] of gaps.entries()) assert.ok(gap <= 3500, `${chargers[i]?.id}: ${gap} ms`);
    assert.match(red?.output() ?? '', /monitor not delivering/, 'the silent monitor was noticed');
  });

  it('a charger on another battery gets neither value (both released once); the others go on', async (t) => {
    const m4 = chargers[3];
    assert.ok(m4);
    await m4.sim.stop();
    // The same charger (same serial), now on a battery 0.7 V below the monitors' (5 % charge).
    m4.sim = new SimulatorProcess('smartsolar-100-30', m4.pty.b, ['--verbose', '--seed', '3', '--time-of-day', '01:00', '--instance', '4', '--soc', '5']);
    await m4.sim.start();
    const released = (): boolean => sets(m4.sim, 0x2002).some((s) => s.frame === V_RELEASE) && sets(m4.sim, 0x2003).some((s) => s.frame === T_RELEASE);
    await waitFor(released, 30_000, 'both releases on the charger on another battery');
    const releasedAt = Math.max(...[...sets(m4.sim, 0x2002), ...sets(m4.sim, 0x2003)].filter((s) => s.frame === V_RELEASE || s.frame === T_RELEASE).map((s) => s.at));
    await sleep(12_000);
    const after = [...sets(m4.sim, 0x2002), ...sets(m4.sim, 0x2003)].filter((s) => s.at > releasedAt);
    assert.deepEqual(after, [], 'nothing written to it after the releases');
    assert.equal(sets(m4.sim, 0x2002).filter((s) => s.frame === V_RELEASE).length, 1);
    assert.equal(sets(m4.sim, 0x2003).filter((s) => s.frame === T_RELEASE).length, 1);
    for (const l of chargers.slice(0, 3)) {
      const v = sets(l.sim, 0x2002).filter((s) => s.at > releasedAt && s.frame !== V_RELEASE);
      const temp = sets(l.sim, 0x2003).filter((s) => s.at > releasedAt && s.frame !== T_RELEASE);
      assert.ok(v.length >= 3 && temp.length >= 1, `${l.id}: ${v.length} voltage and ${temp.length} temperature writes`);
    }
    const log = red?.output() ?? '';
    const alarm = log.split('\n').find((l) => /alarm: voltage implausible for a charger: m4: /.test(l));
    t.diagnostic(`alarm: ${alarm ?? '(none)'}`);
    assert.ok(alarm, 'the alarm names the charger');
    assert.doesNotMatch(log, /not shared: [^\n]*not shared/, 'no doubled alarm text');
  });

  it(`a cable that drops every few seconds (2 s out, 6 s in), ${FLAPS} times: each replug back within 3 s, no descriptor growth`, async (t) => {
    assert.ok(red && flapDevice);
    const pid = nodeRedPid(userDir);
    const opened = new RegExp(`${flapPty.a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: opened at 19200 baud`, 'g');
    const opens = (): number => (red?.output().match(opened) ?? []).length;
    await sleep(2000);
    const fdsBefore = openFds(pid);
    const backAfter: number[] = [];
    for (let i = 0; i < FLAPS; i++) {
      await flapDevice.stop();
      await flapPty.stop(); // unplug: the names vanish, the host end gets EIO
      await sleep(2000);
      const before = opens();
      await flapPty.start(); // replug: the names are back
      const replugAt = Date.now();
      // The same model again (stop() disposed the last one; a fresh instance for each plug).
      flapDevice = new PtySimDevice(flapPty.b, getSimDevice(`sim:bmv712#flap${i + 1}`));
      await flapDevice.start();
      flapDevice.connect();
      await waitFor(() => opens() > before, 30_000, `reconnection ${i + 1}`);
      backAfter.push(Date.now() - replugAt);
      await sleep(Math.max(0, 6000 - (Date.now() - replugAt)));
    }
    await sleep(1000);
    const fdsAfter = openFds(pid);
    t.diagnostic(`reconnections after replug (ms): ${backAfter.join(', ')}`);
    t.diagnostic(`p50 ${percentile(backAfter, 50)} ms, max ${Math.max(...backAfter)} ms; Node-RED open fds ${fdsBefore} before, ${fdsAfter} after`);
    assert.equal(backAfter.length, FLAPS);
    for (const [i, ms] of backAfter.entries()) assert.ok(ms <= 3000, `replug ${i + 1}: back after ${ms} ms`);
    assert.ok(fdsAfter <= fdsBefore + 2, `open fds ${fdsBefore} → ${fdsAfter}`);
  });
});
