/**
 * Every real-device capture decodes to what INDEX.md and expected.json say: the number of
 * valid and rejected units, the listed field values, the listed register values.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Framer, type FramerEvent } from '../../../lib/protocol/framer';
import { decodeFrame, interpretResponse, toUpperHex, type HexFrame } from '../../../lib/protocol/hex-codec';
import { findRegister, formatRegisterId } from '../../../lib/protocol/catalog/registers';
import { decodeRegisterValue, decodeTextBlock } from '../../../lib/protocol/value-codec';
import { captureFiles, loadCapture, readExpected, readIndex, type Capture, type ExpectedHex, type UnitCounts } from '../../helpers/captures';

interface Decoded {
  readonly events: FramerEvent[];
  readonly blocks: Record<string, string>[];
  readonly frames: Map<string, HexFrame>;
  readonly text: UnitCounts;
  readonly hex: UnitCounts;
}

function decodeCapture(capture: Capture): Decoded {
  const events = new Framer().push(capture.received);
  const blocks: Record<string, string>[] = [];
  const frames = new Map<string, HexFrame>();
  const text = { ok: 0, bad: 0 };
  const hex = { ok: 0, bad: 0 };
  for (const e of events) {
    if (e.kind === 'text-block') {
      blocks.push(e.fields);
      text.ok++;
    } else if (e.kind === 'hex-frame') {
      frames.set(e.text, e.frame);
      hex.ok++;
    } else if (e.error.startsWith('text-')) text.bad++;
    else hex.bad++;
  }
  // Transcripts also list what the host sent; those frames count in the INDEX too.
  for (const item of capture.transcript ?? []) {
    if (item.kind !== 'sent') continue;
    const result = decodeFrame(item.frame);
    if (result.ok) hex.ok++;
    else hex.bad++;
  }
  return { events, blocks, frames, text, hex };
}

function checkHex(expected: ExpectedHex, decoded: Decoded): void {
  const frame = decoded.frames.get(expected.frame);
  assert.ok(frame, `frame ${expected.frame} received and valid`);
  const response = interpretResponse(frame);
  if (expected.register !== undefined) {
    assert.ok(response.type === 'get' || response.type === 'set' || response.type === 'async', `${expected.frame} is a register reply`);
    assert.equal(formatRegisterId(response.register), expected.register);
    if (expected.flags !== undefined) assert.equal(response.flags, expected.flags);
    if ('value' in expected) {
      const def = findRegister(response.register);
      assert.ok(def, `register ${expected.register} is in the catalogue`);
      const value = decodeRegisterValue(def, response.value);
      assert.deepEqual(value.value, expected.value, `${expected.frame} → ${def.name}`);
      if (expected.unit !== undefined) assert.equal(value.unit, expected.unit, `${expected.frame} unit`);
    }
  }
  if (expected.firmware !== undefined) {
    assert.equal(response.type, 'ping');
    if (response.type === 'ping') assert.equal(response.firmware.text, expected.firmware);
  }
  if (expected.productId !== undefined) {
    assert.equal(response.type, 'done');
    if (response.type === 'done') assert.equal(formatRegisterId(response.data[0]! | (response.data[1]! << 8)), expected.productId);
  }
  if (expected.done !== undefined) {
    assert.equal(response.type, 'done');
    if (response.type === 'done') assert.equal(toUpperHex(response.data), expected.done);
  }
  if (expected.error !== undefined) assert.deepEqual(response, { type: 'error', code: expected.error });
  if (expected.unknownCommand !== undefined) {
    assert.equal(response.type, 'unknown-command');
    if (response.type === 'unknown-command') assert.equal(toUpperHex(response.data), expected.unknownCommand);
  }
}

describe('real-device captures', () => {
  const index = readIndex();
  const expected = readExpected();
  const files = captureFiles();

  it('INDEX.md lists every capture file, and every listed file exists', () => {
    assert.deepEqual([...index.map((r) => r.file)].sort(), files);
  });

  it('expected.json names only files that exist', () => {
    for (const file of Object.keys(expected)) assert.ok(files.includes(file), file);
  });

  for (const row of index) {
    describe(row.file, () => {
      const capture = loadCapture(row.file);
      const decoded = decodeCapture(capture);

      if (row.text) {
        it(`Text blocks valid/rejected as INDEX says: ${row.text.ok}/${row.text.bad}`, () => {
          assert.deepEqual(decoded.text, row.text);
        });
      }
      if (row.hex) {
        it(`HEX frames valid/rejected as INDEX says: ${row.hex.ok}/${row.hex.bad}`, () => {
          assert.deepEqual(decoded.hex, row.hex);
        });
      }
      if (row.noValidBlock) {
        it('yields no valid Text block', () => assert.equal(decoded.text.ok, 0));
      }

      const want = expected[row.file];
      for (const block of want?.text ?? []) {
        it(`Text block ${block.index} has the listed fields`, () => {
          const got = decoded.blocks[block.index];
          assert.ok(got, `block ${block.index} exists`);
          for (const [label, value] of Object.entries(block.fields)) assert.equal(got[label], value, label);
          if (Object.keys(block.fields).length === 0) assert.deepEqual(got, {});
          for (const label of block.absent ?? []) assert.equal(got[label], undefined, `${label} absent`);
          if (block.decoded) {
            const values = decodeTextBlock(got);
            for (const [name, value] of Object.entries(block.decoded)) {
              assert.ok(values[name], `decoded field ${name} present`);
              assert.deepEqual(values[name].value, value, name);
            }
          }
        });
      }
      for (const hex of want?.hex ?? []) {
        it(`HEX ${hex.frame.length > 24 ? hex.frame.slice(0, 24) + '…' : hex.frame} decodes as listed`, () => checkHex(hex, decoded));
      }
    });
  }
});
