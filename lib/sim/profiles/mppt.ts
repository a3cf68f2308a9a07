/**
 * BlueSolar / SmartSolar MPPT solar chargers: a charger on the shared battery (bulk →
 * absorption → float, PV from the day curve, terminal voltage = battery voltage + cable drop),
 * its Text block (fields by firmware, VE.Direct Protocol 3.33 footnotes) and the registers of
 * the BlueSolar HEX protocol MPPT rev 10, including the remote control registers: remote sense
 * 0x2002 / 0x2003 (remote-sense.ts), network mode 0x200E and status 0x200F / 0x200D, and the
 * BMS mode that stores "BMS present" (0xEDE8) to flash.
 *
 * Firmware gates used here (same document, VE.Direct Protocol 3.33): LOAD ≥ 1.12, IL ≥ 1.15,
 * HSDS and 0x0140 ≥ 1.16, async frames and Relay ≥ 1.17, 0x2015 ≥ 1.19, 0x200F bits 6/7 and
 * async sense notices ≥ 1.26, remote control registers ≥ 1.29 (official support), MPPT ≥ 1.37,
 * 0x200D and 0xEDB3 ≥ 1.42, OR and 0x0207 ≥ 1.44 (0x0205 before), Text always on ≥ 1.53.
 */

import type { TimerHandle } from '../../clock';
import { Flag } from '../../protocol/hex-codec';
import {
  BATTERY_CURRENT,
  BMS_PRESENT,
  CHARGE_CURRENT_LIMIT,
  CHARGE_VOLTAGE_SETPOINT,
  NETWORK_INFO,
  NETWORK_MODE,
  NETWORK_STATUS,
  TOTAL_CHARGE_CURRENT,
  TOTAL_DC_INPUT_POWER,
} from '../../protocol/catalog/register-ids';
import type { AttachedCharger, ChargerLink } from '../battery-model';
import { HistoryLog } from '../history-log';
import type { Firmware } from '../identity';
import { textFirmwareRecord } from '../identity';
import type { DeviceContext, FamilyModel, HexHabits, SimProfile } from '../profile';
import { decodeRaw, encodeRaw, liveSlot, notAvailableRaw, registerDef, settingSlot, type RegisterSlot, type SetOutcome } from '../register-map';
import { ISENSE_REGISTER, RemoteSense, TSENSE_REGISTER, VSENSE_REGISTER, type SenseRejectMode } from '../remote-sense';
import { ExternalChargeLimit, STATUS_ICHARGE } from '../charge-limit';
import type { TextRecords } from '../text-block';
import { identitySlots, intText, onOff, pidText } from './common';

export interface MpptModelOptions {
  readonly productId: number;
  readonly modelName: string;
  readonly serialPrefix: string;
  readonly firmware: Firmware;
  /** `FWE` for models that send the 24-bit firmware (SmartSolar 150/70 rev2: `FWE 316FF`). */
  readonly firmwareField: 'FW' | 'FWE';
  /** Rated charge current, A (the "30" of 100/30). */
  readonly maxCurrentA: number;
  /** Rated PV voltage, V (the "100" of 100/30). */
  readonly maxPvVoltage: number;
  /** Installed panels, W at full sun. Default: enough to reach the rated current. */
  readonly pvArrayW?: number;
  /** A load output (Text IL, 0xEDAD). */
  readonly loadOutput: boolean;
  /** Text LOAD on models without a load output, as captured (`ON` on a 100/30, `OFF` on a 250/70). */
  readonly loadText?: 'ON' | 'OFF';
  /** A relay (Text Relay, fw ≥ 1.17). */
  readonly relay: boolean;
  /** Sends each cycle as two blocks, PID…OR and ERR…HSDS (SmartSolar 150/70 rev2 capture). */
  readonly splitBlock: boolean;
  /** "pv only": no power, hence no communication, without sun (BlueSolar HEX protocol MPPT). */
  readonly pvOnly: boolean;
  /**
   * First firmware with the Text OR field: 1.44 on SmartSolar (VE.Direct Protocol 3.33). A
   * BlueSolar 75/15 at 1.50 sends none and a BlueSolar 150/35 at 1.61 does (captures), so
   * BlueSolar models here start at 1.53.
   */
  readonly offReasonFrom?: Firmware;
}

export interface MpptDeviceOptions {
  /** Another master already controls the charger (see OtherMaster). */
  readonly otherMaster?: OtherMaster | null;
  /** What a 0x2002 write outside ±5 V of the terminals gets (remote-sense.ts). */
  readonly senseRejectMode?: SenseRejectMode;
  /** Battery cable resistance, Ω. Default: 0.15 V drop at rated current. */
  readonly cableOhms?: number;
  /** Remote sense timeout, ms (60 s on real chargers). */
  readonly senseTimeoutMs?: number;
  /** How long a 0x2015 limit lasts without a refresh, ms (charge-limit.ts: 50 s). */
  readonly chargeLimitLapseMs?: number;
}

