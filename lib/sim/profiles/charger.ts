/**
 * A Blue Smart IP22 charger that speaks HEX, as the real one does (VE.Direct HEX protocol,
 * Phoenix Smart IP43 charger; OpenDTU-OnBattery #436 shows an IP22 answering HEX): the Text
 * block of the Text-only model, and the device mode 0x0200 (1 on, 4 off) that switches the
 * charging; switched off it delivers nothing and reports CS 0. Also 0x0201 device state and
 * 0xEDDA error code. The Orion XS DC-DC charger (dcdc.ts) is built on the same model.
 */

import type { DeviceFamily } from '../../protocol/catalog/types';
import type { DeviceContext, HexHabits, SimProfile } from '../profile';
import { liveSlot, type RegisterSlot } from '../register-map';
import { identitySlots } from './common';
import { currentMode, DEVICE_MODE, modeSlot } from './device-mode';
import { AcChargerModel, type AcChargerOptions } from './text-only';

/** Device mode 0x0200 of a charger (VE.Direct Protocol 3.33 `MODE`: 1 charger, 4 off). */
export const CHARGER_ON = 1;
export const CHARGER_OFF = 4;

export const CHARGER_HABITS: HexHabits = {
  answersHex: true,
  replyPlacement: 'after-unit',
  pauseTextOnHex: false,
  hexHoldMs: 0,
  asyncAfterHex: false,
};

export function hexChargerProfile(options: AcChargerOptions, family: DeviceFamily = 'charger', create?: (context: DeviceContext) => SwitchedChargerModel): SimProfile {
  return {
    identity: {
      family,
      productId: options.productId,
      modelName: options.modelName,
      serialPrefix: options.serialPrefix,
      firmware: options.firmware,
      firmwareStyle: options.firmwareStyle,
    },
    habits: () => CHARGER_HABITS,
    create: create ?? ((context) => new SwitchedChargerModel(context, options)),
  };
}

/** A charger that can be switched on and off over HEX. */
export class SwitchedChargerModel extends AcChargerModel {
  override readonly registers: ReadonlyMap<number, RegisterSlot>;

  constructor(context: DeviceContext, options: AcChargerOptions) {
    super(context, options);
    this.registers = new Map<number, RegisterSlot>([
      ...identitySlots(context.identity, 16, 0xff),
      [DEVICE_MODE, modeSlot(context, [CHARGER_ON, CHARGER_OFF], CHARGER_ON)],
      [0x0201, liveSlot(0x0201, () => this.stateCode())],
      [0xedda, liveSlot(0xedda, () => 0)],
    ]);
  }

  override switchedOn(): boolean {
    return currentMode(this.context, CHARGER_ON) === CHARGER_ON;
  }

  /** MODE / 0x0200 now. */
  mode(): number {
    return currentMode(this.context, CHARGER_ON);
  }
}
