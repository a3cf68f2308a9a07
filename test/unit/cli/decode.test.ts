import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { runCli } from '../../../lib/cli/main';
import { eventLine, eventToJson } from '../../../lib/cli/commands/decode';
import { Framer } from '../../../lib/protocol/framer';
import { encodeFrame } from '../../../lib/protocol/hex-codec';
import { runCliCaptured } from '../../helpers/cli';
import { CAPTURES_DIR, captureFiles, loadCapture } from '../../helpers/captures';
import { textBlock } from '../../helpers/wire';

const capture = (name: string): string => join(CAPTURES_DIR, name);

describe('ve-direct decode', () => {
  it('prints one JSON line per unit of a real capture: async frame then block', async () => {
    const r = await runCliCaptured(['decode', capture('rexlinz-vedirect__smartsolar-75-15-async+block.bin')]);
    assert.equal(r.code, 0);
    assert.deepEqual(r.lines[0], { type: 'hex', command: 10, data: '01020005', register: '0x0201', flags: 0, value: '05' });
    assert.equal(r.lines[1]!.type, 'text');
    const fields = r.lines[1]!.fields as Record<string, string>;
    assert.equal(fields.PID, '0xA053');
    assert.equal(fields.V, '13260');
    assert.equal(fields.Checksum, undefined);
    assert.equal(r.lines.length, 2);
  });

  it('reports rejected units: the truncated first block of a dump fails its checksum', async () => {
    const r = await runCliCaptured(['decode', capture('karioja-vedirect__smartsolar-100-20-fw139-stream.bin')]);
    assert.deepEqual(
      r.lines.map((l) => (l.type === 'error' ? l.error : l.type)),
      ['text-checksum', 'text', 'text', 'text'],
    );
  });

  it('reads standard input when no file is given', async () => {
    const block = textBlock({ PID: '0xA389', V: '12800' });
    const r = await runCliCaptured(['decode'], { stdin: Buffer.concat([block, Buffer.from(':7F0ED009600DB\n:452\n')]) });
    assert.deepEqual(r.lines, [
      { type: 'text', fields: { PID: '0xA389', V: '12800' } },
      { type: 'hex', command: 7, data: 'F0ED009600', register: '0xEDF0', flags: 0, value: '9600' },
      { type: 'error', error: 'hex-checksum', detail: 'sum is 0x56, not 0x55' },
    ]);
  });

  it('--decoded adds scaled values with units, null for "no sensor"', async () => {
    const stdin = Buffer.concat([textBlock({ PID: '0xA389', V: '12865', T: '---' }), Buffer.from(':7ECED00FFFF77\n:78DED006D0A5D\n:51641F9\n')]);
    const r = await runCliCaptured(['decode', '--decoded'], { stdin });
    const decoded = r.lines[0]!.decoded as Record<string, { value: unknown; unit: string }>;
    assert.equal(decoded.batteryVoltage!.value, 12.865);
    assert.equal(decoded.batteryVoltage!.unit, 'V');
    assert.equal(decoded.batteryTemperature!.value, null);
    assert.equal(r.lines[1]!.name, 'batteryTemperature');
    assert.equal((r.lines[1]!.decoded as { value: unknown }).value, null);
    assert.equal(r.lines[2]!.name, 'batteryVoltage');
    assert.deepEqual({ ...(r.lines[2]!.decoded as object) }, { ...(r.lines[2]!.decoded as object), value: 26.69, unit: 'V' });
    assert.equal(r.lines[3]!.firmware, '1.16');
  });

  it('--stats prints the counters to stderr', async () => {
    const r = await runCliCaptured(['decode', '--stats', capture('ullman-velog__handmade-checksum-vectors.bin')]);
    assert.match(r.stderr, /2 Text blocks, 0 HEX frames; rejected: text-checksum 1, text-framing 0, hex-checksum 0, hex-framing 0/);
  });

  it('--help explains how to record and decode a dump; usage errors exit 2', async () => {
    const help = await runCliCaptured(['decode', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /stty -F \/dev\/ttyUSB0 19200 raw/);
    assert.match(help.stdout, /text-checksum/);
    const bad = await runCliCaptured(['decode', '--bogus']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--help/);
    const missing = await runCliCaptured(['decode', '/nonexistent/dump.bin']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read input/);
  });

  it('runs as a command: node lib/cli/main.ts decode FILE', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', '..', 'lib', 'cli', 'main.ts'), 'decode', capture('karioja-vedirect__bmv-700-stream.bin')], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    assert.equal(lines.length, 10);
    assert.ok(lines.every((l) => l.type === 'text'));
  });

  it('a valid frame whose value does not fit its register becomes an error unit, and decoding goes on', async () => {
    // 0x2013 is a 4-byte register; this async frame carries 6 value bytes (its checksum holds).
    const stdin = Buffer.concat([Buffer.from(':A132000FFFFFF7F9CA060\n'), textBlock({ PID: '0xA060', V: '13260' }), Buffer.from(':78DED006D0A5D\n')]);
    const r = await runCliCaptured(['decode', '--decoded', '--stats'], { stdin });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.lines.length, 3);
    assert.equal(r.lines[0]!.type, 'error');
    assert.equal(r.lines[0]!.error, 'hex-value');
    assert.equal(r.lines[0]!.register, '0x2013');
    assert.equal(r.lines[0]!.data, '132000FFFFFF7F9CA0');
    assert.match(r.lines[0]!.detail as string, /0x2013 \(totalChargeCurrent\).*6/);
    assert.equal((r.lines[1]!.fields as Record<string, string>).V, '13260');
    assert.equal((r.lines[2]!.decoded as { value: unknown }).value, 26.69);
    assert.match(r.stderr, /values that could not be decoded: 1/);
    // Without --decoded nothing is decoded: the frame is printed with its bytes as sent.
    const raw = await runCliCaptured(['decode'], { stdin });
    assert.deepEqual(raw.lines[0], { type: 'hex', command: 10, data: '132000FFFFFF7F9CA0', register: '0x2013', flags: 0, value: 'FFFFFF7F9CA0' });
  });

  it('stops reading while the output is not taken, and writes one batch per chunk read', async () => {
    const block = textBlock({ PID: '0xA389', V: '12800', I: '-1500', SOC: '815' });
    const unitsPerChunk = 50;
    const totalChunks = 400;
    let chunksRead = 0;
    const stdin = new Readable({
      highWaterMark: 1024,
      read() {
        chunksRead++;
        this.push(chunksRead > totalChunks ? null : Buffer.concat(Array.from({ length: unitsPerChunk }, () => block)));
      },
    });
    // A reader that takes nothing until released, as a pager or a stalled pipe.
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const written: string[] = [];
    const stdout = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk.toString('utf8'));
        void released.then(() => callback());
      },
    });
    const stderr = new Writable({ write: (_c, _e, cb) => cb() });
    const run = runCli(['decode'], { stdin, stdout, stderr, env: {}, interrupted: new Promise<void>(() => undefined) });
    // Let the command run as far as it can on its own.
    for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.ok(chunksRead < 10, `input paused while the output waits (read ${chunksRead} of ${totalChunks} chunks)`);
    release();
    assert.equal(await run, 0);
    const lines = written.join('').split('\n').filter((l) => l !== '');
    assert.equal(lines.length, unitsPerChunk * totalChunks);
    assert.deepEqual(JSON.parse(lines.at(-1)!), { type: 'text', fields: { PID: '0xA389', V: '12800', I: '-1500', SOC: '815' } });
    // The input stream may hand over two buffered chunks at once: at most one write per read.
    assert.ok(written.length <= totalChunks, `${written.length} writes for ${totalChunks} chunks of ${unitsPerChunk} units`);
  });

  it('every line is the JSON.stringify of its unit, with and without --decoded', async () => {
    const file = capture('pbg42-tasmota-ve-poc__bluesolar-75-15-text+hex.bin');
    for (const args of [['decode', file], ['decode', '--decoded', file]]) {
      const r = await runCliCaptured(args);
      const lines = r.stdout.split('\n').filter((l) => l !== '');
      assert.ok(lines.filter((l) => l.includes('"type":"hex"')).length > 10);
      for (const line of lines) assert.equal(JSON.stringify(JSON.parse(line)), line);
    }
  });

  it('Ctrl-C ends a decode whose reader has stopped taking output', async () => {
    const block = textBlock({ PID: '0xA389', V: '12800' });
    const stdin = new Readable({
      read() {
        this.push(Buffer.concat(Array.from({ length: 100 }, () => block)));
      },
    });
    const stdout = new Writable({ highWaterMark: 1024, write: () => undefined }); // never done
    const stderr = new Writable({ write: (_c, _e, cb) => cb() });
    let interrupt: () => void = () => undefined;
    const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
    const run = runCli(['decode'], { stdin, stdout, stderr, env: {}, interrupted });
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    interrupt();
    assert.equal(await run, 0);
  });

  it('each line is exactly the JSON.stringify of its unit, for every unit of every capture', () => {
    const edge = [
      encodeFrame(7, [0x8d]), // a Get reply too short to hold id and flags
      encodeFrame(8, [0x8d, 0xed, 0x01]), // Set reply, unknown id, no value
      encodeFrame(0xa, [0x13, 0x20, 0x00, 0xff, 0xff, 0xff, 0x7f, 0x9c, 0xa0]), // 6-byte value
      encodeFrame(5, [0x16, 0x41]),
      encodeFrame(4, [0xaa, 0xaa]),
      encodeFrame(0xf, []),
    ].join('\n');
    const inputs = captureFiles().map((f) => loadCapture(f).received);
    inputs.push(Buffer.from(edge + '\n'));
    let units = 0;
    for (const bytes of inputs) {
      for (const event of new Framer().push(bytes)) {
        for (const decoded of [false, true]) {
          assert.equal(eventLine(event, { decoded }), JSON.stringify(eventToJson(event, { decoded })) + '\n');
        }
        units++;
      }
    }
    assert.ok(units > 100, `${units} units`);
  });
});
