/**
 * Text-only devices: a Phoenix inverter (a load on the shared battery) and a Blue Smart IP22
 * AC charger (a charger on it). Field sets and order follow real captures (RexLinz/VEdirect,
 * ullman/velog Phoenix 12/1200 blocks; KinDR007/VictronMPPT-ESPHOME #160 Blue Smart IP22).
 *
 * Both real products also speak HEX (a Blue Smart IP22 sends async frames and `:4AAAAFD`,
 * OpenDTU-OnBattery #436); here they stay silent to HEX, so a host meets a device that
 * never answers and must cope with it.
 */

import type { AttachedCharger, ChargerLink } from '../battery-model';
import type { Firmware, FirmwareStyle } from '../identity';
import { textFirmwareRecord } from '../identity';
import type { DeviceContext, FamilyModel, HexHabits, SimProfile } from '../profile';
import type { RegisterSlot } from '../register-map';
import type { TextRecords } from '../text-block';
import { intText, pidText } from './common';

const TEXT_ONLY: HexHabits = {
  answersHex: false,
  replyPlacement: 'after-unit',
  pauseTextOnHex: false,
  hexHoldMs: 0,
  asyncAfterHex: false,
};

const NO_REGISTERS: ReadonlyMap<number, RegisterSlot> = new Map();

export interface InverterOptions {
  readonly productId: number;
  readonly modelName: string;
  readonly serialPrefix: string;
  readonly firmware: Firmware;
  /** Rated output, VA. */
  readonly ratedVA: number;
  /** Nominal AC output voltage, V (230 or 120). */
  readonly acVoltage: number;
  /** AC_OUT_S (apparent power) is sent by some inverters only (the 1.24 capture has it, the 1.21 one not). */
  readonly apparentPower: boolean;
}

export function inverterProfile(options: InverterOptions): SimProfile {
  return {
    identity: {
      family: 'inverter',
      productId: options.productId,
      modelName: options.modelName,
      serialPrefix: options.serialPrefix,
      firmware: options.firmware,
      firmwareStyle: 'FW4',
    },
    habits: () => TEXT_ONLY,
    create: (context) => new InverterModel(context, options),
  };
}

/** Inverter modes, MODE / 0x0200 (VE.Direct Protocol 3.33). */
export const INVERTER_ON = 2;
export const INVERTER_OFF = 4;
export const INVERTER_ECO = 5;

/** Inverter efficiency and power factor, for the DC draw of an AC load. */
const INVERTER_EFFICIENCY = 0.88;

export class InverterModel implements FamilyModel {
  readonly registers: ReadonlyMap<number, RegisterSlot> = NO_REGISTERS;
  readonly asyncRegisters: readonly number[] = [];
  protected readonly context: DeviceContext;
  protected readonly options: InverterOptions;
  private readonly detachLoad: () => void;
  private loadVA = 40;
  private lastDrift: number;

  constructor(context: DeviceContext, options: InverterOptions) {
    this.context = context;
    this.options = options;
    this.lastDrift = context.system.simSeconds();
    // Switched off, the inverter feeds nothing and draws (next to) nothing.
    this.detachLoad = context.system.attachLoad(() => (this.mode() === INVERTER_OFF ? 0 : this.loadVA / INVERTER_EFFICIENCY));
  }

  /** MODE / 0x0200: 2 on, 4 off, 5 eco; this one is always on (the HEX model can be switched). */
  mode(): number {
    return INVERTER_ON;
  }

  /** CS / 0x0201 for the mode: 9 inverting, 0 off, 1 load search in eco (VE.Direct Protocol 3.33). */
  protected state(): number {
    const mode = this.mode();
    if (mode === INVERTER_OFF) return 0;
    return mode === INVERTER_ECO ? 1 : 9;
  }

  /** AC output voltage, V (0 while off). */
  protected acVoltage(): number {
    return this.mode() === INVERTER_OFF ? 0 : this.options.acVoltage + this.context.random.gauss(0.1);
  }

  /** AC output current, A, at `volts` (0 while off). */
  protected acCurrent(volts: number): number {
    return this.mode() === INVERTER_OFF || volts <= 0 ? 0 : this.loadVA / volts;
  }

  /** AC output apparent power, VA (0 while off). */
  protected acPower(): number {
    return this.mode() === INVERTER_OFF ? 0 : this.loadVA;
  }

  /** Set the AC load, VA (tests, demos). */
  setLoad(va: number): void {
    this.loadVA = Math.max(0, Math.min(this.options.ratedVA, va));
  }

