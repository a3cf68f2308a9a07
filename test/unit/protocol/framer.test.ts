import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Framer, type FramerEvent, type TextBlockEvent } from '../../../lib/protocol/framer';
import { encodeFrame } from '../../../lib/protocol/hex-codec';
import { blockSumsToZero, bytes, textBlock } from '../../helpers/wire';
import { loadCapture } from '../../helpers/captures';

const SHUNT = { PID: '0xA389', V: '12800', I: '811', P: '10', CE: '-12345', SOC: '873', TTG: '-1', Alarm: 'OFF', AR: '0', BMV: 'SmartShunt 500A/50mV', FW: '0405' };
const MPPT = { PID: '0xA053', FW: '163', 'SER#': 'HQ2144VVVT4', V: '13260', I: '1830', VPV: '33650', PPV: '26', CS: '3', MPPT: '2', OR: '0x00000000', ERR: '0', LOAD: 'ON', HSDS: '50' };

function run(...chunks: (Uint8Array | string)[]): FramerEvent[] {
  const framer = new Framer();
  return chunks.flatMap((c) => framer.push(typeof c === 'string' ? bytes(c) : c));
}
const blocks = (events: FramerEvent[]): Record<string, string>[] =>
  events.filter((e): e is TextBlockEvent => e.kind === 'text-block').map((e) => e.fields);
const kinds = (events: FramerEvent[]): string[] => events.map((e) => (e.kind === 'frame-error' ? e.error : e.kind));

describe('Framer: Text blocks', () => {
  it('emits a block whose bytes sum to 0, without the Checksum record', () => {
    const events = run(textBlock(SHUNT));
    assert.deepEqual(blocks(events), [SHUNT]);
  });

  it('takes any byte after Checksum\\t as the checksum: the constructed vectors : \\n \\r \\t NUL', () => {
    const base = { PID: '0xA389', V: '12800' };
    const vectors: [Record<string, string>, number][] = [
      [{ ...base, I: '811', P: '10', CE: '-12345', SOC: '873' }, 0x3a],
      [{ ...base, I: '-225', P: '-3', CE: '-12345', SOC: '995' }, 0x0a],
      [{ ...base, I: '-151', P: '-2', CE: '-12345', SOC: '995' }, 0x0d],
      [{ ...base, I: '-373', P: '-5', CE: '-12345', SOC: '873' }, 0x09],
      [{ ...base, I: '-706', P: '-9', CE: '-12345', SOC: '995' }, 0x00],
    ];
    for (const [head, checksum] of vectors) {
      const fields = { ...head, TTG: '-1', Alarm: 'OFF', AR: '0', BMV: 'SmartShunt 500A/50mV', FW: '0405' };
      const wire = textBlock(fields);
      assert.equal(wire[wire.length - 1], checksum, 'vector has the documented checksum byte');
      // Followed by another block and an async frame, so a mis-taken delimiter would show.
      const events = run(wire, textBlock(MPPT), ':A0102000543\n', textBlock(fields));
      assert.deepEqual(kinds(events), ['text-block', 'text-block', 'hex-frame', 'text-block']);
      assert.deepEqual(blocks(events), [fields, MPPT, fields]);
    }
  });

  it('rejects a block whose checksum fails, and counts it', () => {
    const wire = textBlock(SHUNT);
    wire[wire.length - 1] = wire[wire.length - 1]! ^ 0x01;
    const framer = new Framer();
    const events = framer.push(Buffer.concat([wire, textBlock(MPPT)]));
    assert.deepEqual(kinds(events), ['text-checksum', 'text-block']);
    assert.equal(framer.stats.errors['text-checksum'], 1);
    assert.equal(framer.stats.textBlocks, 1);
  });

  it('keeps bytes >= 0x80 in values as latin1', () => {
    const fields = { PID: '0xA389', BMV: 'Batt\u00e9rie' };
    assert.deepEqual(blocks(run(textBlock(fields))), [fields]);
  });

  it('accepts an empty block (only the Checksum record)', () => {
    assert.deepEqual(blocks(run('\r\nChecksum\t\xad')), [{}]);
  });

  it('the first block after a reset may start mid-block: its tail is skipped, it fails, the next one is fine', () => {
    const wire = textBlock(MPPT);
    const events = run(wire.subarray(40), textBlock(SHUNT));
    assert.deepEqual(kinds(events), ['text-checksum', 'text-block']);
  });

  it('rejects structure a sum cannot vouch for', () => {
    const cases: Record<string, string> = {
      'duplicate label': '\r\nV\t1\r\nV\t1\r\nChecksum\t',
      '\\r without \\n in a value': '\r\nV\t1\r2\r\nChecksum\t',
      '\\n without \\r': '\r\nV\t1\nI\t2\r\nChecksum\t',
      'tab in a value': '\r\nV\t1\t2\r\nChecksum\t',
      'control byte in a label': '\r\nV\x01\t1\r\nChecksum\t',
      'label too long': `\r\n${'L'.repeat(17)}\t1\r\nChecksum\t`,
      'value too long': `\r\nV\t${'1'.repeat(65)}\r\nChecksum\t`,
      'empty label': '\r\n\t1\r\nChecksum\t',
    };
    for (const [name, text] of Object.entries(cases)) {
      const raw = bytes(text);
      let sum = 0;
      for (const b of raw) sum += b;
      const wire = Buffer.concat([raw, Buffer.from([(256 - (sum & 0xff)) & 0xff])]);
      const events = run(textBlock(MPPT), wire, textBlock(SHUNT));
      assert.deepEqual(kinds(events), ['text-block', 'text-framing', 'text-block'], name);
    }
  });

  it('rejects a block with more than 40 records', () => {
    const fields: Record<string, string> = {};
    for (let i = 0; i < 41; i++) fields[`L${i}`] = '1';
    assert.deepEqual(kinds(run(textBlock(MPPT), textBlock(fields))), ['text-block', 'text-framing']);
  });

  it('a block cut short merges with the next one and both are dropped; the one after is fine', () => {
    const cut = textBlock(MPPT).subarray(0, 60);
    const events = run(textBlock(SHUNT), cut, textBlock(MPPT), textBlock(SHUNT));
    assert.deepEqual(kinds(events), ['text-block', 'text-checksum', 'text-block']);
    assert.deepEqual(blocks(events), [SHUNT, SHUNT]);
  });

  it('after garbage between blocks, the next block is not trusted; the one after is', () => {
    const events = run(textBlock(SHUNT), 'xx\x80junk', textBlock(MPPT), textBlock(SHUNT));
    assert.deepEqual(kinds(events), ['text-block', 'text-framing', 'text-block']);
  });

  it('skips a stray byte at the start of a stream (a port opened mid-stream)', () => {
    assert.deepEqual(kinds(run('\xb4', textBlock(MPPT))), ['text-block']);
  });
});

