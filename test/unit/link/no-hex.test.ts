/**
 * A link that carries no HEX (a relay passing only device → host, a Text-only device): Text
 * keeps working; after a few unanswered requests the port says so in its state, requests fail
 * at once with VE_NO_HEX instead of timing out one by one, a ping goes out now and then, and a
 * HEX answer clears it. Manual clock, in-memory binding.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../lib/clock';
import { VeError } from '../../../lib/errors';
import { Command, encodeFrame, parseFrame, registerPayload, un16Bytes } from '../../../lib/protocol/hex-codec';
import { VeDirectPort, type PortState } from '../../../lib/link/port';
import { MemoryBinding, settle } from '../../helpers/memory-binding';
import { textBlock } from '../../helpers/wire';

const PATH = 'tcp://relay.test:4001';
const BLOCK = textBlock({ PID: '0xA053', FW: '159', 'SER#': 'HQ2045AB2CD', V: '12950', I: '1200', VPV: '36500', PPV: '16', CS: '3' });

function setup() {
  const clock = new ManualClock();
  const binding = new MemoryBinding();
  const line = binding.line(PATH);
  // The device end: answers ping and Get of 0xEDD5 when the relay passes host → device bytes.
  const relay = { passesHostBytes: false };
  line.onWrite = (bytes) => {
    if (!relay.passesHostBytes) return;
    for (const text of bytes.toString('latin1').split('\n').filter(Boolean)) {
      const frame = parseFrame(text);
      if (frame.command === Command.Ping) line.emit(encodeFrame(0x5, un16Bytes(0x4159)) + '\n');
      if (frame.command === Command.Get) line.emit(encodeFrame(Command.Get, registerPayload(0xedd5, 0, un16Bytes(1295))) + '\n');
    }
  };
  const warnings: string[] = [];
  const port = new VeDirectPort(PATH, { clock, portFactory: binding.factory(), minGapMs: 0, log: { info: () => undefined, warn: (m) => warnings.push(m) } });
  const states: PortState[] = [];
  port.on('state', (s) => states.push(s));
  return { clock, line, relay, port, states, warnings };
}

/** Advance the clock in steps, a Text block every second as an MPPT sends them. */
async function run(clock: ManualClock, line: { emit(b: Buffer): void }, ms: number): Promise<void> {
  await settle();
  for (let t = 0; t < ms; t += 10) {
    clock.advance(10);
    if (clock.now() % 1000 === 0) line.emit(BLOCK);
    await settle();
  }
}

function pings(text: string): number {
  return text.split('\n').filter((f) => f === ':154').length;
}

describe('a link without HEX', () => {
  it('says "no HEX" after unanswered requests while Text flows, refuses with VE_NO_HEX at once, and recovers on a HEX answer', async () => {
    const { clock, line, relay, port, states, warnings } = setup();
    port.open();
    await run(clock, line, 3500);
    // The identity comes from Text; the ping of the identification went unanswered (twice).
    assert.equal(port.state.kind, 'connected');
    assert.equal(port.identity?.hex, false);
    assert.equal(port.identity?.serial, 'HQ2045AB2CD');
    assert.equal(port.carriesHex, null, 'two unanswered pings are not yet proof');
    assert.ok(port.snapshot()?.values.batteryVoltage, 'Text values flow');

    const first = port.get('0xEDD5');
    const failed = first.then(
      () => assert.fail('resolved'),
      (err: unknown) => err,
    );
    await run(clock, line, 1200);
    const err = await failed;
    assert.ok(err instanceof VeError);
    assert.equal(err.code, 'VE_NO_HEX', err.message);
    assert.match(err.message, /this link carries no HEX/);
    assert.equal(port.carriesHex, false);
    const s = port.state;
    assert.equal(s.kind, 'connected');
    assert.equal(s.kind === 'connected' && s.noHex, true);
    assert.ok(states.some((x) => x.kind === 'connected' && x.noHex), 'a state event told the badge');
    assert.ok(warnings.some((w) => /carries no HEX/.test(w)), 'logged once');

    // Later requests: refused at once, nothing written.
    const written = line.writtenText.length;
    const at = clock.now();
    await assert.rejects(port.get('0xEDD5'), (e: unknown) => e instanceof VeError && e.code === 'VE_NO_HEX');
    await assert.rejects(port.set('batteryVoltageSense', 12.95), (e: unknown) => e instanceof VeError && e.code === 'VE_NO_HEX');
    assert.equal(clock.now(), at, 'no waiting for a timeout');
    assert.equal(line.writtenText.length, written, 'no bytes for refused requests');
    assert.equal(port.counters.noHex, 2);

    // A ping every 30 s looks again; while the relay still drops host bytes nothing changes.
    await run(clock, line, 30_500);
    assert.equal(pings(line.writtenText.slice(written)), 1, 'one probe ping');
    assert.equal(port.carriesHex, false);

    // The relay now passes host → device bytes: the next probe is answered and HEX works again.
    relay.passesHostBytes = true;
    await run(clock, line, 30_500);
    assert.equal(port.carriesHex, true);
    const s2 = port.state;
    assert.equal(s2.kind === 'connected' && s2.noHex, false);
    const reading = port.get('0xEDD5');
    await run(clock, line, 100);
    assert.equal((await reading).value, 12.95);
    await port.close();
  });

  it('does not call a silent line HEX-less: without Text it is a timeout, not VE_NO_HEX', async () => {
    const { clock, port } = setup();
    port.open();
    for (let i = 0; i < 4; i++) {
      let outcome: string | undefined;
      port.get('0xEDD5', { retries: 0 }).then(
        () => (outcome = 'resolved'),
        (e: unknown) => (outcome = e instanceof VeError ? e.code : String(e)),
      );
      for (let t = 0; t < 6000 && outcome === undefined; t += 10) {
        clock.advance(10);
        await settle();
      }
      assert.equal(outcome, 'VE_TIMEOUT');
    }
    assert.notEqual(port.carriesHex, false);
    await port.close();
  });

  it('starts afresh after a reconnect', async () => {
    const { clock, line, port } = setup();
    port.open();
    await run(clock, line, 3500);
    const failed = port.get('0xEDD5').catch((e: unknown) => e);
    await run(clock, line, 1200);
    assert.equal(((await failed) as VeError).code, 'VE_NO_HEX');
    line.unplug();
    await run(clock, line, 200);
    assert.equal(port.carriesHex, null, 'unknown again while reconnecting');
    await port.close();
  });
});
