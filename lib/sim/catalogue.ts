/**
 * The named simulated devices (`smartshunt`, `smartsolar-100-30`, …): which family profile,
 * product id, firmware and model string each one is, and the factory that builds a running
 * device from a name.
 */

import { systemClock, type Clock } from '../clock';
import { productName } from '../protocol/catalog/products';
import type { DeviceFamily } from '../protocol/catalog/types';
import { SimSystem, type SimSystemOptions } from './battery-model';
import { SimDevice } from './device';
import type { FaultSettings } from './faults';
import { formatFirmware, instanceSerial, parseFirmware, type Firmware } from './identity';
import type { HexHabits, SimProfile } from './profile';
import { monitorProfile, type MonitorProfileOptions } from './profiles/monitor';
import { MpptModel, mpptProfile, type MpptDeviceOptions, type MpptModelOptions } from './profiles/mppt';
import { AcChargerModel, acChargerProfile, InverterModel, inverterProfile, type AcChargerOptions, type InverterOptions } from './profiles/text-only';
import { HexInverterModel, hexInverterProfile } from './profiles/inverter';
import { hexChargerProfile, SwitchedChargerModel } from './profiles/charger';
import { dcdcProfile } from './profiles/dcdc';

/** Everything a named device can be told when it is created. */
export interface CreateSimDeviceOptions extends MpptDeviceOptions {
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** The shared battery and sun; default: a new one on `clock`. */
  readonly system?: SimSystem;
  /** Instance name (`2` in `sim:smartshunt#2`): picks a distinct serial number. */
  readonly instance?: string;
  /** SER# / 0x010A; default from the model and the instance. */
  readonly serial?: string;
  /** `1.61` or 0x161. */
  readonly firmware?: string | Firmware;
  readonly productId?: number;
  readonly modelName?: string;
  readonly seed?: number;
  readonly faults?: Partial<FaultSettings>;
  readonly habits?: Partial<HexHabits>;
  readonly textIntervalMs?: number;
  readonly bootMs?: number;
  readonly hostLogLimit?: number;
}

export interface SimDeviceSpec {
  /** The name in `sim:<name>` and `ve-direct simulate <name>`. */
  readonly name: string;
  readonly family: DeviceFamily;
  /** One line for `--list`. */
  readonly summary: string;
  readonly productId: number;
  readonly firmware: Firmware;
  profile(options: CreateSimDeviceOptions): SimProfile;
}

type Overrides = Pick<CreateSimDeviceOptions, 'firmware' | 'productId' | 'modelName'>;

function firmwareOf(options: Overrides, fallback: Firmware): Firmware {
  if (options.firmware === undefined) return fallback;
  return typeof options.firmware === 'number' ? options.firmware : parseFirmware(options.firmware);
}

function monitor(name: string, summary: string, base: MonitorProfileOptions): SimDeviceSpec {
  return {
    name,
    family: base.family,
    summary,
    productId: base.productId,
    firmware: base.firmware,
    profile: (o) =>
      monitorProfile({
        ...base,
        firmware: firmwareOf(o, base.firmware),
        productId: o.productId ?? base.productId,
        modelName: o.modelName ?? base.modelName,
      }),
  };
}

function mppt(name: string, summary: string, base: MpptModelOptions): SimDeviceSpec {
  return {
    name,
    family: 'mppt',
    summary,
    productId: base.productId,
    firmware: base.firmware,
    profile: (o) =>
      mpptProfile(
        { ...base, firmware: firmwareOf(o, base.firmware), productId: o.productId ?? base.productId, modelName: o.modelName ?? base.modelName },
        o,
      ),
  };
}

function inverter(name: string, summary: string, base: InverterOptions): SimDeviceSpec {
  return {
    name,
    family: 'inverter',
    summary,
    productId: base.productId,
    firmware: base.firmware,
    profile: (o) => inverterProfile({ ...base, firmware: firmwareOf(o, base.firmware), productId: o.productId ?? base.productId }),
  };
}

function acCharger(name: string, summary: string, base: AcChargerOptions): SimDeviceSpec {
  return {
    name,
    family: 'charger',
    summary,
    productId: base.productId,
    firmware: base.firmware,
    profile: (o) => acChargerProfile({ ...base, firmware: firmwareOf(o, base.firmware), productId: o.productId ?? base.productId }),
  };
}

/** A Phoenix inverter that answers HEX (mode 0x0200 on / off / eco, AC output registers). */
function hexInverter(name: string, summary: string, base: InverterOptions): SimDeviceSpec {
  return {
    ...inverter(name, summary, base),
    profile: (o) => hexInverterProfile({ ...base, firmware: firmwareOf(o, base.firmware), productId: o.productId ?? base.productId }),
  };
}

