/**
 * HEX answers of the simulated devices, byte for byte against Victron's worked examples and
 * real-device captures where the simulated device matches the documented one.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, getFrame, registerPayload, setFrame, Response } from '../../../lib/protocol/hex-codec';
import { loadCapture } from '../../helpers/captures';
import { simRig, type SimRig } from '../../helpers/sim';

/** Send a frame and return the HEX frames that came back within `ms`. */
function exchange(rig: SimRig, frame: string, ms = 400): string[] {
  const before = rig.frames().length;
  rig.send(frame);
  rig.advance(ms);
  return rig.frames().slice(before);
}

/** Replies only (async frames left out). */
const replies = (frames: string[]): string[] => frames.filter((f) => !f.startsWith(':A'));

test('BlueSolar MPPT worked examples (BlueSolar HEX protocol MPPT rev 10), fw 1.16, product 0x0300', () => {
  const rig = simRig('bluesolar-75-15', { productId: 0x0300 });
  rig.advance(1500);
  assert.deepEqual(exchange(rig, ':154'), [':51641F9']);
  assert.deepEqual(exchange(rig, ':352'), [':11641FD']);
  assert.deepEqual(exchange(rig, ':451'), [':1000351']);
  assert.deepEqual(exchange(rig, ':7F0ED0071'), [':7F0ED009600DB']);
  assert.deepEqual(exchange(rig, ':8F0ED0064000C'), [':8F0ED0064000C']);
  assert.deepEqual(exchange(rig, ':253'), [':3020050']);
  assert.deepEqual(exchange(rig, ':452'), [':4AAAAFD']);
  assert.deepEqual(exchange(rig, ':7F0ED0071'), [encodeFrame(Response.Get, registerPayload(0xedf0, 0, [0x64, 0x00]))], 'the set value took');
  // Restart: no reply at all.
  assert.deepEqual(exchange(rig, ':64F', 1000), []);
  assert.equal(rig.device.stats.restarts, 1);
  rig.dispose();
});

test('BMV-712 worked examples (BMV-7xx HEX protocol): ping, version, product, capacity get/set/clamp', () => {
  const rig = simRig('bmv712');
  rig.advance(1500);
  assert.deepEqual(exchange(rig, ':154'), [':501440B']);
  assert.deepEqual(exchange(rig, ':352'), [':101440F']);
  assert.deepEqual(exchange(rig, ':451'), [':181A330']);
  assert.deepEqual(exchange(rig, ':70010003E'), [':7001000C80076']);
  assert.deepEqual(exchange(rig, ':8001000F40148'), [':8001000F40148']);
  // 0 Ah: parameter error, the nearest valid value (1 Ah) echoed and not stored.
  assert.deepEqual(exchange(rig, ':800100000003D'), [':8001004010038']);
  assert.deepEqual(exchange(rig, ':70010003E'), [':7001000F40149']);
  // 0x1000 is flash-backed: two Set requests, one stored.
  assert.equal(rig.device.flashWriteAttempts.get(0x1000), 2);
  assert.equal(rig.device.flashWrites.get(0x1000), 1);
  assert.equal(rig.device.flashWriteCount, 1);
  rig.dispose();
});

test('SmartSolar 100/30 answers the "Solar Lab" capture byte for byte (identity and settings)', () => {
  const rig = simRig('smartsolar-100-30', { serial: 'HQ19499RHC5' });
  rig.advance(1500);
  const transcript = loadCapture('koestler-go-victron__registerapi-smartsolar-100-30.txt').transcript!;
  // Measurements (voltages, yields, temperatures) are the simulator's own; the rest must match.
  const dynamic = new Set([':7DDED0084', ':7DCED0085', ':7DBED0086', ':7D7ED008A', ':7D5ED008C', ':7D3ED008E', ':7D2ED008F', ':7D1ED0090', ':7D0ED0091', ':7BCED00A5', ':7BBED00A6', ':7BDED00A4', ':7B8ED00A9', ':70102004B', ':7B3ED00AE', ':707020045']);
  let checked = 0;
  for (let i = 0; i < transcript.length; i++) {
    const item = transcript[i]!;
    if (item.kind !== 'sent' || dynamic.has(item.frame)) continue;
    const expected = transcript.slice(i + 1).find((t) => t.kind === 'received');
    assert.ok(expected && expected.kind === 'received');
    assert.deepEqual(replies(exchange(rig, item.frame)), [expected.frame], item.comment ?? item.frame);
    checked++;
  }
  assert.ok(checked >= 28, `checked ${checked}`);
  // Unknown id: flags 0x01, no value (koestler/go-victron).
  assert.deepEqual(replies(exchange(rig, ':777770060')), [':77777015F']);
  rig.dispose();
});