/**
 * Another master controlling the charger, for conflict tests: `gx` (DVCC external control,
 * network mode 0x05, sense data from the GX), `bms` (BMS mode 0x0D with BMS present stored),
 * `vesmart` (a VE.Smart network with a battery sense supplying voltage and temperature).
 */
export type OtherMaster = 'gx' | 'bms' | 'vesmart';

export type ChargeState = 'off' | 'bulk' | 'absorption' | 'float';

/** Load output control 0xEDAB (BlueSolar HEX protocol MPPT): 0 off, 1 automatic (BatteryLife, the default), 4 on. */
const LOAD_OUTPUT_CONTROL = 0xedab;
const LOAD_OFF = 0;
const LOAD_AUTO = 1;
const LOAD_ON = 4;

/** Device state codes (Text CS, 0x0201; VE.Direct Protocol 3.33). */
const CS = { off: 0, fault: 2, bulk: 3, absorption: 4, float: 5, external: 252 } as const;

const STAND_ALONE = 0x04;
/** Link values (0x200E, 0x2001, 0x2015, 0x200A) fall back after 60 s without a write (Victron register dictionary). */
const LINK_TIMEOUT_MS = 60_000;
const PV_EFFICIENCY = 0.97;
/** Below this irradiance a "pv only" charger has no power. */
const PV_ONLY_POWER_ON = 0.03;

function mpptHabits(firmware: Firmware): HexHabits {
  return {
    answersHex: true,
    replyPlacement: firmware >= 0x153 ? 'after-unit' : 'next-record',
    pauseTextOnHex: firmware < 0x153,
    // "several seconds"; a peer saw Text back after about a second without HEX.
    hexHoldMs: 3000,
    asyncAfterHex: firmware >= 0x117,
  };
}

export function mpptProfile(model: MpptModelOptions, device: MpptDeviceOptions = {}): SimProfile {
  return {
    identity: {
      family: 'mppt',
      productId: model.productId,
      modelName: model.modelName,
      serialPrefix: model.serialPrefix,
      firmware: model.firmware,
      firmwareStyle: model.firmwareField === 'FWE' ? 'FWE' : 'FW',
    },
    habits: mpptHabits,
    create: (context) => new MpptModel(context, model, device),
  };
}

/** What the charger regulates to, for tests that check remote sense is used. */
export interface Regulation {
  readonly state: ChargeState;
  /** Charge voltage of the state, after temperature compensation, V. */
  readonly targetV: number;
  /** Voltage it drives its terminals to (target plus sense correction), V. */
  readonly terminalTargetV: number;
  readonly terminalV: number;
  /** Sensed battery voltage / temperature in use (written or from another master), or null. */
  readonly senseV: number | null;
  readonly senseC: number | null;
}

export class MpptModel implements FamilyModel, ChargerLink {
  readonly registers: ReadonlyMap<number, RegisterSlot>;
  readonly asyncRegisters: readonly number[];
  readonly remoteSense: RemoteSense;
  /** 0x2015, the external charge-current limit (charge-limit.ts). */
  readonly chargeLimit: ExternalChargeLimit;
  readonly cableOhms: number;
  private readonly context: DeviceContext;
  private readonly options: MpptModelOptions;
  private readonly fw: Firmware;
  private readonly attached: AttachedCharger;
  private readonly pvArrayW: number;
  private readonly pvVmp: number;
  private otherMaster: OtherMaster | null;
  private state: ChargeState = 'off';
  private stateSeconds = 0;
  private networkMode = 0;
  private networkModeTimer: TimerHandle | null = null;
  private readonly linkValues = new Map<number, { raw: number; timer: TimerHandle | null }>();
  private settingsInvalid = false;
  private remoteControl = 0x02;
  private lit = false;
  private day: number;
  private hsds = 18;
  private totalKWh = 135.27;
  private userKWh = 48.03;
  private todayKWh = 0;
  private todayMaxW = 0;
  private yesterdayKWh = 0.67;
  private yesterdayMaxW = 322;
  private panelMaxV = 0;
  /** Daily records 0x1050 … 0x106E and the total 0x104F (fw ≥ 1.16: capability bit 2). */
  private readonly history: HistoryLog;

