/**
 * HexClient over a fake link and a manual clock: the bytes it writes, how replies are matched,
 * timeouts and retries, typed refusals, the bounded queue and pacing.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../lib/clock';
import { VeError, type VeErrorCode } from '../../../lib/errors';
import { parseFrame } from '../../../lib/protocol/hex-codec';
import { HexClient, type HexClientOptions, type HexLink, type RegisterReply } from '../../../lib/link/hex-client';
import type { ConnectionStateKind } from '../../../lib/link/connection';

class FakeLink implements HexLink {
  state: { kind: ConnectionStateKind } = { kind: 'open' };
  receiving = false;
  readonly writes: string[] = [];
  failWrites = false;
  async write(bytes: Uint8Array): Promise<void> {
    this.writes.push(Buffer.from(bytes).toString('latin1'));
    if (this.failWrites) throw new VeError('VE_PORT_CLOSED', 'write failed');
  }
  notOpenError(): VeError {
    return new VeError('VE_PORT_CLOSED', `not open (${this.state.kind})`);
  }
}

function setup(options: HexClientOptions = {}) {
  const clock = new ManualClock();
  const link = new FakeLink();
  const client = new HexClient(link, { clock, minGapMs: 0, ...options });
  /** The device sends a frame (text as on the wire, without `\n`). */
  const reply = (text: string): void => client.handleFrame(parseFrame(text), text);
  return { clock, link, client, reply };
}