test('SmartShunt answers its capture byte for byte (identity, N/A registers)', () => {
  const rig = simRig('smartshunt', { serial: 'HQ2117NTVX4' });
  rig.advance(1500);
  const pairs: Array<[string, string]> = [
    [':451', ':189A328'],
    [':154', ':51444F8'],
    [':70001004D', ':70001000089A3FE23'],
    [':70A010043', ':70A01004851323131374E54565834000000000000000000000000005B'],
    [':70B010042', ':70B0100424D562D536D6172745368756E7420353030412F35306D5600CA'],
    [':7ECED0075', ':7ECED00FFFF77'],
    [':7820300C9', ':7820300FFFFCB'],
    [':7830300C8', ':7830300FF7F4A'],
    [':7B6EE00AA', ':7B6EE0001A9'],
  ];
  for (const [request, reply] of pairs) assert.deepEqual(exchange(rig, request), [reply], request);
  rig.dispose();
});

test('Set semantics: unknown id, read-only, out of range, wrong length', () => {
  const rig = simRig('smartsolar-100-30');
  rig.advance(1500);
  // Unknown id 0x0220 (the byte-order mistake of Victron Community thread 38831).
  assert.deepEqual(replies(exchange(rig, setFrame(0x0220, [0x2d, 0x05]))), [':82002012A']);
  // Read-only: flags 0x02 with the current value.
  const [readOnly] = replies(exchange(rig, setFrame(0xedd5, [0x00, 0x05])));
  assert.match(readOnly!, /^:8D5ED02[0-9A-F]{4}[0-9A-F]{2}$/);
  // 100 A on a 30 A charger: flags 0x04, the nearest valid value (30.0 A), not stored.
  assert.deepEqual(replies(exchange(rig, setFrame(0xedf0, [0xe8, 0x03]))), [encodeFrame(Response.Set, registerPayload(0xedf0, 0x04, [0x2c, 0x01]))]);
  assert.deepEqual(replies(exchange(rig, getFrame(0xedf0))), [':7F0ED002C0144']);
  assert.equal(rig.device.flashWriteAttempts.get(0xedf0), 1);
  assert.equal(rig.device.flashWriteCount, 0);
  // A one-byte value for an un16: parameter error with the current value.
  assert.deepEqual(replies(exchange(rig, setFrame(0xedf0, [0x64]))), [encodeFrame(Response.Set, registerPayload(0xedf0, 0x04, [0x2c, 0x01]))]);
  // Get of an unknown id: flags 0x01, no value.
  assert.deepEqual(replies(exchange(rig, getFrame(0x1000))), [encodeFrame(Response.Get, registerPayload(0x1000, 0x01))]);
  rig.dispose();
});

