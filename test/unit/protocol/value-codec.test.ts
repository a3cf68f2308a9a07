/**
 * Value codec tests over Victron's worked examples (BlueSolar HEX protocol MPPT, BMV-7xx HEX
 * protocol) and real-device captures (MPPT 100/30, 250/70, 100/20 48V, SmartShunt 500A):
 * register values, Text values, the writes the sense bridge sends, and every error path.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fc from 'fast-check';

import { VeError } from '../../../lib/errors';
import { findRegister, formatRegisterId, REGISTERS } from '../../../lib/protocol/catalog/registers';
import type { RegisterDef } from '../../../lib/protocol/catalog/types';
import {
  decodeInteger,
  decodeRegisterValue,
  decodeTextBlock,
  decodeTextValue,
  encodeRegisterValue,
  type DecodedRegisterValue,
  type DecodedTextValue,
} from '../../../lib/protocol/value-codec';

function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

function register(ref: string | number): RegisterDef {
  const def = findRegister(ref);
  assert.ok(def, `register ${String(ref)} is in the catalogue`);
  return def;
}

/**
 * Splits a captured Get/Set/Async reply (`:7ECED00FFFF77`) into register id, flags and value
 * bytes, after checking its checksum (command + bytes + check ≡ 0x55), so a vector copied
 * wrongly fails here instead of passing for the wrong reason.
 */
function replyValue(frame: string): { id: number; flags: number; value: Uint8Array } {
  assert.match(frame, /^:[0-9A-F](?:[0-9A-F]{2})+$/);
  const command = Number.parseInt(frame.slice(1, 2), 16);
  const bytes = hex(frame.slice(2));
  const sum = bytes.reduce((acc, b) => acc + b, command);
  assert.equal(sum & 0xff, 0x55, `checksum of ${frame}`);
  assert.ok([0x7, 0x8, 0xa].includes(command), `${frame} is a Get, Set or Async reply`);
  const [lo = 0, hi = 0, flags = 0] = bytes;
  return { id: lo | (hi << 8), flags, value: bytes.subarray(3, bytes.length - 1) };
}

/** A Set command frame as the Victron documents write it, built by hand to check encoded values against them. */
function setFrame(id: number, value: Uint8Array): string {
  const bytes = [id & 0xff, id >> 8, 0, ...value];
  const check = (0x55 - 8 - bytes.reduce((a, b) => a + b, 0)) & 0xff;
  return `:8${toHex(Uint8Array.from([...bytes, check]))}`;
}

