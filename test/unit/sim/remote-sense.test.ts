/**
 * MPPT remote sense (0x2002 / 0x2003) and the network registers, on a ManualClock: the ±5 V
 * window, the 60 s timeout with its async notices, release with 0xFFFF / 0x7FFF, 0x200F bits,
 * the BMS-mode flash write, and chargers controlled by another master.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFrame, encodeFrame, getFrame, interpretResponse, registerPayload, Response, setFrame } from '../../../lib/protocol/hex-codec';
import { mpptOf } from '../../../lib/sim/catalogue';
import { simRig, type SimRig } from '../../helpers/sim';

function exchange(rig: SimRig, frame: string, ms = 300): string[] {
  const before = rig.frames().length;
  rig.send(frame);
  rig.advance(ms);
  return rig.frames().slice(before).filter((f) => !f.startsWith(':A'));
}

/** Raw un8/un16 value of a Get reply. */
function getValue(rig: SimRig, register: number): number {
  const [reply] = exchange(rig, getFrame(register));
  const decoded = decodeFrame(reply!);
  assert.ok(decoded.ok, reply);
  const response = interpretResponse(decoded.frame);
  assert.ok(response.type === 'get' && response.flags === 0, reply);
  return response.value.reduceRight((acc, b) => acc * 256 + b, 0);
}

const volts = (v: number): number[] => [Math.round(v * 100) & 0xff, Math.round(v * 100) >> 8];

function charger(options: Parameters<typeof simRig>[1] = {}): SimRig {
  const rig = simRig('smartsolar-100-30', options);
  rig.advance(1500);
  return rig;
}

test('a voltage within ±5 V of the terminals is echoed and used; 0x200F bit 7 set', () => {
  const rig = charger();
  const model = mpptOf(rig.device)!;
  const battery = rig.system.battery().voltage;
  const sent = setFrame(0x2002, volts(battery));
  assert.deepEqual(exchange(rig, sent), [sent]);
  assert.equal(getValue(rig, 0x200f), 0x04 | 0x80, 'stand-alone, using VSENSE');
  assert.equal(model.regulation().senseV, Math.round(battery * 100) / 100);
  // Temperature, 25.00 °C (`:8032000C4095D`).
  assert.deepEqual(exchange(rig, ':8032000C4095D'), [':8032000C4095D']);
  assert.equal(getValue(rig, 0x200f), 0x04 | 0x80 | 0x40);
  assert.equal(getValue(rig, 0x2003), 2500);
  assert.equal(rig.device.flashWriteCount, 0, 'sense registers are volatile');
  assert.equal(rig.device.flashWriteAttempts.size, 0);
  rig.dispose();
});

test('the 60 s timeout drops the values and announces it with :A022000FFFF2B / :A032000FF7FAA', () => {
  const rig = charger();
  exchange(rig, setFrame(0x2002, volts(rig.system.battery().voltage)));
  exchange(rig, ':8032000C4095D');
  const writtenAt = rig.clock.now();
  // Keep the host quiet; look only at async frames from now on.
  rig.clear();
  rig.advance(59_000 - (rig.clock.now() - writtenAt));
  assert.ok(!rig.frames().includes(':A022000FFFF2B'));
  assert.equal(mpptOf(rig.device)!.remoteSense.statusBits(), 0xc0);
  rig.advance(2000);
  assert.ok(rig.frames().includes(':A022000FFFF2B'), 'voltage timeout notice');
  assert.ok(rig.frames().includes(':A032000FF7FAA'), 'temperature timeout notice');
  assert.equal(mpptOf(rig.device)!.remoteSense.statusBits(), 0);
  assert.equal(getValue(rig, 0x200f), 0x04);
  assert.equal(getValue(rig, 0x2002), 0xffff);
  assert.equal(mpptOf(rig.device)!.regulation().senseV, null);
  rig.dispose();
});

test('writing every 3 s keeps remote sense in use, without notices', () => {
  const rig = charger();
  for (let i = 0; i < 100; i++) {
    exchange(rig, setFrame(0x2002, volts(rig.system.battery().voltage)), 3000);
  }
  assert.ok(!rig.frames().includes(':A022000FFFF2B'));
  assert.equal(mpptOf(rig.device)!.remoteSense.statusBits(), 0x80);
  rig.dispose();
});

