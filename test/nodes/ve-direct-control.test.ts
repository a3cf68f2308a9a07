/**
 * ve-direct-control on simulated devices in a real Node-RED runtime: each control writes its
 * register through the write policy (flash-backed ones only on change and not within the
 * minimum interval), reads the position back, sends it and shows it on the badge; bad input,
 * a control the device does not have and a relay not in remote mode write nothing.
 */

import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeStatus } from 'node-red';
import controlModule from '../../nodes/ve-direct-control';
import { getSimDevice, resetSimDevices } from '../../lib/sim';
import { helper, load, nextMessage, recordStatus, translated, waitFor } from '../helpers/nodered';
import { collect, hostFrames, portNode, readyPort, red, simValue, sleep, type ErrorMsg, type Msg } from '../helpers/vedirect-flows';

const controlNode = translated('ve-direct-control', controlModule);

/** A control node c1 on `path`, wired to h1; a Catch node wired to h2. Polling off unless asked. */
async function deploy(path: string, control: Record<string, unknown>): Promise<NodeStatus[]> {
  await load(
    [portNode, controlNode],
    [
      { id: 'p1', type: 've-direct-port', path },
      { id: 'c1', type: 've-direct-control', port: 'p1', poll: 0, wires: [['h1']], ...control },
      { id: 'h1', type: 'helper' },
      { id: 'c2', type: 'catch', scope: ['c1'], uncaught: false, wires: [['h2']] },
      { id: 'h2', type: 'helper' },
    ],
  );
  const statuses = recordStatus(helper.getNode('c1'));
  await readyPort('p1');
  return statuses;
}

async function send(payload: unknown): Promise<Msg> {
  const out = nextMessage('h1') as Promise<Msg>;
  helper.getNode('c1').receive({ payload });
  return out;
}

/** A refused message: the Catch node's copy, and nothing sent on. */
async function refused(payload: unknown, code: string): Promise<ErrorMsg> {
  const seen = collect('h1');
  const caught = nextMessage('h2') as Promise<ErrorMsg>;
  helper.getNode('c1').receive({ payload });
  const err = await caught;
  assert.equal(err.error.code, code, err.error.message);
  assert.equal(seen.length, 0, 'no output for a refused message');
  return err;
}

const sets = (path: string, register: number): number[] =>
  hostFrames(path, 'set', register).map((f) => (f.command as { value: Uint8Array }).value[0] ?? -1);

const lastText = (statuses: NodeStatus[]): string | undefined => statuses.at(-1)?.text;

