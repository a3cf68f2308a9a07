/**
 * MPPT history records (0x104F total, 0x1050 … 0x106E daily): decoded from a real charger's
 * frames, encoded back, and answered by the simulated chargers.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VeError } from '../../../lib/errors';
import {
  decodeDailyHistory,
  decodeHistoryTotal,
  encodeDailyHistory,
  historyRegister,
  HISTORY_RECORD_BYTES,
} from '../../../lib/protocol/catalog/history';
import { Framer, type FramerEvent } from '../../../lib/protocol/framer';
import { getFrame, interpretResponse, parseFrame } from '../../../lib/protocol/hex-codec';
import { decodeTextValue } from '../../../lib/protocol/value-codec';
import { loadCapture } from '../../helpers/captures';
import { simRig } from '../../helpers/sim';

const CAPTURE = 'kindr007-victronmppt-esphome-issue130__smartsolar-150-45-rx.bin';

function captureEvents(): FramerEvent[] {
  return new Framer().push(loadCapture(CAPTURE).received);
}

/** The value bytes of the captured async frame for `register`. */
function capturedRecord(register: number): Uint8Array {
  for (const e of captureEvents()) {
    if (e.kind !== 'hex-frame') continue;
    const r = interpretResponse(e.frame);
    if (r.type === 'async' && r.register === register) return r.value;
  }
  assert.fail(`no frame for 0x${register.toString(16)} in ${CAPTURE}`);
}

/** The captured Text fields (the block after the two frames, cut after H21). */
function capturedField(label: string): string | undefined {
  const text = Buffer.from(loadCapture(CAPTURE).received).toString('latin1');
  return new RegExp(`\\r\\n${label}\\t([^\\r]*)\\r\\n`).exec(text)?.[1];
}

test('a real SmartSolar 150/45 daily record (0x1050) decodes to the day its Text block reports', () => {
  const today = decodeDailyHistory(capturedRecord(0x1050), 0);
  assert.deepEqual(today, {
    daysAgo: 0,
    day: 60,
    yieldKWh: 0.15,
    consumedKWh: null,
    batteryVoltageMax: 53.16,
    batteryVoltageMin: 51.26,
    maxPowerW: 219,
    batteryCurrentMax: 4.1,
    panelVoltageMax: 88.04,
    bulkMinutes: 145,
    absorptionMinutes: 0,
    floatMinutes: 0,
    errors: [],
  });
  // The same charger's Text block: H20 yield today, H21 max power today.
  assert.equal(decodeTextValue('H20', capturedField('H20') ?? '').value, today.yieldKWh);
  assert.equal(decodeTextValue('H21', capturedField('H21') ?? '').value, today.maxPowerW);
});

test('a real total record (0x104F) decodes: user yield equals Text H19', () => {
  const total = decodeHistoryTotal(capturedRecord(0x104f));
  assert.deepEqual(total, { userYieldKWh: 275.87, systemYieldKWh: 275.87, panelVoltageMax: 95.63, batteryVoltageMax: 58.57, days: 30, errors: [] });
  assert.equal(decodeTextValue('H19', capturedField('H19') ?? '').value, total.userYieldKWh);
});

test('encoding a daily record gives back the captured bytes', () => {
  const bytes = capturedRecord(0x1050);
  const { daysAgo: _d, errors: _e, ...fields } = decodeDailyHistory(bytes, 0);
  assert.deepEqual(Buffer.from(encodeDailyHistory(fields)).toString('hex'), Buffer.from(bytes).toString('hex'));
});

test('errors of a day come with their texts; a wrong length or day is refused with a code', () => {
  const bytes = encodeDailyHistory({
    day: 3, yieldKWh: 1.5, consumedKWh: 0, batteryVoltageMax: 14.4, batteryVoltageMin: 12.1, maxPowerW: 300,
    batteryCurrentMax: 20, panelVoltageMax: 40, bulkMinutes: 1, absorptionMinutes: 2, floatMinutes: 3, errors: [2, 17],
  });
  assert.deepEqual(decodeDailyHistory(bytes, 4).errors, [
    { code: 2, text: 'Battery voltage too high' },
    { code: 17, text: 'Charger temperature too high' },
  ]);
  assert.throws(() => decodeDailyHistory(bytes.subarray(1), 0), (e: unknown) => e instanceof VeError && e.code === 'VE_BAD_FRAME');
  assert.throws(() => historyRegister(31), (e: unknown) => e instanceof VeError && e.code === 'VE_BAD_INPUT');
  assert.equal(historyRegister(30), 0x106e);
});