function assertVeError(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof VeError, `expected a VeError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (message !== undefined) assert.match(err.message, message);
    return true;
  });
}

describe('decodeInteger', () => {
  const CASES: ReadonlyArray<readonly [string, boolean, number]> = [
    ['01', false, 1],
    ['FF', false, 255],
    ['FF', true, -1],
    ['7F', true, 127],
    ['80', true, -128],
    ['6D0A', false, 2669],
    ['FFFF', false, 65535],
    ['FF7F', true, 32767],
    ['0080', true, -32768],
    ['0CFE', true, -500],
    ['563412', false, 0x123456],
    ['FFFFFF', true, -1],
    ['6AFFFFFF', true, -150],
    ['FFFFFFFF', false, 4294967295],
    ['FFFFFF7F', true, 2147483647],
    ['00000080', true, -2147483648],
    ['D7340000', false, 13527],
  ];
  for (const [bytes, signed, expected] of CASES) {
    it(`${bytes} ${signed ? 'signed' : 'unsigned'} → ${expected}`, () => {
      assert.equal(decodeInteger(hex(bytes), signed), expected);
    });
  }

  it('refuses widths other than 1–4 bytes', () => {
    assertVeError(() => decodeInteger(new Uint8Array(0), false), 'VE_BAD_FRAME');
    assertVeError(() => decodeInteger(hex('0102030405'), true), 'VE_BAD_FRAME', /5/);
  });
});

describe('decodeRegisterValue: Victron worked examples and real-device captures', () => {
  type Expected = Omit<DecodedRegisterValue, 'raw'> & { id: number; flags?: number };
  const CAPTURES: ReadonlyArray<readonly [string, string, Expected]> = [
    // BlueSolar HEX protocol MPPT, rev 10, worked examples
    ['Get 0xEDF0 battery max current', ':7F0ED009600DB', { id: 0xedf0, value: 15, unit: 'A', rawNumber: 150 }],
    ['Set 0xEDF0 acknowledged', ':8F0ED0064000C', { id: 0xedf0, value: 10, unit: 'A', rawNumber: 100 }],
    ['Async 0x0201 device state float', ':A0102000543', { id: 0x0201, value: 5, unit: '', rawNumber: 5, text: 'Float' }],
    // BMV-7xx HEX protocol worked examples
    ['Get 0x1000 capacity', ':7001000C80076', { id: 0x1000, value: 200, unit: 'Ah', rawNumber: 200 }],
    ['Set 0x1000 acknowledged', ':8001000F40148', { id: 0x1000, value: 500, unit: 'Ah', rawNumber: 500 }],
    ['Set 0x1000 = 0 → parameter error, clamped', ':8001004010038', { id: 0x1000, flags: 0x04, value: 1, unit: 'Ah', rawNumber: 1 }],
    // SmartSolar MPPT 100/30 at night
    ['0xEDEC without sensor', ':7ECED00FFFF77', { id: 0xedec, value: null, unit: '°C', rawNumber: 0xffff }],
    ['0xEDDB charger temperature', ':7DBED00680B13', { id: 0xeddb, value: 29.2, unit: '°C', rawNumber: 2920 }],
    ['0xEDD5 charger voltage', ':7D5ED00A404E4', { id: 0xedd5, value: 11.88, unit: 'V', rawNumber: 1188 }],
    ['0xEDDF max current in 0.1 A', ':7DFED002C0155', { id: 0xeddf, value: 30, unit: 'A', rawNumber: 300 }],
    ['0xEDF2 temperature compensation', ':7F2ED00ACF9CA', { id: 0xedf2, value: -16.2, unit: 'mV/K', rawNumber: -1620 }],
    ['0xEDDD system yield', ':7DDED00D734000079', { id: 0xeddd, value: 135.27, unit: 'kWh', rawNumber: 13527 }],
    ['0x010A serial, NUL padded', ':70A01004851313934393952484335000000000088', { id: 0x010a, value: 'HQ19499RHC5', unit: '' }],
    [
      '0x010B model name',
      ':70B0100536D617274536F6C61722043686172676572204D505054203130302F333000BA',
      { id: 0x010b, value: 'SmartSolar Charger MPPT 100/30', unit: '' },
    ],
    ['0x0207 off reason', ':70702000100000044', { id: 0x0207, value: 1, unit: '', rawNumber: 1, text: 'No input power' }],
    ['0x0100 product id bytes', ':70001000056A0FF58', { id: 0x0100, value: '0056A0FF', unit: '' }],
    // SmartSolar MPPT 250/70 rev2
    ['async 0x2003 timed out', ':A032000FF7FAA', { id: 0x2003, value: null, unit: '°C', rawNumber: 0x7fff }],
    ['async 0x2013 not available', ':A132000FFFFFF7F9C', { id: 0x2013, value: null, unit: 'A', rawNumber: 0x7fffffff }],
    ['0xEDD1 yield yesterday (un16)', ':7D1ED0043004D', { id: 0xedd1, value: 0.67, unit: 'kWh', rawNumber: 67 }],
    ['0xEDBC panel power', ':7BCED0095360000DA', { id: 0xedbc, value: 139.73, unit: 'W', rawNumber: 13973 }],
    ['0xEDEC via VE.Smart', ':7ECED00316FD5', { id: 0xedec, value: 11.5, unit: '°C', rawNumber: 28465 }],
    // SmartShunt 500A/50mV
    ['0xED8D battery voltage', ':78DED006D0A5D', { id: 0xed8d, value: 26.69, unit: 'V', rawNumber: 2669 }],
    ['0xED8C current mA', ':78CED006AFFFFFF6E', { id: 0xed8c, value: -0.15, unit: 'A', rawNumber: -150 }],
    ['0xED8E power', ':78EED00FCFFD8', { id: 0xed8e, value: -4, unit: 'W', rawNumber: -4 }],
    ['0xEEFF consumed Ah', ':7FFEE00FAFAFFFF6F', { id: 0xeeff, value: -128.6, unit: 'Ah', rawNumber: -1286 }],
    ['0x0FFF SOC', ':7FF0F004F1BD6', { id: 0x0fff, value: 69.91, unit: '%', rawNumber: 6991 }],
    ['0x0FFE TTG', ':7FE0F004038C9', { id: 0x0ffe, value: 14400, unit: 'min', rawNumber: 14400 }],
    ['0xEDEC with sensor', ':7ECED00546FB2', { id: 0xedec, value: 11.85, unit: '°C', rawNumber: 28500 }],
    ['0xED7D aux not in starter mode', ':77DED00FF7F66', { id: 0xed7d, value: null, unit: 'V', rawNumber: 0x7fff }],
    ['0xEEB6 synchronised', ':7B6EE0001A9', { id: 0xeeb6, value: 1, unit: '', rawNumber: 1, text: 'Yes' }],
    // SmartSolar MPPT 100/20 48V, fw 1.63, async burst
    ['0xEDDB', ':7DBED009E16D2', { id: 0xeddb, value: 57.9, unit: '°C', rawNumber: 5790 }],
    ['0x2027 total DC input power', ':72720005450010062', { id: 0x2027, value: 861, unit: 'W', rawNumber: 86100 }],
    ['async 0xEDD7 charger current', ':AD7ED00A000E7', { id: 0xedd7, value: 16, unit: 'A', rawNumber: 160 }],
    ['async 0xEDBC panel power', ':ABCED00355001001C', { id: 0xedbc, value: 860.69, unit: 'W', rawNumber: 86069 }],
    ['async 0xEDD5 charger voltage', ':AD5ED008D14E8', { id: 0xedd5, value: 52.61, unit: 'V', rawNumber: 5261 }],
    ['async 0xEDBB panel voltage', ':ABBED00251866', { id: 0xedbb, value: 61.81, unit: 'V', rawNumber: 6181 }],
    ['async 0x2002 vsense timed out', ':A022000FFFF2B', { id: 0x2002, value: null, unit: 'V', rawNumber: 0xffff }],
    ['async 0x200A not available', ':A0A2000FFFFFF7FA5', { id: 0x200a, value: null, unit: 'A', rawNumber: 0x7fffffff }],
    // SmartSolar 150/100 async frames inside a Text block; device mode after a checksum byte
    ['async 0xEDDB', ':ADBED001A0D5C', { id: 0xeddb, value: 33.54, unit: '°C', rawNumber: 3354 }],
    ['async 0x0202 remote control used', ':A0202000200000045', { id: 0x0202, value: 2, unit: '', rawNumber: 2, text: 'Remote on/off' }],
    ['async 0x0200 device mode', ':A0002000148', { id: 0x0200, value: 1, unit: '', rawNumber: 1, text: 'On' }],
  ];

  for (const [what, frame, expected] of CAPTURES) {
    it(`${what}: ${frame}`, () => {
      const reply = replyValue(frame);
      const { id, flags = 0, ...decoded } = expected;
      assert.equal(reply.id, id);
      assert.equal(reply.flags, flags);
      assert.deepEqual(decodeRegisterValue(register(id), reply.value), { ...decoded, raw: toHex(reply.value) });
    });
  }

  it('never turns 0xFFFF on 0xEDEC into 382 °C', () => {
    const decoded = decodeRegisterValue(register(0xedec), hex('FFFF'));
    assert.equal(decoded.value, null);
    assert.equal(decoded.raw, 'FFFF');
  });

  it('returns exact decimals, without float noise', () => {
    assert.equal(decodeRegisterValue(register('batteryVoltage'), hex('3005')).value, 13.28);
    assert.equal(decodeRegisterValue(register('batteryCurrentHighRes'), hex('0B000000')).value, 0.011);
    assert.equal(decodeRegisterValue(register('stateOfCharge'), hex('E703')).value, 9.99);
  });
});

describe('decodeRegisterValue: widths, sentinels, strings and texts', () => {
  it('takes the width from the received length: 0xEDD3 was un32 up to MPPT fw 1.12', () => {
    const def = register(0xedd3);
    assert.equal(decodeRegisterValue(def, hex('1000')).value, 0.16);
    assert.equal(decodeRegisterValue(def, hex('10000000')).value, 0.16);
    assert.equal(decodeRegisterValue(def, hex('A0860100')).value, 1000);
    assert.equal(decodeRegisterValue(def, hex('FFFF')).value, null);
    assert.equal(decodeRegisterValue(def, hex('FFFFFFFF')).value, null);
    assert.equal(decodeRegisterValue(def, hex('FFFF0000')).value, 655.35, '0xFFFF is only a sentinel on 2 bytes');
  });

  it('decodes 0x200D network info as un16 and as the un8 of the MPPT document', () => {
    const def = register('networkInfo');
    assert.equal(decodeRegisterValue(def, hex('C0')).text, 'Remote temperature (TSENSE), Remote voltage (VSENSE)');
    assert.equal(decodeRegisterValue(def, hex('0001')).text, 'Standby');
  });

  it('applies the sentinel of each type', () => {
    const CASES: ReadonlyArray<readonly [string, string]> = [
      ['0xED8D', 'FF7F'], // sn16
      ['0xED8C', 'FFFFFF7F'], // sn32
      ['0x0FFF', 'FFFF'], // un16
      ['0xEDBC', 'FFFFFFFF'], // un32
      ['0xEDDA', 'FF'], // un8
      ['0x0201', 'FF'], // un8, "unavailable"
    ];
    for (const [ref, bytes] of CASES) assert.equal(decodeRegisterValue(register(ref), hex(bytes)).value, null, ref);
    assert.equal(decodeRegisterValue(register('0x0201'), hex('FF')).text, 'Unavailable');
  });

  it('keeps sentinels of registers that have none as values', () => {
    assert.deepEqual(decodeRegisterValue(register('batteryType'), hex('FF')), { value: 255, unit: '', raw: 'FF', rawNumber: 255, text: 'User defined' });
  });

  it('explains a sentinel with its enumeration text when there is one', () => {
    assert.deepEqual(decodeRegisterValue(register('lowTemperatureChargeCurrent'), hex('FFFF')), {
      value: null,
      unit: 'A',
      raw: 'FFFF',
      rawNumber: 0xffff,
      text: 'Use battery maximum current',
    });
    assert.equal(decodeRegisterValue(register('settingsChangedTimestamp'), hex('FFFFFFFF')).text, 'Never');
    assert.equal(decodeRegisterValue(register('alarmLowTemperatureSet'), hex('0000')).text, 'Disabled');
    assert.equal(decodeRegisterValue(register('alarmLowTemperatureSet'), hex('0000')).value, null);
    assert.equal(decodeRegisterValue(register('alarmLowTemperatureSet'), hex('B36A')).value, 0);
  });

  it('decodes network status: role in the low nibble, flags above', () => {
    const def = register('networkStatus');
    const CASES: ReadonlyArray<readonly [string, string]> = [
      ['04', 'Stand-alone'],
      ['00', 'Slave'],
      ['C4', 'Stand-alone, Using remote temperature (TSENSE), Using remote voltage (VSENSE)'],
      ['41', 'Group master, Using remote temperature (TSENSE)'],
      ['33', 'Group and instance master, Using remote charge current (ICHARGE), Using remote battery current (ISENSE)'],
    ];
    for (const [bytes, text] of CASES) assert.equal(decodeRegisterValue(def, hex(bytes)).text, text, bytes);
  });

  it('names unknown bits and lists known ones in bit order', () => {
    const def = register('offReason');
    assert.equal(decodeRegisterValue(def, hex('00000000')).text, '');
    assert.equal(decodeRegisterValue(def, hex('11000000')).text, 'No input power, Protection active');
    assert.equal(decodeRegisterValue(def, hex('00040000')).text, 'bit 10');
    assert.equal(decodeRegisterValue(register('capabilities'), hex('00000080')).text, 'Needs battery to shut down');
  });

  it('gives no text for an unknown enumeration value', () => {
    assert.deepEqual(decodeRegisterValue(register('chargerErrorCode'), hex('2C')), { value: 44, unit: '', raw: '2C', rawNumber: 44 });
  });

  it('decodes strings with and without NUL padding, latin1', () => {
    const def = register('serialNumber');
    assert.equal(decodeRegisterValue(def, hex('48513139')).value, 'HQ19');
    assert.equal(decodeRegisterValue(def, hex('4851003939')).value, 'HQ');
    assert.equal(decodeRegisterValue(def, hex('00')).value, '');
    assert.equal(decodeRegisterValue(def, hex('B0')).value, '°');
  });

  it('decodes a value without catalogue entry as an unsigned integer, unit ""', () => {
    assert.deepEqual(decodeRegisterValue(undefined, hex('3412')), { value: 0x1234, unit: '', raw: '3412', rawNumber: 0x1234 });
    assert.deepEqual(decodeRegisterValue(undefined, hex('FFFFFFFF')), { value: 4294967295, unit: '', raw: 'FFFFFFFF', rawNumber: 4294967295 });
    assert.deepEqual(decodeRegisterValue(undefined, hex('0102030405')), { value: '0102030405', unit: '', raw: '0102030405' });
  });

  it('gives null for an empty value (e.g. an "unknown id" reply)', () => {
    assert.deepEqual(decodeRegisterValue(register('batteryVoltage'), new Uint8Array(0)), { value: null, unit: 'V', raw: '' });
    assert.deepEqual(decodeRegisterValue(undefined, new Uint8Array(0)), { value: null, unit: '', raw: '' });
  });

  it('gives raw hex for byte records and null for commands', () => {
    assert.equal(decodeRegisterValue(register('historyDay0'), hex('00AABB')).value, '00AABB');
    assert.equal(decodeRegisterValue(register('clearHistory'), hex('00')).value, null);
  });

  it('refuses an integer register value of more than 4 bytes', () => {
    assertVeError(() => decodeRegisterValue(register('batteryVoltage'), hex('0102030405')), 'VE_BAD_FRAME');
  });
});

describe('encodeRegisterValue: the writes of the sense bridge', () => {
  const GOLDEN: ReadonlyArray<readonly [string, number | null, string, string?]> = [
    // [register, value, value bytes, Set frame as computed in the reference vectors]
    ['0x2002', 13.25, '2D05', ':80220002D05F9'],
    ['0x2002', 26.69, '6D0A', ':80220006D0AB4'],
    ['0x2002', null, 'FFFF', ':8022000FFFF2D'],
    ['0x2003', 25, 'C409', ':8032000C4095D'],
    ['0x2003', 11.85, 'A104', ':8032000A10485'],
    ['0x2003', -5, '0CFE', ':80320000CFE20'],
    ['0x2003', null, 'FF7F', ':8032000FF7FAC'],
    ['0xEDF0', 10, '6400', ':8F0ED0064000C'],
    ['0x1000', 500, 'F401', ':8001000F40148'],
    ['0x0200', 1, '01'],
    ['0xEDF2', -16.2, 'ACF9'],
    ['0xED8C', -0.15, '6AFFFFFF'],
    ['0xEEFF', -128.6, 'FAFAFFFF'],
    ['0x032A', 0, 'B36A'],
    ['0x032A', null, '0000'],
    ['0xEDE6', null, 'FFFF'],
  ];
  for (const [ref, value, bytes, frame] of GOLDEN) {
    it(`${ref} ${String(value)} → ${bytes}`, () => {
      const def = register(ref);
      const encoded = encodeRegisterValue(def, value);
      assert.equal(toHex(encoded), bytes);
      if (frame !== undefined) assert.equal(setFrame(def.id, encoded), frame);
    });
  }

  it('converts a BMV temperature (0.01 K) into an MPPT sense temperature (0.01 °C) through the scaled value', () => {
    const celsius = decodeRegisterValue(register('batteryTemperature'), hex('546F')).value;
    assert.equal(celsius, 11.85);
    assert.equal(toHex(encodeRegisterValue(register('batteryTemperatureSense'), celsius)), 'A104');
  });

  it('rounds explicitly, halves away from zero', () => {
    const vsense = register('batteryVoltageSense');
    const tsense = register('batteryTemperatureSense');
    assert.equal(toHex(encodeRegisterValue(vsense, 13.254)), '2D05'); // 1325
    assert.equal(toHex(encodeRegisterValue(vsense, 13.255)), '2E05'); // 1326
    assert.equal(toHex(encodeRegisterValue(tsense, -5.004)), '0CFE'); // -500
    assert.equal(toHex(encodeRegisterValue(tsense, -5.005)), '0BFE'); // -501
    assert.equal(toHex(encodeRegisterValue(tsense, 0.004)), '0000');
    assert.equal(toHex(encodeRegisterValue(tsense, -0.004)), '0000');
  });

  it('writes nothing for a command register', () => {
    assert.equal(encodeRegisterValue(register('restoreDefault'), null).length, 0);
    assert.equal(encodeRegisterValue(register('synchronise'), 1).length, 0);
  });

  it('encodes strings as latin1 and raw byte registers from hex', () => {
    assert.equal(toHex(encodeRegisterValue(register('description'), 'Van')), '56616E');
    assert.equal(toHex(encodeRegisterValue(register('historyTotal'), '00aabb')), '00AABB');
  });
});

describe('encodeRegisterValue: errors', () => {
  const RANGE: ReadonlyArray<readonly [string, number, RegExp]> = [
    ['0x2002', 700, /0x2002 batteryVoltageSense: 700 V is outside the allowed range 0\.\.655\.34 V/],
    ['0x2002', -0.01, /0\.\.655\.34/],
    ['0x2002', 655.35, /0\.\.655\.34/], // 0xFFFF is the sentinel, written only for null
    ['0x2003', 327.67, /0x2003 batteryTemperatureSense: 327\.67 °C is outside the allowed range -327\.67\.\.327\.66 °C/],
    ['0x2003', -327.68, /-327\.67\.\.327\.66/],
    ['0xEDF0', 6553.5, /0\.\.6553\.4 A/],
    ['0xEDF0', -1, /0xEDF0 batteryMaxCurrent/],
    ['0x1000', 0, /0x1000 batteryCapacity: 0 Ah is outside the allowed range 1\.\.65534 Ah/],
    ['0xEDEF', 255, /0\.\.254 V/],
    ['0x0200', 256, /deviceMode/],
    ['0xED8C', 2147483.647, /-2147483\.648\.\.2147483\.646 A/],
    ['0xED8C', -2147483.649, /outside/],
    ['0x032A', -273.15, /-273\.14\.\.382\.2 °C/], // 0 K is "disabled": written as null
    ['0xEDF1', 256, /0\.\.255/], // no sentinel: 0xFF (user defined) is allowed
  ];
  for (const [ref, value, message] of RANGE) {
    it(`${ref} ${value} → VE_RANGE`, () => {
      assertVeError(() => encodeRegisterValue(register(ref), value), 'VE_RANGE', message);
    });
  }

  it('reports the register, value and range in the error details', () => {
    assert.throws(
      () => encodeRegisterValue(register('batteryVoltageSense'), 700),
      (err: unknown) => {
        assert.ok(err instanceof VeError);
        assert.deepEqual(err.details, { register: 0x2002, name: 'batteryVoltageSense', value: 700, min: 0, max: 655.34 });
        return true;
      },
    );
  });

  it('accepts the ends of the ranges', () => {
    assert.equal(toHex(encodeRegisterValue(register('batteryVoltageSense'), 0)), '0000');
    assert.equal(toHex(encodeRegisterValue(register('batteryVoltageSense'), 655.34)), 'FEFF');
    assert.equal(toHex(encodeRegisterValue(register('batteryTemperatureSense'), -327.67)), '0180');
    assert.equal(toHex(encodeRegisterValue(register('batteryTemperatureSense'), 327.66)), 'FE7F');
    assert.equal(toHex(encodeRegisterValue(register('batteryType'), 255)), 'FF');
  });

  const TYPE: ReadonlyArray<readonly [string, string, number | string | null]> = [
    ['NaN', '0x2002', Number.NaN],
    ['Infinity', '0x2002', Number.POSITIVE_INFINITY],
    ['-Infinity', '0x2003', Number.NEGATIVE_INFINITY],
    ['a string for an integer register', '0x2002', '13.25'],
    ['null for a register without "not available" value', '0xEDF1', null],
    ['null for a bitmask register', '0x200E', null],
    ['a number for a string register', '0x010C', 12],
    ['null for a string register', '0x010C', null],
    ['a character outside latin1', '0x010C', 'Ω'],
    ['a number for a byte register', '0x104F', 1],
    ['odd-length hex for a byte register', '0x104F', 'ABC'],
    ['non-hex for a byte register', '0x104F', 'zz'],
  ];
  for (const [what, ref, value] of TYPE) {
    it(`${what} → VE_TYPE`, () => {
      assertVeError(() => encodeRegisterValue(register(ref), value), 'VE_TYPE', new RegExp(formatRegisterId(register(ref).id)));
    });
  }
});

describe('encode/decode round trips (property)', () => {
  const integerTypes = new Set(['un8', 'sn8', 'un16', 'sn16', 'un24', 'un32', 'sn32']);
  const WIDTH: Readonly<Record<string, number>> = { un8: 1, sn8: 1, un16: 2, sn16: 2, un24: 3, un32: 4, sn32: 4 };
  const numeric = REGISTERS.filter((r) => integerTypes.has(r.type));

  it('every raw value a register can hold survives decode → encode unchanged', () => {
    fc.assert(
      fc.property(fc.constantFrom(...numeric), fc.integer({ min: 0, max: 0xffffffff }), (def, n) => {
        const width = WIDTH[def.type] ?? 0;
        const bytes = new Uint8Array(width);
        let rest = n;
        for (let i = 0; i < width; i++) {
          bytes[i] = rest % 256;
          rest = Math.floor(rest / 256);
        }
        const decoded = decodeRegisterValue(def, bytes);
        if (typeof decoded.value !== 'number') {
          // A sentinel: null must write the same sentinel back.
          assert.equal(decoded.value, null);
          assert.equal(toHex(encodeRegisterValue(def, null)), toHex(bytes));
          return;
        }
        const inRange = (def.min === undefined || decoded.value >= def.min) && (def.max === undefined || decoded.value <= def.max);
        if (!inRange) return;
        assert.equal(toHex(encodeRegisterValue(def, decoded.value)), toHex(bytes), `${formatRegisterId(def.id)} ${decoded.value}`);
      }),
      { numRuns: 5000 },
    );
  });

  it('0x2002 and 0x2003 round-trip every value in 0.01 steps of their range', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65534 }), fc.integer({ min: -32767, max: 32766 }), (v, t) => {
        const volts = v / 100;
        const celsius = t / 100;
        assert.equal(decodeRegisterValue(register(0x2002), encodeRegisterValue(register(0x2002), volts)).value, volts);
        assert.equal(decodeRegisterValue(register(0x2003), encodeRegisterValue(register(0x2003), celsius)).value, celsius);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('decodeTextValue', () => {
  type Expected = Omit<DecodedTextValue, 'name'> & { name?: string };
  const CASES: ReadonlyArray<readonly [string, string, Expected]> = [
    ['V', '12865', { name: 'batteryVoltage', value: 12.865, unit: 'V' }],
    ['V', '13280', { value: 13.28, unit: 'V' }],
    ['V', '-5', { value: -0.005, unit: 'V' }],
    ['VS', '-14', { name: 'auxVoltage', value: -0.014, unit: 'V' }],
    ['VPV', '43210', { name: 'panelVoltage', value: 43.21, unit: 'V' }],
    ['PPV', '120', { name: 'panelPower', value: 120, unit: 'W' }],
    ['I', '-150', { name: 'batteryCurrent', value: -0.15, unit: 'A' }],
    ['I', '811', { value: 0.811, unit: 'A' }],
    ['IL', '300', { name: 'loadCurrent', value: 0.3, unit: 'A' }],
    ['T', '25', { name: 'batteryTemperature', value: 25, unit: '°C' }],
    ['T', '-3', { value: -3, unit: '°C' }],
    ['T', '---', { value: null, unit: '°C' }],
    ['P', '-9', { name: 'batteryPower', value: -9, unit: 'W' }],
    ['CE', '-12345', { name: 'consumedAmpHours', value: -12.345, unit: 'Ah' }],
    ['CE', '---', { value: null, unit: 'Ah' }],
    ['SOC', '1000', { name: 'stateOfCharge', value: 100, unit: '%' }],
    ['SOC', '873', { value: 87.3, unit: '%' }],
    ['SOC', '---', { value: null, unit: '%' }],
    ['DM', '-12', { name: 'midPointDeviation', value: -1.2, unit: '%' }],
    ['TTG', '-1', { name: 'timeToGo', value: null, unit: 'min', text: 'infinite' }],
    ['TTG', '14400', { value: 14400, unit: 'min' }],
    ['TTG', '---', { value: null, unit: 'min' }],
    ['H1', '-32914', { name: 'deepestDischarge', value: -32.914, unit: 'Ah' }],
    ['H4', '19', { name: 'chargeCycles', value: 19, unit: '' }],
    ['H7', '10', { name: 'minimumVoltage', value: 0.01, unit: 'V' }],
    ['H9', '86400', { name: 'secondsSinceFullCharge', value: 86400, unit: 's' }],
    ['H17', '46', { name: 'dischargedEnergy', value: 0.46, unit: 'kWh' }],
    ['H19', '11692', { name: 'yieldTotal', value: 116.92, unit: 'kWh' }],
    ['H21', '350', { name: 'maxPowerToday', value: 350, unit: 'W' }],
    ['AC_OUT_V', '23001', { name: 'acOutputVoltage', value: 230.01, unit: 'V' }],
    ['AC_OUT_I', '15', { name: 'acOutputCurrent', value: 1.5, unit: 'A' }],
    ['AC_OUT_S', '345', { name: 'acOutputApparentPower', value: 345, unit: 'VA' }],
    ['DC_IN_V', '1320', { name: 'dcInputVoltage', value: 13.2, unit: 'V' }],
    ['DC_IN_I', '42', { name: 'dcInputCurrent', value: 4.2, unit: 'A' }],
    ['DC_IN_P', '55', { name: 'dcInputPower', value: 55, unit: 'W' }],
    ['HSDS', '259', { name: 'daySequenceNumber', value: 259, unit: '' }],
    ['Alarm', 'OFF', { name: 'alarm', value: false, unit: '' }],
    ['Alarm', 'ON', { value: true, unit: '' }],
    ['Alarm', 'On', { value: true, unit: '' }], // BMV-600 fw ≤ 2.09
    ['Relay', 'Off', { name: 'relay', value: false, unit: '' }],
    ['LOAD', 'ON', { name: 'loadOutputState', value: true, unit: '' }],
    ['AR', '0', { name: 'alarmReason', value: 0, unit: '', text: '' }],
    ['AR', '5', { value: 5, unit: '', text: 'Low voltage, Low SOC' }],
    ['AR', '128', { value: 128, unit: '', text: 'Mid voltage' }],
    ['WARN', '256', { name: 'warningReason', value: 256, unit: '', text: 'Overload' }],
    ['OR', '0x00000001', { name: 'offReason', value: 1, unit: '', text: 'No input power' }],
    ['OR', '0x00000000', { value: 0, unit: '', text: '' }],
    ['OR', '0x00000101', { value: 0x101, unit: '', text: 'No input power, Analysing input voltage' }],
    ['CAP_BLE', '0x00000003', { name: 'bleCapabilities', value: 3, unit: '', text: 'BLE supports switching off, BLE switching off is permanent' }],
    ['CAP_BLE', '1', { value: 1, unit: '', text: 'BLE supports switching off' }],
    ['CS', '0', { name: 'deviceState', value: 0, unit: '', text: 'Off' }],
    ['CS', '5', { value: 5, unit: '', text: 'Float' }],
    ['CS', '247', { value: 247, unit: '', text: 'Auto equalize / Recondition' }],
    ['ERR', '0', { name: 'errorCode', value: 0, unit: '', text: 'No error' }],
    ['ERR', '119', { value: 119, unit: '', text: 'User settings invalid' }],
    ['ERR', '44', { value: 44, unit: '' }],
    ['MPPT', '2', { name: 'trackerMode', value: 2, unit: '', text: 'MPP Tracker active' }],
    ['MODE', '2', { name: 'deviceMode', value: 2, unit: '', text: 'Inverter on' }],
    ['MODE', '253', { value: 253, unit: '', text: 'Hibernate' }],
    ['MON', '0', { name: 'dcMonitorMode', value: 0, unit: '', text: 'Battery monitor' }],
    ['MON', '-9', { value: -9, unit: '', text: 'Solar charger' }],
    ['PID', '0xA053', { name: 'productId', value: 0xa053, unit: '', text: 'SmartSolar MPPT 75|15' }],
    ['PID', '0x204', { value: 0x204, unit: '', text: 'BMV-702' }],
    ['PID', '0X203', { value: 0x203, unit: '', text: 'BMV-700' }],
    ['PID', '0xA0FF', { value: 0xa0ff, unit: '', text: 'Unknown product 0xA0FF' }],
    ['FW', '156', { name: 'firmware', value: '1.56', unit: '' }],
    ['FW', '161', { value: '1.61', unit: '' }],
    ['FW', '0405', { value: '4.05', unit: '' }],
    ['FW', '0414', { value: '4.14', unit: '' }],
    ['FW', '308', { value: '3.08', unit: '' }],
    ['FW', 'C208', { value: '2.08-rcC', unit: '' }],
    ['FW', 'd101', { value: '1.01-rcD', unit: '' }],
    ['FWE', '0342FF', { name: 'firmwareExtended', value: '3.42', unit: '' }],
    ['FWE', '342FF', { value: '3.42', unit: '' }],
    ['FWE', '315FF', { value: '3.15', unit: '' }],
    ['FWE', '0208FF', { value: '2.08', unit: '' }],
    ['FWE', '208ff', { value: '2.08', unit: '' }],
    ['FWE', '020801', { value: '2.08-beta-01', unit: '' }],
    ['SER#', 'HQ1328Y6TF6', { name: 'serialNumber', value: 'HQ1328Y6TF6', unit: '' }],
    ['BMV', 'SmartShunt 500A/50mV', { name: 'bmvModel', value: 'SmartShunt 500A/50mV', unit: '' }],
    ['BMV', '702', { value: '702', unit: '' }],
    ['HC#', '3', { name: 'hardwareRevision', value: '3', unit: '' }],
  ];
  for (const [label, raw, expected] of CASES) {
    it(`${label} ${JSON.stringify(raw)} → ${JSON.stringify(expected.value)}${expected.text ? ` (${expected.text})` : ''}`, () => {
      const decoded = decodeTextValue(label, raw);
      const { name, ...rest } = expected;
      assert.deepEqual({ ...decoded, name: undefined }, { ...rest, name: undefined });
      if (name !== undefined) assert.equal(decoded.name, name);
    });
  }

  it('gives null for an empty value', () => {
    assert.deepEqual(decodeTextValue('V', ''), { name: 'batteryVoltage', value: null, unit: 'V' });
    assert.deepEqual(decodeTextValue('SER#', ''), { name: 'serialNumber', value: null, unit: '' });
  });

  it('gives null with the raw text for a value that cannot be read', () => {
    assert.deepEqual(decodeTextValue('V', '12.8'), { name: 'batteryVoltage', value: null, unit: 'V', text: '12.8' });
    assert.deepEqual(decodeTextValue('Alarm', 'MAYBE'), { name: 'alarm', value: null, unit: '', text: 'MAYBE' });
    assert.deepEqual(decodeTextValue('CS', '0x05'), { name: 'deviceState', value: null, unit: '', text: '0x05' });
    assert.deepEqual(decodeTextValue('PID', 'BMV'), { name: 'productId', value: null, unit: '', text: 'BMV' });
    assert.deepEqual(decodeTextValue('FW', 'x1'), { name: 'firmware', value: 'x1', unit: '' });
  });

  it('passes unknown labels through', () => {
    assert.deepEqual(decodeTextValue('XYZ', 'abc 1'), { name: 'XYZ', value: 'abc 1', unit: '' });
  });
});

describe('decodeTextBlock', () => {
  it('decodes a real SmartShunt 500A main block, keyed by name', () => {
    // mpp-solar SmartShunt capture (VE.Direct Protocol 3.33 field set), checksum field included.
    const block = decodeTextBlock({
      PID: '0xA389',
      V: '12865',
      VS: '-14',
      I: '0',
      P: '0',
      CE: '0',
      SOC: '1000',
      TTG: '-1',
      Alarm: 'OFF',
      AR: '0',
      BMV: 'SmartShunt 500A/50mV',
      FW: '0405',
      Checksum: 'L',
    });
    assert.deepEqual(block, {
      productId: { name: 'productId', label: 'PID', raw: '0xA389', value: 0xa389, unit: '', text: 'SmartShunt 500A/50mV' },
      batteryVoltage: { name: 'batteryVoltage', label: 'V', raw: '12865', value: 12.865, unit: 'V' },
      auxVoltage: { name: 'auxVoltage', label: 'VS', raw: '-14', value: -0.014, unit: 'V' },
      batteryCurrent: { name: 'batteryCurrent', label: 'I', raw: '0', value: 0, unit: 'A' },
      batteryPower: { name: 'batteryPower', label: 'P', raw: '0', value: 0, unit: 'W' },
      consumedAmpHours: { name: 'consumedAmpHours', label: 'CE', raw: '0', value: 0, unit: 'Ah' },
      stateOfCharge: { name: 'stateOfCharge', label: 'SOC', raw: '1000', value: 100, unit: '%' },
      timeToGo: { name: 'timeToGo', label: 'TTG', raw: '-1', value: null, unit: 'min', text: 'infinite' },
      alarm: { name: 'alarm', label: 'Alarm', raw: 'OFF', value: false, unit: '' },
      alarmReason: { name: 'alarmReason', label: 'AR', raw: '0', value: 0, unit: '', text: '' },
      bmvModel: { name: 'bmvModel', label: 'BMV', raw: 'SmartShunt 500A/50mV', value: 'SmartShunt 500A/50mV', unit: '' },
      firmware: { name: 'firmware', label: 'FW', raw: '0405', value: '4.05', unit: '' },
    });
  });

  it('decodes an MPPT block at night, including an unknown label', () => {
    const block = decodeTextBlock({
      PID: '0xA056',
      FW: '161',
      'SER#': 'HQ19499RHC5',
      V: '11880',
      I: '0',
      VPV: '10',
      PPV: '0',
      CS: '0',
      MPPT: '0',
      OR: '0x00000001',
      ERR: '0',
      LOAD: 'OFF',
      H19: '13527',
      H20: '0',
      H21: '0',
      H22: '67',
      H23: '25',
      HSDS: '259',
      NEWLBL: '7',
    });
    assert.equal(block.productId?.text, 'SmartSolar MPPT 100|30');
    assert.equal(block.firmware?.value, '1.61');
    assert.equal(block.serialNumber?.value, 'HQ19499RHC5');
    assert.equal(block.batteryVoltage?.value, 11.88);
    assert.equal(block.panelVoltage?.value, 0.01);
    assert.equal(block.deviceState?.text, 'Off');
    assert.equal(block.offReason?.text, 'No input power');
    assert.equal(block.loadOutputState?.value, false);
    assert.equal(block.yieldTotal?.value, 135.27);
    assert.equal(block.yieldYesterday?.value, 0.67);
    assert.deepEqual(block.NEWLBL, { name: 'NEWLBL', label: 'NEWLBL', raw: '7', value: '7', unit: '' });
    assert.equal(Object.keys(block).length, 19);
  });

  it('keeps a "__proto__" label as plain data', () => {
    const block = decodeTextBlock(JSON.parse('{"__proto__":"x","V":"1"}') as Record<string, string>);
    assert.equal(Object.getPrototypeOf(block), Object.prototype);
    assert.deepEqual(Object.keys(block).sort(), ['__proto__', 'batteryVoltage']);
  });
});
