import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { equivalentRegisters, familiesText, otherFamilyHint } from '../../../lib/protocol/catalog/equivalents';
import { findRegister } from '../../../lib/protocol/catalog/registers';
import type { RegisterDef } from '../../../lib/protocol/catalog/types';

const reg = (name: string): RegisterDef => {
  const def = findRegister(name);
  assert.ok(def, name);
  return def;
};
const names = (defs: readonly RegisterDef[]): string[] => defs.map((d) => d.name);

describe('registers of another family', () => {
  it('batteryVoltage (monitors) ↔ chargerVoltage (chargers), both ways', () => {
    assert.deepEqual(names(equivalentRegisters(reg('batteryVoltage'), 'mppt')), ['chargerVoltage']);
    assert.deepEqual(names(equivalentRegisters(reg('batteryVoltage'), 'charger')), ['chargerVoltage']);
    assert.deepEqual(names(equivalentRegisters(reg('chargerVoltage'), 'bmv')), ['batteryVoltage']);
    assert.deepEqual(names(equivalentRegisters(reg('chargerCurrent'), 'smartshunt')), ['batteryCurrent']);
  });

  it('nothing to suggest when the family has the register, or no equivalent exists', () => {
    assert.deepEqual(equivalentRegisters(reg('batteryVoltage'), 'bmv'), []);
    assert.equal(otherFamilyHint(reg('batteryVoltage'), 'smartshunt'), undefined);
    assert.deepEqual(equivalentRegisters(reg('panelPower'), 'bmv'), []);
    assert.deepEqual(equivalentRegisters(reg('batteryVoltage'), 'inverter'), []);
  });

  it('every suggestion is the same quantity: same unit, and a register of the family asked', () => {
    const families = ['bmv', 'smartshunt', 'mppt', 'inverter', 'charger', 'dcdc', 'other'] as const;
    for (const name of ['batteryVoltage', 'chargerVoltage', 'batteryCurrent', 'chargerCurrent']) {
      for (const family of families) {
        for (const other of equivalentRegisters(reg(name), family)) {
          assert.equal(other.unit, reg(name).unit, `${name} → ${other.name}`);
          assert.ok(other.families.includes(family));
        }
      }
    }
  });

  it('the hint names the owner families and the register to read instead', () => {
    assert.equal(familiesText(['bmv', 'smartshunt']), 'BMV battery monitors and SmartShunts');
    assert.equal(
      otherFamilyHint(reg('batteryVoltage'), 'mppt'),
      'batteryVoltage is a register of BMV battery monitors and SmartShunts; on MPPT solar chargers read chargerVoltage (0xEDD5)',
    );
    assert.equal(
      otherFamilyHint(reg('stateOfCharge'), 'mppt'),
      'stateOfCharge is a register of BMV battery monitors and SmartShunts; the catalogue knows no register of MPPT solar chargers for the same value',
    );
  });
});