describe('Framer: HEX frames inside the Text stream', () => {
  it('between two records of a block, without breaking the block (emonhub #160)', () => {
    const wire = textBlock(MPPT);
    const at = wire.indexOf(bytes('\r\nERR'));
    const stream = Buffer.concat([wire.subarray(0, at), bytes(':ADBED001A0D5C\n:A0202000200000045\n'), wire.subarray(at)]);
    const events = run(stream);
    assert.deepEqual(kinds(events), ['hex-frame', 'hex-frame', 'text-block']);
    assert.deepEqual(blocks(events), [MPPT]);
  });

  it('anywhere: inside a label, inside a value, between \\r and \\n', () => {
    const wire = textBlock(MPPT);
    for (let at = 1; at < wire.length - 1; at++) {
      if (wire[at - 1] === 0x09 && bytes('Checksum\t').equals(wire.subarray(at - 9, at))) continue; // the checksum byte itself
      const stream = Buffer.concat([wire.subarray(0, at), bytes(':A0102000543\n'), wire.subarray(at)]);
      assert.deepEqual(kinds(run(stream)), ['hex-frame', 'text-block'], `frame inserted at ${at}`);
    }
  });

  it('directly after the checksum byte, including a checksum byte that is ":" itself', () => {
    const fields = { PID: '0xA389', V: '12800', I: '811', P: '10', CE: '-12345', SOC: '873', TTG: '-1', Alarm: 'OFF', AR: '0', BMV: 'SmartShunt 500A/50mV', FW: '0405' };
    const wire = textBlock(fields);
    assert.equal(wire[wire.length - 1], 0x3a);
    const events = run(wire, ':A0002000148\n', textBlock(MPPT));
    assert.deepEqual(kinds(events), ['text-block', 'hex-frame', 'text-block']);
  });

  it('a HEX frame whose \\n is corrupted (0xFE seen in the field) is counted; Text resyncs', () => {
    const events = run(textBlock(SHUNT), ':A0002000148\xfe', textBlock(MPPT), textBlock(SHUNT));
    assert.deepEqual(kinds(events), ['text-block', 'hex-framing', 'text-framing', 'text-block']);
  });

  it('a frame cut by a new ":" is counted and the new frame still read', () => {
    assert.deepEqual(kinds(run(':A01020:A0102000543\n')), ['hex-framing', 'hex-frame']);
  });

  it('a frame with a bad checksum is counted, and a Text block around it is not trusted', () => {
    const wire = textBlock(MPPT);
    const at = wire.indexOf(bytes('\r\nERR'));
    const stream = Buffer.concat([wire.subarray(0, at), bytes(':A0102000544\n'), wire.subarray(at)]);
    assert.deepEqual(kinds(run(stream)), ['hex-checksum', 'text-framing']);
  });

  it('an over-long frame is cut and counted', () => {
    assert.deepEqual(kinds(run(`:${'A'.repeat(300)}\n`)), ['hex-framing']);
  });
});

