/**
 * Soak: ten minutes of device time of a SmartSolar MPPT with a noisy line, through the real
 * serialport bindings over a socat pty pair, with continuous HEX traffic (get the charger
 * voltage, write it as remote voltage sense, read it back) on top of the Text blocks.
 *
 * The simulator runs in this process on the pty's device end, so the test can read what it
 * sent and what it injected; its clock runs `SPEED` times faster than real time (600 Text
 * cycles in about 25 s). `VE_SOAK_REALTIME=1` runs it in real time, for the full ten minutes.
 * (`ve-direct simulate --speed` speeds up the simulated battery and sun, not the device's
 * clock, so it cannot compress the ten minutes; hence the in-process device.)
 *
 * Faults injected (device → host unless said): bit flips and dropped bytes, random garbage
 * bursts (any byte, `:` `\r` `\n` included), async frames inside Text blocks, host → device
 * bit flips (the device answers `:4AAAAFD`), lost replies and late replies (after the host's
 * timeout).
 *
 * What must hold, and the accounting:
 * 1. Zero corrupt values delivered. Every Text block the port delivered is, field for field,
 *    a block the device sent; every snapshot's fields are those of a sent block; every
 *    register value delivered (get, set, async) is, byte for byte, a frame the device sent.
 * 2. The port counted exactly what was on the line: its counters (bytes, valid blocks and
 *    frames, rejects by kind, skipped bytes) equal those of an independent Framer fed the
 *    very bytes the simulator put on the line after its noise. Nothing was lost or invented
 *    between the pty and the link, and every injected fault is in the reject counters.
 * 3. The losses match the injected faults. Units the device sent but the port did not deliver
 *    are at least the units the faults corrupted (every corrupted unit is dropped) and at most
 *    twice the faults (corrupted units plus garbage bursts): a corrupted byte may also cost
 *    the neighbouring unit (a broken `\r` at a block start, a lost `\n` ending a frame, garbage
 *    between two records). Plus 2 for the unit cut by connecting and the one cut at the end.
 * 4. Timeouts match lost and late replies: each lost or late reply times out one attempt;
 *    more timeouts only where a reply or a request was corrupted on the line. Replies nobody
 *    waited for are late replies or second answers to a retried request. Every `:4` frame the
 *    port saw is one the device sent for a request it could not read.
 */

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock, type Clock } from '../../lib/clock';
import { VeError } from '../../lib/errors';
import { Framer } from '../../lib/protocol/framer';
import { Command, encodeFrame, registerPayload } from '../../lib/protocol/hex-codec';
import type { RegisterReading, TextSnapshotReading } from '../../lib/link/device';
import { VeDirectPort, type TextBlockReading } from '../../lib/link/port';
import { SimSystem } from '../../lib/sim/battery-model';
import { createSimDevice } from '../../lib/sim/catalogue';
import type { SentUnit } from '../../lib/sim/device';
import { PtyPair, waitFor } from '../helpers/pty';
import { PtySimDevice } from '../helpers/pty-device';

const REALTIME = process.env.VE_SOAK_REALTIME === '1';
const SPEED = REALTIME ? 1 : 25;
const DEVICE_MINUTES = 10;

/** The system clock, `speed` times faster: the simulator's device time. */
function fastClock(speed: number): Clock {
  return {
    now: () => systemClock.now() * speed,
    setTimeout: (fn, ms) => systemClock.setTimeout(fn, ms / speed),
    setInterval: (fn, ms) => systemClock.setInterval(fn, ms / speed),
  };
}

const keepAlive = setInterval(() => undefined, 1000);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A Text block as a comparable key: its fields in wire order. */
const blockKey = (fields: Readonly<Record<string, string>>): string => JSON.stringify(Object.entries(fields));

/** The frame a register reading came in, rebuilt from what was delivered. */
function readingFrame(r: RegisterReading): string {
  const command = r.source === 'get' ? Command.Get : r.source === 'set' ? Command.Set : Command.Async;
  return encodeFrame(command, registerPayload(r.id, r.flags, Buffer.from(r.raw, 'hex')));
}