  constructor(context: DeviceContext, options: MpptModelOptions, device: MpptDeviceOptions) {
    this.context = context;
    this.options = options;
    this.fw = context.identity.firmware;
    const k = context.system.scale;
    this.pvArrayW = options.pvArrayW ?? options.maxCurrentA * 14 * k * 1.2;
    // Panels strung to about 40 % of the rated PV voltage at the maximum power point.
    this.pvVmp = Math.max(18 * k, 0.42 * options.maxPvVoltage);
    this.cableOhms = device.cableOhms ?? 0.15 / options.maxCurrentA;
    this.otherMaster = device.otherMaster ?? null;
    this.remoteSense = new RemoteSense({
      clock: context.clock,
      rejectMode: device.senseRejectMode ?? 'parameter-error',
      ...(device.senseTimeoutMs !== undefined ? { timeoutMs: device.senseTimeoutMs } : {}),
      // fw ≥ 1.26: "transmit 0xFFFF @ timeout" / "transmit 0x7FFF @ timeout".
      onTimeout: (register) => {
        if (this.fw >= 0x126) context.notifyAsync(register, this.readSense(register));
      },
    });
    this.chargeLimit = new ExternalChargeLimit({ clock: context.clock, ratedA: options.maxCurrentA, ...(device.chargeLimitLapseMs !== undefined ? { lapseMs: device.chargeLimitLapseMs } : {}) });
    this.day = context.system.day();
    this.history = new HistoryLog({
      day: this.hsds,
      yesterdayKWh: this.yesterdayKWh,
      yesterdayMaxW: this.yesterdayMaxW,
      ratedA: options.maxCurrentA,
      nominalV: 12 * context.system.scale,
      // A fork: the device's own random sequence stays as it was.
      random: context.random.fork(0x1050),
    });
    this.registers = this.buildRegisters();
    this.asyncRegisters = this.buildAsyncList();
    if (this.otherMaster === 'bms') context.settings.set(BMS_PRESENT, 1);
    this.attached = context.system.attachCharger(this);
    this.lit = context.system.irradiance() > 0;
    this.state = this.lit ? 'bulk' : 'off';
  }

  // ── ChargerLink: what the battery model asks ────────────────────────────────────────────────

  available(): number {
    if (!this.canCharge()) return 0;
    const pvW = this.pvArrayW * this.context.system.irradiance();
    const terminal = Math.max(1, this.attached.terminalVoltage());
    return Math.min(this.currentLimit(), (pvW * PV_EFFICIENCY) / terminal);
  }

  terminalTarget(): number {
    return this.regulation().terminalTargetV;
  }

  advance(seconds: number, delivered: number): void {
    const system = this.context.system;
    const light = system.irradiance() > 0;
    if (light && !this.lit && system.day() !== this.day) this.newDay(system.day());
    this.lit = light;
    const terminal = this.attached.terminalVoltage();
    const energyKWh = (terminal * delivered * seconds) / 3.6e6;
    this.todayKWh += energyKWh;
    this.totalKWh += energyKWh;
    this.userKWh += energyKWh;
    this.todayMaxW = Math.max(this.todayMaxW, this.panelPower());
    this.panelMaxV = Math.max(this.panelMaxV, this.panelVoltage());
    this.history.tally({ seconds, state: this.state, batteryV: terminal, batteryA: delivered, panelV: this.panelMaxV, panelW: this.todayMaxW });
    this.stateSeconds += seconds;
    if (!light || !this.canCharge()) {
      this.setState('off');
      return;
    }
    const { targetV } = this.regulation();
    const limited = delivered < this.available() - 0.05;
    const tailA = (this.context.settings.get(0xede7) ?? 20) / 10;
    const absorptionLimitS = ((this.context.settings.get(0xedfb) ?? 600) / 100) * 3600;
    switch (this.state) {
      case 'off':
        this.setState('bulk');
        break;
      case 'bulk':
        // Voltage-limited: the battery reached the charge voltage.
        if (limited && terminal >= targetV - 0.1) this.setState('absorption');
        break;
      case 'absorption':
        if (this.stateSeconds >= absorptionLimitS || (limited && delivered - system.battery().loadCurrent < tailA)) this.setState('float');
        break;
      case 'float':
        break;
    }
  }

  // ── FamilyModel ──────────────────────────────────────────────────────────────────────────────

  powered(): boolean {
    if (!this.options.pvOnly) return true;
    return this.context.system.irradiance() > PV_ONLY_POWER_ON;
  }

  restart(): void {
    this.remoteSense.reset();
    this.chargeLimit.drop();
    this.networkModeTimer?.cancel();
    this.networkModeTimer = null;
    this.networkMode = 0;
    for (const value of this.linkValues.values()) value.timer?.cancel();
    this.linkValues.clear();
    this.remoteControl = 0x02;
    // Error 119 clears only with valid settings and a restart (BlueSolar HEX protocol MPPT note 5).
    this.settingsInvalid = !this.settingsValid();
    this.setState(this.lit ? 'bulk' : 'off');
  }

  dispose(): void {
    this.remoteSense.reset();
    this.chargeLimit.drop();
    this.networkModeTimer?.cancel();
    for (const value of this.linkValues.values()) value.timer?.cancel();
    this.attached.detach();
  }

