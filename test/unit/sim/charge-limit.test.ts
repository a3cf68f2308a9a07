/**
 * The simulated MPPT's external charge-current limit (lib/sim/charge-limit.ts): 0x2015 is
 * used only with external control (0x200E bit 2), lowers the charge current to the limit,
 * shows in 0x200F bit 4 (ICHARGE), lapses 50 s after its last write, and never touches flash.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFrame, getFrame, setFrame } from '../../../lib/protocol/hex-codec';
import { mpptOf } from '../../../lib/sim/catalogue';
import { CHARGE_LIMIT_LAPSE_MS, STATUS_ICHARGE } from '../../../lib/sim/charge-limit';
import { simRig, type SimRig } from '../../helpers/sim';

/** Send one frame, let the device answer; the reply's flags and value bytes. */
function exchange(rig: SimRig, frame: string): { flags: number; value: number[] } {
  const before = rig.frames().length;
  rig.send(frame);
  rig.advance(400);
  const reply = rig.frames().slice(before).find((f) => !f.startsWith(':A'));
  assert.ok(reply !== undefined, `no reply to ${frame}`);
  const decoded = decodeFrame(reply);
  assert.ok(decoded.ok);
  const payload = [...decoded.frame.payload];
  return { flags: payload[2] ?? -1, value: payload.slice(3) };
}

const status = (rig: SimRig): number => exchange(rig, getFrame(0x200f)).value[0] ?? -1;
const current = (rig: SimRig): number => Number(rig.blocks().at(-1)?.fields.I) / 1000;

test('0x2015 limits the charge current only under external control, shows ICHARGE, and lapses after 50 s', () => {
  const rig = simRig('smartsolar-100-30', { systemOptions: { timeOfDay: 12 * 60, soc: 0.4, loadW: 0 } });
  const mppt = mpptOf(rig.device);
  assert.ok(mppt !== undefined);
  rig.advance(20_000);
  assert.ok(current(rig) > 10, `charging in full sun: ${current(rig)} A`);
  // 10.0 A (100 = 0x0064), no network mode: acknowledged, not used.
  assert.equal(exchange(rig, setFrame(0x2015, Uint8Array.of(0x64, 0x00))).flags, 0);
  assert.equal(status(rig) & STATUS_ICHARGE, 0, 'ICHARGE clear without external control');
  // External control (0x05) puts it in force.
  assert.equal(exchange(rig, setFrame(0x200e, Uint8Array.of(0x05))).flags, 0);
  rig.advance(5000);
  assert.ok(current(rig) <= 10.05, `limited to 10 A: ${current(rig)} A`);
  assert.equal(status(rig) & STATUS_ICHARGE, STATUS_ICHARGE);
  // 0 A stops charging.
  exchange(rig, setFrame(0x2015, Uint8Array.of(0x00, 0x00)));
  rig.advance(5000);
  assert.equal(current(rig), 0);
  // Not refreshed: gone after 50 s (the network mode, 60 s, still on), and the current returns.
  rig.advance(CHARGE_LIMIT_LAPSE_MS);
  assert.deepEqual(exchange(rig, getFrame(0x2015)).value, [0xff, 0xff]);
  assert.equal(status(rig) & STATUS_ICHARGE, 0);
  rig.advance(5000);
  assert.ok(current(rig) > 10, `back to the panels' current: ${current(rig)} A`);
  assert.deepEqual(mppt.chargeLimit.counts, { writes: 2, lapses: 1 });
  assert.equal(rig.device.flashWriteCount, 0, 'nothing in flash');
  rig.dispose();
});
