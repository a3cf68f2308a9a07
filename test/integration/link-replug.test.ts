/**
 * A cable that drops every few seconds (a loose connector, a USB hub browning out), through the
 * real serialport bindings over a socat pty pair, with the link's default back-off: each replug
 * is back at once — the presence check sees the path return — not after the grown back-off;
 * and the process holds no more file descriptors after the flaps than before.
 *
 * Real time: the bound per replug (3 s) is three presence intervals, a margin for a loaded
 * machine; the count of reconnections is exact.
 */

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { VeDirectPort } from '../../lib/link/port';
import { getSimDevice, resetSimDevices } from '../../lib/sim';
import { waitForState } from '../helpers/link-events';
import { PtySimDevice } from '../helpers/pty-device';
import { PtyPair } from '../helpers/pty';

const keepAlive = setInterval(() => undefined, 1000);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const openFds = (): number => readdirSync('/proc/self/fd').length;

const FLAPS = 8;
const OUT_MS = 2000;
const IN_MS = 6000;

describe('link over a pty: a flapping cable', () => {
  const pty = new PtyPair('link-flap');
  let device: PtySimDevice | undefined;

  async function plug(instance: number): Promise<void> {
    await pty.start();
    // The device end is opened afresh on each plug; a new instance of the same model, since
    // stopping the last one disposed it.
    device = new PtySimDevice(pty.b, getSimDevice(`sim:smartshunt#flap${instance}`));
    await device.start();
    device.connect();
  }

  async function unplug(): Promise<void> {
    await device?.stop();
    device = undefined;
    await pty.stop();
  }

  before(() => plug(0));
  after(async () => {
    await unplug();
    await pty.dispose();
    resetSimDevices();
    clearInterval(keepAlive);
  });

  it(`2 s out, 6 s in, ${FLAPS} times with the default back-off: each replug back within 3 s; no descriptor growth`, { timeout: 300_000 }, async (t) => {
    const port = new VeDirectPort(pty.a);
    port.open();
    try {
      await port.ready({ timeoutMs: 30_000 });
      // Let the back-off grow first: a long absence (several failed opens).
      await unplug();
      await sleep(8000);
      await plug(1);
      await waitForState(port, 'connected', 30_000);
      await sleep(IN_MS);
      const fdsBefore = openFds();
      const reconnectsBefore = port.counters.reconnects;
      const backAfter: number[] = [];
      for (let i = 0; i < FLAPS; i++) {
        await unplug();
        await waitForState(port, 'error', 15_000);
        await sleep(OUT_MS);
        await plug(i + 2);
        const replugAt = Date.now();
        await waitForState(port, 'connected', 30_000);
        backAfter.push(Date.now() - replugAt);
        await sleep(Math.max(0, IN_MS - (Date.now() - replugAt)));
      }
      const fdsAfter = openFds();
      t.diagnostic(`back after (ms): ${backAfter.join(', ')}; open fds ${fdsBefore} → ${fdsAfter}`);
      assert.equal(port.counters.reconnects - reconnectsBefore, FLAPS, 'one reconnection per replug');
      for (const [i, ms] of backAfter.entries()) assert.ok(ms <= 3000, `replug ${i + 1}: connected ${ms} ms after it`);
      assert.ok(fdsAfter <= fdsBefore, `open fds ${fdsBefore} → ${fdsAfter}`);
    } finally {
      await port.close();
    }
  });
});