  textBlocks(): TextRecords[] {
    const fw = this.fw;
    const { options } = this;
    const idRecords: Array<[string, string]> = [
      ['PID', pidText(this.context.identity.productId)],
      textFirmwareRecord(fw, this.context.identity.firmwareStyle),
      ['SER#', this.context.identity.serial],
    ];
    const v = this.attached.terminalVoltage() + this.context.random.gauss(0.002);
    const measured: Array<[string, string]> = [
      ['V', intText(v * 1000)],
      ['I', intText(this.chargeCurrent() * 1000)],
      ['VPV', intText(this.panelVoltage() * 1000)],
      ['PPV', intText(this.panelPower())],
    ];
    const cs: [string, string] = ['CS', String(this.deviceState())];
    const tracker: Array<[string, string]> = fw >= 0x137 ? [['MPPT', String(this.trackerMode())]] : [];
    const offReason: Array<[string, string]> = fw >= (options.offReasonFrom ?? 0x144) ? [['OR', `0x${this.offReason().toString(16).toUpperCase().padStart(8, '0')}`]] : [];
    const status: Array<[string, string]> = [['ERR', String(this.errorCode())]];
    if (fw >= 0x112) status.push(['LOAD', options.loadOutput ? onOff(this.loadOn()) : (options.loadText ?? 'ON')]);
    if (options.loadOutput && fw >= 0x115) status.push(['IL', '0']);
    if (options.relay && fw >= 0x117) status.push(['Relay', 'OFF']);
    const history: Array<[string, string]> = [
      ['H19', intText(this.userKWh * 100)],
      ['H20', intText(this.todayKWh * 100)],
      ['H21', intText(this.todayMaxW)],
      ['H22', intText(this.yesterdayKWh * 100)],
      ['H23', intText(this.yesterdayMaxW)],
    ];
    if (fw >= 0x116) history.push(['HSDS', String(this.hsds)]);
    if (options.splitBlock) {
      // Captured order: …PPV, MPPT, CS, OR | ERR, LOAD, Relay, H19…HSDS.
      return [
        [...idRecords, ...measured, ...tracker, cs, ...offReason],
        [...status, ...history],
      ];
    }
    return [[...idRecords, ...measured, cs, ...tracker, ...offReason, ...status, ...history]];
  }

  // ── Control, for tests ───────────────────────────────────────────────────────────────────────

  /** Let another master control the charger (or none). */
  setOtherMaster(master: OtherMaster | null): void {
    this.otherMaster = master;
    if (master === 'bms') this.context.settings.set(BMS_PRESENT, 1);
  }

  getOtherMaster(): OtherMaster | null {
    return this.otherMaster;
  }

  get chargeState(): ChargeState {
    return this.state;
  }

  regulation(): Regulation {
    const settings = this.context.settings;
    const battery = this.context.system.battery();
    const terminalV = this.attached.terminalVoltage();
    const fromMaster = this.otherMaster === 'gx' || this.otherMaster === 'vesmart';
    const senseV = this.remoteSense.voltage ?? (fromMaster ? battery.voltage : null);
    const senseC = this.remoteSense.temperature ?? (fromMaster ? battery.temperatureC : null);
    let base = ((this.state === 'float' ? settings.get(0xedf6) : settings.get(0xedf7)) ?? 0) / 100;
    const setpoint = this.linkValues.get(CHARGE_VOLTAGE_SETPOINT)?.raw;
    if (this.externalControl() && setpoint !== undefined && setpoint !== 0xffff) base = setpoint / 100;
    // Temperature compensation (0xEDF2, 0.01 mV/K) around 25 °C, only with a real battery temperature.
    const compensation = senseC === null ? 0 : (((settings.get(0xedf2) ?? 0) / 100 / 1000) * (senseC - 25));
    const targetV = base + compensation;
    // "The charger can adapt its charging voltage up to ±2V to compensate for cable losses."
    const correction = senseV === null ? 0 : Math.min(2, Math.max(-2, terminalV - senseV));
    return { state: this.state, targetV, terminalTargetV: targetV + correction, terminalV, senseV, senseC };
  }

  // ── Derived values ───────────────────────────────────────────────────────────────────────────

  private setState(state: ChargeState): void {
    if (state !== this.state) this.stateSeconds = 0;
    this.state = state;
  }

  private newDay(day: number): void {
    this.day = day;
    this.history.newDay((this.hsds + 1) % 365, this.todayKWh);
    this.yesterdayKWh = this.todayKWh;
    this.yesterdayMaxW = this.todayMaxW;
    this.todayKWh = 0;
    this.todayMaxW = 0;
    this.panelMaxV = 0;
    this.hsds = (this.hsds + 1) % 365;
    this.setState('bulk');
  }

