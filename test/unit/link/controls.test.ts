/**
 * The control table and what it accepts, without a device: the payloads each control takes,
 * the refusals (with their code), and which families have which control.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isVeError } from '../../../lib/errors';
import { CONTROLS, CONTROL_NAMES, parseCommand, unsupportedError } from '../../../lib/link/controls';
import type { DeviceIdentity } from '../../../lib/link/device';
import { findRegister } from '../../../lib/protocol/catalog/registers';
import type { DeviceFamily } from '../../../lib/protocol/catalog/types';

function identity(family: DeviceFamily, product: string): DeviceIdentity {
  return { productId: 0x1234, product, family, firmware: '1.00', firmwareKind: 'application', serial: 'HQ0000TEST', model: null, hex: true, at: 0 };
}

describe('controls', () => {
  it('take true / false / "on" / "off" in any case, and "eco" only for the inverter', () => {
    for (const name of CONTROL_NAMES) {
      const control = CONTROLS[name];
      assert.equal(parseCommand(control, true), 'on');
      assert.equal(parseCommand(control, false), 'off');
      assert.equal(parseCommand(control, ' On '), 'on');
      assert.equal(parseCommand(control, 'OFF'), 'off');
    }
    assert.equal(parseCommand(CONTROLS.inverterMode, 'Eco'), 'eco');
    for (const name of ['loadOutput', 'relay', 'chargerMode'] as const) {
      assert.throws(() => parseCommand(CONTROLS[name], 'eco'), (err: unknown) => isVeError(err) && err.code === 'VE_BAD_INPUT');
    }
  });

  it('refuse anything else with VE_BAD_INPUT, quoting what came', () => {
    for (const payload of [1, 0, 'dim', '', null, undefined, { on: true }, ['on']]) {
      assert.throws(
        () => parseCommand(CONTROLS.chargerMode, payload),
        (err: unknown) => isVeError(err) && err.code === 'VE_BAD_INPUT' && /Nothing was written/.test(err.message),
        String(payload),
      );
    }
    assert.throws(() => parseCommand(CONTROLS.inverterMode, 'dim'), /"dim" is not a position of the inverter\. Send true \/ "on", false \/ "off" or "eco"/);
  });

  it('belong to their families: anything else is VE_NOT_SUPPORTED_DEVICE', () => {
    assert.equal(unsupportedError(CONTROLS.loadOutput, identity('mppt', 'BlueSolar MPPT 75|15')), null);
    assert.equal(unsupportedError(CONTROLS.inverterMode, identity('inverter', 'Phoenix Inverter 12V 1200VA 230V')), null);
    assert.equal(unsupportedError(CONTROLS.relay, identity('bmv', 'BMV-712 Smart')), null);
    for (const family of ['charger', 'dcdc', 'mppt'] as const) assert.equal(unsupportedError(CONTROLS.chargerMode, identity(family, 'x')), null);
    const relay = unsupportedError(CONTROLS.relay, identity('smartshunt', 'SmartShunt 500A/50mV'));
    assert.equal(relay?.code, 'VE_NOT_SUPPORTED_DEVICE');
    assert.match(relay?.message ?? '', /SmartShunt 500A\/50mV has no such control/);
    assert.equal(unsupportedError(CONTROLS.inverterMode, identity('mppt', 'SmartSolar MPPT 100|30'))?.code, 'VE_NOT_SUPPORTED_DEVICE');
    assert.equal(unsupportedError(CONTROLS.relay, null), null, 'not identified yet: the device decides');
  });

  it('say truly whether their register is flash-backed (as the catalogue stores it)', () => {
    for (const name of CONTROL_NAMES) {
      const control = CONTROLS[name];
      const def = findRegister(control.register);
      assert.ok(def, name);
      assert.equal(def.access, 'rw', name);
      assert.equal(control.flash, def.storage === 'flash', name);
      for (const family of control.families) assert.ok(def.families.includes(family), `${name}: ${family} has ${def.name}`);
    }
  });
});
