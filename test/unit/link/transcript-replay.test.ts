/**
 * Real devices, replayed: the whole link stack (VeDirectPort → HexClient → Connection →
 * serialport stream) talks to a device that answers each request with what the real device
 * answered in the capture transcripts — async frames and Text blocks before the reply
 * included. Every request of a transcript is made through the public API, and each value must
 * be what the capture's expected.json says (0xED8D 26.69 V, 0xEDEC null, …).
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../lib/clock';
import { Command, parseFrame, toUpperHex, interpretResponse } from '../../../lib/protocol/hex-codec';
import { formatRegisterId } from '../../../lib/protocol/catalog/registers';
import type { RegisterReading } from '../../../lib/link/device';
import { VeDirectPort, type TextBlockReading } from '../../../lib/link/port';
import { loadCapture, readExpected, type ExpectedHex } from '../../helpers/captures';
import { MemoryBinding, settle } from '../../helpers/memory-binding';
import { ReplayDevice } from '../../helpers/replay-device';

const EXPECTED = readExpected();

/** Requests the public API does not make (deliberately broken, undefined command, restart). */
const NOT_MADE_BY_THE_API = new Set([':452', ':253', ':64F']);

interface Case {
  readonly file: string;
  readonly identity?: { productId?: number; firmware?: string; serial?: string | null };
  /** Text blocks (by PID) that arrive before a reply and must be delivered. */
  readonly textBlocks?: number;
  /** Replies beyond the one per request: counted as unmatched, never taken as an answer. */
  readonly extraReplies?: number;
}

const CASES: readonly Case[] = [
  { file: 'koestler-go-victron__registerapi-smartshunt-main.txt', identity: { productId: 0xa389, firmware: '4.14', serial: 'HQ2117NTVX4' } },
  { file: 'koestler-go-victron__registerapi-smartsolar-100-30.txt', identity: { productId: 0xa056, firmware: '1.61', serial: 'HQ19499RHC5' } },
  { file: 'koestler-go-victron__registerapi-smartsolar-250-70.txt', identity: { productId: 0xa069, firmware: '1.61', serial: 'HQ2104VESU7' }, textBlocks: 1 },
  { file: 'koestler-go-victron__vedirect-test-smartsolar-100-30.txt', identity: { productId: 0xa056, firmware: '1.16' }, textBlocks: 1 },
  { file: 'victron-hex-doc__worked-examples.txt', identity: { productId: 0x0300, firmware: '1.16', serial: null } },
  // No ping in this transcript: the device stays unidentified, and requests still work.
  // It also holds the reply twice (two reads of the same answer): the second is unmatched.
  { file: 'jblance-mpp-solar__smartshunt-500a-hex-get-capacity.txt', extraReplies: 1 },
];

async function run(clock: ManualClock, ms: number): Promise<void> {
  await settle();
  for (let t = 0; t < ms; t += 10) {
    clock.advance(10);
    await settle();
  }
}

/** The reply a request got in the transcript: the next received frame of the matching type. */
function transcriptReply(items: ReturnType<typeof loadCapture>['transcript'], index: number): string | undefined {
  const request = interpretRequest(items?.[index]);
  for (let i = index + 1; i < (items?.length ?? 0); i++) {
    const item = items?.[i];
    if (!item || item.kind === 'sent') return undefined;
    if (item.kind !== 'received') continue;
    const response = interpretResponse(parseFrame(item.frame));
    if (response.type === 'async') continue;
    if (request?.register === undefined || ((response.type === 'get' || response.type === 'set') && response.register === request.register)) return item.frame;
  }
  return undefined;
}

function interpretRequest(item: { kind: string; frame?: string } | undefined): { command: number; register?: number; value?: Uint8Array } | undefined {
  if (!item || item.kind !== 'sent' || item.frame === undefined) return undefined;
  const frame = parseFrame(item.frame);
  if (frame.command === Command.Get || frame.command === Command.Set) {
    return { command: frame.command, register: (frame.payload[0] ?? 0) | ((frame.payload[1] ?? 0) << 8), value: frame.payload.slice(3) };
  }
  return { command: frame.command };
}

