/**
 * Connection over an in-memory binding and a manual clock: line settings, framing, reconnect
 * with back-off after open failures, unplugs and silence, one log line per distinct failure,
 * identity checks on stream events, and a clean close.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SerialPortStream } from '@serialport/stream';
import { ManualClock } from '../../../lib/clock';
import { Connection, type ConnectionOptions, type ConnectionState } from '../../../lib/link/connection';
import type { FramerEvent } from '../../../lib/protocol/framer';
import { MemoryBinding, settle } from '../../helpers/memory-binding';
import { textBlock } from '../../helpers/wire';

const PATH = '/dev/ttyVE0';

function setup(options: Partial<ConnectionOptions> = {}) {
  const clock = new ManualClock();
  const binding = new MemoryBinding();
  const line = binding.line(PATH);
  const streams: SerialPortStream[] = [];
  const factory = binding.factory();
  const warnings: string[] = [];
  const connection = new Connection(PATH, {
    clock,
    portFactory: (path) => {
      const s = factory(path);
      streams.push(s);
      return s;
    },
    log: { info: () => undefined, warn: (m) => warnings.push(m) },
    ...options,
  });
  const states: ConnectionState[] = [];
  const units: FramerEvent[] = [];
  connection.on('state', (s) => states.push(s));
  connection.on('unit', (u) => units.push(u));
  return { clock, binding, line, connection, states, units, warnings, streams };
}

const kinds = (states: readonly ConnectionState[]): string[] => states.map((s) => s.kind);
/** The state kind, read without letting an assertion narrow `connection.state` for later reads. */
const kindOf = (connection: Connection): string => connection.state.kind;
const BLOCK = textBlock({ PID: '0xA389', V: '26690', I: '-150' });