/** A charger that answers HEX and is switched by 0x0200: AC (Blue Smart) or DC-DC (Orion XS). */
function switchedCharger(name: string, summary: string, family: 'charger' | 'dcdc', base: AcChargerOptions): SimDeviceSpec {
  return {
    name,
    family,
    summary,
    productId: base.productId,
    firmware: base.firmware,
    profile: (o) => {
      const options = { ...base, firmware: firmwareOf(o, base.firmware), productId: o.productId ?? base.productId };
      return family === 'dcdc' ? dcdcProfile(options) : hexChargerProfile(options);
    },
  };
}

const SMARTSHUNT: MonitorProfileOptions = {
  family: 'smartshunt',
  productId: 0xa389,
  modelName: 'BMV-SmartShunt 500A/50mV',
  bmvText: 'SmartShunt 500A/50mV',
  serialPrefix: 'HQ2312SHT',
  firmware: 0x414,
  aux: 'starter',
  starterVoltage: null,
  relay: false,
  serialLength: 24,
  productIdReserved: 0xfe,
};

export const SIM_DEVICES: readonly SimDeviceSpec[] = [
  monitor('bmv700', 'BMV-700 battery monitor, fw 3.08 (no aux input)', {
    family: 'bmv',
    productId: 0x0203,
    modelName: 'BMV-700',
    bmvText: '700',
    serialPrefix: 'HQ2312B70',
    firmware: 0x308,
    aux: 'none',
    relay: true,
  }),
  monitor('bmv702', 'BMV-702 battery monitor, fw 3.08, aux = starter battery (VS)', {
    family: 'bmv',
    productId: 0x0204,
    modelName: 'BMV-702',
    bmvText: '702',
    serialPrefix: 'HQ2312B72',
    firmware: 0x308,
    aux: 'starter',
    starterVoltage: 12.7,
    relay: true,
  }),
  monitor('bmv712', 'BMV-712 Smart battery monitor, fw 4.01, aux = temperature sensor (T)', {
    family: 'bmv',
    productId: 0xa381,
    modelName: 'BMV-712 Smart',
    bmvText: '712 Smart',
    serialPrefix: 'HQ2312B7S',
    firmware: 0x401,
    aux: 'temperature',
    relay: true,
  }),
  monitor('smartshunt', 'SmartShunt 500A/50mV, fw 4.14, aux = starter with nothing connected', SMARTSHUNT),
  monitor('smartshunt-temp', 'SmartShunt 500A/50mV, fw 4.14, aux = temperature sensor (T)', {
    ...SMARTSHUNT,
    serialPrefix: 'HQ2312SHU',
    aux: 'temperature',
  }),
  mppt('smartsolar-100-30', 'SmartSolar MPPT 100/30, fw 1.61 (remote sense, async frames, Text always on)', {
    productId: 0xa056,
    modelName: 'SmartSolar Charger MPPT 100/30',
    serialPrefix: 'HQ2312M13',
    firmware: 0x161,
    firmwareField: 'FW',
    maxCurrentA: 30,
    maxPvVoltage: 100,
    loadOutput: false,
    loadText: 'ON',
    relay: false,
    splitBlock: false,
    pvOnly: false,
  }),
  mppt('smartsolar-250-70', 'SmartSolar MPPT 250/70 rev2, fw 1.61, with relay', {
    productId: 0xa069,
    modelName: 'SmartSolar Charger MPPT 250/70 rev2',
    serialPrefix: 'HQ2312M27',
    firmware: 0x161,
    firmwareField: 'FW',
    maxCurrentA: 70,
    maxPvVoltage: 250,
    loadOutput: false,
    loadText: 'OFF',
    relay: true,
    splitBlock: false,
    pvOnly: false,
  }),
  mppt('smartsolar-150-70-rev2', 'SmartSolar MPPT 150/70 rev2, fw 3.16 (FWE), two Text blocks per cycle', {
    productId: 0xa06c,
    modelName: 'SmartSolar Charger MPPT 150/70 rev2',
    serialPrefix: 'HQ2312M15',
    firmware: 0x316,
    firmwareField: 'FWE',
    maxCurrentA: 70,
    maxPvVoltage: 150,
    loadOutput: false,
    loadText: 'ON',
    relay: true,
    splitBlock: true,
    pvOnly: false,
  }),
  mppt('bluesolar-75-15', 'BlueSolar MPPT 75/15, old fw 1.16: no async, Text paused during HEX, no remote sense', {
    productId: 0xa042,
    modelName: 'BlueSolar Charger MPPT 75/15',
    serialPrefix: 'HQ2312B15',
    firmware: 0x116,
    firmwareField: 'FW',
    maxCurrentA: 15,
    maxPvVoltage: 75,
    loadOutput: true,
    relay: false,
    splitBlock: false,
    pvOnly: false,
    offReasonFrom: 0x153,
  }),
  mppt('bluesolar-100-30-pvonly', 'BlueSolar MPPT 100/30 "pv only", fw 1.33: silent without sun', {
    productId: 0xa044,
    modelName: 'BlueSolar Charger MPPT 100/30',
    serialPrefix: 'HQ2312B10',
    firmware: 0x133,
    firmwareField: 'FW',
    maxCurrentA: 30,
    maxPvVoltage: 100,
    loadOutput: false,
    loadText: 'ON',
    relay: false,
    splitBlock: false,
    pvOnly: true,
    offReasonFrom: 0x153,
  }),
  inverter('phoenix-inverter', 'Phoenix Inverter 12V 1200VA 230V, fw 1.24 (Text only)', {
    productId: 0xa2f1,
    modelName: productName(0xa2f1),
    serialPrefix: 'HQ2312PHX',
    firmware: 0x124,
    ratedVA: 1200,
    acVoltage: 230,
    apparentPower: true,
  }),
  acCharger('bluesmart-charger', 'Blue Smart IP22 Charger 12|30 (1), fw 3.42 (Text only)', {
    productId: 0xa324,
    modelName: productName(0xa324),
    serialPrefix: 'HQ2312BSC',
    firmware: 0x342,
    firmwareStyle: 'FWE6',
    maxCurrentA: 30,
  }),
  hexInverter('phoenix-inverter-hex', 'Phoenix Inverter 12V 1200VA 230V, fw 1.24, with HEX: mode 0x0200 on/off/eco, AC output registers', {
    productId: 0xa2f1,
    modelName: productName(0xa2f1),
    serialPrefix: 'HQ2312PHH',
    firmware: 0x124,
    ratedVA: 1200,
    acVoltage: 230,
    apparentPower: true,
  }),
  switchedCharger('bluesmart-charger-hex', 'Blue Smart IP22 Charger 12|30 (1), fw 3.42, with HEX: mode 0x0200 on/off', 'charger', {
    productId: 0xa324,
    modelName: productName(0xa324),
    serialPrefix: 'HQ2312BSH',
    firmware: 0x342,
    firmwareStyle: 'FWE6',
    maxCurrentA: 30,
  }),
  switchedCharger('orion-xs', 'Orion XS 12V/12V-50A DC-DC charger, fw 1.17, with HEX: mode 0x0200 on/off', 'dcdc', {
    productId: 0xa3f0,
    modelName: 'Orion XS 12V/12V-50A',
    serialPrefix: 'HQ2312OXS',
    firmware: 0x117,
    firmwareStyle: 'FWE6',
    maxCurrentA: 50,
  }),
];