  /** Rated current, the 0xEDF0 setting and a 0x2015 link limit, whichever is lowest: "the minimum of 0x2015 and 0xEDF0". */
  private currentLimit(): number {
    let limit = Math.min(this.options.maxCurrentA, (this.context.settings.get(0xedf0) ?? 0) / 10);
    const linkLimit = this.chargeLimit.limitA(this.externalControl());
    if (linkLimit !== null) limit = Math.min(limit, linkLimit);
    return limit;
  }

  private modeOn(): boolean {
    return (this.context.settings.get(0x0200) ?? 1) === 1;
  }

  private bmsLost(): boolean {
    // BMS present stored, and no BMS talking: "it stops charging and shows error #67".
    return (this.context.settings.get(BMS_PRESENT) ?? 0) === 1 && this.otherMaster !== 'bms' && (this.networkMode & 0x08) === 0;
  }

  private errorCode(): number {
    if (this.settingsInvalid) return 119;
    if (this.bmsLost()) return 67;
    return 0;
  }

  private canCharge(): boolean {
    return this.modeOn() && this.errorCode() === 0;
  }

  private externalControl(): boolean {
    return this.otherMaster === 'gx' || this.otherMaster === 'bms' || (this.networkMode & 0x0c) !== 0;
  }

  private deviceState(): number {
    if (this.errorCode() !== 0) return CS.fault;
    if (this.state === 'off') return CS.off;
    const setpoint = this.linkValues.get(CHARGE_VOLTAGE_SETPOINT)?.raw;
    // fw ≥ 1.42 shows "External control" only while a voltage set-point is received.
    if (this.externalControl() && (this.otherMaster !== null || (setpoint !== undefined && setpoint !== 0xffff))) return CS.external;
    return CS[this.state];
  }

  /** 0 off, 1 voltage or current limited, 2 tracking the power point (VE.Direct Protocol 3.33 `MPPT`). */
  private trackerMode(): number {
    const current = this.chargeCurrent();
    if (this.state === 'off' || current <= 0) return 0;
    return this.state === 'bulk' && current < this.currentLimit() - 0.1 ? 2 : 1;
  }

  private offReason(): number {
    let reason = 0;
    if (!this.lit) reason |= 0x01;
    if (!this.modeOn()) reason |= 0x04;
    if (this.bmsLost()) reason |= 0x40;
    return reason;
  }

  /** Load output: 0xEDAB 0 always off, 4 always on, the automatic modes by battery voltage. */
  private loadOn(): boolean {
    const control = this.context.settings.get(LOAD_OUTPUT_CONTROL) ?? LOAD_AUTO;
    if (control === LOAD_OFF || control === LOAD_ON) return control === LOAD_ON;
    return this.context.system.battery().voltage > 11.1 * this.context.system.scale;
  }

  private chargeCurrent(): number {
    return this.attached.current();
  }

  private panelPower(): number {
    return Math.round((this.attached.terminalVoltage() * this.attached.current()) / PV_EFFICIENCY);
  }

  private panelVoltage(): number {
    const irradiance = this.context.system.irradiance();
    // At night the input reads a few mV (`VPV 10` in the night captures).
    if (irradiance <= 0) return 0.01;
    const voc = this.pvVmp * 1.22;
    const vmp = this.pvVmp * (0.92 + 0.08 * irradiance);
    const available = this.available();
    const used = available > 0 ? Math.min(1, this.attached.current() / available) : 0;
    // Throttled (absorption, float) the panels drift from the power point towards open circuit.
    return Math.min(this.options.maxPvVoltage, vmp + (voc - vmp) * (1 - used)) + this.context.random.gauss(0.01);
  }

  private internalTemperature(): number {
    return this.context.system.ambientC() + 15 * (this.attached.current() / this.options.maxCurrentA);
  }

  private settingsValid(): boolean {
    const k = this.context.system.scale;
    const s = this.context.settings;
    // 12 V system: charge voltages 8–17.4 V, compensation −21…+21 mV/K (BlueSolar HEX protocol MPPT note 5).
    for (const id of [0xedf7, 0xedf6, 0xedf4, 0xedf5]) {
      const raw = s.get(id);
      if (raw !== undefined && (raw < 800 * k || raw > 1740 * k)) return false;
    }
    const comp = s.get(0xedf2);
    return comp === undefined || Math.abs(comp) <= 2100 * k;
  }

  // ── Registers ───────────────────────────────────────────────────────────────────────────────

  private readSense(register: number): Uint8Array {
    const def = registerDef(register);
    if (register === VSENSE_REGISTER) return encodeRaw(def, this.remoteSense.voltageRaw());
    if (register === ISENSE_REGISTER) return encodeRaw(def, this.remoteSense.currentRaw());
    return encodeRaw(def, this.remoteSense.temperatureRaw());
  }

  private hasLinkRegisters(): boolean {
    return this.fw >= 0x129;
  }

  private networkModeValue(): number {
    switch (this.otherMaster) {
      case 'gx':
        return 0x05;
      case 'bms':
        return 0x0d;
      case 'vesmart':
        return 0x01 | this.networkMode;
      default:
        return this.networkMode;
    }
  }

