/**
 * The link layer over a real serial line against replayed real devices: a transcript replayer
 * on the device end of a socat pty pair answers each request as the captured device did —
 * with async frames and Text blocks before the reply — and, on demand, too late.
 */

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VeError } from '../../lib/errors';
import type { RegisterReading } from '../../lib/link/device';
import { VeDirectPort, type TextBlockReading } from '../../lib/link/port';
import { loadCapture } from '../helpers/captures';
import { PtyPair } from '../helpers/pty';
import { PtyReplayDevice } from '../helpers/pty-device';
import { ReplayDevice } from '../helpers/replay-device';

const keepAlive = setInterval(() => undefined, 1000);

async function withReplay(file: string, delays: ReadonlyMap<string, number>, fn: (port: VeDirectPort, device: ReplayDevice) => Promise<void>): Promise<void> {
  const pty = new PtyPair('link-replay');
  await pty.start();
  const replay = new ReplayDevice(loadCapture(file).transcript ?? [], { delays });
  const device = new PtyReplayDevice(pty.b, replay);
  await device.start();
  const port = new VeDirectPort(pty.a, { requestTimeoutMs: 300 });
  port.open();
  try {
    await fn(port, replay);
  } finally {
    await port.close();
    await device.stop();
    await pty.dispose();
  }
}

describe('link over a pty: replayed devices', () => {
  after(() => clearInterval(keepAlive));

  it('SmartShunt 500A/50mV: identity and values as captured', async () => {
    await withReplay('koestler-go-victron__registerapi-smartshunt-main.txt', new Map(), async (port) => {
      const identity = await port.ready({ timeoutMs: 10_000 });
      assert.deepEqual([identity.productId, identity.firmware, identity.serial, identity.model], [0xa389, '4.14', 'HQ2117NTVX4', 'BMV-SmartShunt 500A/50mV']);
      const values = new Map<string, RegisterReading>();
      for (const name of ['batteryVoltage', '0xED8C', '0xED8E', '0xEEFF', 'stateOfCharge', 'timeToGo', 'batteryTemperature', 'auxVoltage']) {
        values.set(name, await port.get(name));
      }
      assert.equal(values.get('batteryVoltage')?.value, 26.69);
      assert.equal(values.get('0xED8C')?.value, -0.15);
      assert.equal(values.get('0xED8E')?.value, -4);
      assert.equal(values.get('0xEEFF')?.value, -128.6);
      assert.equal(values.get('stateOfCharge')?.value, 69.91);
      assert.equal(values.get('timeToGo')?.value, 14400);
      assert.equal(values.get('batteryTemperature')?.value, null);
      assert.equal(values.get('auxVoltage')?.value, null);
    });
  });

  it('SmartSolar 250/70: async frames before replies go to the cache, a Text block before a reply is decoded', async () => {
    await withReplay('koestler-go-victron__registerapi-smartsolar-250-70.txt', new Map(), async (port) => {
      const asyncs: RegisterReading[] = [];
      const blocks: TextBlockReading[] = [];
      port.on('register', (r) => r.source === 'async' && asyncs.push(r));
      port.on('text-block', (b) => blocks.push(b));
      await port.ready({ timeoutMs: 10_000 });
      const lowTempCurrent = await port.get(0xede6); // preceded by a whole Text block
      assert.equal(lowTempCurrent.raw, '0000');
      assert.equal(blocks.length, 1);
      assert.equal(blocks[0]?.fields.PID, '0xA069');
      assert.equal(blocks[0]?.fields['SER#'], 'HQ2104VESU7');
      await port.get(0xedd1); // preceded by :A032000FF7FAA (async 0x2003 = not available)
      const tsense = asyncs.find((r) => r.id === 0x2003);
      assert.equal(tsense?.value, null);
      assert.equal(port.cached(0x2003)?.source, 'async');
      assert.equal(port.counters.unmatchedReplies, 0);
    });
  });

  it('never takes a late reply for the answer to the next request', async () => {
    // The device answers 0xED8D after 600 ms (the host gives up at 300 ms, no retry) and
    // 0xED8C after 500 ms: the late 0xED8D reply arrives while 0xED8C is in flight.
    const delays = new Map([
      [':78DED00D4', 600],
      [':78CED00D5', 500],
    ]);
    await withReplay('koestler-go-victron__registerapi-smartshunt-main.txt', delays, async (port) => {
      await port.ready({ timeoutMs: 10_000 });
      const late = await port.get('batteryVoltage', { retries: 0 }).then(
        () => assert.fail('expected a timeout'),
        (err: unknown) => err,
      );
      assert.ok(late instanceof VeError && late.code === 'VE_TIMEOUT');
      const current = await port.get('0xED8C', { timeoutMs: 1500 });
      assert.equal(current.register, '0xED8C');
      assert.equal(current.value, -0.15, 'the answer to 0xED8C, not the late 26.69 V of 0xED8D');
      assert.equal(port.counters.unmatchedReplies, 1, 'the late reply was counted and dropped');
      assert.equal(port.cached('batteryVoltage'), undefined, 'and not cached as if it had been asked for');
    });
  });
});
