/**
 * Text blocks of every simulated device, read by the real Framer: checksums hold, one cycle
 * per second, and the fields (set and order) are those of the real captures of that family.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Framer, type TextBlockEvent } from '../../../lib/protocol/framer';
import { decodeTextBlock } from '../../../lib/protocol/value-codec';
import { SIM_DEVICES } from '../../../lib/sim/catalogue';
import { loadCapture } from '../../helpers/captures';
import { labels, simRig } from '../../helpers/sim';

/** Label sequences of the valid blocks of a capture. */
function captureLabels(file: string): string[][] {
  return new Framer()
    .push(loadCapture(file).received)
    .filter((e): e is TextBlockEvent => e.kind === 'text-block')
    .map((b) => Object.keys(b.fields));
}

/** The label sequences a device sends in one cycle (after a first partial second). */
function deviceLabels(name: string, options: Parameters<typeof simRig>[1] = {}): string[][] {
  const rig = simRig(name, options);
  rig.advance(1000);
  rig.clear();
  rig.advance(1000);
  const out = rig.blocks().map(labels);
  rig.dispose();
  return out;
}

const unique = (lists: string[][]): string[][] => [...new Map(lists.map((l) => [l.join(','), l])).values()];

test('every device: checksum-valid blocks, one cycle per second, nothing rejected', () => {
  for (const spec of SIM_DEVICES) {
    const rig = simRig(spec.name);
    rig.advance(1000);
    const before = rig.blocks().length;
    rig.advance(10_000);
    const perCycle = ['bmv700', 'bmv702', 'bmv712', 'smartshunt', 'smartshunt-temp', 'smartsolar-150-70-rev2'].includes(spec.name) ? 2 : 1;
    assert.equal(rig.blocks().length - before, 10 * perCycle, spec.name);
    assert.equal(rig.events.filter((e) => e.kind === 'frame-error').length, 0, spec.name);
    assert.equal(rig.device.stats.textBlocks, rig.blocks().length, spec.name);
    rig.dispose();
  }
});

test('BMV-700: main and history blocks as captured', () => {
  assert.deepEqual(unique(deviceLabels('bmv700')), unique(captureLabels('karioja-vedirect__bmv-700-stream.bin')));
});

test('BMV-702: VS after V, H15/H16 in history (aux = starter)', () => {
  const [main, history] = deviceLabels('bmv702');
  assert.deepEqual(main, ['PID', 'V', 'VS', 'I', 'P', 'CE', 'SOC', 'TTG', 'Alarm', 'Relay', 'AR', 'BMV', 'FW']);
  assert.deepEqual(history, ['H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'H7', 'H8', 'H9', 'H10', 'H11', 'H12', 'H15', 'H16', 'H17', 'H18']);
});

test('BMV-712 and SmartShunt with a sensor send T; without one they do not', () => {
  const [bmv712] = deviceLabels('bmv712');
  assert.ok(bmv712!.includes('T') && !bmv712!.includes('VS'));
  const [shuntTemp] = deviceLabels('smartshunt-temp');
  assert.ok(shuntTemp!.includes('T') && !shuntTemp!.includes('VS'));
  const [shunt] = deviceLabels('smartshunt');
  assert.ok(!shunt!.includes('T') && shunt!.includes('VS'));
});

test('SmartShunt: blocks as captured (fw 4.05 without MON, fw 4.14 adds MON)', () => {
  const captured = captureLabels('jblance-mpp-solar__smartshunt-500a-read2.bin');
  const old = deviceLabels('smartshunt', { firmware: '4.05' });
  assert.deepEqual(old, [captured[1], captured[0]]);
  const [main] = deviceLabels('smartshunt');
  assert.deepEqual(main, [...captured[1]!, 'MON']);
});

test('SmartSolar 100/30 fw 1.61 and 250/70 rev2: fields as captured', () => {
  assert.deepEqual(deviceLabels('smartsolar-100-30'), captureLabels('koestler-go-victron__vedirect-test-smartsolar-100-30-rx.bin'));
  assert.deepEqual(deviceLabels('smartsolar-250-70'), captureLabels('koestler-go-victron__registerapi-smartsolar-250-70-rx.bin'));
});

test('SmartSolar 150/70 rev2 splits its cycle into the two captured blocks (FWE, MPPT before CS)', () => {
  const captured = captureLabels('kindr007-victronmppt-esphome-issue183__smartsolar-150-70-rx-a.bin');
  const device = deviceLabels('smartsolar-150-70-rev2');
  assert.deepEqual(device, [captured[1], captured[0]]);
});

test('BlueSolar 75/15 old firmware: no MPPT or OR field, as the fw 1.23 capture', () => {
  const captured = unique(captureLabels('karioja-vedirect__bluesolar-75-15-fw123-stream-a.bin'));
  assert.deepEqual(deviceLabels('bluesolar-75-15', { firmware: '1.23' }), captured);
  assert.deepEqual(deviceLabels('bluesolar-75-15'), captured);
  // Firmware decides the fields: 1.50 adds MPPT (≥ 1.37), as the fw 1.50 capture shows.
  const [fw150] = deviceLabels('bluesolar-75-15', { firmware: '1.50' });
  assert.deepEqual(fw150, captureLabels('ullman-velog__bluesolar-75-15-block.bin')[0]);
});

test('Phoenix inverter and Blue Smart charger: fields as captured', () => {
  assert.deepEqual(deviceLabels('phoenix-inverter'), captureLabels('rexlinz-vedirect__phoenix-inverter-12-1200-block.bin'));
  assert.deepEqual(deviceLabels('bluesmart-charger'), captureLabels('kindr007-victronmppt-esphome-issue160__blue-smart-ip22-24-8-rx.bin'));
});

test('identity fields and values decode to plausible numbers', () => {
  const rig = simRig('smartsolar-100-30');
  rig.advance(2000);
  const block = rig.blocks().at(-1)!;
  assert.equal(block.fields.PID, '0xA056');
  assert.equal(block.fields.FW, '161');
  assert.equal(block.fields['SER#'], rig.device.identity.serial);
  const decoded = decodeTextBlock(block.fields);
  const v = decoded.batteryVoltage?.value as number;
  assert.ok(v > 11.5 && v < 15, `V ${v}`);
  assert.equal(decoded.firmware?.value, '1.61');
  rig.dispose();

  const shunt = simRig('bmv712');
  shunt.advance(2000);
  const main = shunt.blocks().find((b) => 'PID' in b.fields)!;
  assert.equal(main.fields.PID, '0xA381');
  assert.equal(main.fields.BMV, '712 Smart');
  assert.equal(main.fields.FW, '0401');
  const soc = Number(main.fields.SOC);
  assert.ok(soc >= 0 && soc <= 1000);
  shunt.dispose();
});

test('instances of one model have distinct serial numbers', () => {
  const a = simRig('smartsolar-100-30');
  const b = simRig('smartsolar-100-30', { instance: '2' });
  assert.notEqual(a.device.identity.serial, b.device.identity.serial);
  assert.match(a.device.identity.serial, /^HQ\d{4}[A-Z0-9]{5}$/);
  a.dispose();
  b.dispose();
});
