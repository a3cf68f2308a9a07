/**
 * `ve-direct limit` run in-process against simulated MPPTs (`sim:` ports: the real link layer
 * over the simulator's serialport binding, real time): the limit the chargers hold while it
 * runs, its JSON lines, and the release before it exits on an interrupt; usage mistakes.
 */

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCliCaptured } from '../../helpers/cli';
import { getSimDevice, resetSimDevices } from '../../../lib/sim/registry';
import { mpptOf } from '../../../lib/sim/catalogue';

const keepAlive = setInterval(() => undefined, 1000);
after(() => clearInterval(keepAlive));

const SMALL = 'sim:smartsolar-100-30';
const BIG = 'sim:smartsolar-250-70';

const held = (path: string): number | null => {
  const raw = mpptOf(getSimDevice(path))!.chargeLimit.readRaw();
  return raw === 0xffff ? null : raw / 10;
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('ve-direct limit', () => {
  it('holds 12 + 28 A on a 100/30 and a 250/70 while it runs, releases both on Ctrl-C, exits 0', async () => {
    resetSimDevices();
    let interrupt!: () => void;
    const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
    const running = runCliCaptured(['limit', SMALL, BIG, '40', '--refresh', '2'], { interrupted });
    const start = Date.now();
    while ((held(SMALL) !== 12 || held(BIG) !== 28) && Date.now() - start < 15_000) await sleep(50);
    assert.deepEqual([held(SMALL), held(BIG)], [12, 28]);
    await sleep(4500);
    interrupt();
    const r = await running;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([held(SMALL), held(BIG)], [null, null], 'released before exit');
    assert.match(r.stderr, /ve-direct limit: released\n$/);
    const limiting = r.lines.filter((l) => l.status === '40 A → 12 + 28 A');
    assert.ok(limiting.length >= 2, `cycles reported: ${limiting.length}`);
    assert.deepEqual((limiting[0]?.chargers as Array<Record<string, unknown>>).map((c) => [c.port, c.state, c.share]), [
      [SMALL, 'limiting', 12],
      [BIG, 'limiting', 28],
    ]);
    for (const path of [SMALL, BIG]) {
      const setsOf = getSimDevice(path).hostLog.flatMap((f) => (f.command?.type === 'set' ? [[f.command.register, Buffer.from(f.command.value).toString('hex')]] : []));
      assert.deepEqual(setsOf.slice(-2), [
        [0x2015, 'ffff'],
        [0x200e, '00'],
      ], `${path}: released last`);
      assert.equal(getSimDevice(path).flashWriteCount, 0);
    }
  });

  it('usage mistakes exit 2', async () => {
    for (const [args, pattern] of [
      [['limit', SMALL], /one or more PORTs and the total AMPS/],
      [['limit', SMALL, '--', '-3'], /AMPS must be a number ≥ 0, got "-3"/],
      [['limit', SMALL, 'lots'], /AMPS must be a number ≥ 0, got "lots"/],
      [['limit', SMALL, SMALL, '10'], /given twice/],
      [['limit', SMALL, '10', '--split', 'fair'], /--split must be rated or equal/],
      [['limit', SMALL, '10', '--refresh', '60'], /--refresh must be 2-20 seconds/],
    ] as const) {
      const r = await runCliCaptured([...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
    }
  });
});
