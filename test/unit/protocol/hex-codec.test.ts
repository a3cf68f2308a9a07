import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  appVersionFrame,
  decodeFrame,
  decodeVersionWord,
  encodeFrame,
  getFrame,
  interpretCommand,
  interpretResponse,
  parseFrame,
  pingFrame,
  productIdFrame,
  registerPayload,
  restartFrame,
  setFrame,
  toUpperHex,
} from '../../../lib/protocol/hex-codec';
import { VeError } from '../../../lib/errors';

describe('HEX encoder: Victron worked examples (BlueSolar HEX protocol MPPT, BMV-7xx HEX protocol)', () => {
  const cases: [string, string][] = [
    [pingFrame(), ':154'],
    [appVersionFrame(), ':352'],
    [productIdFrame(), ':451'],
    [restartFrame(), ':64F'],
    [getFrame(0xedf0), ':7F0ED0071'],
    [setFrame(0xedf0, [0x64, 0x00]), ':8F0ED0064000C'],
    [encodeFrame(0x2), ':253'],
    [getFrame(0x1000), ':70010003E'],
    [setFrame(0x1000, [0xf4, 0x01]), ':8001000F40148'],
    [setFrame(0x1000, [0x00, 0x00]), ':800100000003D'],
  ];
  for (const [got, want] of cases) it(want, () => assert.equal(got, want));
});

describe('HEX encoder: the bridge vectors', () => {
  const cases: [string, string][] = [
    [getFrame(0xed8d), ':78DED00D4'],
    [getFrame(0xed8f), ':78FED00D2'],
    [getFrame(0xed8c), ':78CED00D5'],
    [getFrame(0xedec), ':7ECED0075'],
    [getFrame(0x0fff), ':7FF0F0040'],
    [getFrame(0x2002), ':70220002C'],
    [getFrame(0x2003), ':70320002B'],
    [getFrame(0x200d), ':70D200021'],
    [getFrame(0x200e), ':70E200020'],
    [getFrame(0x200f), ':70F20001F'],
    [getFrame(0xedd5), ':7D5ED008C'],
    [getFrame(0xedd7), ':7D7ED008A'],
    [getFrame(0xedda), ':7DAED0087'],
    [getFrame(0x0201), ':70102004B'],
    [setFrame(0x2002, [0x2d, 0x05]), ':80220002D05F9'],
    [setFrame(0x2002, [0x6d, 0x0a]), ':80220006D0AB4'],
    [setFrame(0x2002, [0xff, 0xff]), ':8022000FFFF2D'],
    [setFrame(0x2003, [0xc4, 0x09]), ':8032000C4095D'],
    [setFrame(0x2003, [0xa1, 0x04]), ':8032000A10485'],
    [setFrame(0x2003, [0x0c, 0xfe]), ':80320000CFE20'],
    [setFrame(0x2003, [0xff, 0x7f]), ':8032000FF7FAC'],
  ];
  for (const [got, want] of cases) it(want, () => assert.equal(got, want));

  it('register ids go little-endian: 0x2003 is sent as 0320 (big-endian addresses 0x0320)', () => {
    assert.equal(toUpperHex(registerPayload(0x2003, 0)), '032000');
  });
});

