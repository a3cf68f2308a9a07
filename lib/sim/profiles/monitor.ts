/**
 * Battery monitors: BMV-700 / 702 / 712 and SmartShunt. Two Text blocks per cycle — main
 * (PID, V, [VS | VM, DM | T], I, P, CE, SOC, TTG, Alarm, [Relay], AR, BMV, FW, [MON]) and
 * history (H1…H18) — and the BMV-7xx HEX protocol registers, with values read from the shared
 * battery. Field sets and order follow real captures: BMV-700 (karioja/vedirect), BMV-702
 * (SignalK sample), SmartShunt 500A/50mV fw 4.05 / 4.14 (jblance/mpp-solar, koestler/go-victron).
 */

import { commandSlot, encodeRaw, liveSlot, notAvailableRaw, registerDef, settingSlot, type RegisterSlot } from '../register-map';
import { Flag } from '../../protocol/hex-codec';
import { registerForProduct } from '../../protocol/catalog/overrides';
import { CLEAR_HISTORY, MAIN_VOLTAGE, SYNCHRONISE, ZERO_CURRENT } from '../../protocol/catalog/register-ids';
import type { DeviceContext, FamilyModel, HexHabits, SimProfile } from '../profile';
import type { Firmware, FirmwareStyle } from '../identity';
import { textFirmwareRecord } from '../identity';
import type { TextRecords } from '../text-block';
import { identitySlots, intText, onOff, pidText } from './common';

/** Relay mode 0x034F and its "remote" value (Victron register dictionary, VE_REG_RELAY_MODE). */
const RELAY_MODE = 0x034f;
const RELAY_MODE_REMOTE = 2;

/** What the aux input measures (BMV-702/712, SmartShunt: a setting; BMV-700 has none). */
export type AuxMode = 'none' | 'starter' | 'midpoint' | 'temperature';

export interface MonitorProfileOptions {
  readonly family: 'bmv' | 'smartshunt';
  readonly productId: number;
  readonly modelName: string;
  /** Text `BMV` field ("700", "712 Smart", "SmartShunt 500A/50mV"). */
  readonly bmvText: string;
  readonly serialPrefix: string;
  readonly firmware: Firmware;
  readonly aux: AuxMode;
  /** BMVs have a relay (Text `Relay`, 0x034E); the SmartShunt has none. */
  readonly relay: boolean;
  /** 0x010A padding: a SmartShunt pads its serial to 24 bytes. */
  readonly serialLength?: number;
  /** Last byte of 0x0100 (0xFE on a SmartShunt). */
  readonly productIdReserved?: number;
  /**
   * Starter battery voltage for aux = starter, V; null when nothing is connected (a SmartShunt
   * then reads a few mV below zero, `VS -14` in the capture).
   */
  readonly starterVoltage?: number | null;
}

const MONITOR_HABITS: HexHabits = {
  answersHex: true,
  // No document says a BMV cuts into its blocks; keep replies after them.
  replyPlacement: 'after-unit',
  pauseTextOnHex: false,
  hexHoldMs: 0,
  asyncAfterHex: false,
};

/** Offset of 0xEDEC and the other 0.01 K registers. */
const KELVIN_RAW = 27315;

interface History {
  deepestAh: number;
  lastAh: number;
  averageAh: number;
  cycles: number;
  fullDischarges: number;
  cumulativeAh: number;
  minV: number;
  maxV: number;
  secondsSinceFull: number;
  syncs: number;
  lowVoltageAlarms: number;
  highVoltageAlarms: number;
  minAuxV: number;
  maxAuxV: number;
  dischargedKWh: number;
  chargedKWh: number;
}

export function monitorProfile(options: MonitorProfileOptions): SimProfile {
  const firmwareStyle: FirmwareStyle = 'FW4';
  return {
    identity: {
      family: options.family,
      productId: options.productId,
      modelName: options.modelName,
      serialPrefix: options.serialPrefix,
      firmware: options.firmware,
      firmwareStyle,
    },
    habits: () => MONITOR_HABITS,
    create: (context) => new MonitorModel(context, options),
  };
}

class MonitorModel implements FamilyModel {
  readonly registers: ReadonlyMap<number, RegisterSlot>;
  readonly asyncRegisters: readonly number[] = [];
  private readonly context: DeviceContext;
  private readonly options: MonitorProfileOptions;
  private readonly history: History;
  private lastTrack: number;
  private relayClosed = false;
  private wasFull: boolean;

