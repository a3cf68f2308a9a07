import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TextSnapshot, type SnapshotView } from '../../../lib/protocol/snapshot';
import { Framer, type TextBlockEvent } from '../../../lib/protocol/framer';
import { loadCapture } from '../../helpers/captures';

const MAIN = { PID: '0x204', V: '12140', T: '21', I: '0', SOC: '1000' };
const HISTORY = { H1: '-1', H2: '0', H7: '12000' };

function feed(snapshot: TextSnapshot, blocks: Record<string, string>[], startMs = 0, stepMs = 500): (SnapshotView | null)[] {
  return blocks.map((b, i) => snapshot.update(b, startMs + i * stepMs));
}

describe('TextSnapshot', () => {
  it('merges a BMV main + history pair into one view per cycle, after learning the cycle', () => {
    const s = new TextSnapshot();
    const out = feed(s, [HISTORY, MAIN, HISTORY, { ...MAIN, V: '12150' }, HISTORY, { ...MAIN, V: '12160' }]);
    assert.deepEqual(
      out.map((v) => v?.fields.V ?? null),
      [null, null, null, '12150', null, '12160'],
    );
    assert.deepEqual(out[5]!.fields, { ...HISTORY, ...MAIN, V: '12160' });
    assert.equal(out[5]!.receivedAt.H1, 2000);
    assert.equal(out[5]!.receivedAt.V, 2500);
  });

  it('a single-block device (MPPT) completes a cycle with every block once learned', () => {
    const s = new TextSnapshot();
    const out = feed(s, [{ PID: '0xA053', V: '1' }, { PID: '0xA053', V: '2' }, { PID: '0xA053', V: '3' }], 0, 1000);
    assert.deepEqual(out.map((v) => v?.fields.V ?? null), [null, '2', '3']);
  });

  it('a field that leaves its block leaves the snapshot at once (T when the sensor is unplugged)', () => {
    const s = new TextSnapshot();
    feed(s, [HISTORY, MAIN, HISTORY, MAIN]);
    const { T: _gone, ...withoutT } = MAIN;
    const out = feed(s, [HISTORY, withoutT], 2000);
    assert.ok(out[1]);
    assert.equal(out[1].fields.T, undefined);
    assert.equal(out[1].fields.H1, '-1');
  });

  it('a block kind that stops coming expires; until then cycles still close when a kind repeats', () => {
    const s = new TextSnapshot({ expiryMs: 3000 });
    feed(s, [HISTORY, MAIN, HISTORY, MAIN], 0, 500);
    // The history block stops; main blocks keep coming each second.
    const out = [1, 2, 3, 4, 5].map((i) => s.update({ ...MAIN, V: String(12000 + i) }, 1500 + i * 1000));
    assert.equal(out[0], null, 'first main block alone does not complete the cycle');
    assert.equal(out[1]?.fields.H1, '-1', 'a cycle missing a kind is emitted when the main block repeats');
    assert.equal(out[4]?.fields.H1, undefined, 'after expiry the history fields are gone');
    assert.equal(out[4]?.fields.V, '12005');
    assert.equal(s.current(100_000), null);
  });

  it('merges the two half-blocks of a SmartSolar 150/70 rev2 (real capture)', () => {
    const events = new Framer().push(loadCapture('kindr007-victronmppt-esphome-issue183__smartsolar-150-70-rx-a.bin').received);
    const [second, first] = events.filter((e): e is TextBlockEvent => e.kind === 'text-block').map((e) => e.fields);
    const s = new TextSnapshot();
    const out = feed(s, [second!, first!, second!, first!], 0, 500);
    assert.ok(out[3]);
    assert.equal(out[3].fields.PID, '0xA06C');
    assert.equal(out[3].fields.HSDS, '2');
    assert.equal(out[3].fields.V, '52700');
  });

  it('clear() forgets the device', () => {
    const s = new TextSnapshot();
    feed(s, [MAIN, MAIN]);
    s.clear();
    assert.equal(s.current(1000), null);
    assert.equal(s.update(MAIN, 2000), null, 'the cycle is learned again');
  });
});