  private networkStatus(): number {
    const mode = this.networkModeValue();
    const role = (mode & 0x0e) !== 0 ? 0x00 : STAND_ALONE;
    const fromMaster = this.otherMaster === 'gx' || this.otherMaster === 'vesmart' ? 0xc0 : 0;
    // ICHARGE (fw ≥ 1.44): a 0x2015 limit is in use.
    const icharge = this.fw >= 0x144 && this.chargeLimit.limitA(this.externalControl()) !== null ? STATUS_ICHARGE : 0;
    return role | this.remoteSense.statusBits() | fromMaster | icharge;
  }

  private networkInfo(): number {
    const mode = this.networkModeValue();
    let info = this.remoteSense.statusBits();
    if (this.otherMaster === 'gx' || this.otherMaster === 'vesmart') info |= 0xc0;
    if (mode & 0x08) info |= 0x01;
    if (mode & 0x04) info |= 0x02;
    return info;
  }

  private senseSlot(register: number): RegisterSlot {
    const def = registerDef(register);
    return {
      def,
      read: () => this.readSense(register),
      write: (value): SetOutcome => {
        const raw = decodeRaw(def, value);
        if (raw === undefined) return { flags: Flag.ParameterError, value: this.readSense(register), stored: false };
        const result =
          register === VSENSE_REGISTER
            ? this.remoteSense.writeVoltage(raw, this.attached.terminalVoltage())
            : register === ISENSE_REGISTER
              ? this.remoteSense.writeCurrent(raw)
              : this.remoteSense.writeTemperature(raw);
        return { flags: result.flags, value: encodeRaw(def, result.raw), stored: result.flags === 0 };
      },
    };
  }

  /**
   * A link value that falls back to "not available" 60 s after its last write. Above `maxRaw`
   * (0x2015 above the rated current) the charger answers flags 0x04 with the clamped value and
   * keeps the old one, as it does for an out-of-range setting.
   */
  private linkSlot(id: number, maxRaw?: number): RegisterSlot {
    const def = registerDef(id);
    const notAvailable = notAvailableRaw(def);
    return {
      def,
      read: () => encodeRaw(def, this.linkValues.get(id)?.raw ?? notAvailable),
      write: (value): SetOutcome => {
        const raw = decodeRaw(def, value);
        if (raw === undefined) return { flags: Flag.ParameterError, value: encodeRaw(def, this.linkValues.get(id)?.raw ?? notAvailable), stored: false };
        if (maxRaw !== undefined && raw !== notAvailable && raw > maxRaw) return { flags: Flag.ParameterError, value: encodeRaw(def, maxRaw), stored: false };
        const old = this.linkValues.get(id);
        old?.timer?.cancel();
        if (raw === notAvailable) {
          this.linkValues.delete(id);
        } else {
          const entry = { raw, timer: null as TimerHandle | null };
          entry.timer = this.context.clock.setTimeout(() => this.linkValues.delete(id), LINK_TIMEOUT_MS);
          this.linkValues.set(id, entry);
        }
        return { flags: 0, value: encodeRaw(def, raw), stored: true };
      },
    };
  }

  /** 0x2015: charge-limit.ts holds the limit, its lapse and the clamp to the rated current. */
  private chargeLimitSlot(): RegisterSlot {
    const def = registerDef(CHARGE_CURRENT_LIMIT);
    return {
      def,
      read: () => encodeRaw(def, this.chargeLimit.readRaw()),
      write: (value): SetOutcome => {
        const raw = decodeRaw(def, value);
        if (raw === undefined) return { flags: Flag.ParameterError, value: encodeRaw(def, this.chargeLimit.readRaw()), stored: false };
        const result = this.chargeLimit.write(raw);
        return { flags: result.flags, value: encodeRaw(def, result.raw), stored: result.flags === 0 };
      },
    };
  }

  private networkModeSlot(): RegisterSlot {
    const def = registerDef(NETWORK_MODE);
    return {
      def,
      read: () => encodeRaw(def, this.networkModeValue()),
      write: (value): SetOutcome => {
        const raw = decodeRaw(def, value);
        if (raw === undefined) return { flags: Flag.ParameterError, value: encodeRaw(def, this.networkModeValue()), stored: false };
        if ((raw & 0x08) !== 0 && (this.context.settings.get(BMS_PRESENT) ?? 0) !== 1) {
          // "Setting the Remote BMS mode bit … makes the Solar Charger automatically enable the
          // BMS present setting (0xEDE8), and store that to flash." Counted on the bit alone.
          this.context.settings.set(BMS_PRESENT, 1);
          this.context.countFlashWrite(BMS_PRESENT);
        }
        this.networkMode = raw;
        this.networkModeTimer?.cancel();
        // "The network master has to set this on all units, 60s timeout."
        this.networkModeTimer = raw === 0 ? null : this.context.clock.setTimeout(() => (this.networkMode = 0), LINK_TIMEOUT_MS);
        return { flags: 0, value: encodeRaw(def, raw), stored: true };
      },
    };
  }