test('malformed frames get :4AAAAFD; enter-boot is refused and the device keeps running', () => {
  const rig = simRig('smartsolar-100-30');
  rig.advance(1500);
  for (const bad of [':15', ':7F0ED007', ':ZZZ', ':7F0ED0072', ':70001']) {
    assert.deepEqual(replies(exchange(rig, bad)), [':4AAAAFD'], bad);
  }
  // Enter boot (command 0) with the documented magic: "unable to enter bootloader".
  assert.deepEqual(replies(exchange(rig, encodeFrame(0x0, [0x51, 0xfa, 0x51, 0xfa, 0x51, 0xfa, 0x51, 0xfa, 0x51, 0xfa]))), [':4000051']);
  assert.deepEqual(replies(exchange(rig, ':154')), [':56141AE']);
  assert.equal(rig.device.stats.hostFrameErrors, 5);
  // A host's `\r\n` line end and lowercase digits are tolerated.
  rig.device.receive(Buffer.from(':7f0ed0071\r\n'));
  rig.advance(300);
  assert.deepEqual(replies(rig.frames()).at(-1), ':7F0ED002C0144');
  rig.dispose();
});

test('fw ≥ 1.53: a reply waits for the Text block in progress', () => {
  const rig = simRig('smartsolar-100-30');
  rig.advance(1500);
  // Wait until a block starts, then ask.
  const started = rig.bytes().length;
  while (rig.bytes().length === started) rig.advance(1);
  rig.send(':154');
  rig.advance(400);
  const text = rig.bytes().subarray(started).toString('latin1');
  // Right after the block's checksum byte, as captured from a fw 1.61 charger.
  assert.equal(text.indexOf(':56141AE'), text.indexOf('Checksum\t') + 'Checksum\t'.length + 1);
  rig.dispose();
});

test('older firmware: a reply can cut into the block, which still decodes', () => {
  const rig = simRig('bluesolar-75-15', { firmware: '1.50' });
  rig.advance(1500);
  const started = rig.bytes().length;
  while (rig.bytes().length === started) rig.advance(1);
  rig.send(':154');
  rig.advance(400);
  const text = rig.bytes().subarray(started).toString('latin1');
  const reply = text.indexOf(':55041BF');
  assert.ok(reply > 0 && reply < text.indexOf('Checksum\t'), 'reply inside the block');
  assert.equal(rig.events.filter((e) => e.kind === 'frame-error').length, 0);
  assert.ok(rig.blocks().length >= 2);
  rig.dispose();
});

test('older firmware pauses Text while HEX keeps coming, and resumes after it stops', () => {
  const rig = simRig('bluesolar-75-15');
  rig.advance(3000);
  const before = rig.blocks().length;
  assert.ok(before >= 2);
  for (let i = 0; i < 10; i++) exchange(rig, ':154', 1000);
  assert.ok(rig.blocks().length - before <= 1, 'no Text during HEX (one may have been under way)');
  rig.advance(5000);
  assert.ok(rig.blocks().length - before >= 2, 'Text back a few seconds after the last HEX frame');
  rig.dispose();

  const modern = simRig('smartsolar-100-30');
  modern.advance(1500);
  const start = modern.blocks().length;
  for (let i = 0; i < 10; i++) exchange(modern, ':154', 1000);
  assert.equal(modern.blocks().length - start, 10, 'fw 1.61 keeps Text on');
  modern.dispose();
});

test('async frames: none before HEX, changed registers for 2 minutes after the last HEX frame (fw ≥ 1.17)', () => {
  const rig = simRig('smartsolar-100-30');
  rig.advance(5000);
  assert.equal(rig.frames().length, 0);
  exchange(rig, ':154');
  rig.advance(3000);
  const asyncFrames = rig.frames().filter((f) => f.startsWith(':A'));
  assert.ok(asyncFrames.includes(':A022000FFFF2B'), '0x2002 not available announced');
  assert.ok(asyncFrames.includes(':A032000FF7FAA'), '0x2003 not available announced');
  assert.ok(asyncFrames.some((f) => f.startsWith(':ABCED00')), 'panel power');
  rig.advance(100_000);
  const during = rig.frames().length;
  rig.advance(20_000);
  assert.ok(rig.frames().length > during, 'still sent before 2 minutes');
  rig.advance(10_000);
  const after = rig.frames().length;
  rig.advance(30_000);
  assert.equal(rig.frames().length, after, 'silent 2 minutes after the last HEX frame');
  assert.equal(rig.device.stats.asyncFrames, rig.frames().filter((f) => f.startsWith(':A')).length);
  rig.dispose();

  const old = simRig('bluesolar-75-15');
  old.advance(2000);
  exchange(old, ':154');
  old.advance(10_000);
  assert.deepEqual(old.frames(), [':51641F9'], 'fw 1.16 sends no async frames');
  old.dispose();
});