describe('transcript replay through the whole link stack', () => {
  for (const c of CASES) {
    it(c.file, async () => {
      const capture = loadCapture(c.file);
      const items = capture.transcript ?? [];
      const expected = new Map<string, ExpectedHex>((EXPECTED[c.file]?.hex ?? []).map((e) => [e.frame, e]));
      const device = new ReplayDevice(items);
      const clock = new ManualClock();
      const binding = new MemoryBinding();
      const line = binding.line('/dev/ttyREPLAY');
      line.onWrite = (bytes) => {
        for (const chunk of device.hostWrote(bytes)) line.emit(chunk.bytes);
      };
      const port = new VeDirectPort('/dev/ttyREPLAY', { clock, portFactory: binding.factory(), minGapMs: 0, requestTimeoutMs: 300 });
      const asyncs: RegisterReading[] = [];
      const blocks: TextBlockReading[] = [];
      port.on('register', (r) => {
        if (r.source === 'async') asyncs.push(r);
      });
      port.on('text-block', (b) => blocks.push(b));
      port.open();
      await settle();
      line.emit(device.preamble);
      if (c.identity) {
        const ready = port.ready();
        await run(clock, 100);
        const identity = await ready;
        if (c.identity.productId !== undefined) assert.equal(identity.productId, c.identity.productId);
        if (c.identity.firmware !== undefined) assert.equal(identity.firmware, c.identity.firmware);
        if (c.identity.serial !== undefined) assert.equal(identity.serial, c.identity.serial);
      } else {
        // Ping unanswered (twice), then the wait for a Text identity.
        await run(clock, 4000);
        assert.equal(port.identity, null);
      }

      let checkedValues = 0;
      let valuesToCheck = 0;
      const asyncsSent: string[] = [];
      for (let i = 0; i < items.length; i++) {
        const item = items[i];
        if (item?.kind !== 'sent' || NOT_MADE_BY_THE_API.has(item.frame)) continue;
        for (let j = i + 1; j < items.length; j++) {
          const next = items[j];
          if (!next || next.kind === 'sent') break;
          if (next.kind === 'received' && next.frame.startsWith(':A')) asyncsSent.push(next.frame);
        }
        const request = interpretRequest(item);
        const replyFrame = transcriptReply(items, i);
        if (!request || replyFrame === undefined) continue;
        const want = expected.get(replyFrame);
        if (want?.value !== undefined && (request.command === Command.Get || request.command === Command.Set)) valuesToCheck++;
        let outcome: Promise<unknown>;
        switch (request.command) {
          case Command.Ping:
            outcome = port.ping().then((fw) => want?.firmware === undefined || assert.equal(fw.text, want.firmware));
            break;
          case Command.AppVersion:
            outcome = port.appVersion();
            break;
          case Command.ProductId:
            outcome = port.productId().then((id) => want?.productId === undefined || assert.equal(formatRegisterId(id), want.productId));
            break;
          case Command.Get:
          case Command.Set: {
            const id = request.register ?? 0;
            const reply = interpretResponse(parseFrame(replyFrame));
            const call = request.command === Command.Get ? port.get(id) : port.setRaw(id, request.value ?? new Uint8Array(0), { allowFlash: true });
            outcome = call.then(
              (reading) => {
                assert.ok(reply.type === 'get' || reply.type === 'set');
                assert.equal(reading.raw, toUpperHex(reply.value), `${item.frame}: raw value as the device sent it`);
                if (want?.value !== undefined) {
                  assert.deepEqual(reading.value, want.value, `${item.frame}: ${want.register ?? ''} value`);
                  checkedValues++;
                }
                if (want?.unit !== undefined) assert.equal(reading.unit, want.unit);
              },
              (err: unknown) => {
                // Only a reply with flags set may fail, and then with the device's refusal.
                assert.ok(reply.type === 'get' || reply.type === 'set');
                assert.notEqual(reply.flags, 0, `${item.frame} failed: ${String(err)}`);
                assert.match(String((err as { code?: string }).code), /^VE_(UNKNOWN_ID|NOT_SUPPORTED|PARAMETER)$/);
              },
            );
            break;
          }
          default:
            continue;
        }
        await run(clock, 20);
        await outcome;
      }
      assert.equal(checkedValues, valuesToCheck, 'every value expected.json gives was checked');

      // Async frames that arrived before replies reached the register cache and listeners.
      for (const frame of asyncsSent) {
        const response = interpretResponse(parseFrame(frame));
        assert.ok(response.type === 'async');
        assert.ok(
          asyncs.some((r) => r.id === response.register && r.raw === toUpperHex(response.value)),
          `async ${frame} delivered`,
        );
      }
      // Text blocks that arrived before a reply were decoded too.
      assert.equal(blocks.filter((b) => b.fields.PID !== undefined).length, c.textBlocks ?? 0);
      assert.deepEqual(
        device.unheard().filter((f) => !NOT_MADE_BY_THE_API.has(f)),
        [],
        'every scripted request was made',
      );
      assert.equal(port.counters.unmatchedReplies, c.extraReplies ?? 0);
      await port.close();
      assert.equal(clock.pending, 0);
    });
  }

  it('delivers the values of the async frames that precede replies (0x2003 not available)', async () => {
    const capture = loadCapture('koestler-go-victron__registerapi-smartsolar-250-70.txt');
    const device = new ReplayDevice(capture.transcript ?? []);
    const clock = new ManualClock();
    const binding = new MemoryBinding();
    const line = binding.line('/dev/ttyREPLAY');
    line.onWrite = (bytes) => {
      for (const chunk of device.hostWrote(bytes)) line.emit(chunk.bytes);
    };
    const port = new VeDirectPort('/dev/ttyREPLAY', { clock, portFactory: binding.factory(), minGapMs: 0 });
    port.open();
    const ready = port.ready();
    await run(clock, 100);
    await ready;
    const reading = port.get(0xedd1); // answered after :A032000FF7FAA (async 0x2003 = 0x7FFF)
    await run(clock, 20);
    await reading;
    const tsense = port.cached('batteryTemperatureSense');
    assert.equal(tsense?.id, 0x2003);
    assert.equal(tsense?.value, null, '0x7FFF is "not available", not 327.67 °C');
    assert.equal(tsense?.source, 'async');
    await port.close();
  });
});