  private deviceModeSlot(): RegisterSlot {
    const def = registerDef(0x0200);
    const settings = this.context.settings;
    if (!settings.has(0x0200)) settings.set(0x0200, 1);
    // fw ≤ 1.16 reports "off" as 0, later firmware as 4 (BlueSolar HEX protocol MPPT).
    const off = this.fw >= 0x117 ? 4 : 0;
    const read = (): Uint8Array => encodeRaw(def, (settings.get(0x0200) ?? 1) === 1 ? 1 : off);
    return {
      def,
      read,
      write: (value): SetOutcome => {
        const raw = decodeRaw(def, value);
        if (raw !== 0 && raw !== 1 && raw !== 4) return { flags: Flag.ParameterError, value: read(), stored: false };
        settings.set(0x0200, raw === 1 ? 1 : off);
        return { flags: 0, value: read(), stored: true };
      },
    };
  }

  private buildRegisters(): Map<number, RegisterSlot> {
    const { context, options, fw } = this;
    const { settings, system } = context;
    const k = system.scale;
    const live = (id: number, get: () => number): [number, RegisterSlot] => [id, liveSlot(id, get)];
    const setting = (id: number, initial: number, limits: { min?: number; max?: number } = {}): [number, RegisterSlot] => [
      id,
      settingSlot(id, settings, initial, { ...limits, onStored: () => this.checkSettings() }),
    ];
    const slots: Array<[number, RegisterSlot]> = [
      ...identitySlots(context.identity, 16, 0xff),
      [0x0200, this.deviceModeSlot()],
      live(0x0201, () => this.deviceState()),
      [
        0x0202,
        {
          def: registerDef(0x0202),
          read: () => encodeRaw(registerDef(0x0202), this.remoteControl),
          // "bits will only be cleared when the unit restarts"
          write: (value): SetOutcome => {
            const raw = decodeRaw(registerDef(0x0202), value);
            if (raw === undefined) return { flags: Flag.ParameterError, value: encodeRaw(registerDef(0x0202), this.remoteControl), stored: false };
            this.remoteControl = (this.remoteControl | raw) >>> 0;
            return { flags: 0, value: encodeRaw(registerDef(0x0202), this.remoteControl), stored: true };
          },
        },
      ],
      live(0xedd5, () => Math.round(this.attached.terminalVoltage() * 100)),
      live(0xedd7, () => Math.round(this.chargeCurrent() * 10)),
      live(0xedbb, () => Math.round(this.panelVoltage() * 100)),
      live(0xedbc, () => Math.round(this.panelPower() * 100)),
      live(0xedda, () => this.errorCode()),
      live(0xeddb, () => Math.round(this.internalTemperature() * 100)),
      live(0xeddc, () => Math.round(this.userKWh * 100)),
      live(0xeddd, () => Math.round(this.totalKWh * 100)),
      live(0xedd3, () => Math.round(this.todayKWh * 100)),
      live(0xedd2, () => this.todayMaxW),
      live(0xedd1, () => Math.round(this.yesterdayKWh * 100)),
      live(0xedd0, () => this.yesterdayMaxW),
      // 0.1 A on real devices, whatever the document says (koestler/go-victron captures).
      live(0xeddf, () => options.maxCurrentA * 10),
      live(0xedd4, () => 0),
      // Battery temperature only from a VE.Smart network (fw ≥ 1.42); else not available.
      live(0xedec, () =>
        this.otherMaster === 'vesmart' && fw >= 0x142 ? Math.round(system.battery().temperatureC * 100) + 27315 : 0xffff,
      ),
      // Settings (flash), defaults of the "Solar Lab" 100/30 capture, scaled to the system voltage.
      setting(0xedf7, Math.round(1440 * k)),
      setting(0xedf6, Math.round(1380 * k)),
      setting(0xedf4, Math.round(1620 * k)),
      setting(0xedf5, Math.round(1320 * k)),
      setting(0xedf2, Math.round(-1620 * k)),
      setting(0xedf1, 3),
      setting(0xedf0, options.maxCurrentA * 10, { max: options.maxCurrentA * 10 }),
      setting(0xedef, 12 * k, { max: 48 }),
      setting(0xede8, 0, { max: 1 }),
      setting(0xede0, 500),
      setting(0xede6, 0xffff),
      setting(0xed2e, Math.round(40 * k)),
      setting(0xedfb, 600),
      setting(0xedfc, 1000),
      setting(0xedfd, 0, { max: 1 }),
      setting(0xedfe, 1, { max: 1 }),
      setting(0xedff, 1, { max: 1 }),
      setting(0xede7, 20),
      setting(0xede3, 100),
      setting(0xede4, 8, { max: 100 }),
      setting(0xede5, 1, { max: 1 }),
    ];
    if (fw >= 0x116) {
      slots.push(live(0x0140, () => this.capabilities()));
      slots.push(live(0xedb8, () => Math.round(this.panelMaxV * 100)));
      slots.push(...this.history.slots(() => this.todayKWh, () => ({ userKWh: this.userKWh, systemKWh: this.totalKWh })));
    }
    if (fw >= 0x117) {
      slots.push(setting(0xedea, 12 * k, { max: 48 }));
      // Group id for parallel charging (10 on the captured 100/30).
      slots.push(live(0x0104, () => 10));
    }
    if (fw >= 0x142) slots.push(live(0xedb3, () => this.trackerMode()));
    if (fw >= 0x144) slots.push(live(0x0207, () => this.offReason()));
    else if (fw >= 0x129) slots.push(live(0x0205, () => this.offReason()));
    // Panel current: not on the 10, 15 and 20 A models.
    if (options.maxCurrentA > 20) {
      slots.push(live(0xedbd, () => Math.round(((this.panelPower() / Math.max(1, this.panelVoltage())) * 10))));
    }
    if (options.loadOutput) slots.push(live(0xedad, () => 0));
    if (options.loadOutput) slots.push(live(0xeda8, () => (this.loadOn() ? 1 : 0)), setting(LOAD_OUTPUT_CONTROL, LOAD_AUTO, { max: 7 }));
    if (this.hasLinkRegisters()) {
      slots.push(
        live(0x2000, () => 1),
        [CHARGE_VOLTAGE_SETPOINT, this.linkSlot(CHARGE_VOLTAGE_SETPOINT)],
        [VSENSE_REGISTER, this.senseSlot(VSENSE_REGISTER)],
        [TSENSE_REGISTER, this.senseSlot(TSENSE_REGISTER)],
        [NETWORK_MODE, this.networkModeSlot()],
        live(NETWORK_STATUS, () => this.networkStatus()),
        // Written by a network master (parallel charging, VE.Smart); "not available" here.
        [TOTAL_CHARGE_CURRENT, this.linkSlot(TOTAL_CHARGE_CURRENT)],
        [TOTAL_DC_INPUT_POWER, this.linkSlot(TOTAL_DC_INPUT_POWER)],
        live(0x2030, () => (system.irradiance() > PV_ONLY_POWER_ON ? 1 : 0)),
        [
          0x2031,
          {
            def: registerDef(0x2031),
            read: () => encodeRaw(registerDef(0x2031), Math.floor(system.timeOfDay())),
            // A written time of day is used for 5 days; the simulator keeps its own clock.
            write: (value): SetOutcome => ({ flags: 0, value, stored: true }),
          },
        ],
      );
      if (fw >= 0x119) slots.push([CHARGE_CURRENT_LIMIT, this.chargeLimitSlot()]);
      if (fw >= 0x142) slots.push(live(NETWORK_INFO, () => this.networkInfo()));
      // Battery current from a monitor: "planned in firmware 1.44" (note 8), with ISENSE.
      if (fw >= 0x144) slots.push([BATTERY_CURRENT, this.senseSlot(BATTERY_CURRENT)]);
    }
    return new Map(slots);
  }

