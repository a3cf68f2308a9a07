/**
 * The bridge over real serial lines: the real serialport bindings open one end of socat pty
 * pairs, `ve-direct simulate` children (a BMV-712 and two SmartSolar MPPTs, one of them under
 * a GX) are the devices on the other ends, in real time. What each charger received is read
 * from its `--verbose` log of host frames; its flash-write count from the summary it prints
 * when stopped.
 */

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../lib/clock';
import { PortAdapter } from '../../lib/bridge/port-adapters';
import { SenseBridge } from '../../lib/bridge/sense-bridge';
import type { BridgeReport } from '../../lib/bridge/types';
import { PortRegistry } from '../../lib/link/registry';
import { PtyPair, waitFor } from '../helpers/pty';
import { SimulatorProcess } from '../helpers/simulator-process';

// The link's timers are unref'd; hold the test process while devices talk.
const keepAlive = setInterval(() => undefined, 1000);

const OWNER = 'bridge pty test';
const FAST_RECONNECT = { backoff: { initialMs: 200, maxMs: 1000 } };

/** Set frames of one register in a simulator's verbose log, in order. */
function setsIn(log: string, register: '2002' | '2003'): string[] {
  const prefix = register === '2002' ? ':80220' : ':80320';
  return log
    .split('\n')
    .filter((line) => line.startsWith('> :8'))
    .map((line) => line.slice(2).trim())
    .filter((frame) => frame.startsWith(prefix));
}

const isRelease = (frame: string): boolean => frame === ':8022000FFFF2D' || frame === ':8032000FF7FAC';

describe('bridge over ptys with `ve-direct simulate` children', () => {
  const bmvPty = new PtyPair('bridge-bmv');
  const mpptPty = new PtyPair('bridge-mppt');
  const gxPty = new PtyPair('bridge-gx');
  const bmv = new SimulatorProcess('bmv712', bmvPty.b, ['--seed', '3']);
  const mppt = new SimulatorProcess('smartsolar-100-30', mpptPty.b, ['--verbose', '--seed', '3']);
  const gx = new SimulatorProcess('smartsolar-250-70', gxPty.b, ['--verbose', '--other-master', 'gx', '--seed', '3']);
  const registry = new PortRegistry();
  let bridge: SenseBridge | undefined;
  const reports: BridgeReport[] = [];

  before(async () => {
    await Promise.all([bmvPty.start(), mpptPty.start(), gxPty.start()]);
    await Promise.all([bmv.start(), mppt.start(), gx.start()]);
  });

  after(async () => {
    await bridge?.stop();
    for (const pty of [bmvPty, mpptPty, gxPty]) await registry.release(pty.a, OWNER);
    await Promise.all([bmv.stop(), mppt.stop(), gx.stop()]);
    await Promise.all([bmvPty.dispose(), mpptPty.dispose(), gxPty.dispose()]);
    clearInterval(keepAlive);
  });

  it('shares, refuses the GX-controlled charger, releases on unplug, resumes, releases on redeploy; no flash writes', { timeout: 90_000 }, async () => {
    const adapter = (path: string): PortAdapter => new PortAdapter(registry.acquire(path, OWNER, { clock: systemClock, ...FAST_RECONNECT }), { clock: systemClock });
    const source = adapter(bmvPty.a);
    const target = adapter(mpptPty.a);
    const managed = adapter(gxPty.a);
    bridge = new SenseBridge({
      clock: systemClock,
      sources: [source],
      targets: [target, managed],
      // Faster than the defaults so the run stays short; the rules are the same.
      config: { voltageIntervalMs: 1000, temperatureIntervalMs: 2000 },
    });
    bridge.on('report', (r) => reports.push(r));
    bridge.start();

    // Steady state: the free charger gets both values, the GX one nothing.
    await waitFor(() => setsIn(mppt.stderr, '2002').length >= 4 && setsIn(mppt.stderr, '2003').length >= 2, 30_000, 'sense writes on the MPPT');
    await waitFor(() => bridge?.report()?.chargers[0]?.state === 'sensing', 10_000, 'the MPPT to confirm it uses the values (0x200F)');
    const steady = bridge.report();
    assert.equal(steady?.chargers[1]?.state, 'conflict');
    assert.match(steady?.alarms.find((a) => a.code === 'CHARGER_CONFLICT')?.message ?? '', /0x200E network mode 0x05/);
    assert.equal(setsIn(gx.stderr, '2002').length + setsIn(gx.stderr, '2003').length, 0, 'not one write to the GX-controlled charger');
    const written = steady?.chargers[0]?.lastWrite.voltage;
    assert.ok(written?.ok && typeof written.value === 'number' && written.value > 10 && written.value < 15);
    assert.match(steady?.status.text ?? '', /^\d+\.\d\d V \d+\.\d °C → 1\/2 MPPT$/);

    // Unplug the monitor: one release of each value, then nothing.
    await bmv.stop();
    await bmvPty.stop();
    await waitFor(() => setsIn(mppt.stderr, '2002').some(isRelease) && setsIn(mppt.stderr, '2003').some(isRelease), 15_000, 'the release after the unplug');
    const releasedLog = mppt.stderr;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const afterRelease = [...setsIn(mppt.stderr, '2002'), ...setsIn(mppt.stderr, '2003')].length - [...setsIn(releasedLog, '2002'), ...setsIn(releasedLog, '2003')].length;
    assert.equal(afterRelease, 0, 'no writes after the release');
    // (Alarms about a missing source wait out the first 10 s after a start.)
    await waitFor(() => bridge?.report()?.alarms.some((a) => a.code === 'SOURCE_STALE') === true, 10_000, 'the stale-source alarm');

    // Plug it back: sharing resumes by itself.
    const before = setsIn(mppt.stderr, '2002').length;
    await bmvPty.start();
    await bmv.start();
    await waitFor(() => setsIn(mppt.stderr, '2002').slice(before).filter((f) => !isRelease(f)).length >= 3, 30_000, 'writes after the replug');

    // Redeploy: stop() resolves after the release reached the charger, before the port closes.
    const beforeStop = setsIn(mppt.stderr, '2002').length;
    const started = Date.now();
    await bridge.stop();
    assert.ok(Date.now() - started <= 3500, 'stop() is bounded');
    await waitFor(() => setsIn(mppt.stderr, '2002').slice(beforeStop).some(isRelease), 2000, 'the release on stop');
    const finalV = setsIn(mppt.stderr, '2002').at(-1);
    const finalT = setsIn(mppt.stderr, '2003').at(-1);
    assert.equal(finalV, ':8022000FFFF2D');
    assert.equal(finalT, ':8032000FF7FAC');
    for (const pty of [bmvPty, mpptPty, gxPty]) await registry.release(pty.a, OWNER);
    bridge = undefined;

    // The devices' own accounts: no flash-backed setting was written.
    const summaries = await Promise.all([bmv.stop(), mppt.stop(), gx.stop()]);
    for (const text of summaries) assert.doesNotMatch(text, /writes to flash-backed settings/);
    assert.ok(reports.length > 10);
  });
});