test('Text-only devices never answer HEX, but the host frames are recorded', () => {
  for (const name of ['phoenix-inverter', 'bluesmart-charger']) {
    const rig = simRig(name);
    rig.advance(1500);
    assert.deepEqual(exchange(rig, ':154', 2000), [], name);
    assert.equal(rig.device.hostLog.length, 1);
    rig.dispose();
  }
});

test('host log, scripted behaviours and expectations', () => {
  const rig = simRig('smartsolar-100-30');
  rig.advance(1500);
  rig.device.expectHostFrame(':70F20001F', 'Get 0x200F');
  rig.device.expectHostFrame(/^:8022000/, 'Set 0x2002');
  exchange(rig, ':70F20001F');
  assert.deepEqual(rig.device.unmetExpectations(), ['Set 0x2002']);
  assert.throws(() => rig.device.assertExpectationsMet(), /never sent Set 0x2002/);
  const fake = encodeFrame(Response.Ping, [0x99, 0x41]);
  const remove = rig.device.addBehaviour((command) => (command.type === 'ping' ? [fake] : undefined));
  assert.deepEqual(replies(exchange(rig, ':154')), [fake]);
  rig.device.addBehaviour((command) => (command.type === 'get' && command.register === 0xedf0 ? null : undefined));
  assert.deepEqual(replies(exchange(rig, ':7F0ED0071')), []);
  remove();
  assert.deepEqual(replies(exchange(rig, ':154')), [':56141AE']);
  assert.deepEqual(
    rig.device.hostLog.map((f) => f.frame),
    [':70F20001F', ':154', ':7F0ED0071', ':154'],
  );
  assert.ok(rig.device.hostLog.every((f) => f.valid && f.command !== undefined));
  rig.dispose();
});

test('the host log keeps the newest frames up to its limit', () => {
  const rig = simRig('smartsolar-100-30', { hostLogLimit: 3 });
  rig.advance(1500);
  for (const frame of [':154', ':451', ':352', ':7F0ED0071']) exchange(rig, frame);
  assert.deepEqual(
    rig.device.hostLog.map((f) => f.frame),
    [':451', ':352', ':7F0ED0071'],
  );
  assert.equal(rig.device.stats.hostFrames, 4);
  rig.dispose();
});

test('an invalid charge voltage is stored to flash and stops the charger with error 119 until fixed and restarted', () => {
  const rig = simRig('smartsolar-100-30');
  rig.advance(1500);
  const invalid = setFrame(0xedf7, [0xd0, 0x07]); // 20.00 V on a 12 V system
  assert.deepEqual(replies(exchange(rig, invalid)), [invalid]);
  assert.equal(rig.device.flashWrites.get(0xedf7), 1);
  assert.deepEqual(replies(exchange(rig, getFrame(0xedda))), [encodeFrame(Response.Get, registerPayload(0xedda, 0, [119]))]);
  rig.advance(2000);
  assert.equal(rig.blocks().at(-1)!.fields.ERR, '119');
  assert.equal(rig.blocks().at(-1)!.fields.CS, '2');
  // A valid value alone does not clear it; a restart with valid settings does.
  exchange(rig, setFrame(0xedf7, [0xa0, 0x05]));
  assert.deepEqual(replies(exchange(rig, getFrame(0xedda))), [encodeFrame(Response.Get, registerPayload(0xedda, 0, [119]))]);
  exchange(rig, ':64F', 3000);
  assert.deepEqual(replies(exchange(rig, getFrame(0xedda))), [encodeFrame(Response.Get, registerPayload(0xedda, 0, [0]))]);
  assert.equal(rig.device.flashWriteCount, 2);
  rig.dispose();
});
