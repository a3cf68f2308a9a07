/** The device simulator's public API: named devices, the `sim:` binding, faults and the shared battery. */

export { SimSystem, type SimSystemOptions, type BatteryState, type ChargerLink, type NominalVoltage } from './battery-model';
export { simBinding, createSimBinding, SimPortBinding, type SimBinding } from './binding';
export { simScheme } from './scheme';
export {
  SIM_DEVICES,
  createSimDevice,
  findSimDeviceSpec,
  describeSimDevice,
  mpptOf,
  inverterOf,
  acChargerOf,
  hexInverterOf,
  switchedChargerOf,
  type CreateSimDeviceOptions,
  type SimDeviceSpec,
} from './catalogue';
export {
  SimDevice,
  ASYNC_WINDOW_MS,
  TEXT_INTERVAL_MS,
  DEFAULT_BOOT_MS,
  type HostFrame,
  type SentUnit,
  type DeviceStats,
  type Behaviour,
  type SimDeviceOptions,
} from './device';
export { Faults, DEFAULT_FAULTS, type FaultSettings, type FaultStats } from './faults';
export { parseFirmware, formatFirmware, versionWord, type Firmware } from './identity';
export type { OtherMaster, ChargeState, Regulation, MpptModel } from './profiles/mppt';
export {
  RemoteSense,
  REMOTE_SENSE_TIMEOUT_MS,
  VSENSE_REGISTER,
  TSENSE_REGISTER,
  STATUS_VSENSE,
  STATUS_TSENSE,
  type SenseRejectMode,
} from './remote-sense';
export {
  SimRegistry,
  isSimPath,
  parseSimPath,
  getSimDevice,
  findSimDevice,
  resetSimDevices,
  defaultSimRegistry,
  SIM_PATH_PREFIX,
  type SimPath,
} from './registry';
export { encodeTextBlock, textBlockSegments, type TextRecords } from './text-block';