describe('ve-direct-control', () => {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    await helper.unload();
    resetSimDevices();
  });

  describe('MPPT load output (0xEDAB, flash)', () => {
    const MPPT = 'sim:bluesolar-75-15#load';

    it('switches off and on, reads back, writes only on change and not within the interval', async () => {
      const statuses = await deploy(MPPT, { control: 'loadOutput', minInterval: 1 });
      assert.deepEqual(sets(MPPT, 0xedab), [], 'nothing written on deploy');

      const off = await send(false);
      assert.equal(off.payload, false);
      assert.equal(off.topic, 'loadOutput');
      const meta = off.vedirect as Record<string, unknown>;
      assert.equal(meta.register, '0xEDAB');
      assert.equal(meta.written, true);
      assert.equal(meta.previous, 'auto', 'automatic (BatteryLife) before');
      assert.equal(meta.control, 'loadOutput');
      assert.equal(simValue(MPPT, 0xedab), 0);
      assert.equal(simValue(MPPT, 0xeda8), 0, 'the load output is off');
      assert.deepEqual(sets(MPPT, 0xedab), [0]);
      assert.equal(lastText(statuses), 'off');

      // Same position again: read, not written.
      const again = await send('OFF');
      assert.equal(again.payload, false);
      assert.equal((again.vedirect as Record<string, unknown>).written, false);
      assert.deepEqual(sets(MPPT, 0xedab), [0]);

      // Another position within the minimum interval: refused, nothing written.
      const limited = await refused(true, 'VE_RATE_LIMIT');
      assert.match(limited.error.message, /MPPT load output/);
      assert.deepEqual(sets(MPPT, 0xedab), [0]);
      assert.ok(red(statuses.at(-1)!), 'red badge');

      await sleep(1300);
      const on = await send('on');
      assert.equal(on.payload, true);
      assert.deepEqual(sets(MPPT, 0xedab), [0, 4]);
      assert.equal(simValue(MPPT, 0xeda8), 1, 'the load output is on');
      assert.equal(getSimDevice(MPPT).flashWrites.get(0xedab), 2, 'two flash writes for three switches');
      assert.equal(lastText(statuses), 'on', 'the failure cleared by the next success');
    });

    it('an MPPT without a load output: VE_NOT_SUPPORTED_DEVICE, nothing written', async () => {
      const path = 'sim:smartsolar-100-30#noload';
      const statuses = await deploy(path, { control: 'loadOutput' });
      const err = await refused(true, 'VE_NOT_SUPPORTED_DEVICE');
      assert.match(err.error.message, /load output/);
      assert.deepEqual(sets(path, 0xedab), []);
      assert.match(lastText(statuses) ?? '', /VE_NOT_SUPPORTED_DEVICE/);
    });
  });

  describe('inverter on / off / eco (0x0200, flash)', () => {
    const INVERTER = 'sim:phoenix-inverter-hex#mode';

    it('eco, off and on: the mode written, read back and shown', async () => {
      const statuses = await deploy(INVERTER, { control: 'inverterMode', minInterval: 1 });
      const eco = await send('eco');
      assert.equal(eco.payload, 'eco');
      assert.equal(eco.topic, 'inverterMode');
      assert.equal((eco.vedirect as Record<string, unknown>).text, 'Eco');
      assert.equal(simValue(INVERTER, 0x0200), 5);
      assert.equal(lastText(statuses), 'eco');

      await sleep(1300);
      const off = await send(false);
      assert.equal(off.payload, false);
      assert.equal(simValue(INVERTER, 0x0200), 4);
      assert.equal(simValue(INVERTER, 0x2200), 0, 'no AC output while off');

      await sleep(1300);
      const on = await send(true);
      assert.equal(on.payload, true);
      assert.deepEqual(sets(INVERTER, 0x0200), [5, 4, 2]);
      assert.equal(getSimDevice(INVERTER).flashWrites.get(0x0200), 3);
      assert.equal(lastText(statuses), 'on');
    });

    it('refuses anything but true / false / "on" / "off" / "eco", and writes nothing', async () => {
      await deploy(INVERTER, { control: 'inverterMode' });
      for (const payload of ['dim', 1, 0, null, { on: true }, '']) {
        const err = await refused(payload, 'VE_BAD_INPUT');
        assert.match(err.error.message, /"eco"/);
      }
      assert.deepEqual(sets(INVERTER, 0x0200), []);
    });

    it('polls: sends the position once the port is up, then each change, and writes nothing', async () => {
      await load(
        [portNode, controlNode],
        [
          { id: 'p1', type: 've-direct-port', path: INVERTER },
          { id: 'c1', type: 've-direct-control', port: 'p1', control: 'inverterMode', poll: 0.2, wires: [['h1']] },
          { id: 'h1', type: 'helper' },
        ],
      );
      const messages = collect('h1');
      const port = await readyPort('p1');
      await waitFor(() => messages.length >= 1, 'the first position');
      assert.equal(messages[0]!.payload, true);
      assert.equal((messages[0]!.vedirect as Record<string, unknown>).written, false);
      await sleep(800);
      assert.equal(messages.length, 1, 'an unchanged position is not sent again');
      // Switched elsewhere (here: straight through the port, as VictronConnect would on the device).
      await port.write(0x0200, 4, { allowFlash: true });
      await waitFor(() => messages.length >= 2, 'the changed position');
      assert.equal(messages[1]!.payload, false);
      assert.deepEqual(
        hostFrames(INVERTER, 'set', 0x0200).length,
        1,
        'the only write is the one made beside the node',
      );
    });
  });

  describe('BMV relay (0x034E, remote mode 0x034F)', () => {
    it('refuses while the relay mode is not remote, changes neither register, and the badge stays red while the poll reads', async () => {
      const BMV = 'sim:bmv712#alarm';
      const statuses = await deploy(BMV, { control: 'relay', poll: 0.2 });
      await waitFor(() => lastText(statuses) === 'off', 'the polled position');
      const err = await refused(true, 'VE_CONFLICT');
      assert.match(err.error.message, /"Alarm"/);
      const reads = hostFrames(BMV, 'get', 0x034e).length;
      await waitFor(() => hostFrames(BMV, 'get', 0x034e).length >= reads + 3, 'more polls');
      assert.match(lastText(statuses) ?? '', /VE_CONFLICT/, 'a refused switch stays on the badge');
      assert.deepEqual(sets(BMV, 0x034e), []);
      assert.deepEqual(sets(BMV, 0x034f), []);
    });

    it('in remote mode: closes and opens the relay (volatile, no flash write)', async () => {
      const BMV = 'sim:bmv712#remote';
      const statuses = await deploy(BMV, { control: 'relay' });
      const port = await readyPort('p1');
      await port.write(0x034f, 2, { allowFlash: true });
      const on = await send(true);
      assert.equal(on.payload, true);
      assert.equal(simValue(BMV, 0x034e), 1);
      assert.equal(lastText(statuses), 'on');
      const off = await send('off');
      assert.equal(off.payload, false);
      assert.deepEqual(sets(BMV, 0x034e), [1, 0]);
      assert.deepEqual(sets(BMV, 0x034f), [2], 'only the test set the mode');
      assert.equal(getSimDevice(BMV).flashWrites.get(0x034e), undefined);
    });

    it('with "set the relay mode to Remote" ticked: sets 0x034F once, then switches', async () => {
      const BMV = 'sim:bmv702#take';
      await deploy(BMV, { control: 'relay', takeRelayControl: true });
      const on = await send(true);
      assert.equal(on.payload, true);
      assert.equal((on.vedirect as Record<string, unknown>).relayModeChanged, true);
      assert.equal(simValue(BMV, 0x034f), 2);
      const off = await send(false);
      assert.equal((off.vedirect as Record<string, unknown>).relayModeChanged, undefined, 'already remote');
      assert.deepEqual(sets(BMV, 0x034f), [2]);
      assert.equal(getSimDevice(BMV).flashWrites.get(0x034f), 1);
    });

    it('a SmartShunt has no relay: red badge at once, nothing written', async () => {
      const SHUNT = 'sim:smartshunt#relay';
      const statuses = await deploy(SHUNT, { control: 'relay' });
      await waitFor(() => statuses.some((s) => /VE_NOT_SUPPORTED_DEVICE/.test(s.text ?? '')), 'the red badge before any message');
      await refused(true, 'VE_NOT_SUPPORTED_DEVICE');
      assert.deepEqual(hostFrames(SHUNT, 'set'), []);
      assert.deepEqual(hostFrames(SHUNT, 'get', 0x034e), [], 'not even a read of a register it cannot have');
    });
  });

  describe('charger on / off (0x0200, flash)', () => {
    for (const [name, path] of [
      ['Blue Smart IP22 charger', 'sim:bluesmart-charger-hex#onoff'],
      ['Orion XS DC-DC charger', 'sim:orion-xs#onoff'],
    ] as const) {
      it(`${name}: off and on`, async () => {
        const statuses = await deploy(path, { control: 'chargerMode', minInterval: 1 });
        const off = await send('off');
        assert.equal(off.payload, false);
        assert.equal(off.topic, 'chargerMode');
        assert.equal(simValue(path, 0x0200), 4);
        assert.equal(lastText(statuses), 'off');
        // eco is an inverter mode.
        await refused('eco', 'VE_BAD_INPUT');
        await sleep(1300);
        const on = await send(true);
        assert.equal(on.payload, true);
        assert.deepEqual(sets(path, 0x0200), [4, 1]);
        assert.equal(getSimDevice(path).flashWrites.get(0x0200), 2);
      });
    }

    it('an inverter control on a charger: VE_NOT_SUPPORTED_DEVICE, nothing written', async () => {
      const path = 'sim:bluesmart-charger-hex#wrong';
      await deploy(path, { control: 'inverterMode' });
      await refused('eco', 'VE_NOT_SUPPORTED_DEVICE');
      assert.deepEqual(hostFrames(path, 'set'), []);
    });
  });

  it('a Text-only inverter (no HEX): refused with VE_NO_HEX, nothing written', async () => {
    const path = 'sim:phoenix-inverter#texts';
    await deploy(path, { control: 'inverterMode' });
    const err = await refused(false, 'VE_NO_HEX');
    assert.match(err.error.message, /inverter on \/ off \/ eco: this link carries no HEX/);
    assert.equal(getSimDevice(path).flashWriteCount, 0);
  });

  it('without a control chosen: every message refused, nothing written', async () => {
    const path = 'sim:smartsolar-100-30#none';
    await deploy(path, { control: '' });
    await refused(true, 'VE_BAD_INPUT');
    assert.deepEqual(hostFrames(path, 'set'), []);
  });
});