describe(`soak: ${DEVICE_MINUTES} min of device time, noisy line, HEX traffic (${REALTIME ? 'real time' : `${SPEED}× speed`})`, () => {
  const pty = new PtyPair('link-soak');
  const clock = fastClock(SPEED);
  const device = createSimDevice('smartsolar-100-30', {
    clock,
    system: new SimSystem(clock, { seed: 42 }),
    seed: 42,
    faults: {
      bitErrorRate: 5e-5,
      dropRate: 1e-5,
      hostBitErrorRate: 2e-4,
      garbageIntervalMs: 7_000,
      garbageLength: 12,
      asyncInsideBlockRate: 0.2,
      lostReplyRate: 0.01,
      lateReplyRate: 0.01,
      // Late in real time: after the host's 1 s timeout whatever the speed.
      lateReplyMs: 1_400 * SPEED,
      replyDelayMs: 3,
    },
  });
  const line = new PtySimDevice(pty.b, device);

  before(async () => {
    await pty.start();
    await line.start();
  });
  after(async () => {
    await line.stop();
    await pty.dispose();
    clearInterval(keepAlive);
  });

  it('delivers no corrupt value, and its counters account for every injected fault', { timeout: REALTIME ? 15 * 60_000 : 180_000 }, async () => {
    const port = new VeDirectPort(pty.a, { backoff: { initialMs: 200, maxMs: 1000 } });
    const sent: SentUnit[] = [];
    const reference = new Framer();
    const blocks: TextBlockReading[] = [];
    const snapshots: TextSnapshotReading[] = [];
    const registers: RegisterReading[] = [];
    port.on('text-block', (b) => blocks.push(b));
    port.on('snapshot', (s) => snapshots.push(s));
    port.on('register', (r) => registers.push(r));
    device.onUnit((u) => sent.push(u));
    device.onOutput((bytes) => reference.push(bytes));

    port.open();
    await waitFor(() => port.counters.requests > 0, 5000, 'the port to open and ping');
    line.connect(); // from here on the port and the reference framer see the same bytes
    await port.ready({ timeoutMs: 15_000 });
    const start = clock.now();

    // Continuous HEX traffic until the device has sent ten minutes' worth of Text blocks. Counted,
    // not timed: on a loaded machine the device's timers fire late, and fewer blocks fall into
    // ten minutes of its clock; the count is what the accounting below is about.
    const outcomes = new Map<string, number>();
    const note = (what: string): void => {
      outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
    };
    const textSent = (): number => sent.reduce((n, u) => n + (u.kind === 'text' ? 1 : 0), 0);
    const textBefore = textSent(); // sent while the port identified the device
    while (textSent() - textBefore < DEVICE_MINUTES * 60) {
      try {
        const volts = await port.get('chargerVoltage');
        note('get');
        if (typeof volts.value === 'number') {
          await port.set('batteryVoltageSense', volts.value);
          note('set');
        }
        await port.get('batteryVoltageSense');
        note('get');
      } catch (err) {
        assert.ok(err instanceof VeError, String(err));
        assert.match(err.code, /^VE_(TIMEOUT|DEVICE_ERROR|PARAMETER|ECHO_MISMATCH)$/, err.message);
        note(err.code);
      }
    }
    // Off the line; let the port read what is still in the pty.
    line.disconnect();
    await waitFor(() => port.counters.bytes === reference.stats.bytes, 10_000, 'the port to read every byte sent');
    await sleep(100);
    const c = port.counters;
    const f = device.faults.stats;
    const sentText = sent.filter((u) => u.kind === 'text');
    const sentHex = sent.filter((u) => u.kind === 'hex');

    // 0. It ran long enough, with traffic and faults, on one connection.
    // Ten minutes' worth of blocks took at least ten minutes of device time: one per second, never faster.
    const soaked = sentText.length - textBefore;
    assert.ok(clock.now() - start >= (soaked - 2) * 1000, `${soaked} Text cycles in ${Math.round((clock.now() - start) / 1000)} s of device time`);
    assert.ok((outcomes.get('set') ?? 0) >= 50, `HEX traffic: ${JSON.stringify([...outcomes])}`);
    assert.ok(f.blocksCorrupted + f.framesCorrupted > 0 && f.garbageBursts > 0, `faults were injected: ${JSON.stringify(f)}`);
    assert.equal(c.drops, 0, 'no reconnect during the soak (the reference framer would lose step)');

    // 1. Zero corrupt values delivered.
    const sentBlocks = new Set<string>();
    for (const u of sentText) {
      const events = new Framer().push(u.bytes);
      const block = events.find((e) => e.kind === 'text-block');
      assert.ok(block && block.kind === 'text-block', 'the simulator sends valid blocks');
      sentBlocks.add(blockKey(block.fields));
    }
    for (const b of blocks) assert.ok(sentBlocks.has(blockKey(b.fields)), `delivered block was never sent: ${JSON.stringify(b.fields)}`);
    for (const s of snapshots) assert.ok(sentBlocks.has(blockKey(s.fields)), `snapshot fields were never sent: ${JSON.stringify(s.fields)}`);
    const sentFrames = new Set(sentHex.map((u) => u.frame));
    for (const r of registers) assert.ok(sentFrames.has(readingFrame(r)), `delivered ${r.register} ${r.source} ${r.raw} was never sent`);

    // 2. The port counted exactly what was on the line.
    const ref = reference.stats;
    assert.deepEqual(
      { bytes: c.bytes, textBlocks: c.textBlocks, hexFrames: c.hexFrames, rejected: c.rejected, skippedBytes: c.skippedBytes },
      { bytes: ref.bytes, textBlocks: ref.textBlocks, hexFrames: ref.hexFrames, rejected: ref.errors, skippedBytes: ref.skippedBytes },
    );
    assert.equal(blocks.length, c.textBlocks, 'every valid block was delivered');

    // 3. Losses match the injected faults.
    const corrupted = f.blocksCorrupted + f.framesCorrupted;
    const faults = corrupted + f.garbageBursts;
    const lost = sentText.length + sentHex.length - (c.textBlocks + c.hexFrames);
    const rejected = Object.values(c.rejected).reduce((a, b) => a + b, 0);
    assert.ok(lost >= corrupted, `every corrupted unit was dropped: lost ${lost}, corrupted ${corrupted}`);
    assert.ok(lost <= 2 * faults + 2, `no loss without a fault: lost ${lost}, faults ${faults}`);
    assert.ok(rejected >= 1 && rejected <= 2 * faults + 2, `rejects ${rejected} for ${faults} faults`);

    // 4. Timeouts and stray replies match lost and late replies.
    const replyFaults = f.repliesLost + f.repliesLate;
    assert.ok(c.timeouts >= replyFaults, `timeouts ${c.timeouts} ≥ lost + late replies ${replyFaults}`);
    assert.ok(c.timeouts <= replyFaults + f.framesCorrupted + f.hostFramesCorrupted + 1, `timeouts ${c.timeouts} explained by faults ${JSON.stringify(f)}`);
    assert.ok(c.unmatchedReplies <= f.repliesLate + c.retries, `unmatched ${c.unmatchedReplies} ≤ late ${f.repliesLate} + retries ${c.retries}`);
    assert.ok(c.deviceErrors <= device.stats.hostFrameErrors, `:4 frames seen ${c.deviceErrors} ≤ sent ${device.stats.hostFrameErrors}`);

    const summary = {
      deviceSeconds: Math.round((clock.now() - start) / 1000),
      sent: { text: sentText.length, hex: sentHex.length },
      delivered: { text: c.textBlocks, hex: c.hexFrames, snapshots: snapshots.length, registers: registers.length },
      injected: f,
      port: { rejected: c.rejected, skippedBytes: c.skippedBytes, timeouts: c.timeouts, retries: c.retries, unmatched: c.unmatchedReplies, deviceErrors: c.deviceErrors },
      outcomes: Object.fromEntries(outcomes),
    };
    process.stderr.write(`soak: ${JSON.stringify(summary)}\n`);
    await port.close();
  });
});