test('0xFFFF / 0x7FFF release at once (no notice later)', () => {
  const rig = charger();
  exchange(rig, setFrame(0x2002, volts(rig.system.battery().voltage)));
  exchange(rig, ':8032000A10485');
  assert.deepEqual(exchange(rig, ':8022000FFFF2D'), [':8022000FFFF2D']);
  assert.equal(getValue(rig, 0x200f) & 0xc0, 0x40);
  assert.deepEqual(exchange(rig, ':8032000FF7FAC'), [':8032000FF7FAC']);
  assert.equal(getValue(rig, 0x200f), 0x04);
  rig.clear();
  rig.advance(70_000);
  assert.ok(!rig.frames().includes(':A022000FFFF2B'), 'released values do not time out again');
  rig.dispose();
});

test('outside ±5 V: parameter error with the nearest accepted value; or acknowledged and ignored', () => {
  const rig = charger();
  const terminal = mpptOf(rig.device)!.regulation().terminalV;
  // 26.69 V to a 12 V charger (a 24 V monitor on the wrong charger).
  const [reply] = exchange(rig, ':80220006D0AB4');
  const decoded = decodeFrame(reply!);
  assert.ok(decoded.ok);
  const response = interpretResponse(decoded.frame);
  assert.ok(response.type === 'set');
  assert.equal(response.flags, 0x04);
  const echoed = (response.value[0]! | (response.value[1]! << 8)) / 100;
  assert.ok(Math.abs(echoed - (terminal + 5)) < 0.05, `echoed ${echoed}, terminal ${terminal}`);
  assert.equal(getValue(rig, 0x200f), 0x04, 'not in use');
  rig.dispose();

  const silent = charger({ senseRejectMode: 'ignore' });
  assert.deepEqual(exchange(silent, ':80220006D0AB4'), [':80220006D0AB4']);
  assert.equal(getValue(silent, 0x200f), 0x04, 'acknowledged, yet not in use: only 0x200F tells');
  silent.dispose();
});

test('remote sense is used in charging: sensed voltage and temperature move the regulation', () => {
  const rig = charger();
  const model = mpptOf(rig.device)!;
  const plain = model.regulation();
  assert.equal(plain.targetV, 14.4, 'absorption setting, no compensation without a temperature');
  // A sense point 0.5 V below the terminals: the charger raises its terminal target by 0.5 V.
  exchange(rig, setFrame(0x2002, volts(plain.terminalV - 0.5)));
  const sensed = model.regulation();
  assert.ok(Math.abs(sensed.terminalTargetV - sensed.targetV - (sensed.terminalV - (sensed.senseV ?? 0))) < 1e-9);
  // 0 °C: −16.20 mV/K × (0 − 25) = +0.405 V.
  exchange(rig, setFrame(0x2003, [0x00, 0x00]));
  assert.ok(Math.abs(model.regulation().targetV - (14.4 + 0.405)) < 1e-9);
  // The correction is at most 2 V, however low the sensed value (within the ±5 V window).
  exchange(rig, setFrame(0x2002, volts(model.regulation().terminalV - 4.5)));
  const capped = model.regulation();
  assert.ok(Math.abs(capped.terminalTargetV - capped.targetV - 2) < 1e-9);
  rig.dispose();
});

test('firmware below 1.29 has no remote sense registers: flags 0x01 (unknown id)', () => {
  const rig = simRig('bluesolar-75-15');
  rig.advance(1500);
  assert.deepEqual(exchange(rig, ':80220002D05F9'), [encodeFrame(Response.Set, registerPayload(0x2002, 0x01))]);
  assert.deepEqual(exchange(rig, ':8032000C4095D'), [encodeFrame(Response.Set, registerPayload(0x2003, 0x01))]);
  assert.deepEqual(exchange(rig, ':70F20001F'), [encodeFrame(Response.Get, registerPayload(0x200f, 0x01))]);
  rig.dispose();
});

test('network mode: bit 3 (BMS) stores BMS present to flash, then error 67 when no BMS talks', () => {
  const rig = charger();
  assert.equal(getValue(rig, 0x200e), 0);
  assert.deepEqual(exchange(rig, setFrame(0x200e, [0x05])), [setFrame(0x200e, [0x05])]);
  assert.equal(rig.device.flashWriteCount, 0, 'external control alone writes no flash');
  assert.equal(getValue(rig, 0x200f) & 0x0f, 0x00, 'no longer stand-alone');
  exchange(rig, setFrame(0x200e, [0x09]));
  assert.equal(rig.device.flashWrites.get(0xede8), 1, 'BMS present stored');
  assert.equal(getValue(rig, 0xede8), 1);
  // The network mode times out after 60 s; BMS present stays, the charger stops with #67.
  rig.advance(61_000);
  assert.equal(getValue(rig, 0x200e), 0);
  assert.equal(getValue(rig, 0xedda), 67);
  assert.equal(getValue(rig, 0x0201), 2, 'fault');
  // Clearing needs a flash write of 0xEDE8 = 0.
  exchange(rig, setFrame(0xede8, [0x00]));
  assert.equal(rig.device.flashWrites.get(0xede8), 2);
  assert.equal(getValue(rig, 0xedda), 0);
  rig.dispose();
});

