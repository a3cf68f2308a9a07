/**
 * A Phoenix inverter that speaks HEX, as the real ones do (VE.Direct HEX protocol, Phoenix
 * inverter): the Text block of the Text-only model, whose MODE, CS and AC output now follow
 * the device mode 0x0200 (2 on, 4 off, 5 eco), and the registers a host reads and switches —
 * 0x0200, 0x0201 device state, AC output voltage 0x2200 (0.01 V), current 0x2201 (0.1 A) and
 * apparent power 0x2205 (VA) (Victron register dictionary `ve_regs.h`).
 */

import type { Firmware } from '../identity';
import type { DeviceContext, HexHabits, SimProfile } from '../profile';
import { liveSlot, type RegisterSlot } from '../register-map';
import { identitySlots } from './common';
import { currentMode, DEVICE_MODE, modeSlot } from './device-mode';
import { INVERTER_ECO, INVERTER_OFF, INVERTER_ON, InverterModel, type InverterOptions } from './text-only';

/** Replies after the Text block in progress; no async frames are documented for the inverter. */
const INVERTER_HABITS: HexHabits = {
  answersHex: true,
  replyPlacement: 'after-unit',
  pauseTextOnHex: false,
  hexHoldMs: 0,
  asyncAfterHex: false,
};

export function hexInverterProfile(options: InverterOptions & { readonly firmware: Firmware }): SimProfile {
  return {
    identity: {
      family: 'inverter',
      productId: options.productId,
      modelName: options.modelName,
      serialPrefix: options.serialPrefix,
      firmware: options.firmware,
      firmwareStyle: 'FW4',
    },
    habits: () => INVERTER_HABITS,
    create: (context) => new HexInverterModel(context, options),
  };
}

export class HexInverterModel extends InverterModel {
  override readonly registers: ReadonlyMap<number, RegisterSlot>;

  constructor(context: DeviceContext, options: InverterOptions) {
    super(context, options);
    const acVolts = (): number => this.acVoltage();
    this.registers = new Map<number, RegisterSlot>([
      ...identitySlots(context.identity, 16, 0xff),
      [DEVICE_MODE, modeSlot(context, [INVERTER_ON, INVERTER_OFF, INVERTER_ECO], INVERTER_ON)],
      [0x0201, liveSlot(0x0201, () => this.state())],
      [0x2200, liveSlot(0x2200, () => Math.round(acVolts() * 100))],
      [0x2201, liveSlot(0x2201, () => Math.round(this.acCurrent(acVolts()) * 10))],
      [0x2205, liveSlot(0x2205, () => Math.round(this.acPower()))],
    ]);
  }

  override mode(): number {
    return currentMode(this.context, INVERTER_ON);
  }
}
