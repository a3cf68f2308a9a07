/**
 * The product-aware parts of the catalogue: rated charge currents derived from model names,
 * the one list of device families, register ids as constants that name the right entries,
 * per-product overrides, and the value codec applying them to reads and writes alike.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BMV70X_PRODUCTS, firmwareNumber, registerForProduct } from '../../../lib/protocol/catalog/overrides';
import { findProduct, PRODUCTS, ratingFromName } from '../../../lib/protocol/catalog/products';
import { REGISTER_IDS } from '../../../lib/protocol/catalog/register-ids';
import { findRegister, REGISTERS } from '../../../lib/protocol/catalog/registers';
import { TEXT_FIELDS } from '../../../lib/protocol/catalog/text-fields';
import { DEVICE_FAMILIES } from '../../../lib/protocol/catalog/types';
import { decodeRegisterValue, encodeRegisterValue } from '../../../lib/protocol/value-codec';

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

describe('rated charge current', () => {
  it('reads the rating from the name: "<V>|<A>", "<V>/<A>", "-<A>A"', () => {
    assert.equal(ratingFromName('SmartSolar MPPT 100|30'), 30);
    assert.equal(ratingFromName('SmartSolar MPPT 250/70 rev2'), 70);
    assert.equal(ratingFromName('SmartSolar MPPT 100|20 48V'), 20);
    assert.equal(ratingFromName('Phoenix Smart IP43 Charger 12|50 (1+1)'), 50);
    assert.equal(ratingFromName('Blue Smart IP65 Charger 6V/12V-1.1A'), 1.1);
    assert.equal(ratingFromName('Orion Smart 12V|24V-15A Isolated DC-DC Charger'), 15);
    assert.equal(ratingFromName('BMV-712 Smart'), undefined);
  });

  it('gives every solar charger, charger and DC-DC converter a rating, and no monitor one', () => {
    for (const p of PRODUCTS) {
      const rated = p.family === 'mppt' || p.family === 'charger' || p.family === 'dcdc';
      if (rated) assert.ok(typeof p.ratedChargeCurrent === 'number' && p.ratedChargeCurrent > 0 && p.ratedChargeCurrent <= 200, `${p.name}: ${p.ratedChargeCurrent}`);
      else assert.equal(p.ratedChargeCurrent, undefined, p.name);
    }
  });

  it('has the ratings of the common models, and the datasheet where the name says otherwise', () => {
    assert.equal(findProduct(0xa056)?.ratedChargeCurrent, 30); // SmartSolar 100|30
    assert.equal(findProduct(0xa05b)?.ratedChargeCurrent, 70); // SmartSolar 250|70
    assert.equal(findProduct(0xa042)?.ratedChargeCurrent, 15); // BlueSolar 75|15
    assert.equal(findProduct(0xa111)?.ratedChargeCurrent, 100); // RS 450/200: two trackers, 100 A
    assert.equal(findProduct(0xa3f1)?.ratedChargeCurrent, 50); // Orion XS 1400
  });
});

describe('device families', () => {
  it('every product, register and Text field names a family of the one list', () => {
    const families = new Set<string>(DEVICE_FAMILIES);
    for (const p of PRODUCTS) assert.ok(families.has(p.family), p.name);
    for (const r of REGISTERS) for (const f of r.families) assert.ok(families.has(f), r.name);
    for (const t of TEXT_FIELDS) for (const f of t.families) assert.ok(families.has(f), t.label);
  });
});

describe('register ids', () => {
  it('each constant names the catalogue entry it says', () => {
    const expected: Record<keyof typeof REGISTER_IDS, string> = {
      RESTORE_DEFAULT: 'restoreDefault',
      ZERO_CURRENT: 'zeroCurrent',
      SYNCHRONISE: 'synchronise',
      CLEAR_HISTORY: 'clearHistory',
      MAIN_VOLTAGE: 'batteryVoltage',
      BATTERY_TEMPERATURE: 'batteryTemperature',
      CHARGER_VOLTAGE: 'chargerVoltage',
      SYSTEM_VOLTAGE: 'systemVoltage',
      BATTERY_MAX_CURRENT: 'batteryMaxCurrent',
      BMS_PRESENT: 'bmsPresent',
      CHARGE_VOLTAGE_SETPOINT: 'chargeVoltageSetpoint',
      VSENSE: 'batteryVoltageSense',
      TSENSE: 'batteryTemperatureSense',
      REMOTE_COMMAND: 'remoteCommand',
      BATTERY_CURRENT: 'batteryChargeCurrent',
      NETWORK_INFO: 'networkInfo',
      NETWORK_MODE: 'networkMode',
      NETWORK_STATUS: 'networkStatus',
      TOTAL_CHARGE_CURRENT: 'totalChargeCurrent',
      CHARGE_CURRENT_LIMIT: 'chargeCurrentLimit',
      TOTAL_DC_INPUT_POWER: 'totalDcInputPower',
    };
    for (const [constant, id] of Object.entries(REGISTER_IDS)) {
      assert.equal(findRegister(id)?.name, expected[constant as keyof typeof REGISTER_IDS], constant);
    }
  });
});

describe('per-product overrides', () => {
  const threshold = findRegister('alarmLowVoltageSet')!;

  it('a BMV-70x reads and writes its voltage thresholds in 0.1 V, a BMV-712 in 0.01 V', () => {
    for (const productId of BMV70X_PRODUCTS) assert.equal(registerForProduct(threshold, { productId }).scale, 0.1);
    assert.equal(registerForProduct(threshold, { productId: 0xa381 }).scale, 0.01);
    assert.equal(registerForProduct(threshold, { productId: 0xa389 }).scale, 0.01);
    assert.equal(registerForProduct(threshold, null), threshold, 'an unknown device: the catalogue entry');
    // Other registers of the BMV-702 are untouched.
    const capacity = findRegister('batteryCapacity')!;
    assert.equal(registerForProduct(capacity, { productId: 0x0204 }), capacity);
  });

  it('the value codec applies the product to encoding and decoding alike', () => {
    const bmv702 = { productId: 0x0204, firmware: '3.09' };
    const bmv712 = { productId: 0xa381, firmware: '4.14' };
    assert.equal(hex(encodeRegisterValue(threshold, 11.5, bmv702)), '7300');
    assert.equal(hex(encodeRegisterValue(threshold, 11.5, bmv712)), '7E04');
    assert.equal(decodeRegisterValue(threshold, Uint8Array.of(0x73, 0x00), bmv702).value, 11.5);
    assert.equal(decodeRegisterValue(threshold, Uint8Array.of(0x7e, 0x04), bmv712).value, 11.5);
    // Without the product, the catalogue's 0.01 V: what the codec did before.
    assert.equal(decodeRegisterValue(threshold, Uint8Array.of(0x73, 0x00)).value, 1.15);
  });

  it('firmware versions compare as numbers', () => {
    assert.equal(firmwareNumber('4.14'), 414);
    assert.equal(firmwareNumber('1.56-rcC'), 156);
    assert.equal(firmwareNumber(null), null);
  });
});