  constructor(context: DeviceContext, options: MonitorProfileOptions) {
    this.context = context;
    this.options = options;
    const k = context.system.scale;
    // A bank in service for a while; numbers in the range of the captures.
    this.history = {
      deepestAh: -0.75 * context.system.capacityAh,
      lastAh: -0.3 * context.system.capacityAh,
      averageAh: -0.35 * context.system.capacityAh,
      cycles: 12,
      fullDischarges: 0,
      cumulativeAh: -40 * context.system.capacityAh,
      minV: 11.73 * k,
      maxV: 14.45 * k,
      secondsSinceFull: 36_000,
      syncs: 26,
      lowVoltageAlarms: 0,
      highVoltageAlarms: 0,
      minAuxV: options.aux === 'starter' && options.starterVoltage !== null ? 11.9 : 0,
      maxAuxV: options.aux === 'starter' && options.starterVoltage !== null ? 13.1 : 0,
      dischargedKWh: 68.43,
      chargedKWh: 85.27,
    };
    this.lastTrack = context.system.simSeconds();
    this.wasFull = context.system.battery().soc >= 0.995;
    this.registers = this.buildRegisters();
  }

  textBlocks(): TextRecords[] {
    this.track();
    return [this.mainBlock(), this.historyBlock()];
  }

  // ── Measurements (with a little noise, as a real shunt reads) ──────────────────────────────

  private voltage(): number {
    return this.context.system.battery().voltage + this.context.random.gauss(0.002);
  }

  private current(): number {
    const i = this.context.system.battery().current;
    return i + this.context.random.gauss(0.01);
  }

  private temperatureC(): number {
    return this.context.system.battery().temperatureC;
  }

  private auxVoltage(): number {
    const starter = this.options.starterVoltage;
    // Nothing on the aux input: a SmartShunt reads a few mV below zero (`VS -14`).
    if (starter === null) return -0.013 + this.context.random.gauss(0.001);
    return (starter ?? 12.7) + this.context.random.gauss(0.002);
  }

  /** Minutes to the discharge floor (0x1008) at the present current; null when not discharging. */
  private timeToGo(current: number): number | null {
    if (current > -0.05) return null;
    const battery = this.context.system.battery();
    const floor = (this.context.settings.get(0x1008) ?? 500) / 1000;
    const ah = Math.max(0, battery.soc - floor) * this.context.system.capacityAh;
    // The SmartShunt capture shows 14400 (10 days) as the largest value.
    return Math.min(14_400, Math.round((ah / -current) * 60));
  }

  private alarmReason(voltage: number): number {
    const k = this.context.system.scale;
    let reason = 0;
    if (voltage < 11.5 * k) reason |= 1;
    if (voltage > 15.5 * k) reason |= 2;
    return reason;
  }

  // ── Text ───────────────────────────────────────────────────────────────────────────────────

  private mainBlock(): TextRecords {
    const { options } = this;
    const battery = this.context.system.battery();
    const v = this.voltage();
    const i = this.current();
    const records: Array<[string, string]> = [
      ['PID', pidText(this.context.identity.productId)],
      ['V', intText(v * 1000)],
    ];
    switch (options.aux) {
      case 'starter':
        records.push(['VS', intText(this.auxVoltage() * 1000)]);
        break;
      case 'midpoint':
        records.push(['VM', intText((v / 2) * 1000 + 3)], ['DM', intText(2 + this.context.random.gauss(0.5))]);
        break;
      case 'temperature':
        records.push(['T', intText(this.temperatureC())]);
        break;
      case 'none':
        break;
    }
    const ttg = this.timeToGo(i);
    const reason = this.alarmReason(v);
    records.push(
      ['I', intText(i * 1000)],
      ['P', intText(v * i)],
      ['CE', intText(battery.consumedAh * 1000)],
      ['SOC', intText(battery.soc * 1000)],
      // TTG −1: infinite, not discharging (VE.Direct Protocol 3.33).
      ['TTG', ttg === null ? '-1' : intText(ttg)],
      ['Alarm', onOff(reason !== 0)],
    );
    if (options.relay) records.push(['Relay', onOff(this.relayClosed)]);
    records.push(['AR', String(reason)], ['BMV', options.bmvText], textFirmwareRecord(this.context.identity.firmware, 'FW4'));
    // MON: DC monitor mode, BMV-71x / SmartShunt fw ≥ 4.08 (0 = battery monitor).
    if (this.context.identity.firmware >= 0x408) records.push(['MON', '0']);
    return records;
  }