  private buildAsyncList(): number[] {
    const fw = this.fw;
    if (fw < 0x117) return [];
    const ids = [0x0200, 0x0201, 0x0202, 0xedd7, 0xedbc, 0xedbb, 0xedda, 0xedd3, 0xedd2];
    if (this.options.loadOutput) ids.push(0xedad);
    if (fw >= 0x142) ids.push(0xedb3);
    // Added in 1.26 (BlueSolar HEX protocol MPPT §1.2).
    if (fw >= 0x126) ids.push(0xedd5, 0x2030);
    if (fw >= 0x144) ids.push(0x0207);
    if (this.hasLinkRegisters()) ids.push(VSENSE_REGISTER, TSENSE_REGISTER, BATTERY_CURRENT, TOTAL_CHARGE_CURRENT, TOTAL_DC_INPUT_POWER);
    return ids.filter((id) => this.registers.has(id));
  }

  private capabilities(): number {
    let bits = 0x4 | 0x8 | 0x10 | 0x20 | 0x40 | 0x100;
    if (this.options.loadOutput) bits |= 0x1 | 0x1000;
    if (this.options.maxCurrentA > 20) bits |= 0x2000;
    if (this.hasLinkRegisters()) bits |= 0x4000 | 0x8000 | 0x10000;
    if (this.options.relay) bits |= 0x20000;
    return bits;
  }

  private checkSettings(): void {
    if (!this.settingsValid()) this.settingsInvalid = true;
  }
}