export function findSimDeviceSpec(name: string): SimDeviceSpec | undefined {
  return SIM_DEVICES.find((d) => d.name === name.toLowerCase());
}

/** Build a running device by catalogue name. Throws RangeError for an unknown name. */
export function createSimDevice(name: string, options: CreateSimDeviceOptions = {}): SimDevice {
  const spec = findSimDeviceSpec(name);
  if (!spec) throw new RangeError(`unknown simulated device "${name}"; known: ${SIM_DEVICES.map((d) => d.name).join(', ')}`);
  const clock = options.clock ?? systemClock;
  const system = options.system ?? new SimSystem(clock);
  const profile = spec.profile(options);
  const serial = options.serial ?? instanceSerial(profile.identity.serialPrefix, options.instance ?? '1');
  return new SimDevice({
    clock,
    system,
    profile,
    name: options.instance !== undefined ? `${spec.name}#${options.instance}` : spec.name,
    serial,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.habits ? { habits: options.habits } : {}),
    ...(options.textIntervalMs !== undefined ? { textIntervalMs: options.textIntervalMs } : {}),
    ...(options.bootMs !== undefined ? { bootMs: options.bootMs } : {}),
    ...(options.hostLogLimit !== undefined ? { hostLogLimit: options.hostLogLimit } : {}),
  });
}

/** One line per device for `--list` and error messages. */
export function describeSimDevice(spec: SimDeviceSpec): string {
  return `${spec.name}: ${spec.summary} (PID 0x${spec.productId.toString(16).toUpperCase().padStart(4, '0')}, fw ${formatFirmware(spec.firmware)})`;
}

/** The MPPT behind a simulated device (remote sense, other masters, regulation), if it is one. */
export function mpptOf(device: SimDevice): MpptModel | undefined {
  return device.model instanceof MpptModel ? device.model : undefined;
}

export function inverterOf(device: SimDevice): InverterModel | undefined {
  return device.model instanceof InverterModel ? device.model : undefined;
}

/** The inverter that can be switched over HEX, if the device is one. */
export function hexInverterOf(device: SimDevice): HexInverterModel | undefined {
  return device.model instanceof HexInverterModel ? device.model : undefined;
}

/** The AC or DC-DC charger that can be switched over HEX, if the device is one. */
export function switchedChargerOf(device: SimDevice): SwitchedChargerModel | undefined {
  return device.model instanceof SwitchedChargerModel ? device.model : undefined;
}

export function acChargerOf(device: SimDevice): AcChargerModel | undefined {
  return device.model instanceof AcChargerModel ? device.model : undefined;
}

export type { SimSystemOptions };