  private historyBlock(): TextRecords {
    const h = this.history;
    const records: Array<[string, string]> = [
      ['H1', intText(h.deepestAh * 1000)],
      ['H2', intText(h.lastAh * 1000)],
      ['H3', intText(h.averageAh * 1000)],
      ['H4', intText(h.cycles)],
      ['H5', intText(h.fullDischarges)],
      ['H6', intText(h.cumulativeAh * 1000)],
      ['H7', intText(h.minV * 1000)],
      ['H8', intText(h.maxV * 1000)],
      ['H9', intText(h.secondsSinceFull)],
      ['H10', intText(h.syncs)],
      ['H11', intText(h.lowVoltageAlarms)],
      ['H12', intText(h.highVoltageAlarms)],
    ];
    // Aux min/max only where there is an aux input (the BMV-700 capture has none).
    if (this.options.aux !== 'none') records.push(['H15', intText(h.minAuxV * 1000)], ['H16', intText(h.maxAuxV * 1000)]);
    records.push(['H17', intText(h.dischargedKWh * 100)], ['H18', intText(h.chargedKWh * 100)]);
    return records;
  }

  /** Bring the history counters up to date with simulated time. */
  private track(): void {
    const now = this.context.system.simSeconds();
    const dt = now - this.lastTrack;
    this.lastTrack = now;
    if (!(dt > 0)) return;
    const h = this.history;
    const battery = this.context.system.battery();
    const power = battery.voltage * battery.current;
    if (battery.current < 0) h.cumulativeAh += (battery.current * dt) / 3600;
    if (power < 0) h.dischargedKWh += (-power * dt) / 3.6e6;
    else h.chargedKWh += (power * dt) / 3.6e6;
    h.minV = Math.min(h.minV, battery.voltage);
    h.maxV = Math.max(h.maxV, battery.voltage);
    h.deepestAh = Math.min(h.deepestAh, battery.consumedAh);
    h.lastAh = Math.min(h.lastAh, battery.consumedAh);
    const full = battery.soc >= 0.995;
    if (full && !this.wasFull) {
      h.syncs++;
      h.cycles++;
      h.averageAh = (h.averageAh * 3 + h.lastAh) / 4;
      h.lastAh = 0;
      h.secondsSinceFull = 0;
    } else if (!full) {
      h.secondsSinceFull += dt;
    }
    this.wasFull = full;
    if (this.options.aux === 'starter' && this.options.starterVoltage !== null) {
      const aux = this.auxVoltage();
      h.minAuxV = Math.min(h.minAuxV, aux);
      h.maxAuxV = Math.max(h.maxAuxV, aux);
    }
  }

  private resetHistory(): void {
    const battery = this.context.system.battery();
    Object.assign(this.history, {
      deepestAh: 0,
      lastAh: 0,
      averageAh: 0,
      cycles: 0,
      fullDischarges: 0,
      cumulativeAh: 0,
      minV: battery.voltage,
      maxV: battery.voltage,
      secondsSinceFull: 0,
      syncs: 0,
      lowVoltageAlarms: 0,
      highVoltageAlarms: 0,
      minAuxV: 0,
      maxAuxV: 0,
      dischargedKWh: 0,
      chargedKWh: 0,
    });
  }

  // ── HEX (BMV-7xx HEX protocol) ─────────────────────────────────────────────────────────────

