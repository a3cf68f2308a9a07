/**
 * The bridge over real serial lines, in real time: the real serialport bindings open one end
 * of socat pty pairs; `ve-direct simulate` children are the devices on the other ends — a
 * BMV-712 and a SmartShunt (both with a temperature sensor), three SmartSolar MPPTs, and a
 * fourth MPPT under a GX. What each charger received is read from its `--verbose` log of host
 * frames; its flash-write count from the summary it prints when stopped. Each child runs its
 * own battery model, so the run is at night, when they all rest at the same voltage.
 */

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../lib/clock';
import { PortAdapter } from '../../lib/bridge/port-adapters';
import { SenseBridge } from '../../lib/bridge/sense-bridge';
import type { BridgeReport, WriteReport } from '../../lib/bridge/types';
import { setFrame } from '../../lib/protocol/hex-codec';
import { PortRegistry } from '../../lib/link/registry';
import { PtyPair, waitFor } from '../helpers/pty';
import { SimulatorProcess } from '../helpers/simulator-process';

// The link's timers are unref'd; hold the test process while devices talk.
const keepAlive = setInterval(() => undefined, 1000);

const OWNER = 'bridge pty test';
const FAST_RECONNECT = { backoff: { initialMs: 200, maxMs: 1000 } };
const V_RELEASE = ':8022000FFFF2D';
const T_RELEASE = ':8032000FF7FAC';

/** Set frames of one register in a simulator's verbose log, in order. */
function setsIn(log: string, register: 0x2002 | 0x2003): string[] {
  const prefix = register === 0x2002 ? ':80220' : ':80320';
  return log
    .split('\n')
    .filter((line) => line.startsWith('> '))
    .map((line) => line.slice(2).trim())
    .filter((frame) => frame.startsWith(prefix));
}

function bytes(raw: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i += 2) out.push(Number.parseInt(raw.slice(i, i + 2), 16));
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Line {
  readonly pty: PtyPair;
  readonly sim: SimulatorProcess;
}

function line(name: string, device: string, args: readonly string[] = []): Line {
  const pty = new PtyPair(`bridge-${name}`);
  // Each child simulates its own battery: at night, with the same seed, they all rest at the
  // same voltage, so the chargers' terminal voltages agree with the monitors (plausibility).
  return { pty, sim: new SimulatorProcess(device, pty.b, ['--verbose', '--seed', '3', '--time-of-day', '01:00', ...args]) };
}

