import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Framer } from '../../../lib/protocol/framer';
import { encodeTextBlock, textBlockSegments } from '../../../lib/sim/text-block';
import { loadCapture } from '../../helpers/captures';

const SMARTSHUNT = (i: string, p: string, soc: string): Array<[string, string]> => [
  ['PID', '0xA389'],
  ['V', '12800'],
  ['I', i],
  ['P', p],
  ['CE', '-12345'],
  ['SOC', soc],
  ['TTG', '-1'],
  ['Alarm', 'OFF'],
  ['AR', '0'],
  ['BMV', 'SmartShunt 500A/50mV'],
  ['FW', '0405'],
];

test('checksum bytes that collide with delimiters (VE.Direct gotcha vectors)', () => {
  const cases: Array<[string, string, string, number]> = [
    ['811', '10', '873', 0x3a], // ':'
    ['-225', '-3', '995', 0x0a], // '\n'
    ['-151', '-2', '995', 0x0d], // '\r'
    ['-373', '-5', '873', 0x09], // '\t'
    ['-706', '-9', '995', 0x00],
  ];
  for (const [i, p, soc, checksum] of cases) {
    const block = encodeTextBlock(SMARTSHUNT(i, p, soc));
    assert.equal(block[block.length - 1], checksum, `I=${i}`);
    const events = new Framer().push(block);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.kind, 'text-block', `I=${i}`);
  }
});

test('reproduces real blocks byte for byte (BMV-700 main + history, SmartSolar 100/30, Phoenix)', () => {
  for (const file of ['karioja-vedirect__bmv-700-stream.bin', 'koestler-go-victron__vedirect-test-smartsolar-100-30-rx.bin', 'rexlinz-vedirect__phoenix-inverter-12-1200-block.bin']) {
    const capture = Buffer.from(loadCapture(file).received);
    const blocks = new Framer().push(capture).filter((e) => e.kind === 'text-block');
    assert.ok(blocks.length > 0, file);
    for (const block of blocks) {
      if (block.kind !== 'text-block') continue;
      const encoded = Buffer.from(encodeTextBlock(block.fields));
      assert.ok(capture.includes(encoded), `${file}: block ending ${block.checksum} not reproduced`);
    }
  }
});

test('segments are the records, the last one carrying the checksum', () => {
  const records: Array<[string, string]> = [
    ['V', '12800'],
    ['I', '0'],
  ];
  const segments = textBlockSegments(records);
  assert.equal(segments.length, 3);
  assert.equal(Buffer.from(segments[0]!).toString('latin1'), '\r\nV\t12800');
  assert.equal(Buffer.from(segments[2]!).subarray(0, 11).toString('latin1'), '\r\nChecksum\t');
  assert.deepEqual(Buffer.concat(segments), Buffer.from(encodeTextBlock(records)));
  // An object gives the same block as the pairs.
  assert.deepEqual(Buffer.from(encodeTextBlock({ V: '12800', I: '0' })), Buffer.concat(segments));
});
