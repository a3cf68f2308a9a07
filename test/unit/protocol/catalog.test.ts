/**
 * Catalogue tests: uniqueness and shape of the register, Text-field and product tables, the
 * names other layers rely on, lookups, and the storage class of every writable register.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  ALARM_REASON_BITS,
  CHARGER_ERROR,
  CHARGER_WARNING_CODES,
  DC_MONITOR_MODE,
  DEVICE_STATE,
  NETWORK_STATUS_BITS,
  OFF_REASON_BITS,
} from '../../../lib/protocol/catalog/enums';
import { findProduct, formatProductId, parseProductId, PRODUCTS, productName } from '../../../lib/protocol/catalog/products';
import { findRegister, formatRegisterId, REGISTERS, registersForFamily } from '../../../lib/protocol/catalog/registers';
import { findTextField, TEXT_FIELDS } from '../../../lib/protocol/catalog/text-fields';
import type { RegisterDef } from '../../../lib/protocol/catalog/types';

const CAMEL_CASE = /^[a-z][a-zA-Z0-9]*$/;

function duplicates<T>(values: readonly T[]): T[] {
  const seen = new Set<T>();
  const dups: T[] = [];
  for (const v of values) {
    if (seen.has(v)) dups.push(v);
    seen.add(v);
  }
  return dups;
}

function register(ref: string | number): RegisterDef {
  const def = findRegister(ref);
  assert.ok(def, `register ${String(ref)} is in the catalogue`);
  return def;
}

describe('register catalogue', () => {
  it('has unique ids', () => {
    assert.deepEqual(duplicates(REGISTERS.map((r) => r.id)).map(formatRegisterId), []);
  });

  it('has unique camelCase names (case-insensitively unique, as lookups ignore case)', () => {
    assert.deepEqual(duplicates(REGISTERS.map((r) => r.name.toLowerCase())), []);
    for (const r of REGISTERS) assert.match(r.name, CAMEL_CASE, formatRegisterId(r.id));
  });

  it('has no name that reads as a register id, so name lookup never shadows an id', () => {
    for (const r of REGISTERS) assert.doesNotMatch(r.name, /^(?:0x)?[0-9a-f]{1,4}$/i);
  });

  it('gives every entry a description, a positive scale, families and a valid id', () => {
    for (const r of REGISTERS) {
      const id = formatRegisterId(r.id);
      assert.ok(r.description.length > 0, id);
      assert.ok(r.scale > 0, id);
      assert.ok(r.families.length > 0, id);
      assert.ok(Number.isInteger(r.id) && r.id >= 0 && r.id <= 0xffff, id);
      if (r.min !== undefined && r.max !== undefined) assert.ok(r.min <= r.max, id);
    }
  });

  // The names other layers (bridge, nodes, CLI) use; they must never change.
  const NAMES: ReadonlyArray<readonly [number, string]> = [
    [0xed8d, 'batteryVoltage'],
    [0xed8f, 'batteryCurrent'],
    [0xed8c, 'batteryCurrentHighRes'],
    [0xed8e, 'batteryPower'],
    [0xedec, 'batteryTemperature'],
    [0x0fff, 'stateOfCharge'],
    [0x0ffe, 'timeToGo'],
    [0xedd5, 'chargerVoltage'],
    [0xedd7, 'chargerCurrent'],
    [0xedbb, 'panelVoltage'],
    [0xedbc, 'panelPower'],
    [0x2002, 'batteryVoltageSense'],
    [0x2003, 'batteryTemperatureSense'],
    [0x200d, 'networkInfo'],
    [0x200e, 'networkMode'],
    [0x200f, 'networkStatus'],
    [0x0201, 'deviceState'],
    [0x0200, 'deviceMode'],
    [0x010a, 'serialNumber'],
    [0x010b, 'modelName'],
    [0x0100, 'productId'],
    [0xedf0, 'batteryMaxCurrent'],
    [0xedf7, 'absorptionVoltage'],
    [0xedf6, 'floatVoltage'],
    [0xedda, 'chargerErrorCode'],
    [0xeddb, 'chargerInternalTemperature'],
    [0x1000, 'batteryCapacity'],
  ];
  for (const [id, name] of NAMES) {
    it(`names ${formatRegisterId(id)} ${name}`, () => {
      assert.equal(register(id).name, name);
    });
  }

  it('covers the history registers 0x0300–0x0311 one by one', () => {
    for (let id = 0x0300; id <= 0x0311; id++) assert.ok(findRegister(id), formatRegisterId(id));
  });

  it('covers the BMV battery settings 0x1000–0x1009 and the MPPT link registers', () => {
    for (let id = 0x1000; id <= 0x1009; id++) assert.equal(register(id).storage, 'flash', formatRegisterId(id));
    for (const id of [0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2007, 0x2008, 0x2009, 0x200a, 0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x2013, 0x2014, 0x2015, 0x2018, 0x2027, 0x2030, 0x2031]) {
      assert.ok(findRegister(id), formatRegisterId(id));
    }
  });

  describe('types, scales and units of the registers the bridge relies on', () => {
    const TABLE: ReadonlyArray<{ id: number; type: RegisterDef['type']; scale: number; unit: string; offset?: number }> = [
      { id: 0xed8d, type: 'sn16', scale: 0.01, unit: 'V' },
      { id: 0xed8f, type: 'sn16', scale: 0.1, unit: 'A' },
      { id: 0xed8c, type: 'sn32', scale: 0.001, unit: 'A' },
      { id: 0xed8e, type: 'sn16', scale: 1, unit: 'W' },
      { id: 0xeeff, type: 'sn32', scale: 0.1, unit: 'Ah' },
      { id: 0x0fff, type: 'un16', scale: 0.01, unit: '%' },
      { id: 0x0ffe, type: 'un16', scale: 1, unit: 'min' },
      { id: 0xedec, type: 'un16', scale: 0.01, unit: '°C', offset: -273.15 },
      { id: 0x2002, type: 'un16', scale: 0.01, unit: 'V' },
      { id: 0x2003, type: 'sn16', scale: 0.01, unit: '°C' },
      { id: 0xedd5, type: 'un16', scale: 0.01, unit: 'V' },
      { id: 0xedd7, type: 'sn16', scale: 0.1, unit: 'A' },
      { id: 0xeddf, type: 'un16', scale: 0.1, unit: 'A' },
      { id: 0xedbc, type: 'un32', scale: 0.01, unit: 'W' },
      { id: 0xeddd, type: 'un32', scale: 0.01, unit: 'kWh' },
      { id: 0xedd3, type: 'un16', scale: 0.01, unit: 'kWh' },
      { id: 0xedf0, type: 'un16', scale: 0.1, unit: 'A' },
      { id: 0xedf2, type: 'sn16', scale: 0.01, unit: 'mV/K' },
      { id: 0x1000, type: 'un16', scale: 1, unit: 'Ah' },
      { id: 0x032a, type: 'un16', scale: 0.01, unit: '°C', offset: -273.15 },
      { id: 0x035c, type: 'un16', scale: 0.01, unit: '°C', offset: -273.15 },
    ];
    for (const row of TABLE) {
      it(`${formatRegisterId(row.id)} is ${row.type} × ${row.scale} ${row.unit}`, () => {
        const def = register(row.id);
        assert.equal(def.type, row.type);
        assert.equal(def.scale, row.scale);
        assert.equal(def.unit, row.unit);
        assert.equal(def.offset, row.offset);
      });
    }
  });

  it('shows every 0.01 K register in °C with offset −273.15, and no °C register sent in °C has an offset', () => {
    for (const r of REGISTERS) {
      if (r.offset !== undefined) {
        assert.equal(r.offset, -273.15, formatRegisterId(r.id));
        assert.equal(r.unit, '°C', formatRegisterId(r.id));
      }
    }
    assert.equal(register(0x2003).offset, undefined);
    assert.equal(register(0xeddb).offset, undefined);
    assert.equal(register(0xede0).offset, undefined);
  });

  describe('not-available sentinels', () => {
    const TABLE: ReadonlyArray<readonly [number, number | null | undefined]> = [
      [0xedec, 0xffff],
      [0x0ffe, 0xffff],
      [0x2002, 0xffff],
      [0x2003, 0x7fff],
      [0xed8d, undefined], // type default (0x7FFF)
      [0xedf1, null], // 0xFF = user defined battery type, not "not available"
      [0x032a, 0], // 0 K = alarm disabled
    ];
    for (const [id, expected] of TABLE) {
      it(`${formatRegisterId(id)} → ${String(expected)}`, () => {
        assert.equal(register(id).notAvailable, expected);
      });
    }
  });

  describe('write ranges', () => {
    it('0x2002 accepts 0..655.34 V and 0x2003 −327.67..327.66 °C', () => {
      assert.equal(register(0x2002).min, 0);
      assert.equal(register(0x2002).max, 655.34);
      assert.equal(register(0x2003).min, -327.67);
      assert.equal(register(0x2003).max, 327.66);
    });

    it('gives ranges only to writable registers', () => {
      for (const r of REGISTERS) {
        if (r.min !== undefined || r.max !== undefined) assert.notEqual(r.access, 'ro', formatRegisterId(r.id));
      }
    });
  });

  describe('storage of writes', () => {
    it('marks the documented commands as command', () => {
      for (const id of [0x0004, 0x1029, 0x102c, 0x1030]) {
        const def = register(id);
        assert.equal(def.storage, 'command', formatRegisterId(id));
        assert.equal(def.access, 'w', formatRegisterId(id));
        assert.equal(def.type, 'none', formatRegisterId(id));
      }
      assert.deepEqual(
        REGISTERS.filter((r) => r.storage === 'command').map((r) => r.id),
        [0x0004, 0x1029, 0x102c, 0x1030],
      );
    });

    it('marks every writable 0xEDxx setting and 0xEDE8 as flash', () => {
      const edSettings = REGISTERS.filter((r) => r.id >= 0xed00 && r.id <= 0xedff && r.access !== 'ro');
      assert.ok(edSettings.length >= 30);
      for (const r of edSettings) assert.equal(r.storage, 'flash', formatRegisterId(r.id));
      assert.equal(register(0xede8).storage, 'flash');
    });

    it('marks the alarm and relay settings as flash, except the relay state itself', () => {
      const alarmIds = [...range(0x0320, 0x0332), ...range(0x034d, 0x0362), 0xeefc];
      for (const id of alarmIds) {
        const def = register(id);
        assert.equal(def.access, 'rw', formatRegisterId(id));
        assert.equal(def.storage, id === 0x034e ? 'volatile' : 'flash', formatRegisterId(id));
      }
    });

    it('marks the 0x20xx link registers as volatile', () => {
      for (const r of REGISTERS.filter((x) => x.id >= 0x2000 && x.id <= 0x20ff)) assert.equal(r.storage, 'volatile', formatRegisterId(r.id));
    });

    it('marks read-only registers volatile', () => {
      for (const r of REGISTERS.filter((x) => x.access === 'ro')) assert.equal(r.storage, 'volatile', formatRegisterId(r.id));
    });
  });

  it('carries the documented quirks as notes', () => {
    assert.match(register(0xeddf).note ?? '', /0\.1 A/);
    assert.match(register(0xedd7).note ?? '', /sn16/);
    assert.match(register(0xedd3).note ?? '', /un32/);
    assert.match(register(0xedd1).note ?? '', /un32/);
    assert.match(register(0x0100).note ?? '', /:4/);
  });

  it('attaches the shared value texts', () => {
    assert.equal(register(0x0201).enumTexts?.[5], 'Float');
    assert.equal(register(0xedda).enumTexts?.[119], 'User settings invalid');
    assert.equal(register(0x0207).bitTexts?.[1], 'No input power');
    assert.equal(register(0x200f).enumMask, 0x0f);
    assert.equal(register(0x200f).bitTexts?.[0x80], 'Using remote voltage (VSENSE)');
    assert.equal(register(0xedb3).enumTexts?.[2], 'MPP Tracker active');
  });

  describe('findRegister', () => {
    const CASES: ReadonlyArray<readonly [string | number, number | undefined]> = [
      ['batteryVoltage', 0xed8d],
      ['BATTERYVOLTAGE', 0xed8d],
      ['batteryvoltage', 0xed8d],
      [' batteryTemperatureSense ', 0x2003],
      [0xed8d, 0xed8d],
      [60813, 0xed8d],
      ['0xED8D', 0xed8d],
      ['0xed8d', 0xed8d],
      ['0XED8D', 0xed8d],
      ['ED8D', 0xed8d],
      ['ed8d', 0xed8d],
      ['0x2002', 0x2002],
      ['2002', 0x2002],
      ['0x4', 0x0004],
      ['0x0FFF', 0x0fff],
      ['noSuchRegister', undefined],
      ['0xABCD', undefined],
      ['0x12345', undefined],
      ['', undefined],
      [0x9999, undefined],
    ];
    for (const [ref, expected] of CASES) {
      it(`${JSON.stringify(ref)} → ${expected === undefined ? 'undefined' : formatRegisterId(expected)}`, () => {
        assert.equal(findRegister(ref)?.id, expected);
      });
    }
  });

  it('formats ids as four uppercase hex digits', () => {
    assert.equal(formatRegisterId(0xed8d), '0xED8D');
    assert.equal(formatRegisterId(0x4), '0x0004');
    assert.equal(formatRegisterId(0x0fff), '0x0FFF');
  });

  it('filters registers by family', () => {
    const mppt = registersForFamily('mppt').map((r) => r.id);
    const shunt = registersForFamily('smartshunt').map((r) => r.id);
    assert.ok(mppt.includes(0x2002) && mppt.includes(0x2003) && mppt.includes(0xedec) && mppt.includes(0x010a));
    assert.ok(!mppt.includes(0xed8d));
    assert.ok(shunt.includes(0xed8d) && shunt.includes(0xedec) && shunt.includes(0x0fff));
    assert.ok(!shunt.includes(0x2002));
    assert.ok(!shunt.includes(0x034e), 'a SmartShunt has no relay');
    assert.ok(registersForFamily('other').every((r) => r.families.includes('other')));
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('Text field catalogue', () => {
  const LABELS = [
    'V', 'V2', 'V3', 'VS', 'VM', 'DM', 'VPV', 'PPV', 'I', 'I2', 'I3', 'IL', 'LOAD', 'T', 'P', 'CE', 'SOC', 'TTG', 'Alarm', 'Relay', 'AR', 'OR',
    ...range(1, 23).map((n) => `H${n}`),
    'ERR', 'CS', 'BMV', 'FW', 'FWE', 'PID', 'SER#', 'HSDS', 'MODE', 'AC_OUT_V', 'AC_OUT_I', 'AC_OUT_S', 'WARN', 'MPPT', 'MON', 'DC_IN_V', 'DC_IN_I', 'DC_IN_P', 'CAP_BLE', 'HC#',
  ];

  it('has every documented label exactly once', () => {
    assert.deepEqual(
      [...TEXT_FIELDS.map((f) => f.label)].sort(),
      [...LABELS].sort(),
    );
  });

  it('has unique camelCase names', () => {
    assert.deepEqual(duplicates(TEXT_FIELDS.map((f) => f.name)), []);
    for (const f of TEXT_FIELDS) assert.match(f.name, CAMEL_CASE, f.label);
  });

  it('has no label that differs from another only in case', () => {
    assert.deepEqual(duplicates(TEXT_FIELDS.map((f) => f.label.toUpperCase())), []);
  });

  const TABLE: ReadonlyArray<{ label: string; name: string; kind: string; scale?: number; unit?: string }> = [
    { label: 'V', name: 'batteryVoltage', kind: 'int', scale: 0.001, unit: 'V' },
    { label: 'I', name: 'batteryCurrent', kind: 'int', scale: 0.001, unit: 'A' },
    { label: 'T', name: 'batteryTemperature', kind: 'int', scale: 1, unit: '°C' },
    { label: 'SOC', name: 'stateOfCharge', kind: 'int', scale: 0.1, unit: '%' },
    { label: 'DM', name: 'midPointDeviation', kind: 'int', scale: 0.1, unit: '%' },
    { label: 'CE', name: 'consumedAmpHours', kind: 'int', scale: 0.001, unit: 'Ah' },
    { label: 'TTG', name: 'timeToGo', kind: 'int', scale: 1, unit: 'min' },
    { label: 'VPV', name: 'panelVoltage', kind: 'int', scale: 0.001, unit: 'V' },
    { label: 'PPV', name: 'panelPower', kind: 'int', scale: 1, unit: 'W' },
    { label: 'H9', name: 'secondsSinceFullCharge', kind: 'int', scale: 1, unit: 's' },
    { label: 'H17', name: 'dischargedEnergy', kind: 'int', scale: 0.01, unit: 'kWh' },
    { label: 'H20', name: 'yieldToday', kind: 'int', scale: 0.01, unit: 'kWh' },
    { label: 'AC_OUT_V', name: 'acOutputVoltage', kind: 'int', scale: 0.01, unit: 'V' },
    { label: 'AC_OUT_I', name: 'acOutputCurrent', kind: 'int', scale: 0.1, unit: 'A' },
    { label: 'DC_IN_V', name: 'dcInputVoltage', kind: 'int', scale: 0.01, unit: 'V' },
    { label: 'DC_IN_I', name: 'dcInputCurrent', kind: 'int', scale: 0.1, unit: 'A' },
    { label: 'CS', name: 'deviceState', kind: 'enum' },
    { label: 'ERR', name: 'errorCode', kind: 'enum' },
    { label: 'PID', name: 'productId', kind: 'product' },
    { label: 'FW', name: 'firmware', kind: 'firmware' },
    { label: 'SER#', name: 'serialNumber', kind: 'string' },
    { label: 'OR', name: 'offReason', kind: 'hexbits' },
    { label: 'AR', name: 'alarmReason', kind: 'bits' },
    { label: 'Alarm', name: 'alarm', kind: 'onoff' },
  ];
  for (const row of TABLE) {
    it(`${row.label} → ${row.name} (${row.kind}${row.unit === undefined ? '' : `, ${row.unit}`})`, () => {
      const f = findTextField(row.label);
      assert.ok(f);
      assert.equal(f.name, row.name);
      assert.equal(f.kind, row.kind);
      if (row.scale !== undefined) assert.equal(f.scale, row.scale);
      if (row.unit !== undefined) assert.equal(f.unit, row.unit);
    });
  }

  it('finds labels case-insensitively (the reference parser upper-cases them)', () => {
    assert.equal(findTextField('ALARM')?.name, 'alarm');
    assert.equal(findTextField('ser#')?.name, 'serialNumber');
    assert.equal(findTextField('Checksum'), undefined);
    assert.equal(findTextField('NOPE'), undefined);
  });

  it('gives int fields a scale and unit, and enum/bit fields their texts', () => {
    for (const f of TEXT_FIELDS) {
      if (f.kind === 'int') assert.ok(f.scale !== undefined && f.unit !== undefined, f.label);
      if (f.kind === 'enum') assert.ok(f.enumTexts, f.label);
      if (f.kind === 'bits' || f.kind === 'hexbits') assert.ok(f.bitTexts, f.label);
    }
  });
});

describe('enumerations', () => {
  it('uses the Victron texts for the documented error codes', () => {
    const EXPECTED: ReadonlyArray<readonly [number, string]> = [
      [0, 'No error'],
      [2, 'Battery voltage too high'],
      [17, 'Charger temperature too high'],
      [18, 'Charger over current'],
      [19, 'Charger current reversed'],
      [20, 'Bulk time limit exceeded'],
      [21, 'Current sensor issue'],
      [26, 'Terminals overheated'],
      [28, 'Converter issue'],
      [33, 'Input voltage too high (solar panel)'],
      [34, 'Input current too high (solar panel)'],
      [38, 'Input shutdown (excessive battery voltage)'],
      [39, 'Input shutdown (current flow during off mode)'],
      [65, 'Lost communication with one of devices'],
      [66, 'Synchronised charging device configuration issue'],
      [67, 'BMS connection lost'],
      [68, 'Network misconfigured'],
      [116, 'Factory calibration data lost'],
      [117, 'Invalid/incompatible firmware'],
      [118, 'Incompatible hardware'],
      [119, 'User settings invalid'],
    ];
    for (const [code, text] of EXPECTED) assert.equal(CHARGER_ERROR[code], text, `ERR ${code}`);
  });

  it('includes the additions of Victron’s complete charger error list', () => {
    for (const code of [1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 22, 23, 24, 25, 27, 29, 31, 32, 35, 36, 37, 40, 41, 42, 43, ...range(50, 60), 113, 114, 115, 120, 121, 122]) {
      assert.ok(CHARGER_ERROR[code], `ERR ${code}`);
    }
    assert.deepEqual([...CHARGER_WARNING_CODES].sort((a, b) => a - b), [14, 65, 66]);
  });

  it('has the device states, off reasons, alarm bits, monitor modes and network status bits', () => {
    assert.equal(DEVICE_STATE[0], 'Off');
    assert.equal(DEVICE_STATE[245], 'Starting-up');
    assert.equal(DEVICE_STATE[252], 'External control');
    assert.equal(OFF_REASON_BITS[0x100], 'Analysing input voltage');
    assert.equal(ALARM_REASON_BITS[8192], 'BMS lockout');
    assert.equal(DC_MONITOR_MODE[-9], 'Solar charger');
    assert.equal(DC_MONITOR_MODE[8], 'Water heater');
    assert.equal(NETWORK_STATUS_BITS[0x40], 'Using remote temperature (TSENSE)');
  });

  it('keys bitmasks by single-bit values', () => {
    for (const table of [OFF_REASON_BITS, ALARM_REASON_BITS, NETWORK_STATUS_BITS]) {
      for (const key of Object.keys(table)) {
        const bit = Number(key);
        assert.ok(bit > 0 && (bit & (bit - 1)) === 0, key);
      }
    }
  });
});

describe('product catalogue', () => {
  it('has unique ids', () => {
    assert.deepEqual(duplicates(PRODUCTS.map((p) => p.id)).map(formatProductId), []);
  });

  const TABLE: ReadonlyArray<readonly [number, string, string]> = [
    [0x0203, 'BMV-700', 'bmv'],
    [0x0204, 'BMV-702', 'bmv'],
    [0xa381, 'BMV-712 Smart', 'bmv'],
    [0xa389, 'SmartShunt 500A/50mV', 'smartshunt'],
    [0xc038, 'SmartShunt 300A/50mV', 'smartshunt'],
    [0x0300, 'BlueSolar MPPT 70|15', 'mppt'],
    [0xa053, 'SmartSolar MPPT 75|15', 'mppt'],
    [0xa056, 'SmartSolar MPPT 100|30', 'mppt'],
    [0xa060, 'SmartSolar MPPT 100|20 48V', 'mppt'],
    [0xa069, 'SmartSolar MPPT 250|70 rev2', 'mppt'],
    [0xa07f, 'All-In-1 SmartSolar MPPT 75/15 12V', 'mppt'],
    [0xa10a, 'SmartSolar MPPT VE.Can 250/85', 'mppt'],
    [0xa111, 'SmartSolar MPPT RS 450/200', 'mppt'],
    [0xa201, 'Phoenix Inverter 12V 250VA 230V', 'inverter'],
    [0xa23a, 'Phoenix Inverter 24V 250VA 120V', 'inverter'],
    [0xa2a4, 'Phoenix Inverter 48V 3000VA 230V', 'inverter'],
    [0xa27c, 'Phoenix Inverter 48V 1200VA 120V', 'inverter'],
    [0xa2b4, 'Phoenix Inverter Smart 48V 5000VA 230V', 'inverter'],
    [0xa340, 'Phoenix Smart IP43 Charger 12|50 (1+1)', 'charger'],
    [0xa332, 'Blue Smart IP22 Charger 24|8 (1)', 'charger'],
    [0xa3f0, 'Smart BuckBoost 12V/12V-50A', 'dcdc'],
    [0xa3c0, 'Orion Smart 12V|12V-18A Isolated DC-DC Charger', 'dcdc'],
    [0xa442, 'Multi RS Solar 48V 6000VA', 'other'],
  ];
  for (const [id, name, family] of TABLE) {
    it(`${formatProductId(id)} is ${name} (${family})`, () => {
      const p = findProduct(id);
      assert.ok(p);
      assert.equal(p.name, name);
      assert.equal(p.family, family);
    });
  }

  it('generates all three battery voltages of every Phoenix inverter rating', () => {
    for (const base of [0xa231, 0xa239, 0xa241, 0xa249, 0xa251, 0xa259, 0xa261, 0xa269, 0xa271, 0xa279, 0xa281, 0xa291, 0xa2a1]) {
      assert.match(findProduct(base)?.name ?? '', / 12V /);
      assert.match(findProduct(base + 1)?.name ?? '', / 24V /);
      assert.match(findProduct(base + 3)?.name ?? '', / 48V /);
      assert.equal(findProduct(base + 2), undefined);
    }
  });

  it('marks exactly the "pv only" MPPTs', () => {
    assert.deepEqual(
      PRODUCTS.filter((p) => p.pvOnly === true).map((p) => p.id),
      [0xa040, 0xa041, 0xa044, 0xa045],
    );
  });

  it('marks the phased-out models', () => {
    for (const id of [0x0300, 0xa040, 0xa041, 0xa044, 0xa045, 0xa048, 0xa051, 0xa052, 0xa201, 0xa202, 0xa204, 0xa211, 0xa224]) {
      assert.equal(findProduct(id)?.phasedOut, true, formatProductId(id));
    }
    assert.equal(findProduct(0xa053)?.phasedOut, undefined);
    assert.equal(findProduct(0xa231)?.phasedOut, undefined);
  });

  it('puts BMVs in bmv and SmartShunts in smartshunt', () => {
    for (const p of PRODUCTS) {
      if (p.name.startsWith('BMV-')) assert.equal(p.family, 'bmv', p.name);
      if (p.name.startsWith('SmartShunt')) assert.equal(p.family, 'smartshunt', p.name);
    }
  });

  it('names unknown ids', () => {
    assert.equal(productName(0xa0ff), 'Unknown product 0xA0FF');
    assert.equal(productName(0x12), 'Unknown product 0x0012');
    assert.equal(productName(0xa389), 'SmartShunt 500A/50mV');
  });

  describe('parseProductId', () => {
    const CASES: ReadonlyArray<readonly [string, number | undefined]> = [
      ['0xA053', 0xa053],
      ['0xa053', 0xa053],
      ['0x204', 0x204],
      ['0X203', 0x203],
      ['0x0300', 0x0300],
      [' 0xA389 ', 0xa389],
      ['A053', 0xa053],
      ['0x', undefined],
      ['0xA05G', undefined],
      ['0x12345', undefined],
      ['', undefined],
      ['PID', undefined],
    ];
    for (const [text, expected] of CASES) {
      it(`${JSON.stringify(text)} → ${String(expected)}`, () => {
        assert.equal(parseProductId(text), expected);
      });
    }
  });
});