describe('HEX decoder: responses', () => {
  it('ping reply → application firmware 1.16', () => {
    assert.deepEqual(interpretResponse(parseFrame(':51641F9')), {
      type: 'ping',
      firmware: { kind: 'application', version: '1.16', text: '1.16', word: 0x4116 },
    });
  });
  it('BMV-712 ping → 4.01, product id 0xA381', () => {
    const ping = interpretResponse(parseFrame(':501440B'));
    assert.equal(ping.type === 'ping' && ping.firmware.text, '4.01');
    const product = interpretResponse(parseFrame(':181A330'));
    assert.ok(product.type === 'done');
    assert.equal(toUpperHex(product.data), '81A3');
  });
  it('a ping reply from the bootloader says so', () => {
    const r = interpretResponse(parseFrame(':502014D'));
    assert.ok(r.type === 'ping');
    assert.equal(r.firmware.kind, 'bootloader');
    assert.equal(r.firmware.text, '1.02 (bootloader)');
  });
  it('release candidate D of 1.01', () => {
    assert.equal(decodeVersionWord(0xd101).text, '1.01-rcD');
  });
  it('Get reply with id, flags and value', () => {
    const r = interpretResponse(parseFrame(':7F0ED009600DB'));
    assert.deepEqual({ ...r, value: r.type === 'get' ? toUpperHex(r.value) : '' }, { type: 'get', register: 0xedf0, flags: 0, value: '9600' });
  });
  it('Set reply with parameter error returns the clamped value', () => {
    const r = interpretResponse(parseFrame(':8001004010038'));
    assert.ok(r.type === 'set');
    assert.equal(r.flags, 0x04);
    assert.equal(toUpperHex(r.value), '0100');
  });
  it('unknown id: flags 0x01 and no value bytes', () => {
    const r = interpretResponse(parseFrame(':82002012A'));
    assert.ok(r.type === 'set');
    assert.equal(r.register, 0x0220);
    assert.equal(r.flags, 0x01);
    assert.equal(r.value.length, 0);
  });
  it('async frame', () => {
    const r = interpretResponse(parseFrame(':A0102000543'));
    assert.ok(r.type === 'async');
    assert.equal(r.register, 0x0201);
    assert.equal(toUpperHex(r.value), '05');
  });
  it('framing error reply :4AAAAFD and unknown-command reply :3020050', () => {
    assert.deepEqual(interpretResponse(parseFrame(':4AAAAFD')), { type: 'error', code: 0xaaaa });
    const unknown = interpretResponse(parseFrame(':3020050'));
    assert.ok(unknown.type === 'unknown-command');
    assert.equal(toUpperHex(unknown.data), '0200');
  });
  it('a register reply too short for id + flags is malformed, not a value', () => {
    assert.equal(interpretResponse(parseFrame(encodeFrame(7, [0xf0, 0xed]))).type, 'malformed');
  });
});

describe('HEX decoder: rejects what it cannot trust', () => {
  it('bad checksum (:452, the documents\' broken example)', () => {
    assert.deepEqual(decodeFrame(':452'), { ok: false, error: 'hex-checksum', detail: 'sum is 0x56, not 0x55' });
  });
  it('odd-length payload: Buffer.from(hex) would silently drop the last nibble', () => {
    const r = decodeFrame(':7F0ED007');
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error, 'hex-framing');
  });
  it('non-hex characters', () => {
    const r = decodeFrame(':7G0ED0071');
    assert.equal(!r.ok && r.error, 'hex-framing');
  });
  it('too short and empty', () => {
    assert.equal(decodeFrame(':').ok, false);
    assert.equal(decodeFrame(':15').ok, false);
  });
  it('accepts the terminator, with or without \\r', () => {
    assert.equal(decodeFrame(':154\n').ok, true);
    assert.equal(decodeFrame(':154\r\n').ok, true);
  });
  it('encoder rejects out-of-range input instead of emitting a broken frame', () => {
    assert.throws(() => encodeFrame(16), VeError);
    assert.throws(() => encodeFrame(7, [256]), VeError);
    assert.throws(() => getFrame(0x10000), VeError);
  });
});

describe('HEX decoder: commands as a device reads them', () => {
  it('get, set, ping, app version, product id, restart', () => {
    assert.deepEqual(interpretCommand(parseFrame(':7F0ED0071')), { type: 'get', register: 0xedf0, flags: 0 });
    const set = interpretCommand(parseFrame(':8F0ED0064000C'));
    assert.ok(set.type === 'set');
    assert.equal(toUpperHex(set.value), '6400');
    assert.equal(interpretCommand(parseFrame(':154')).type, 'ping');
    assert.equal(interpretCommand(parseFrame(':352')).type, 'app-version');
    assert.equal(interpretCommand(parseFrame(':451')).type, 'product-id');
    assert.equal(interpretCommand(parseFrame(':64F')).type, 'restart');
    assert.deepEqual(interpretCommand(parseFrame(':253')), { type: 'unsupported', command: 2, data: new Uint8Array(0) });
  });
});

describe('HEX codec properties', () => {
  it('encode → decode returns command and payload, for any payload', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 15 }), fc.uint8Array({ maxLength: 60 }), (command, payload) => {
        const r = decodeFrame(encodeFrame(command, payload));
        assert.ok(r.ok);
        assert.equal(r.frame.command, command);
        assert.deepEqual([...r.frame.payload], [...payload]);
      }),
    );
  });
  it('changing any one digit of a valid frame is detected', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 15 }), fc.uint8Array({ maxLength: 20 }), fc.nat(), fc.integer({ min: 1, max: 15 }), (command, payload, at, delta) => {
        const frame = encodeFrame(command, payload);
        const i = 1 + (at % (frame.length - 1));
        const digit = (parseInt(frame[i]!, 16) + delta) % 16;
        const changed = frame.slice(0, i) + digit.toString(16).toUpperCase() + frame.slice(i + 1);
        assert.equal(decodeFrame(changed).ok, false);
      }),
    );
  });
});