describe('bridge over ptys with `ve-direct simulate` children', () => {
  const monitors = [line('bmv', 'bmv712'), line('shunt', 'smartshunt-temp')];
  const chargers = [line('m1', 'smartsolar-100-30'), line('m2', 'smartsolar-250-70'), line('m3', 'smartsolar-150-70-rev2')];
  const managed = line('gx', 'smartsolar-100-30', ['--other-master', 'gx', '--instance', '2']);
  const all = [...monitors, ...chargers, managed];
  const registry = new PortRegistry();
  let bridge: SenseBridge | undefined;
  const reports: BridgeReport[] = [];

  before(async () => {
    await Promise.all(all.map((l) => l.pty.start()));
    await Promise.all(all.map((l) => l.sim.start()));
  });

  after(async () => {
    await bridge?.stop();
    for (const l of all) await registry.release(l.pty.a, OWNER);
    await Promise.all(all.map((l) => l.sim.stop()));
    await Promise.all(all.map((l) => l.pty.dispose()));
    clearInterval(keepAlive);
  });

  it('2 monitors × 3 chargers in real time; refuses the GX charger; releases on unplug, resumes, releases on redeploy; no flash writes', { timeout: 300_000 }, async () => {
    const adapter = (l: Line): PortAdapter => new PortAdapter(registry.acquire(l.pty.a, OWNER, { clock: systemClock, ...FAST_RECONNECT }), { clock: systemClock });
    bridge = new SenseBridge({
      clock: systemClock,
      sources: monitors.map(adapter),
      targets: [...chargers, managed].map(adapter),
      config: { voltageStrategy: 'average', temperatureStrategy: 'min' },
    });
    bridge.on('report', (r) => reports.push(r));
    bridge.start();
    const sensing = (): boolean => bridge?.report()?.chargers.slice(0, 3).every((c) => c.state === 'sensing') === true;
    await waitFor(sensing, 90_000, 'three chargers confirming they use the values (0x200F)');

    // Steady state, 22 s of real time with the default 3 s / 9 s intervals.
    const firstReport = reports.length;
    await sleep(22_000);
    const window = reports.slice(firstReport);
    const seen = window.length;
    assert.ok(seen >= 6, `${seen} cycles`);
    for (const [i, c] of chargers.entries()) {
      const writes: WriteReport[] = window.flatMap((r) => r.chargers[i]?.writes ?? []).filter((w) => w.ok && !w.release);
      for (const register of [0x2002, 0x2003] as const) {
        const times = writes.filter((w) => w.register === register).map((w) => w.at);
        let gap = 0;
        for (let k = 1; k < times.length; k++) gap = Math.max(gap, (times[k] ?? 0) - (times[k - 1] ?? 0));
        assert.ok(times.length >= (register === 0x2002 ? 6 : 2), `${c.sim.device} 0x${register.toString(16)}: ${times.length} writes`);
        assert.ok(gap <= (register === 0x2002 ? 3500 : 10_500), `${c.sim.device} 0x${register.toString(16)}: gap ${gap} ms`);
      }
      // Every acknowledged write is in the charger's own log, byte for byte.
      const log = [...setsIn(c.sim.stderr, 0x2002), ...setsIn(c.sim.stderr, 0x2003)];
      for (const w of writes) assert.ok(log.includes(setFrame(w.register, bytes(w.raw))), `${w.raw} not received`);
      assert.equal(c.sim.stderr.includes('> :8') && /^> :8(?!02200|03200)/m.test(c.sim.stderr), false, 'only 0x2002 / 0x2003 written');
    }
    const steady = bridge.report();
    assert.equal(steady?.chargers[3]?.state, 'conflict');
    assert.match(steady?.alarms.find((a) => a.code === 'CHARGER_CONFLICT')?.message ?? '', /0x200E network mode 0x05/);
    assert.equal(setsIn(managed.sim.stderr, 0x2002).length + setsIn(managed.sim.stderr, 0x2003).length, 0, 'not one write to the GX-controlled charger');
    assert.match(steady?.status.text ?? '', /^\d+\.\d\d V \d+\.\d °C → 3\/4 MPPT$/);
    assert.ok(steady?.chargers.slice(0, 3).every((c) => (c.lastWrite.voltage?.ageMs ?? Infinity) <= 2000));

    // Unplug a monitor: one release of each value on every charger, then nothing.
    const [bmv] = monitors;
    assert.ok(bmv);
    await bmv.sim.stop();
    await bmv.pty.stop();
    const released = (l: Line): boolean => setsIn(l.sim.stderr, 0x2002).includes(V_RELEASE) && setsIn(l.sim.stderr, 0x2003).includes(T_RELEASE);
    await waitFor(() => chargers.every(released), 30_000, 'the releases after the unplug');
    const counts = chargers.map((l) => setsIn(l.sim.stderr, 0x2002).length + setsIn(l.sim.stderr, 0x2003).length);
    await sleep(3500);
    assert.deepEqual(
      chargers.map((l) => setsIn(l.sim.stderr, 0x2002).length + setsIn(l.sim.stderr, 0x2003).length),
      counts,
      'no writes after the release',
    );
    for (const l of chargers) assert.deepEqual([setsIn(l.sim.stderr, 0x2002).at(-1), setsIn(l.sim.stderr, 0x2003).at(-1)], [V_RELEASE, T_RELEASE]);
    await waitFor(() => bridge?.report()?.alarms.some((a) => a.code === 'SOURCE_STALE') === true, 30_000, 'the stale-source alarm');

    // Plug it back: sharing resumes by itself.
    const before = chargers.map((l) => setsIn(l.sim.stderr, 0x2002).length);
    await bmv.pty.start();
    await bmv.sim.start();
    await waitFor(() => chargers.every((l, i) => setsIn(l.sim.stderr, 0x2002).slice(before[i]).filter((f) => f !== V_RELEASE).length >= 2), 90_000, 'writes after the replug');

    // Redeploy: stop() resolves after the releases reached the chargers, before the ports close.
    const started = Date.now();
    await bridge.stop();
    // Bounded by stopTimeoutMs (3 s); the margin is for a loaded machine's late timers.
    assert.ok(Date.now() - started <= 6000, `stop() is bounded: ${Date.now() - started} ms`);
    await sleep(300); // the simulators print what they received
    for (const l of chargers) assert.deepEqual([setsIn(l.sim.stderr, 0x2002).at(-1), setsIn(l.sim.stderr, 0x2003).at(-1)], [V_RELEASE, T_RELEASE]);
    for (const l of all) await registry.release(l.pty.a, OWNER);
    bridge = undefined;

    // The devices' own accounts: no flash-backed setting was written.
    const summaries = await Promise.all(all.map((l) => l.sim.stop()));
    for (const text of summaries) assert.doesNotMatch(text, /writes to flash-backed settings/);
  });
});
