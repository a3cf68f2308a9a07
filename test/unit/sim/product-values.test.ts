/**
 * Simulated devices follow their product: a BMV-702 keeps its voltage thresholds in 0.1 V, a
 * BMV-712 in 0.01 V; a SmartSolar 100/30 clamps a charge current limit above its 30 A rating
 * (flags 0x04, the clamped value echoed, the old value kept).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, getFrame, registerPayload, setFrame, Response } from '../../../lib/protocol/hex-codec';
import { simRig, type SimRig } from '../../helpers/sim';

function exchange(rig: SimRig, frame: string, ms = 400): string[] {
  const before = rig.frames().length;
  rig.send(frame);
  rig.advance(ms);
  return rig.frames().slice(before).filter((f) => !f.startsWith(':A'));
}

test('a BMV-702 answers its voltage thresholds in 0.1 V, a BMV-712 in 0.01 V', () => {
  const bmv702 = simRig('bmv702');
  bmv702.advance(1500);
  // Low voltage alarm 10.5 V: 105 = 0x0069.
  assert.deepEqual(exchange(bmv702, getFrame(0x0320)), [encodeFrame(Response.Get, registerPayload(0x0320, 0, [0x69, 0x00]))]);
  assert.deepEqual(exchange(bmv702, setFrame(0x0320, Uint8Array.of(0x73, 0x00))), [encodeFrame(Response.Set, registerPayload(0x0320, 0, [0x73, 0x00]))]);
  bmv702.dispose();
  const bmv712 = simRig('bmv712');
  bmv712.advance(1500);
  // 10.5 V: 1050 = 0x041A.
  assert.deepEqual(exchange(bmv712, getFrame(0x0320)), [encodeFrame(Response.Get, registerPayload(0x0320, 0, [0x1a, 0x04]))]);
  bmv712.dispose();
});

test('a SmartSolar 100/30 clamps a charge current limit above 30 A and keeps the old one', () => {
  const rig = simRig('smartsolar-100-30');
  rig.advance(1500);
  // 25 A (250 = 0x00FA) takes.
  assert.deepEqual(exchange(rig, setFrame(0x2015, Uint8Array.of(0xfa, 0x00))), [encodeFrame(Response.Set, registerPayload(0x2015, 0, [0xfa, 0x00]))]);
  // 50 A (500 = 0x01F4): parameter error, 30 A (300 = 0x012C) echoed.
  assert.deepEqual(exchange(rig, setFrame(0x2015, Uint8Array.of(0xf4, 0x01))), [encodeFrame(Response.Set, registerPayload(0x2015, 0x04, [0x2c, 0x01]))]);
  assert.deepEqual(exchange(rig, getFrame(0x2015)), [encodeFrame(Response.Get, registerPayload(0x2015, 0, [0xfa, 0x00]))], 'still 25 A');
  // "Not available" releases the limit.
  assert.deepEqual(exchange(rig, setFrame(0x2015, Uint8Array.of(0xff, 0xff))), [encodeFrame(Response.Set, registerPayload(0x2015, 0, [0xff, 0xff]))]);
  rig.dispose();
});