test('the simulated SmartSolar 100/30 answers its history: 19 days of records, then empty records with flags 0x04', () => {
  const rig = simRig('smartsolar-100-30');
  rig.advance(1500);
  const ask = (register: number): ReturnType<typeof interpretResponse> => {
    const before = rig.frames().length;
    rig.send(getFrame(register));
    rig.advance(400);
    const reply = rig.frames().slice(before).find((f) => f.startsWith(':7'));
    assert.ok(reply, `a reply to 0x${register.toString(16)}`);
    return interpretResponse(parseFrame(reply));
  };
  const today = ask(0x1050);
  assert.ok(today.type === 'get' && today.flags === 0 && today.value.length === HISTORY_RECORD_BYTES);
  const todayRecord = decodeDailyHistory(today.value, 0);
  // Today's record is the Text block's H20 / HSDS.
  const block = rig.blocks().at(-1)!;
  const field = (label: string): string => block.fields[label] ?? '';
  assert.equal(todayRecord.day, Number(field('HSDS')));
  assert.equal(todayRecord.yieldKWh, Number(field('H20')) / 100);

  const yesterday = ask(0x1051);
  assert.ok(yesterday.type === 'get' && yesterday.flags === 0);
  assert.equal(decodeDailyHistory(yesterday.value, 1).yieldKWh, Number(field('H22')) / 100);
  assert.equal(decodeDailyHistory(yesterday.value, 1).maxPowerW, Number(field('H23')));
  assert.equal(decodeDailyHistory(yesterday.value, 1).day, todayRecord.day! - 1);

  const first = ask(0x1050 + 18);
  assert.ok(first.type === 'get' && first.flags === 0);
  assert.equal(decodeDailyHistory(first.value, 18).day, 0);
  const before = ask(0x1050 + 19);
  assert.ok(before.type === 'get' && before.flags === 0x04, 'no record before day 0');

  const total = ask(0x104f);
  assert.ok(total.type === 'get' && total.flags === 0);
  assert.equal(decodeHistoryTotal(total.value).userYieldKWh, Number(field('H19')) / 100);
  assert.equal(decodeHistoryTotal(total.value).days, 19);
  rig.dispose();
});

test('a new day on the simulated charger: today\'s record becomes yesterday\'s, the day number moves on', () => {
  const rig = simRig('smartsolar-100-30');
  rig.advance(1500);
  const read = (register: number): Uint8Array => {
    const before = rig.frames().length;
    rig.send(getFrame(register));
    rig.advance(400);
    const reply = rig.frames().slice(before).find((f) => f.startsWith(':7'));
    assert.ok(reply);
    const r = interpretResponse(parseFrame(reply));
    assert.ok(r.type === 'get' && r.flags === 0);
    return r.value;
  };
  rig.advance(60_000);
  const before = decodeDailyHistory(read(0x1050), 0);
  assert.ok((before.bulkMinutes ?? 0) + (before.absorptionMinutes ?? 0) + (before.floatMinutes ?? 0) >= 1, 'a minute of charging counted');
  // Night, then the next morning: the charger starts a new day at first light.
  rig.system.setTimeOfDay(2 * 60);
  rig.advance(2000);
  rig.system.setTimeOfDay(11 * 60);
  rig.advance(2000);
  const today = decodeDailyHistory(read(0x1050), 0);
  const yesterday = decodeDailyHistory(read(0x1051), 1);
  assert.equal(today.day, before.day! + 1);
  assert.equal(yesterday.day, before.day);
  assert.ok(yesterday.yieldKWh! >= before.yieldKWh!, 'yesterday ended with at least what was seen');
  assert.ok(today.yieldKWh! < yesterday.yieldKWh!, 'today starts again near 0');
  const block = rig.blocks().at(-1)!;
  assert.equal(Number(block.fields.HSDS), today.day);
  assert.equal(Number(block.fields.H22) / 100, yesterday.yieldKWh);
  rig.dispose();
});