describe('Framer: real captures, any chunking, any corruption', () => {
  const stream = Buffer.concat(
    [
      'karioja-vedirect__bmv-700-stream.bin',
      'kindr007-victronmppt-esphome-issue183__smartsolar-150-70-rx-a.bin',
      'koestler-go-victron__registerapi-smartsolar-250-70-rx.bin',
      'pbg42-tasmota-ve-poc__bluesolar-75-15-text+hex.bin',
      'jblance-mpp-solar__smartshunt-500a-read2.bin',
      'opendtu-onbattery-pr840__smartsolar-a060-rx-hexdump.bin',
    ].map((f) => loadCapture(f).received),
  );
  const whole = run(stream);

  it('any chunking of the same bytes gives identical events', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 200 }), (sizes) => {
        const framer = new Framer();
        const events: FramerEvent[] = [];
        let at = 0;
        for (let i = 0; at < stream.length; i++) {
          const size = sizes[i % sizes.length]!;
          events.push(...framer.push(stream.subarray(at, at + size)));
          at += size;
        }
        assert.deepEqual(events, whole);
      }),
    );
  });

  it('byte by byte gives identical events', () => {
    const framer = new Framer();
    const events: FramerEvent[] = [];
    for (const b of stream) events.push(...framer.push(Uint8Array.of(b)));
    assert.deepEqual(events, whole);
  });

  for (const file of ['karioja-vedirect__bmv-700-stream.bin', 'koestler-go-victron__registerapi-smartsolar-250-70-rx.bin', 'kindr007-victronmppt-esphome-issue160__blue-smart-ip22-24-8-rx.bin']) {
    it(`every single-byte corruption of a real block is rejected, every value at every position: ${file}`, () => {
      const framer0 = new Framer();
      const valid = framer0.push(loadCapture(file).received).filter((e): e is TextBlockEvent => e.kind === 'text-block');
      const target = textBlock(valid[0]!.fields);
      const before = textBlock({ ...MPPT, PPV: '1' });
      const after = textBlock({ ...MPPT, PPV: '2' });
      for (let at = 0; at < target.length; at++) {
        for (let value = 0; value < 256; value++) {
          if (value === target[at]) continue;
          const corrupted = Buffer.from(target);
          corrupted[at] = value;
          for (const e of run(before, corrupted, after)) {
            if (e.kind !== 'text-block') continue;
            assert.ok(e.fields.PPV === '1' || e.fields.PPV === '2', `byte ${at} → 0x${value.toString(16)} let a corrupted block through`);
          }
        }
      }
    });
  }
});

describe('Framer: properties over generated streams', () => {
  const label = fc.constantFrom('PID', 'V', 'I', 'VPV', 'PPV', 'CS', 'ERR', 'H19', 'H20', 'SER#', 'FW', 'AC_OUT_V', 'T');
  const value = fc.stringMatching(/^[-0-9A-Za-z ./]{0,20}$/);
  const block = fc.dictionary(label, value, { minKeys: 0, maxKeys: 13, noNullPrototype: true });
  const asyncFrame = fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 4 })).map(([id, v]) => bytes(encodeFrame(0xa, [id & 0xff, id >> 8, 0, ...v]) + '\n'));

  it('any single-byte corruption of a generated block is rejected', () => {
    fc.assert(
      fc.property(block, fc.nat(), fc.integer({ min: 1, max: 255 }), (fields, position, delta) => {
        const target = textBlock(fields);
        const at = position % target.length;
        const corrupted = Buffer.from(target);
        corrupted[at] = (corrupted[at]! + delta) & 0xff;
        const before = textBlock({ ...MPPT, PPV: '1' });
        const after = textBlock({ ...MPPT, PPV: '2' });
        for (const e of run(before, corrupted, after)) {
          if (e.kind === 'text-block') assert.ok(e.fields.PPV === '1' || e.fields.PPV === '2');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('random bytes never throw and never yield a block failing its checksum', () => {
    const piece = fc.oneof(fc.uint8Array({ maxLength: 40 }), block.map(textBlock), asyncFrame, fc.constantFrom(bytes('\r\nChecksum\t'), bytes('\r\n'), bytes(':'), bytes('\n')));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        for (const e of run(Buffer.concat(pieces))) {
          if (e.kind === 'text-block') assert.ok(blockSumsToZero(e));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('blocks and async frames interleaved at random all come through intact', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(block, fc.option(asyncFrame), fc.nat()), { minLength: 1, maxLength: 10 }), (items) => {
        const parts: Buffer[] = [];
        const want: Record<string, string>[] = [];
        for (const [fields, frame, at] of items) {
          const wire = textBlock(fields);
          want.push(fields);
          if (!frame) {
            parts.push(wire);
            continue;
          }
          // Anywhere up to (not between "Checksum\t" and) the checksum byte.
          const cut = at % (wire.length - 1);
          parts.push(wire.subarray(0, cut), frame, wire.subarray(cut));
        }
        assert.deepEqual(blocks(run(Buffer.concat(parts))), want);
      }),
      { numRuns: 300 },
    );
  });
});