test('chargers controlled by another master show it in 0x200E / 0x200F / 0x200D', () => {
  const gx = charger({ otherMaster: 'gx' });
  assert.equal(getValue(gx, 0x200e), 0x05);
  assert.equal(getValue(gx, 0x200f), 0xc0, 'slave, using V and T sense from the GX');
  assert.equal(getValue(gx, 0x0201), 252, 'external control');
  gx.dispose();

  const bms = charger({ otherMaster: 'bms' });
  assert.equal(getValue(bms, 0x200e), 0x0d);
  assert.equal(getValue(bms, 0x200f) & 0x0f, 0x00);
  assert.equal(getValue(bms, 0xede8), 1);
  assert.equal(getValue(bms, 0x200d) & 0x01, 0x01, 'network info: BMS');
  assert.equal(bms.device.flashWriteCount, 0, 'configured, not written by the host');
  bms.dispose();

  const smart = charger({ otherMaster: 'vesmart' });
  assert.equal(getValue(smart, 0x200d) & 0xc0, 0xc0, 'VE.Smart supplies V and T');
  assert.notEqual(getValue(smart, 0xedec), 0xffff, 'battery temperature from the network');
  assert.equal(getValue(smart, 0x200f) & 0x0f, 0x04);
  mpptOf(smart.device)!.setOtherMaster(null);
  assert.equal(getValue(smart, 0x200d), 0);
  assert.equal(getValue(smart, 0xedec), 0xffff);
  smart.dispose();
});

test('a restart drops remote sense without notices', () => {
  const rig = charger();
  exchange(rig, setFrame(0x2002, volts(rig.system.battery().voltage)));
  exchange(rig, ':64F', 3000);
  rig.clear();
  rig.advance(70_000);
  assert.ok(!rig.frames().includes(':A022000FFFF2B'));
  assert.equal(getValue(rig, 0x2002), 0xffff);
  rig.dispose();
});

test('battery current 0x200A (fw ≥ 1.44): used with 0x200F bit 5, dropped after 60 s with :A0A2000FFFFFF7FA5, 0x7FFFFFFF releases', () => {
  const rig = charger();
  const sense = mpptOf(rig.device)!.remoteSense;
  // −12.345 A = 0xFFFFCFC7.
  const sent = setFrame(0x200a, [0xc7, 0xcf, 0xff, 0xff]);
  assert.deepEqual(exchange(rig, sent), [sent]);
  assert.equal(sense.current, -12.345);
  assert.equal(getValue(rig, 0x200f), 0x04 | 0x20, 'stand-alone, using ISENSE');
  rig.clear();
  rig.advance(59_000);
  assert.equal(sense.current, -12.345, 'still in use before the timeout');
  rig.advance(2000);
  assert.ok(rig.frames().includes(':A0A2000FFFFFF7FA5'), 'current timeout notice');
  assert.equal(sense.current, null);
  assert.equal(getValue(rig, 0x200f), 0x04);
  exchange(rig, sent);
  assert.deepEqual(exchange(rig, setFrame(0x200a, [0xff, 0xff, 0xff, 0x7f])), [setFrame(0x200a, [0xff, 0xff, 0xff, 0x7f])]);
  assert.equal(sense.current, null, 'released at once');
  assert.equal(getValue(rig, 0x200f), 0x04);
  assert.equal(rig.device.flashWriteCount, 0);
  rig.dispose();
});

test('before fw 1.44 there is no 0x200A: flags 0x01 (unknown id)', () => {
  const rig = charger({ firmware: '1.43' });
  assert.deepEqual(exchange(rig, setFrame(0x200a, [0x10, 0x27, 0, 0])), [encodeFrame(Response.Set, registerPayload(0x200a, 0x01))]);
  assert.equal(mpptOf(rig.device)!.remoteSense.current, null);
  rig.dispose();
});