/** Let promise continuations run. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function rejectsWith(promise: Promise<unknown>, code: VeErrorCode): Promise<VeError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof VeError, `expected a VeError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}, but it resolved`);
}

describe('HexClient', () => {
  it('writes the exact Get frame and resolves with the matching reply', async () => {
    const { link, client, reply } = setup();
    const pending = client.get(0xedd5);
    assert.deepEqual(link.writes, [':7D5ED008C\n']);
    reply(':7D5ED00A404E4');
    const r = await pending;
    assert.equal(r.register, 0xedd5);
    assert.equal(r.flags, 0);
    assert.deepEqual([...r.value], [0xa4, 0x04]);
    assert.equal(r.frame, ':7D5ED00A404E4');
  });

  it('decodes ping, app version and product id (Victron worked examples)', async () => {
    const { link, client, reply } = setup();
    const ping = client.ping();
    reply(':51641F9');
    assert.equal((await ping).text, '1.16');
    const app = client.appVersion();
    await tick();
    reply(':11641FD');
    assert.equal((await app).version, '1.16');
    const pid = client.productId();
    await tick();
    reply(':1000351');
    assert.equal(await pid, 0x0300);
    assert.deepEqual(link.writes, [':154\n', ':352\n', ':451\n']);
  });

  it('times out after the request timeout, sends once more, then rejects with VE_TIMEOUT', async () => {
    const { clock, link, client } = setup({ requestTimeoutMs: 1000 });
    const pending = client.get(0xed8d);
    const result = rejectsWith(pending, 'VE_TIMEOUT');
    clock.advance(999);
    assert.equal(link.writes.length, 1);
    clock.advance(1);
    assert.equal(link.writes.length, 2, 'one retry');
    assert.equal(link.writes[1], ':78DED00D4\n');
    clock.advance(1000);
    const err = await result;
    assert.equal(err.details.register, '0xED8D');
    assert.equal(client.counters.timeouts, 2);
    assert.equal(client.counters.retries, 1);
    assert.equal(clock.pending, 0);
  });

  it('answers a retried request with the reply that comes to the retry', async () => {
    const { clock, client, reply } = setup();
    const pending = client.get(0xed8d);
    clock.advance(1000);
    reply(':78DED006D0A5D');
    assert.deepEqual([...(await pending).value], [0x6d, 0x0a]);
  });

  it('does not retry when retries is 0 (a flash-backed write must not happen twice)', async () => {
    const { clock, link, client } = setup();
    const result = rejectsWith(client.set(0xedf0, Uint8Array.of(0x64, 0x00), { retries: 0 }), 'VE_TIMEOUT');
    clock.advance(5000);
    await result;
    assert.deepEqual(link.writes, [':8F0ED0064000C\n']);
  });

  it('never takes a late reply for the answer to the next request (command and id must match)', async () => {
    const { clock, client, reply } = setup({ retries: 0 });
    const first = rejectsWith(client.get(0xed8d), 'VE_TIMEOUT');
    clock.advance(1000);
    await first;
    const second = client.get(0xed8f);
    let settled = false;
    void second.then(() => (settled = true));
    reply(':78DED006D0A5D'); // the late answer to 0xED8D
    await tick();
    assert.equal(settled, false, 'the 0xED8D reply did not answer the 0xED8F request');
    assert.equal(client.counters.unmatchedReplies, 1);
    reply(frameWithChecksum(7, [0x8f, 0xed, 0x00, 0xe2, 0xff])); // 0xED8F = -30 (0.1 A)
    assert.deepEqual([...(await second).value], [0xe2, 0xff]);
  });

  it('does not take the late echo of an abandoned Set for the answer to the next Set of that register', async () => {
    const { clock, client, reply } = setup({ retries: 0 });
    const first = rejectsWith(client.set(0x2002, Uint8Array.of(0x2d, 0x05)), 'VE_TIMEOUT'); // 13.25 V
    clock.advance(1000);
    await first;
    const second = client.set(0x2002, Uint8Array.of(0x32, 0x05)); // 13.30 V
    let settled = false;
    void second.then(
      () => (settled = true),
      () => (settled = true),
    );
    reply(frameWithChecksum(8, [0x02, 0x20, 0x00, 0x2d, 0x05])); // the late echo of 13.25 V
    await tick();
    assert.equal(settled, false, 'not a mismatch of the second Set: the first one\'s late echo');
    assert.equal(client.counters.unmatchedReplies, 1);
    reply(frameWithChecksum(8, [0x02, 0x20, 0x00, 0x32, 0x05]));
    assert.deepEqual([...(await second).value], [0x32, 0x05]);
  });

  it('also keeps a Set reply apart from a Get of the same register', async () => {
    const { client, reply } = setup();
    const get = client.get(0xedf0);
    let settled = false;
    void get.then(() => (settled = true));
    reply(':8F0ED0064000C');
    await tick();
    assert.equal(settled, false);
    reply(':7F0ED009600DB');
    assert.deepEqual([...(await get).value], [0x96, 0x00]);
  });

  it('sends async frames to the async listeners while a request waits, never as its answer', async () => {
    const { client, reply } = setup();
    const asyncs: RegisterReply[] = [];
    client.on('async', (r) => asyncs.push(r));
    const pending = client.get(0xedd1);
    reply(frameWithChecksum(0xa, [0xd1, 0xed, 0x00, 0x43, 0x00])); // async of the very register being read
    reply(':A032000FF7FAA');
    await tick();
    assert.equal(asyncs.length, 2);
    assert.equal(asyncs[1]?.register, 0x2003);
    reply(':7D1ED0043004D');
    const r = await pending;
    assert.equal(r.type, 'get');
    assert.equal(client.counters.asyncFrames, 2);
  });

  it('turns reply flags into typed errors', async () => {
    const { client, reply } = setup();
    const unknown = rejectsWith(client.get(0x7777), 'VE_UNKNOWN_ID');
    reply(':77777015F');
    assert.equal((await unknown).details.flags, 1);

    const notSupported = rejectsWith(client.set(0xed8d, Uint8Array.of(0x6d, 0x0a)), 'VE_NOT_SUPPORTED');
    await tick();
    reply(frameWithChecksum(8, [0x8d, 0xed, 0x02, 0x6d, 0x0a]));
    await notSupported;

    // BMV-7xx HEX protocol worked example: Set capacity 0 Ah → parameter error, 1 Ah used.
    const clamped = rejectsWith(client.set(0x1000, Uint8Array.of(0, 0)), 'VE_PARAMETER');
    await tick();
    reply(':8001004010038');
    const err = await clamped;
    assert.equal(err.details.clamped, 1);
    assert.equal(err.details.unit, 'Ah');
    assert.match(err.message, /used 1 Ah instead/);
  });

  it('rejects a Set echoed with another value (VE_ECHO_MISMATCH)', async () => {
    const { client, reply } = setup();
    const pending = rejectsWith(client.set(0xedf0, Uint8Array.of(0x64, 0x00)), 'VE_ECHO_MISMATCH');
    reply(frameWithChecksum(8, [0xf0, 0xed, 0x00, 0x96, 0x00]));
    const err = await pending;
    assert.equal(err.details.sent, '6400');
    assert.equal(err.details.echoed, '9600');
  });

  it('refuses a request beyond the queue limit with VE_QUEUE_FULL, keeping the others', async () => {
    const { client, reply } = setup({ queueLimit: 2 });
    const inFlight = client.get(0x0100);
    const a = client.get(0x0101);
    const b = client.get(0x0102);
    const full = await rejectsWith(client.get(0x0103), 'VE_QUEUE_FULL');
    assert.match(full.message, /queue full/);
    assert.equal(client.depth, 3);
    assert.equal(client.counters.queueFull, 1);
    reply(frameWithChecksum(7, [0x00, 0x01, 0x00, 0x00]));
    await inFlight;
    await tick();
    reply(frameWithChecksum(7, [0x01, 0x01, 0x00, 0x00]));
    await a;
    await tick();
    reply(frameWithChecksum(7, [0x02, 0x01, 0x00, 0x00]));
    await b;
  });

  it('keeps a gap between transactions and waits (bounded) for a Text block to end', async () => {
    const { clock, link, client, reply } = setup({ minGapMs: 50, maxTextWaitMs: 150 });
    const first = client.get(0xed8d);
    const second = client.get(0xed8f);
    reply(':78DED006D0A5D');
    await first;
    assert.equal(link.writes.length, 1);
    clock.advance(49);
    assert.equal(link.writes.length, 1, 'not before the gap');
    link.receiving = true; // a Text block is arriving
    clock.advance(1);
    assert.equal(link.writes.length, 1, 'waits for the block to end');
    clock.advance(60);
    assert.equal(link.writes.length, 1);
    link.receiving = false;
    client.unitEnded(); // the block ended
    assert.equal(link.writes.length, 2, 'sent as soon as the block ended');
    reply(frameWithChecksum(7, [0x8f, 0xed, 0x00, 0xe2, 0xff]));
    await second;

    const third = client.get(0xed8c);
    link.receiving = true; // a block that never seems to end (a broken one)
    const before = link.writes.length;
    clock.advance(50);
    clock.advance(149);
    assert.equal(link.writes.length, before);
    clock.advance(20);
    assert.equal(link.writes.length, before + 1, 'sent anyway after maxTextWaitMs');
    reply(':78CED006AFFFFFF6E');
    await third;
  });

  it('retries after a frame-error reply (:4AAAA), then fails with VE_DEVICE_ERROR', async () => {
    const { link, client, reply } = setup();
    const pending = rejectsWith(client.get(0xed8d), 'VE_DEVICE_ERROR');
    reply(':4AAAAFD');
    await tick();
    assert.equal(link.writes.length, 2);
    reply(':4AAAAFD');
    const err = await pending;
    assert.match(err.message, /frame error/);
    assert.equal(client.counters.deviceErrors, 2);
  });

  it('fails a request whose command the device does not know (VE_UNKNOWN_COMMAND)', async () => {
    const { client, reply } = setup();
    const pending = rejectsWith(client.appVersion(), 'VE_UNKNOWN_COMMAND');
    reply(frameWithChecksum(3, [0x03, 0x00]));
    await pending;
  });

  it('counts a stray error frame with nothing in flight as unmatched', () => {
    const { client, reply } = setup();
    reply(':4AAAAFD');
    assert.equal(client.counters.unmatchedReplies, 1);
  });

  it('refuses requests while the link is down and rejects all pending when it goes down', async () => {
    const { link, client } = setup();
    const a = rejectsWith(client.get(0xed8d), 'VE_PORT_CLOSED');
    const b = rejectsWith(client.get(0xed8f), 'VE_PORT_CLOSED');
    link.state = { kind: 'reconnecting' };
    client.linkChanged();
    await a;
    await b;
    await rejectsWith(client.get(0xed8d), 'VE_PORT_CLOSED');
  });

  it('queues requests while the port is opening and sends them once open', async () => {
    const { link, client, reply } = setup();
    link.state = { kind: 'opening' };
    const pending = client.ping();
    assert.equal(link.writes.length, 0);
    link.state = { kind: 'open' };
    client.linkChanged();
    assert.deepEqual(link.writes, [':154\n']);
    reply(':51641F9');
    await pending;
  });

  it('close() rejects everything with VE_PORT_CLOSED and leaves no timer armed', async () => {
    const { clock, client } = setup({ minGapMs: 50 });
    const a = rejectsWith(client.get(0xed8d), 'VE_PORT_CLOSED');
    const b = rejectsWith(client.get(0xed8f), 'VE_PORT_CLOSED');
    client.close();
    await a;
    await b;
    assert.equal(clock.pending, 0);
    await rejectsWith(client.ping(), 'VE_PORT_CLOSED');
  });
});

/** A frame with its checksum: command + payload bytes. */
function frameWithChecksum(command: number, payload: number[]): string {
  const sum = payload.reduce((s, b) => s + b, command);
  const check = (0x55 - sum) & 0xff;
  return ':' + command.toString(16).toUpperCase() + [...payload, check].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');
}
