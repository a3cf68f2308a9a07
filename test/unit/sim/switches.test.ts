/**
 * What the simulated devices switch over HEX: the inverter's mode 0x0200 (on / off / eco),
 * the chargers' 0x0200 (on / off), an MPPT's load output 0xEDAB and a BMV's relay 0x034E in
 * remote mode (0x034F); the Text block follows, the shared battery feels it, and every
 * accepted write to a flash-backed register is counted.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, getFrame, registerPayload, Response, setFrame } from '../../../lib/protocol/hex-codec';
import { simRig, type SimRig } from '../../helpers/sim';

/** The reply to one frame (async frames left out). */
function reply(rig: SimRig, frame: string): string | undefined {
  const before = rig.frames().length;
  rig.send(frame);
  rig.advance(1200);
  return rig.frames().slice(before).find((f) => !f.startsWith(':A'));
}

const got = (register: number, value: number[], flags = 0): string => encodeFrame(Response.Get, registerPayload(register, flags, value));
const echoed = (register: number, value: number[], flags = 0): string => encodeFrame(Response.Set, registerPayload(register, flags, value));

/**
 * The fields of the latest Text block sent from now on that has `label` (a monitor's history
 * block has other fields; old MPPT firmware pauses Text for 3 s after HEX).
 */
function lastBlock(rig: SimRig, label = 'PID'): Record<string, string> {
  rig.clear();
  rig.advance(5000);
  const block = rig.blocks().filter((b) => label in b.fields).at(-1);
  assert.ok(block, `a Text block with ${label}`);
  return block.fields;
}

test('phoenix-inverter-hex: 0x0200 on / eco / off, and Text MODE, CS and AC output follow', () => {
  const rig = simRig('phoenix-inverter-hex');
  rig.advance(1500);
  assert.equal(reply(rig, getFrame(0x0200)), got(0x0200, [2]));
  assert.equal(lastBlock(rig).MODE, '2');
  assert.equal(lastBlock(rig).CS, '9');
  const volts = Number(lastBlock(rig).AC_OUT_V);
  assert.ok(volts > 22_000 && volts < 24_000, `AC_OUT_V ${volts}`);

  assert.equal(reply(rig, setFrame(0x0200, [5])), echoed(0x0200, [5]));
  assert.equal(lastBlock(rig).MODE, '5');
  assert.equal(lastBlock(rig).CS, '1', 'eco: load search');

  assert.equal(reply(rig, setFrame(0x0200, [4])), echoed(0x0200, [4]));
  const off = lastBlock(rig);
  assert.equal(off.MODE, '4');
  assert.equal(off.CS, '0');
  assert.equal(off.AC_OUT_V, '0');
  assert.equal(reply(rig, getFrame(0x2200)), got(0x2200, [0, 0]), 'AC output voltage 0 while off');

  // A mode the inverter does not have: flags 0x04, the current mode echoed, nothing stored.
  assert.equal(reply(rig, setFrame(0x0200, [1])), echoed(0x0200, [4], 0x04));
  assert.equal(rig.device.flashWriteCount, 2, 'two accepted writes of the flash-backed mode');
  assert.equal(rig.device.flashWriteAttempts.get(0x0200), 3);
  rig.dispose();
});

test('phoenix-inverter-hex: AC output registers while on', () => {
  const rig = simRig('phoenix-inverter-hex');
  rig.advance(1500);
  const frame = reply(rig, getFrame(0x2200)) ?? '';
  assert.ok(frame.startsWith(':70022'), frame);
  const bytes = Buffer.from(frame.slice(8, 12), 'hex');
  const volts = bytes.readInt16LE(0) / 100;
  assert.ok(volts > 229 && volts < 231, `${volts} V`);
  assert.ok(reply(rig, getFrame(0x2201))?.startsWith(':70122'));
  assert.ok(reply(rig, getFrame(0x2205))?.startsWith(':70522'));
  rig.dispose();
});