  private buildRegisters(): Map<number, RegisterSlot> {
    const { options, context } = this;
    const { settings, system } = context;
    const h = this.history;
    const live = (id: number, get: () => number): [number, RegisterSlot] => [
      id,
      liveSlot(id, () => {
        this.track();
        return get();
      }),
    ];
    const na = (id: number): number => notAvailableRaw(registerDef(id));
    const k = system.scale;
    const threshold = (id: number, volts: number): [number, RegisterSlot] => {
      const scale = registerForProduct(registerDef(id), { productId: context.identity.productId }).scale;
      return [id, settingSlot(id, settings, Math.round(volts / scale))];
    };
    const slots: Array<[number, RegisterSlot]> = [
      ...identitySlots(context.identity, options.serialLength ?? 16, options.productIdReserved ?? 0xff),
      live(0x0120, () => context.uptimeSeconds()),
      live(MAIN_VOLTAGE, () => Math.round(this.voltage() * 100)),
      live(0xed7d, () => (options.aux === 'starter' ? Math.round(this.auxVoltage() * 100) : na(0xed7d))),
      live(0xed8f, () => Math.round(this.current() * 10)),
      live(0xed8e, () => Math.round(this.voltage() * this.current())),
      live(0xeeff, () => Math.round(system.battery().consumedAh * 10)),
      live(0x0fff, () => Math.round(system.battery().soc * 10_000)),
      live(0x0ffe, () => this.timeToGo(this.current()) ?? na(0x0ffe)),
      live(0xedec, () => (options.aux === 'temperature' ? Math.round(this.temperatureC() * 100) + KELVIN_RAW : na(0xedec))),
      live(0x0382, () => (options.aux === 'midpoint' ? Math.round((this.voltage() / 2) * 100) : na(0x0382))),
      live(0x0383, () => (options.aux === 'midpoint' ? 2 : na(0x0383))),
      live(0xeeb6, () => 1),
      live(0x0300, () => Math.round(h.deepestAh * 10)),
      live(0x0301, () => Math.round(h.lastAh * 10)),
      live(0x0302, () => Math.round(h.averageAh * 10)),
      live(0x0303, () => h.cycles),
      live(0x0304, () => h.fullDischarges),
      live(0x0305, () => Math.round(h.cumulativeAh * 10)),
      live(0x0306, () => Math.round(h.minV * 100)),
      live(0x0307, () => Math.round(h.maxV * 100)),
      live(0x0308, () => Math.round(h.secondsSinceFull)),
      live(0x0309, () => h.syncs),
      live(0x030a, () => h.lowVoltageAlarms),
      live(0x030b, () => h.highVoltageAlarms),
      live(0x030e, () => Math.round(h.minAuxV * 100)),
      live(0x030f, () => Math.round(h.maxAuxV * 100)),
      live(0x0310, () => Math.round(h.dischargedKWh * 100)),
      live(0x0311, () => Math.round(h.chargedKWh * 100)),
      // Battery settings (flash), defaults of a new monitor; capacity 1–9999 Ah (BMV-7xx HEX protocol).
      [0x1000, settingSlot(0x1000, settings, system.capacityAh, { max: 9999 })],
      [0x1001, settingSlot(0x1001, settings, Math.round(132 * k))],
      [0x1002, settingSlot(0x1002, settings, 40)],
      [0x1003, settingSlot(0x1003, settings, 3)],
      [0x1004, settingSlot(0x1004, settings, 95, { min: 50, max: 100 })],
      [0x1005, settingSlot(0x1005, settings, 125, { min: 100, max: 150 })],
      [0x1006, settingSlot(0x1006, settings, 10)],
      [0x1007, settingSlot(0x1007, settings, 3)],
      [0x1008, settingSlot(0x1008, settings, 500, { max: 990 })],
      [ZERO_CURRENT, commandSlot(ZERO_CURRENT, () => undefined)],
      [SYNCHRONISE, commandSlot(SYNCHRONISE, () => (h.syncs += 1))],
      [CLEAR_HISTORY, commandSlot(CLEAR_HISTORY, () => this.resetHistory())],
      // Voltage alarms, in the product's unit: 0.1 V on a BMV-70x, 0.01 V on later monitors
      // (Victron register dictionary); 0 = disabled.
      threshold(0x0320, 10.5 * k),
      threshold(0x0321, 11.8 * k),
      threshold(0x0322, 0),
      threshold(0x0323, 0),
    ];
    // High-resolution current: BMV-712 fw ≥ 4.01, BMV-70x fw ≥ 3.09 (BMV-7xx HEX protocol).
    if (context.identity.firmware >= 0x309) slots.push(live(0xed8c, () => Math.round(this.current() * 1000)));
    if (options.relay) {
      slots.push([0x1009, settingSlot(0x1009, settings, 900)]);
      const relay = registerDef(0x034e);
      // Relay mode 0x034F, a flash setting: 0 alarm (the factory default), 2 remote, … 10.
      slots.push([RELAY_MODE, settingSlot(RELAY_MODE, settings, 0, { max: 10 })]);
      slots.push([
        0x034e,
        {
          def: relay,
          read: () => encodeRaw(relay, this.relayClosed ? 1 : 0),
          // The relay follows 0x034E only in remote mode; in any other mode the monitor drives
          // it itself, and a Set gets flags 0x04 with the relay's state (what a real BMV
          // answers is not documented).
          write: (value) => {
            const remote = settings.get(RELAY_MODE) === RELAY_MODE_REMOTE;
            if (!remote || value.length !== 1 || (value[0] ?? 2) > 1) return { flags: Flag.ParameterError, value: encodeRaw(relay, this.relayClosed ? 1 : 0), stored: false };
            this.relayClosed = value[0] === 1;
            return { flags: 0, value, stored: true };
          },
        },
      ]);
    }
    return new Map(slots);
  }
}