describe('Connection', () => {
  it('opens the port at 19200 8N1 without flow control and goes open', async () => {
    const { line, connection, states } = setup();
    connection.open();
    await settle();
    assert.deepEqual(kinds(states), ['opening', 'open']);
    const options = line.port?.openOptions;
    assert.equal(options?.baudRate, 19200);
    assert.equal(options?.dataBits, 8);
    assert.equal(options?.parity, 'none');
    assert.equal(options?.stopBits, 1);
    assert.equal(options?.rtscts, false);
    assert.equal(options?.xon, false);
    await connection.close();
  });

  it('frames received bytes into units, however they are chunked', async () => {
    const { line, connection, units } = setup();
    connection.open();
    await settle();
    const bytes = Buffer.concat([BLOCK, Buffer.from(':A0102000543\n', 'latin1')]);
    for (let i = 0; i < bytes.length; i += 7) line.emit(bytes.subarray(i, i + 7));
    await settle();
    assert.deepEqual(
      units.map((u) => u.kind),
      ['text-block', 'hex-frame'],
    );
    assert.equal(connection.stats.textBlocks, 1);
    assert.equal(connection.stats.hexFrames, 1);
    await connection.close();
  });

  it('writes what it is given, and refuses writes when not open', async () => {
    const { line, connection } = setup();
    await assert.rejects(connection.write(Buffer.from(':154\n')), { code: 'VE_PORT_CLOSED' });
    connection.open();
    await settle();
    await connection.write(Buffer.from(':7D5ED008C\n', 'latin1'));
    assert.equal(line.writtenText, ':7D5ED008C\n');
    await connection.close();
  });

  it('retries a failing open with back-off 1, 2, 4, 8, 16, 30, 30 s and logs the failure once', async () => {
    const { clock, line, connection, states, warnings } = setup();
    line.present = false;
    connection.open();
    await settle();
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      const s = connection.state;
      assert.equal(s.kind, 'reconnecting');
      if (s.kind !== 'reconnecting') return;
      delays.push(s.delayMs);
      assert.equal(s.failure, 'open-failed');
      assert.match(s.error.message, /cannot open \/dev\/ttyVE0: port not found/);
      clock.advance(s.delayMs);
      await settle();
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.equal(connection.stats.openFailures, 8);
    assert.ok(kinds(states).every((k) => k === 'opening' || k === 'reconnecting'));
    line.present = true;
    clock.advance(30000);
    await settle();
    assert.equal(kindOf(connection), 'open');
    await connection.close();
    assert.equal(clock.pending, 0);
  });

  it('reconnects after an unplug and resets the framer (a block cut by the unplug is not glued to the next)', async () => {
    const { clock, line, connection, units, warnings } = setup();
    connection.open();
    await settle();
    line.emit(BLOCK.subarray(0, 20)); // half a block
    await settle();
    line.unplug();
    await settle();
    const s = connection.state;
    assert.equal(s.kind, 'reconnecting');
    if (s.kind === 'reconnecting') {
      assert.equal(s.failure, 'lost');
      assert.equal(s.delayMs, 1000);
      assert.match(s.error.message, /lost: device disconnected/);
    }
    clock.advance(1000);
    await settle();
    assert.equal(kindOf(connection), 'reconnecting', 'still unplugged');
    line.replug();
    clock.advance(2000);
    await settle();
    assert.equal(kindOf(connection), 'open');
    line.emit(BLOCK.subarray(20)); // the rest of the old block must not complete anything
    line.emit(BLOCK);
    await settle();
    assert.deepEqual(
      units.filter((u) => u.kind === 'text-block').length,
      1,
    );
    assert.equal(connection.stats.reconnects, 1);
    assert.equal(connection.stats.drops, 1);
    assert.equal(warnings.length, 2, 'the unplug and the failed reopen, each once');
    await connection.close();
  });

  it('reopens the port after silenceMs without a valid unit; noise does not count as data', async () => {
    const { clock, line, connection } = setup({ silenceMs: 15000 });
    connection.open();
    await settle();
    line.emit(BLOCK);
    await settle();
    clock.advance(10000);
    line.emit(Buffer.from('\x00\xff garbage \xfe')); // noise only
    await settle();
    clock.advance(4999);
    assert.equal(kindOf(connection), 'open');
    clock.advance(1);
    const s = connection.state;
    assert.equal(s.kind, 'reconnecting');
    if (s.kind === 'reconnecting') {
      assert.equal(s.failure, 'silence');
      assert.match(s.error.message, /no valid data for 15 s/);
    }
    clock.advance(1000);
    await settle();
    assert.equal(kindOf(connection), 'open');
    assert.equal(line.opens, 2);
    await connection.close();
  });

  it('keeps growing the delay while a reopened port stays silent, and resets it once the port delivers a valid unit', async () => {
    const { clock, line, connection } = setup({ silenceMs: 5000 });
    connection.open();
    await settle();
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      clock.advance(5000);
      const s = connection.state;
      if (s.kind === 'reconnecting') delays.push(s.delayMs);
      clock.advance(s.kind === 'reconnecting' ? s.delayMs : 0);
      await settle();
    }
    assert.deepEqual(delays, [1000, 2000, 4000]);
    // One valid block (the device identifies itself): the next failure starts over at 1 s.
    line.emit(BLOCK);
    await settle();
    line.unplug();
    await settle();
    const s = connection.state;
    assert.equal(s.kind === 'reconnecting' && s.delayMs, 1000);
    await connection.close();
  });

  it('drops the port when its path is gone or names another device, though the stream says nothing', async () => {
    let token: string | null = 'pts/3';
    const { clock, connection, line } = setup({ presence: async () => token, presenceIntervalMs: 1000 });
    connection.open();
    await settle();
    clock.advance(1000);
    await settle();
    assert.equal(kindOf(connection), 'open');
    token = null; // the pty's other end went away: reads return nothing, no error
    clock.advance(1000);
    await settle();
    const s = connection.state;
    assert.equal(s.kind, 'reconnecting');
    if (s.kind === 'reconnecting') {
      assert.match(s.error.message, /lost: device disconnected$/);
      assert.match(String(s.error.details.cause), /the path is gone/);
    }
    token = 'pts/4';
    clock.advance(1000);
    await settle();
    assert.equal(kindOf(connection), 'open');
    token = 'pts/5'; // the same name, now another device
    clock.advance(1000);
    await settle();
    const t = connection.state;
    assert.equal(t.kind, 'reconnecting');
    if (t.kind === 'reconnecting') assert.match(String(t.error.details.cause), /names another device/);
    assert.equal(line.opens, 2);
    await connection.close();
    assert.equal(clock.pending, 0);
  });

  it('reopens at once when the path comes back, whatever the back-off had grown to', async () => {
    const { clock, line, connection } = setup({ presence: async () => (line.present ? 'ttyUSB0:1' : null), presenceIntervalMs: 1000 });
    line.present = false; // unplugged before the start: the back-off grows to 30 s
    connection.open();
    await settle();
    for (let waited = 0; waited < 120_000; waited += 500) {
      clock.advance(500);
      await settle();
    }
    const grown = connection.state;
    assert.equal(grown.kind === 'reconnecting' && grown.delayMs, 30_000);
    line.replug();
    const replugAt = clock.now();
    while (kindOf(connection) !== 'open' && clock.now() - replugAt < 30_000) {
      clock.advance(100);
      await settle();
    }
    assert.equal(kindOf(connection), 'open');
    assert.ok(clock.now() - replugAt <= 1000, `open ${clock.now() - replugAt} ms after the replug`);
    await connection.close();
    assert.equal(clock.pending, 0);
  });

  it('a cable that drops every few seconds (2 s out, 6 s in) is back within one presence interval of every replug', async () => {
    const { clock, line, connection } = setup({ presence: async () => (line.present ? `node${line.opens}` : null), presenceIntervalMs: 1000 });
    connection.open();
    await settle();
    const backAfter: number[] = [];
    for (let flap = 0; flap < 20; flap++) {
      // Plugged: the device talks (a valid block per second).
      for (let t = 0; t < 6; t++) {
        line.emit(BLOCK);
        clock.advance(1000);
        await settle();
      }
      line.unplug();
      await settle();
      clock.advance(2000);
      await settle();
      line.replug();
      const at = clock.now();
      while (kindOf(connection) !== 'open' && clock.now() - at < 60_000) {
        clock.advance(100);
        await settle();
      }
      backAfter.push(clock.now() - at);
    }
    assert.equal(backAfter.length, 20);
    assert.ok(
      backAfter.every((ms) => ms <= 1000),
      JSON.stringify(backAfter),
    );
    assert.equal(connection.stats.reconnects, 20);
    await connection.close();
  });

  it('a port whose path stays (busy with another program) keeps its back-off: no hammering', async () => {
    const { clock, line, connection } = setup({ presence: async () => 'ttyUSB0:1', presenceIntervalMs: 1000 });
    line.openError = 'Resource temporarily unavailable Cannot lock port';
    connection.open();
    await settle();
    for (let waited = 0; waited < 60_000; waited += 500) {
      clock.advance(500);
      await settle();
    }
    // 1 + 2 + 4 + 8 + 16 s of waits and 30 s into the next: 6 attempts, not 60.
    assert.equal(line.opens, 0);
    assert.equal(connection.stats.openFailures, 6);
    await connection.close();
    assert.equal(clock.pending, 0);
  });

  it('ignores a late close or error from a stream it already gave up', async () => {
    const { clock, line, connection, streams } = setup();
    connection.open();
    await settle();
    line.unplug();
    await settle();
    line.replug();
    clock.advance(1000);
    await settle();
    assert.equal(kindOf(connection), 'open');
    const old = streams[0];
    assert.ok(old);
    old.emit('close', new Error('late close'));
    old.emit('error', new Error('late error'));
    await settle();
    assert.equal(kindOf(connection), 'open');
    await connection.close();
  });

  it('survives a listener that throws', async () => {
    const { line, connection, warnings } = setup();
    connection.on('unit', () => {
      throw new Error('listener bug');
    });
    connection.open();
    await settle();
    line.emit(BLOCK);
    line.emit(BLOCK);
    await settle();
    assert.equal(kindOf(connection), 'open');
    assert.equal(connection.stats.textBlocks, 2);
    assert.match(warnings.join('\n'), /listener failed: listener bug/);
    await connection.close();
  });

  it('close() closes the stream, ends in closed and leaves no timers, from any state', async () => {
    for (const when of ['open', 'reconnecting', 'opening'] as const) {
      const { clock, line, connection, states } = setup();
      if (when === 'reconnecting') line.present = false;
      connection.open();
      if (when !== 'opening') await settle();
      assert.equal(kindOf(connection), when);
      await connection.close();
      assert.equal(kindOf(connection), 'closed');
      assert.deepEqual(kinds(states).slice(-2), ['closing', 'closed']);
      assert.equal(line.port, undefined, `${when}: the port was closed`);
      assert.equal(clock.pending, 0, `${when}: no timers left`);
      clock.advance(60_000);
      await settle();
      assert.equal(kindOf(connection), 'closed', `${when}: stays closed`);
    }
  });

  it('waits for `after` (a previous owner closing) before opening', async () => {
    const { line, connection } = setup();
    let release: () => void = () => undefined;
    connection.open(new Promise<void>((resolve) => (release = resolve)));
    await settle();
    assert.equal(kindOf(connection), 'opening');
    assert.equal(line.opens, 0);
    release();
    await settle();
    assert.equal(kindOf(connection), 'open');
    await connection.close();
  });
});
