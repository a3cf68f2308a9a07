/**
 * An Orion XS DC-DC charger (PID 0xA3F0, listed by VE.Direct Protocol 3.33 as "Smart
 * BuckBoost 12V/12V-50A"): charges the shared battery from an input (an alternator at 14 V
 * here) and is switched with the device mode 0x0200 (1 on, 4 off) like the AC chargers
 * (charger.ts). Its Text block has the fields of the BuckBoost column of VE.Direct Protocol
 * 3.33 — V, I, ERR, CS, MODE, OR, DC_IN_V, DC_IN_I, DC_IN_P — in that order (no capture of
 * a real block was found; the order is the document's).
 */

import { textFirmwareRecord } from '../identity';
import type { DeviceContext, SimProfile } from '../profile';
import type { TextRecords } from '../text-block';
import { hexChargerProfile, SwitchedChargerModel } from './charger';
import { intText, pidText } from './common';
import type { AcChargerOptions } from './text-only';

/** The input it converts from, V (a running alternator), and its conversion efficiency. */
const INPUT_VOLTS = 14.0;
const EFFICIENCY = 0.95;

export function dcdcProfile(options: AcChargerOptions): SimProfile {
  return hexChargerProfile(options, 'dcdc', (context) => new DcdcChargerModel(context, options));
}

export class DcdcChargerModel extends SwitchedChargerModel {
  constructor(context: DeviceContext, options: AcChargerOptions) {
    super(context, options);
  }

  override textBlocks(): TextRecords[] {
    const current = this.attached.current();
    const volts = this.attached.terminalVoltage();
    const inVolts = (INPUT_VOLTS + this.context.random.gauss(0.02)) * this.context.system.scale;
    const inPower = (volts * current) / EFFICIENCY;
    const off = !this.switchedOn();
    return [
      [
        ['PID', pidText(this.context.identity.productId)],
        textFirmwareRecord(this.context.identity.firmware, this.context.identity.firmwareStyle),
        ['SER#', this.context.identity.serial],
        ['V', intText(volts * 1000)],
        ['I', intText(current * 1000)],
        ['ERR', '0'],
        ['CS', String(this.stateCode())],
        ['MODE', String(this.mode())],
        // Off reason 0x04: switched off (VE.Direct Protocol 3.33 off reason bits).
        ['OR', off ? '0x00000004' : '0x00000000'],
        ['DC_IN_V', intText(inVolts * 100)],
        ['DC_IN_I', intText((inPower / inVolts) * 10)],
        ['DC_IN_P', intText(inPower)],
      ],
    ];
  }
}
