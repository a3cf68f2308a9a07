/**
 * The charge limit over real serial lines, in real time, for two and a half minutes: the real
 * serialport bindings open one end of socat pty pairs; `ve-direct simulate` children are the
 * chargers on the other ends — a SmartSolar 100/30, a 250/70, and a 100/30 under a GX. What
 * each charger received is read from its `--verbose` log of host frames. The assertions count
 * events with wide margins (a loaded two-core machine delays timers): refreshes seen, the
 * longest gap far below the charger's ~50 s lapse, one release at the end, no flash writes.
 */

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../lib/clock';
import { ChargeLimitManager } from '../../lib/bridge/charge-limit';
import type { ChargeLimitReport } from '../../lib/bridge/charge-limit-types';
import { PortLimitTarget } from '../../lib/bridge/limit-target';
import { PortRegistry } from '../../lib/link/registry';
import { setFrame } from '../../lib/protocol/hex-codec';
import { PtyPair, waitFor } from '../helpers/pty';
import { SimulatorProcess } from '../helpers/simulator-process';

const keepAlive = setInterval(() => undefined, 1000);
const OWNER = 'charge limit pty test';
const RUN_MS = 150_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Line {
  readonly pty: PtyPair;
  readonly sim: SimulatorProcess;
}

function line(name: string, device: string, args: readonly string[] = []): Line {
  const pty = new PtyPair(`limit-${name}`);
  return { pty, sim: new SimulatorProcess(device, pty.b, ['--verbose', '--seed', '3', '--time-of-day', '12:00', ...args]) };
}

/** Set frames the simulator logged (`> :8…`) with their arrival time in the log, for one register (`15200` = 0x2015). */
function setsIn(l: Line, register: '15200' | '0E200'): Array<{ at: number; frame: string }> {
  return l.sim.timeline
    .filter((e) => e.line.startsWith('> :8' + register))
    .map((e) => ({ at: e.at, frame: e.line.slice(2).trim() }));
}

describe('charge limit over ptys with `ve-direct simulate` children', () => {
  const chargers = [line('m1', 'smartsolar-100-30'), line('m2', 'smartsolar-250-70')];
  const managed = line('gx', 'smartsolar-100-30', ['--other-master', 'gx', '--instance', '2']);
  const all = [...chargers, managed];
  const registry = new PortRegistry();
  let manager: ChargeLimitManager | undefined;
  const reports: ChargeLimitReport[] = [];

  before(async () => {
    await Promise.all(all.map((l) => l.pty.start()));
    await Promise.all(all.map((l) => l.sim.start()));
  });

  after(async () => {
    await manager?.stop();
    for (const l of all) await registry.release(l.pty.a, OWNER);
    await Promise.all(all.map((l) => l.sim.stop()));
    await Promise.all(all.map((l) => l.pty.dispose()));
    clearInterval(keepAlive);
  });

  it('40 A → 12 + 28 A kept for 2.5 min (refreshes counted, never near the lapse), the GX charger untouched, one release, no flash writes', { timeout: 360_000 }, async (t) => {
    const target = (l: Line): PortLimitTarget => new PortLimitTarget(registry.acquire(l.pty.a, OWNER, { clock: systemClock }), { clock: systemClock });
    const m = (manager = new ChargeLimitManager({ clock: systemClock, chargers: all.map(target), owner: OWNER }));
    m.on('report', (r) => reports.push(r));
    m.start();
    void m.setLimit(40);
    const limiting = (): boolean => m.report()?.chargers.slice(0, 2).every((c) => c.state === 'limiting') === true;
    await waitFor(limiting, 90_000, 'both chargers limiting (read-back and 0x200F ICHARGE)');
    const from = Date.now();
    // The "BMS" repeats its limit every 15 s, well inside the 60 s input timeout.
    while (Date.now() - from < RUN_MS) {
      void m.setLimit(40);
      await sleep(15_000);
    }
    const to = Date.now();
    const last = m.report();
    assert.deepEqual(last?.chargers.map((c) => [c.state, c.share]), [
      ['limiting', 12],
      ['limiting', 28],
      ['conflict', null],
    ]);
    for (const [i, l] of chargers.entries()) {
      // 12 A and 28 A in 0.1 A, little-endian.
      const expected = setFrame(0x2015, i === 0 ? [0x78, 0x00] : [0x18, 0x01]);
      const limits = setsIn(l, '15200').filter((s) => s.at >= from && s.at <= to);
      // Every 10 s: 15 expected in 150 s; a loaded machine may lose some, never most.
      assert.ok(limits.length >= 10, `${l.sim.device}: ${limits.length} refreshes of 0x2015 in ${Math.round((to - from) / 1000)} s`);
      assert.ok(limits.every((s) => s.frame === expected), `${l.sim.device}: always ${expected}`);
      let gap = 0;
      let prev = from;
      for (const s of limits) {
        gap = Math.max(gap, s.at - prev);
        prev = s.at;
      }
      gap = Math.max(gap, to - prev);
      assert.ok(gap <= 30_000, `${l.sim.device}: longest gap ${gap} ms (the charger drops the limit after ~50 s)`);
      t.diagnostic(`${l.sim.device}: ${limits.length} refreshes of 0x2015 in ${Math.round((to - from) / 1000)} s, longest gap ${gap} ms`);
      const modes = setsIn(l, '0E200').filter((s) => s.at >= from && s.at <= to);
      assert.ok(modes.length >= 10 && modes.every((s) => s.frame === setFrame(0x200e, [0x05])), `${l.sim.device}: 0x200E = 0x05 refreshed with it`);
    }
    assert.equal(setsIn(managed, '15200').length + setsIn(managed, '0E200').length, 0, 'nothing written to the GX-controlled charger');

    // Release: once, then nothing.
    await m.setLimit(null);
    await sleep(12_000);
    for (const l of chargers) {
      const after = [...setsIn(l, '15200'), ...setsIn(l, '0E200')].filter((s) => s.at > to).sort((a, b) => a.at - b.at);
      assert.deepEqual(after.map((s) => s.frame), [setFrame(0x2015, [0xff, 0xff]), setFrame(0x200e, [0x00])], `${l.sim.device}: one release`);
    }
    await m.stop();
    manager = undefined;
    for (const l of all) await registry.release(l.pty.a, OWNER);
    const summaries = await Promise.all(all.map((l) => l.sim.stop()));
    for (const text of summaries) assert.doesNotMatch(text, /writes to flash-backed settings/);
  });
});