for (const name of ['bluesmart-charger-hex', 'orion-xs']) {
  test(`${name}: 0x0200 on / off switches charging; other modes refused`, () => {
    const rig = simRig(name);
    rig.advance(1500);
    assert.equal(reply(rig, getFrame(0x0200)), got(0x0200, [1]));
    rig.advance(5000);
    assert.ok(Number(lastBlock(rig).I) > 0, 'charging while on');
    assert.equal(reply(rig, setFrame(0x0200, [4])), echoed(0x0200, [4]));
    rig.advance(5000);
    const off = lastBlock(rig);
    assert.equal(off.I, '0', 'no current while off');
    assert.equal(off.CS, '0');
    assert.equal(reply(rig, getFrame(0x0201)), got(0x0201, [0]));
    assert.equal(reply(rig, setFrame(0x0200, [2])), echoed(0x0200, [4], 0x04), 'inverter mode refused');
    assert.equal(reply(rig, setFrame(0x0200, [1])), echoed(0x0200, [1]));
    assert.equal(rig.device.flashWriteCount, 2);
    rig.dispose();
  });
}

test('orion-xs: its Text block has MODE, OR and the DC input', () => {
  const rig = simRig('orion-xs');
  rig.advance(1500);
  assert.deepEqual(Object.keys(lastBlock(rig)), ['PID', 'FWE', 'SER#', 'V', 'I', 'ERR', 'CS', 'MODE', 'OR', 'DC_IN_V', 'DC_IN_I', 'DC_IN_P']);
  assert.equal(lastBlock(rig).PID, '0xA3F0');
  reply(rig, setFrame(0x0200, [4]));
  assert.equal(lastBlock(rig).OR, '0x00000004', 'off reason: device mode');
  rig.dispose();
});

test('bluesolar-75-15: load output control 0xEDAB switches the load output (0xEDA8, Text LOAD)', () => {
  const rig = simRig('bluesolar-75-15');
  rig.advance(1500);
  assert.equal(reply(rig, getFrame(0xedab)), got(0xedab, [1]), 'automatic (BatteryLife) by default');
  assert.equal(reply(rig, setFrame(0xedab, [0])), echoed(0xedab, [0]));
  assert.equal(reply(rig, getFrame(0xeda8)), got(0xeda8, [0]));
  assert.equal(lastBlock(rig, 'LOAD').LOAD, 'OFF');
  assert.equal(reply(rig, setFrame(0xedab, [4])), echoed(0xedab, [4]));
  assert.equal(reply(rig, getFrame(0xeda8)), got(0xeda8, [1]));
  assert.equal(lastBlock(rig, 'LOAD').LOAD, 'ON');
  assert.equal(rig.device.flashWrites.get(0xedab), 2);
  rig.dispose();
});

test('smartsolar-100-30 has no load output: 0xEDAB is unknown', () => {
  const rig = simRig('smartsolar-100-30');
  rig.advance(1500);
  assert.equal(reply(rig, getFrame(0xedab)), got(0xedab, [], 0x01));
  rig.dispose();
});

test('bmv712: the relay follows 0x034E only in remote mode (0x034F = 2)', () => {
  const rig = simRig('bmv712');
  rig.advance(1500);
  assert.equal(reply(rig, getFrame(0x034f)), got(0x034f, [0]), 'alarm mode by default');
  assert.equal(reply(rig, setFrame(0x034e, [1])), echoed(0x034e, [0], 0x04), 'refused outside remote mode');
  assert.equal(reply(rig, setFrame(0x034f, [2])), echoed(0x034f, [2]));
  assert.equal(reply(rig, setFrame(0x034e, [1])), echoed(0x034e, [1]));
  assert.equal(lastBlock(rig, 'Relay').Relay, 'ON');
  assert.equal(rig.device.flashWrites.get(0x034f), 1, 'the relay mode is a flash write');
  assert.equal(rig.device.flashWrites.get(0x034e), undefined, 'the relay state is not');
  rig.dispose();
});