  textBlocks(): TextRecords[] {
    this.drift();
    const battery = this.context.system.battery();
    const acV = this.acVoltage();
    const records: Array<[string, string]> = [
      ['PID', pidText(this.context.identity.productId)],
      textFirmwareRecord(this.context.identity.firmware, 'FW4'),
      ['SER#', this.context.identity.serial],
      ['MODE', String(this.mode())],
      ['CS', String(this.state())],
      ['AC_OUT_V', intText(acV * 100)],
      ['AC_OUT_I', intText(this.acCurrent(acV) * 10)],
    ];
    if (this.options.apparentPower) records.push(['AC_OUT_S', intText(this.acPower())]);
    records.push(['V', intText(battery.voltage * 1000)], ['AR', '0'], ['WARN', '0'], ['OR', '0x00000000']);
    return [records];
  }

  dispose(): void {
    this.detachLoad();
  }

  private drift(): void {
    const now = this.context.system.simSeconds();
    const minutes = (now - this.lastDrift) / 60;
    this.lastDrift = now;
    if (minutes <= 0) return;
    const target = 40 + 60 * Math.max(0, Math.sin(((this.context.system.timeOfDay() / 60 - 12) * Math.PI) / 12));
    this.loadVA = Math.max(5, this.loadVA + (target - this.loadVA) * Math.min(1, minutes / 10) + this.context.random.gauss(2));
  }
}

export interface AcChargerOptions {
  readonly productId: number;
  readonly modelName: string;
  readonly serialPrefix: string;
  readonly firmware: Firmware;
  readonly firmwareStyle: FirmwareStyle;
  readonly maxCurrentA: number;
}

export function acChargerProfile(options: AcChargerOptions): SimProfile {
  return {
    identity: {
      family: 'charger',
      productId: options.productId,
      modelName: options.modelName,
      serialPrefix: options.serialPrefix,
      firmware: options.firmware,
      firmwareStyle: options.firmwareStyle,
    },
    habits: () => TEXT_ONLY,
    create: (context) => new AcChargerModel(context, options),
  };
}

export type AcChargeState = 'bulk' | 'absorption' | 'float' | 'storage';
/** CS codes of a Phoenix / Blue Smart charger (VE.Direct Protocol 3.33). */
export const AC_CS: Readonly<Record<AcChargeState, number>> = { bulk: 3, absorption: 4, float: 5, storage: 6 };

export class AcChargerModel implements FamilyModel, ChargerLink {
  readonly registers: ReadonlyMap<number, RegisterSlot> = NO_REGISTERS;
  readonly asyncRegisters: readonly number[] = [];
  readonly cableOhms: number;
  protected readonly context: DeviceContext;
  protected readonly options: AcChargerOptions;
  protected readonly attached: AttachedCharger;
  private mains = true;
  protected state: AcChargeState = 'bulk';
  private stateSeconds = 0;

  constructor(context: DeviceContext, options: AcChargerOptions) {
    this.context = context;
    this.options = options;
    this.cableOhms = 0.1 / options.maxCurrentA;
    this.attached = context.system.attachCharger(this);
  }

  /** Mains present (charging) or lost (the charger goes off and stops sending, like the real one unpowered). */
  setMains(on: boolean): void {
    this.mains = on;
    if (on) this.state = 'bulk';
  }

  powered(): boolean {
    return this.mains;
  }

  /** Switched on (0x0200); this one always is (the HEX model can be switched). */
  switchedOn(): boolean {
    return true;
  }

  available(): number {
    return this.mains && this.switchedOn() ? this.options.maxCurrentA : 0;
  }

  /** CS / 0x0201: the charge stage, 0 while switched off. */
  protected stateCode(): number {
    return this.switchedOn() ? AC_CS[this.state] : 0;
  }

  terminalTarget(): number {
    const k = this.context.system.scale;
    const perBlock: Record<AcChargeState, number> = { bulk: 14.4, absorption: 14.4, float: 13.8, storage: 13.2 };
    return perBlock[this.state] * k;
  }

  advance(seconds: number, delivered: number): void {
    this.stateSeconds += seconds;
    const limited = delivered < this.available() - 0.05;
    const next = (state: AcChargeState): void => {
      this.state = state;
      this.stateSeconds = 0;
    };
    if (this.state === 'bulk' && limited) next('absorption');
    else if (this.state === 'absorption' && (this.stateSeconds > 3 * 3600 || delivered < 0.1 * this.options.maxCurrentA)) next('float');
    else if (this.state === 'float' && this.stateSeconds > 24 * 3600) next('storage');
  }

  textBlocks(): TextRecords[] {
    const current = this.attached.current();
    return [
      [
        ['PID', pidText(this.context.identity.productId)],
        textFirmwareRecord(this.context.identity.firmware, this.context.identity.firmwareStyle),
        ['SER#', this.context.identity.serial],
        ['V', intText(this.attached.terminalVoltage() * 1000)],
        ['I', intText(current * 1000)],
        // No temperature sensor: `---` (VE.Direct Protocol 3.33; as captured).
        ['T', '---'],
        ['ERR', '0'],
        ['CS', String(this.stateCode())],
        ['HC#', '57825'],
      ],
    ];
  }

  dispose(): void {
    this.attached.detach();
  }
}
