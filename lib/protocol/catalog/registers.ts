/**
 * HEX register catalogue: id, catalogue name, wire type, scaling, unit, access, where a write
 * lands (volatile / flash / command) and value texts of every register this package knows.
 * Sources: BlueSolar HEX protocol MPPT (rev 10), BMV-7xx HEX protocol (rev 6), VE.Direct
 * Protocol 3.33, and Victron's register dictionary (velib `ve_regs.h`, `regs_payload.h`) where
 * the HEX documents are silent. Real-device corrections are cited in each entry's `note`.
 */

import {
  BATTERY_TYPE,
  BLE_CAPABILITY_BITS,
  CAPABILITY_BITS,
  CHARGER_ERROR,
  CHARGER_STATE_INFO_BITS,
  DEVICE_MODE_REGISTER,
  DEVICE_STATE,
  ENABLED_DISABLED,
  LINK_COMMAND,
  LINK_DEVICE_STATE,
  LOAD_OUTPUT_CONTROL,
  NETWORK_INFO_BITS,
  NETWORK_MODE_BITS,
  NETWORK_STATUS_BITS,
  NETWORK_STATUS_ROLE,
  NO_YES,
  OFF_ON,
  OFF_REASON_BITS,
  RELAY_MODE,
  RELAY_STATE,
  RX_PORT_MODE,
  SOLAR_ACTIVITY,
  TRACKER_MODE,
  TX_PORT_MODE,
} from './enums';
import { DEVICE_FAMILIES, type DeviceFamily, type RegisterDef, type RegisterStorage } from './types';

const ALL: readonly DeviceFamily[] = DEVICE_FAMILIES;
const MONITORS: readonly DeviceFamily[] = ['bmv', 'smartshunt'];
const BMV: readonly DeviceFamily[] = ['bmv'];
const MPPT: readonly DeviceFamily[] = ['mppt'];
const CONVERTERS: readonly DeviceFamily[] = ['mppt', 'inverter', 'charger', 'dcdc'];

/** 0 K: the 0.01 K temperature registers are shown in °C. */
const KELVIN_OFFSET = -273.15;

type RegisterInput = Omit<RegisterDef, 'scale' | 'unit' | 'access' | 'storage'> & {
  readonly scale?: number;
  readonly unit?: string;
} & (
    | { readonly access?: 'ro'; readonly storage?: 'volatile' }
    // Anything writable must say where the write lands: there is no default for that.
    | { readonly access: 'rw' | 'w'; readonly storage: RegisterStorage }
  );

function reg(input: RegisterInput): RegisterDef {
  return { scale: 1, unit: '', access: 'ro', storage: 'volatile', ...input };
}

const VOLTAGE_SETTING_NOTE =
  'Writes go to the user-defined setting in non-volatile memory; set the system voltage (0xEDEF) first and only write with battery type 0xEDF1 = 0xFF (Victron register dictionary). ' +
  'For a 12 V system voltages must lie within 8-17.4 V, else the charger stops with error 119 until reset (BlueSolar HEX protocol MPPT, note 5).';

const BMV70X_VOLTAGE_NOTE = 'BMV-70x uses 0.1 V for this register instead of 0.01 V (Victron register dictionary).';

// ── 4.1 Generic / identity ───────────────────────────────────────────────────────────────────

const IDENTITY: readonly RegisterDef[] = [
  reg({
    id: 0x0004,
    name: 'restoreDefault',
    description: 'Restore all user settings to factory defaults',
    type: 'none',
    access: 'w',
    storage: 'command',
    families: ALL,
    notAvailable: null,
    note: 'Data is ignored; resets every setting (BlueSolar HEX protocol MPPT; BMV-7xx HEX protocol).',
  }),
  reg({
    id: 0x0090,
    name: 'bluetoothMode',
    description: 'Bluetooth enabled',
    type: 'un8',
    access: 'rw',
    storage: 'flash',
    families: ALL,
    enumTexts: OFF_ON,
    note: 'BMV-712 fw ≥ 4.01 (BMV-7xx HEX protocol). Stored setting: switching Bluetooth off may be permanent (0x0150).',
  }),
  reg({
    id: 0x0100,
    name: 'productId',
    description: 'Product id (instance, id, flags)',
    type: 'bytes',
    families: ALL,
    notAvailable: null,
    note:
      'Four bytes: instance, product id (un16), reserved. The id has wrong endianness on some MPPT builds (BlueSolar HEX protocol MPPT; Victron register dictionary): ' +
      'identify with the :4 command instead.',
  }),
  reg({
    id: 0x0101,
    name: 'productRevision',
    description: 'Hardware revision',
    type: 'bytes',
    families: BMV,
    notAvailable: null,
    note: 'BMV-712 only; un8 instance + un16 hardware revision (Victron register dictionary; the BMV-7xx HEX protocol lists it as un24).',
  }),
  reg({
    id: 0x0102,
    name: 'appVersion',
    description: 'Firmware version (instance, version 0xHHMMLL)',
    type: 'bytes',
    families: ALL,
    notAvailable: null,
    note: 'un8 instance + un24 version: HH = 0 → vMM.LL, else vHH.MM with LL = 0xFF release or beta LL (Victron register dictionary).',
  }),
  reg({ id: 0x0104, name: 'groupId', description: 'Group id for parallel charging', type: 'un8', families: MPPT, note: 'MPPT fw ≥ 1.17.' }),
  reg({ id: 0x010a, name: 'serialNumber', description: 'Serial number', type: 'string', families: ALL, notAvailable: null }),
  reg({ id: 0x010b, name: 'modelName', description: 'Model name', type: 'string', families: ALL, notAvailable: null }),
  reg({
    id: 0x010c,
    name: 'description',
    description: 'User-defined description',
    type: 'string',
    access: 'rw',
    storage: 'flash',
    families: BMV,
    notAvailable: null,
    note: 'BMV-712 only, up to 20 characters (BMV-7xx HEX protocol).',
  }),
  reg({ id: 0x0120, name: 'uptime', description: 'Device uptime', type: 'un32', unit: 's', families: MONITORS }),
  reg({
    id: 0x0140,
    name: 'capabilities',
    description: 'Capabilities bitmask',
    type: 'un32',
    families: MPPT,
    bitTexts: CAPABILITY_BITS,
    notAvailable: null,
    note: 'MPPT fw ≥ 1.16.',
  }),
  reg({
    id: 0x0150,
    name: 'bleCapabilities',
    description: 'Bluetooth capabilities bitmask',
    type: 'un32',
    families: ALL,
    bitTexts: BLE_CAPABILITY_BITS,
    notAvailable: null,
  }),
  reg({
    id: 0x0200,
    name: 'deviceMode',
    description: 'Device mode (on / off / eco)',
    type: 'un8',
    access: 'rw',
    storage: 'flash',
    families: CONVERTERS,
    enumTexts: DEVICE_MODE_REGISTER,
    note:
      'MPPT: 1 on, 4 off (fw ≤ 1.16 reports off as 0); on fw < 1.42 writes need bit 1 of 0x0202 (BlueSolar HEX protocol MPPT). ' +
      'Inverters: 2 on, 4 off, 5 eco; AC and DC-DC chargers: 1 on, 4 off (VE.Direct Protocol 3.33 `MODE`). ' +
      'Guarded as a stored setting: the documents do not say the mode is volatile.',
  }),
  reg({
    id: 0x0201,
    name: 'deviceState',
    description: 'Device state (charge stage)',
    type: 'un8',
    families: CONVERTERS,
    enumTexts: DEVICE_STATE,
  }),
  reg({
    id: 0x0202,
    name: 'remoteControlUsed',
    description: 'Remote control functions in use',
    type: 'un32',
    access: 'rw',
    storage: 'volatile',
    families: MPPT,
    bitTexts: { 0x2: 'Remote on/off' },
    notAvailable: null,
    note: 'Bits can only be set; they are cleared when the unit restarts (BlueSolar HEX protocol MPPT).',
  }),
  reg({
    id: 0x0205,
    name: 'offReasonLegacy',
    description: 'Device off reason (8 bit)',
    type: 'un8',
    families: CONVERTERS,
    bitTexts: OFF_REASON_BITS,
    notAvailable: null,
    note: 'MPPT fw 1.29-1.43; later firmware uses 0x0207 (BlueSolar HEX protocol MPPT).',
  }),
  reg({
    id: 0x0207,
    name: 'offReason',
    description: 'Device off reason',
    type: 'un32',
    families: CONVERTERS,
    bitTexts: OFF_REASON_BITS,
    notAvailable: null,
    note: 'MPPT fw ≥ 1.44 (BlueSolar HEX protocol MPPT).',
  }),
];

// ── 4.2 BMV / SmartShunt ─────────────────────────────────────────────────────────────────────

const MONITOR_VALUES: readonly RegisterDef[] = [
  reg({ id: 0xed8d, name: 'batteryVoltage', description: 'Main (battery) voltage', type: 'sn16', scale: 0.01, unit: 'V', families: MONITORS }),
  reg({
    id: 0xed7d,
    name: 'auxVoltage',
    description: 'Auxiliary (starter) voltage',
    type: 'sn16',
    scale: 0.01,
    unit: 'V',
    families: MONITORS,
    note: 'Only with AUX input = starter battery; 0x7FFF otherwise (SmartShunt capture).',
  }),
  reg({
    id: 0xed8f,
    name: 'batteryCurrent',
    description: 'Battery current (> 0 charging)',
    type: 'sn16',
    scale: 0.1,
    unit: 'A',
    families: MONITORS,
  }),
  reg({
    id: 0xed8c,
    name: 'batteryCurrentHighRes',
    description: 'Battery current, high resolution (> 0 charging)',
    type: 'sn32',
    scale: 0.001,
    unit: 'A',
    families: MONITORS,
    note: 'BMV-712 fw ≥ 4.01, BMV-70x fw ≥ 3.09 (BMV-7xx HEX protocol).',
  }),
  reg({ id: 0xed8e, name: 'batteryPower', description: 'Battery power', type: 'sn16', unit: 'W', families: MONITORS }),
  reg({ id: 0xeeff, name: 'consumedAmpHours', description: 'Consumed amp-hours', type: 'sn32', scale: 0.1, unit: 'Ah', families: MONITORS }),
  reg({ id: 0x0fff, name: 'stateOfCharge', description: 'State of charge', type: 'un16', scale: 0.01, unit: '%', families: MONITORS }),
  reg({
    id: 0x0ffe,
    name: 'timeToGo',
    description: 'Time to go',
    type: 'un16',
    unit: 'min',
    families: MONITORS,
    notAvailable: 0xffff,
    note: '0xFFFF = not available (Victron register dictionary). A SmartShunt reported 14400 min (10 days) while barely discharging: possibly a cap.',
  }),
  reg({
    id: 0xedec,
    name: 'batteryTemperature',
    description: 'Battery temperature',
    type: 'un16',
    scale: 0.01,
    offset: KELVIN_OFFSET,
    unit: '°C',
    families: ['bmv', 'smartshunt', 'mppt'],
    notAvailable: 0xffff,
    note:
      'Sent in 0.01 K. 0xFFFF when no sensor (AUX not in temperature mode; MPPT without a networked sensor) — never 382 °C. ' +
      'MPPT fw ≥ 1.42 shows a temperature received via VE.Smart networking (BlueSolar HEX protocol MPPT).',
  }),
  reg({ id: 0x0382, name: 'midPointVoltage', description: 'Mid-point voltage', type: 'un16', scale: 0.01, unit: 'V', families: MONITORS }),
  reg({ id: 0x0383, name: 'midPointDeviation', description: 'Mid-point deviation', type: 'sn16', scale: 0.1, unit: '%', families: MONITORS }),
  reg({ id: 0xeeb6, name: 'synchronisationState', description: 'Synchronised', type: 'un8', families: MONITORS, enumTexts: NO_YES }),
  reg({
    id: 0xeef9,
    name: 'softwareVersion',
    description: 'Software version (hex AA.BB)',
    type: 'un16',
    families: MONITORS,
    note: 'Read the raw value as hex digits: 0x0414 = 4.14 (BMV-7xx HEX protocol).',
  }),
  reg({
    id: 0xec41,
    name: 'settingsChangedTimestamp',
    description: 'Time of the last settings change (seconds since 1970)',
    type: 'un32',
    unit: 's',
    families: MONITORS,
    enumTexts: { 0xffffffff: 'Never' },
  }),
];

/** History registers 0x0300–0x0311, the HEX twins of Text H1–H18 (BMV-7xx HEX protocol). */
const MONITOR_HISTORY: readonly RegisterDef[] = [
  reg({ id: 0x0300, name: 'deepestDischarge', description: 'Depth of the deepest discharge', type: 'sn32', scale: 0.1, unit: 'Ah', families: MONITORS }),
  reg({ id: 0x0301, name: 'lastDischarge', description: 'Depth of the last discharge', type: 'sn32', scale: 0.1, unit: 'Ah', families: MONITORS }),
  reg({ id: 0x0302, name: 'averageDischarge', description: 'Depth of the average discharge', type: 'sn32', scale: 0.1, unit: 'Ah', families: MONITORS }),
  reg({ id: 0x0303, name: 'chargeCycles', description: 'Number of charge cycles', type: 'un32', families: MONITORS }),
  reg({ id: 0x0304, name: 'fullDischarges', description: 'Number of full discharges', type: 'un32', families: MONITORS }),
  reg({ id: 0x0305, name: 'cumulativeAmpHours', description: 'Cumulative amp-hours drawn', type: 'sn32', scale: 0.1, unit: 'Ah', families: MONITORS }),
  reg({ id: 0x0306, name: 'minimumVoltage', description: 'Minimum main voltage', type: 'sn32', scale: 0.01, unit: 'V', families: MONITORS }),
  reg({ id: 0x0307, name: 'maximumVoltage', description: 'Maximum main voltage', type: 'sn32', scale: 0.01, unit: 'V', families: MONITORS }),
  reg({ id: 0x0308, name: 'secondsSinceFullCharge', description: 'Time since last full charge', type: 'un32', unit: 's', families: MONITORS }),
  reg({ id: 0x0309, name: 'automaticSyncs', description: 'Number of automatic synchronisations', type: 'un32', families: MONITORS }),
  reg({ id: 0x030a, name: 'lowVoltageAlarms', description: 'Number of low main voltage alarms', type: 'un32', families: MONITORS }),
  reg({ id: 0x030b, name: 'highVoltageAlarms', description: 'Number of high main voltage alarms', type: 'un32', families: MONITORS }),
  reg({ id: 0x030c, name: 'lowAuxVoltageAlarms', description: 'Number of low auxiliary voltage alarms', type: 'un32', families: MONITORS }),
  reg({ id: 0x030d, name: 'highAuxVoltageAlarms', description: 'Number of high auxiliary voltage alarms', type: 'un32', families: MONITORS }),
  reg({ id: 0x030e, name: 'minimumAuxVoltage', description: 'Minimum auxiliary voltage', type: 'sn32', scale: 0.01, unit: 'V', families: MONITORS }),
  reg({ id: 0x030f, name: 'maximumAuxVoltage', description: 'Maximum auxiliary voltage', type: 'sn32', scale: 0.01, unit: 'V', families: MONITORS }),
  reg({ id: 0x0310, name: 'dischargedEnergy', description: 'Amount of discharged energy', type: 'un32', scale: 0.01, unit: 'kWh', families: MONITORS }),
  reg({ id: 0x0311, name: 'chargedEnergy', description: 'Amount of charged energy', type: 'un32', scale: 0.01, unit: 'kWh', families: MONITORS }),
];

/** Battery settings 0x1000–0x1009 (BMV-7xx HEX protocol; units per Victron register dictionary). */
const MONITOR_SETTINGS: readonly RegisterDef[] = [
  reg({
    id: 0x1000,
    name: 'batteryCapacity',
    description: 'Battery capacity',
    type: 'un16',
    unit: 'Ah',
    access: 'rw',
    storage: 'flash',
    families: MONITORS,
    min: 1,
    note: 'Writing 0 is answered with a parameter error and the nearest valid value, 1 Ah (BMV-7xx HEX protocol example).',
  }),
  reg({ id: 0x1001, name: 'chargedVoltage', description: 'Charged voltage', type: 'un16', scale: 0.1, unit: 'V', access: 'rw', storage: 'flash', families: MONITORS }),
  reg({ id: 0x1002, name: 'tailCurrent', description: 'Tail current (charged detection)', type: 'un16', scale: 0.1, unit: '%', access: 'rw', storage: 'flash', families: MONITORS }),
  reg({ id: 0x1003, name: 'chargedDetectionTime', description: 'Charged detection time', type: 'un16', unit: 'min', access: 'rw', storage: 'flash', families: MONITORS }),
  reg({ id: 0x1004, name: 'chargeEfficiency', description: 'Charge efficiency factor', type: 'un16', unit: '%', access: 'rw', storage: 'flash', families: MONITORS }),
  reg({ id: 0x1005, name: 'peukertExponent', description: 'Peukert exponent', type: 'un16', scale: 0.01, access: 'rw', storage: 'flash', families: MONITORS }),
  reg({ id: 0x1006, name: 'currentThreshold', description: 'Current threshold', type: 'un16', scale: 0.01, unit: 'A', access: 'rw', storage: 'flash', families: MONITORS }),
  reg({ id: 0x1007, name: 'timeToGoAveragingPeriod', description: 'Time-to-go averaging period', type: 'un16', unit: 'min', access: 'rw', storage: 'flash', families: MONITORS }),
  reg({ id: 0x1008, name: 'dischargeFloor', description: 'Discharge floor (low SOC)', type: 'un16', scale: 0.1, unit: '%', access: 'rw', storage: 'flash', families: MONITORS }),
  reg({ id: 0x1009, name: 'lowSocClear', description: 'Low SOC clear level (relay)', type: 'un16', scale: 0.1, unit: '%', access: 'rw', storage: 'flash', families: BMV }),
];

function voltageThreshold(id: number, name: string, description: string, families: readonly DeviceFamily[]): RegisterDef {
  return reg({
    id,
    name,
    description,
    type: 'un16',
    scale: 0.01,
    unit: 'V',
    access: 'rw',
    storage: 'flash',
    families,
    enumTexts: { 0: 'Disabled' },
    note: BMV70X_VOLTAGE_NOTE,
  });
}

function percentThreshold(id: number, name: string, description: string, families: readonly DeviceFamily[]): RegisterDef {
  return reg({ id, name, description, type: 'un16', scale: 0.1, unit: '%', access: 'rw', storage: 'flash', families, enumTexts: { 0: 'Disabled' } });
}

function temperatureThreshold(id: number, name: string, description: string, families: readonly DeviceFamily[]): RegisterDef {
  // Sent in 0.01 K, where 0 means "disabled" (BMV-7xx HEX protocol): 0 K decodes to null, and
  // writing null disables the threshold.
  return reg({
    id,
    name,
    description,
    type: 'un16',
    scale: 0.01,
    offset: KELVIN_OFFSET,
    unit: '°C',
    access: 'rw',
    storage: 'flash',
    families,
    notAvailable: 0,
    enumTexts: { 0: 'Disabled' },
  });
}

/** Alarm and relay settings 0x0320–0x0332, 0x034D–0x0362, 0xEEFC (BMV-7xx HEX protocol; Victron register dictionary). */
const MONITOR_ALARMS: readonly RegisterDef[] = [
  voltageThreshold(0x0320, 'alarmLowVoltageSet', 'Low voltage alarm: set level', MONITORS),
  voltageThreshold(0x0321, 'alarmLowVoltageClear', 'Low voltage alarm: clear level', MONITORS),
  voltageThreshold(0x0322, 'alarmHighVoltageSet', 'High voltage alarm: set level', MONITORS),
  voltageThreshold(0x0323, 'alarmHighVoltageClear', 'High voltage alarm: clear level', MONITORS),
  voltageThreshold(0x0324, 'alarmLowAuxVoltageSet', 'Low starter voltage alarm: set level', MONITORS),
  voltageThreshold(0x0325, 'alarmLowAuxVoltageClear', 'Low starter voltage alarm: clear level', MONITORS),
  voltageThreshold(0x0326, 'alarmHighAuxVoltageSet', 'High starter voltage alarm: set level', MONITORS),
  voltageThreshold(0x0327, 'alarmHighAuxVoltageClear', 'High starter voltage alarm: clear level', MONITORS),
  percentThreshold(0x0328, 'alarmLowSocSet', 'Low SOC alarm: set level', MONITORS),
  percentThreshold(0x0329, 'alarmLowSocClear', 'Low SOC alarm: clear level', MONITORS),
  temperatureThreshold(0x032a, 'alarmLowTemperatureSet', 'Low battery temperature alarm: set level', MONITORS),
  temperatureThreshold(0x032b, 'alarmLowTemperatureClear', 'Low battery temperature alarm: clear level', MONITORS),
  temperatureThreshold(0x032c, 'alarmHighTemperatureSet', 'High battery temperature alarm: set level', MONITORS),
  temperatureThreshold(0x032d, 'alarmHighTemperatureClear', 'High battery temperature alarm: clear level', MONITORS),
  temperatureThreshold(0x032e, 'alarmHighInternalTemperatureSet', 'High internal temperature alarm: set level', MONITORS),
  temperatureThreshold(0x032f, 'alarmHighInternalTemperatureClear', 'High internal temperature alarm: clear level', MONITORS),
  reg({ id: 0x0330, name: 'alarmFuseBlown', description: 'Fuse blown alarm', type: 'un8', access: 'rw', storage: 'flash', families: MONITORS, enumTexts: ENABLED_DISABLED }),
  percentThreshold(0x0331, 'alarmMidVoltageSet', 'Mid-point deviation alarm: set level', MONITORS),
  percentThreshold(0x0332, 'alarmMidVoltageClear', 'Mid-point deviation alarm: clear level', MONITORS),
  reg({ id: 0x034d, name: 'relayInvert', description: 'Invert relay', type: 'un8', access: 'rw', storage: 'flash', families: BMV, enumTexts: NO_YES }),
  reg({
    id: 0x034e,
    name: 'relayControl',
    description: 'Relay state (open / closed)',
    type: 'un8',
    access: 'rw',
    storage: 'volatile',
    families: BMV,
    enumTexts: RELAY_STATE,
    note: 'Switches the relay when the relay mode (0x034F) is "remote"; a state, not a stored setting [inference].',
  }),
  reg({ id: 0x034f, name: 'relayMode', description: 'Relay mode', type: 'un8', access: 'rw', storage: 'flash', families: BMV, enumTexts: RELAY_MODE }),
  voltageThreshold(0x0350, 'relayLowVoltageSet', 'Low voltage relay: set level', BMV),
  voltageThreshold(0x0351, 'relayLowVoltageClear', 'Low voltage relay: clear level', BMV),
  voltageThreshold(0x0352, 'relayHighVoltageSet', 'High voltage relay: set level', BMV),
  voltageThreshold(0x0353, 'relayHighVoltageClear', 'High voltage relay: clear level', BMV),
  voltageThreshold(0x0354, 'relayLowAuxVoltageSet', 'Low starter voltage relay: set level', BMV),
  voltageThreshold(0x0355, 'relayLowAuxVoltageClear', 'Low starter voltage relay: clear level', BMV),
  voltageThreshold(0x0356, 'relayHighAuxVoltageSet', 'High starter voltage relay: set level', BMV),
  voltageThreshold(0x0357, 'relayHighAuxVoltageClear', 'High starter voltage relay: clear level', BMV),
  percentThreshold(0x0358, 'relayLowSocSet', 'Low SOC relay: set level', BMV),
  percentThreshold(0x0359, 'relayLowSocClear', 'Low SOC relay: clear level', BMV),
  temperatureThreshold(0x035a, 'relayLowTemperatureSet', 'Low battery temperature relay: set level', BMV),
  temperatureThreshold(0x035b, 'relayLowTemperatureClear', 'Low battery temperature relay: clear level', BMV),
  temperatureThreshold(0x035c, 'relayHighTemperatureSet', 'High battery temperature relay: set level', BMV),
  temperatureThreshold(0x035d, 'relayHighTemperatureClear', 'High battery temperature relay: clear level', BMV),
  temperatureThreshold(0x035e, 'relayHighInternalTemperatureSet', 'High internal temperature relay: set level', BMV),
  temperatureThreshold(0x035f, 'relayHighInternalTemperatureClear', 'High internal temperature relay: clear level', BMV),
  reg({ id: 0x0360, name: 'relayFuseBlown', description: 'Close relay when the fuse is blown', type: 'un8', access: 'rw', storage: 'flash', families: BMV, enumTexts: ENABLED_DISABLED }),
  percentThreshold(0x0361, 'relayMidVoltageSet', 'Mid-point deviation relay: set level', BMV),
  percentThreshold(0x0362, 'relayMidVoltageClear', 'Mid-point deviation relay: clear level', BMV),
  reg({ id: 0xeefc, name: 'alarmBuzzer', description: 'Alarm buzzer', type: 'un8', access: 'rw', storage: 'flash', families: BMV, enumTexts: OFF_ON }),
];

/** Commands with side effects: never from a loop (BMV-7xx HEX protocol; BlueSolar HEX protocol MPPT). */
const COMMANDS: readonly RegisterDef[] = [
  reg({
    id: 0x1029,
    name: 'zeroCurrent',
    description: 'Zero the current reading (no load connected!)',
    type: 'none',
    access: 'w',
    storage: 'command',
    families: MONITORS,
    notAvailable: null,
  }),
  reg({
    id: 0x102c,
    name: 'synchronise',
    description: 'Synchronise: declare the battery full (SOC 100 %)',
    type: 'none',
    access: 'w',
    storage: 'command',
    families: MONITORS,
    notAvailable: null,
  }),
  reg({
    id: 0x1030,
    name: 'clearHistory',
    description: 'Clear the history',
    type: 'none',
    access: 'w',
    storage: 'command',
    families: ['bmv', 'smartshunt', 'mppt'],
    notAvailable: null,
  }),
];

// ── 4.3 MPPT monitor and settings ────────────────────────────────────────────────────────────

const MPPT_VALUES: readonly RegisterDef[] = [
  reg({
    id: 0xedd5,
    name: 'chargerVoltage',
    description: 'Voltage at the charger battery terminals',
    type: 'un16',
    scale: 0.01,
    unit: 'V',
    families: ['mppt', 'charger'],
    note: 'Sent asynchronously from fw 1.26 (BlueSolar HEX protocol MPPT).',
  }),
  reg({
    id: 0xedd7,
    name: 'chargerCurrent',
    description: 'Charger output current (battery + load)',
    type: 'sn16',
    scale: 0.1,
    unit: 'A',
    families: ['mppt', 'charger'],
    note: 'un16 in the BlueSolar HEX protocol MPPT, sn16 in the Victron register dictionary: decoded as sn16. Subtract 0xEDAD for the battery current.',
  }),
  reg({ id: 0xedbb, name: 'panelVoltage', description: 'Panel voltage', type: 'un16', scale: 0.01, unit: 'V', families: MPPT }),
  reg({ id: 0xedbc, name: 'panelPower', description: 'Panel power', type: 'un32', scale: 0.01, unit: 'W', families: MPPT }),
  reg({
    id: 0xedbd,
    name: 'panelCurrent',
    description: 'Panel current',
    type: 'un16',
    scale: 0.1,
    unit: 'A',
    families: MPPT,
    note: 'Not on 10/15/20 A models (BlueSolar HEX protocol MPPT).',
  }),
  reg({ id: 0xedb8, name: 'panelMaximumVoltage', description: 'Maximum panel voltage', type: 'un16', scale: 0.01, unit: 'V', families: MPPT, note: 'fw ≥ 1.16.' }),
  reg({ id: 0xedb3, name: 'trackerMode', description: 'Tracker mode', type: 'un8', families: MPPT, enumTexts: TRACKER_MODE, note: 'fw ≥ 1.42.' }),
  reg({ id: 0xedda, name: 'chargerErrorCode', description: 'Charger error code', type: 'un8', families: ['mppt', 'charger', 'dcdc'], enumTexts: CHARGER_ERROR }),
  reg({
    id: 0xeddb,
    name: 'chargerInternalTemperature',
    description: 'Charger internal temperature',
    type: 'sn16',
    scale: 0.01,
    unit: '°C',
    families: ['mppt', 'charger'],
  }),
  reg({ id: 0xeddc, name: 'userYield', description: 'User yield (resettable)', type: 'un32', scale: 0.01, unit: 'kWh', families: MPPT }),
  reg({ id: 0xeddd, name: 'systemYield', description: 'System yield', type: 'un32', scale: 0.01, unit: 'kWh', families: MPPT }),
  reg({
    id: 0xedd3,
    name: 'yieldToday',
    description: 'Yield today',
    type: 'un16',
    scale: 0.01,
    unit: 'kWh',
    families: MPPT,
    note: 'un32 up to fw 1.12, un16 after (BlueSolar HEX protocol MPPT, note 4): decode by the received length.',
  }),
  reg({ id: 0xedd2, name: 'maxPowerToday', description: 'Maximum power today', type: 'un16', unit: 'W', families: MPPT }),
  reg({
    id: 0xedd1,
    name: 'yieldYesterday',
    description: 'Yield yesterday',
    type: 'un16',
    scale: 0.01,
    unit: 'kWh',
    families: MPPT,
    note: 'un32 up to fw 1.12, un16 after (BlueSolar HEX protocol MPPT, note 4): decode by the received length.',
  }),
  reg({ id: 0xedd0, name: 'maxPowerYesterday', description: 'Maximum power yesterday', type: 'un16', unit: 'W', families: MPPT }),
  reg({
    id: 0xeddf,
    name: 'chargerMaxCurrent',
    description: 'Charger maximum current',
    type: 'un16',
    scale: 0.1,
    unit: 'A',
    families: MPPT,
    note: 'The BlueSolar HEX protocol MPPT says 0.01 A, but real devices send 0.1 A (300 on a 100/30, 700 on a 250/70).',
  }),
  reg({ id: 0xedad, name: 'loadCurrent', description: 'Load output current', type: 'un16', scale: 0.1, unit: 'A', families: MPPT, note: 'Models with a load output.' }),
  reg({ id: 0xeda8, name: 'loadOutputState', description: 'Load output state (off / on)', type: 'un8', families: MPPT, enumTexts: OFF_ON, note: 'Models with a load output.' }),
  reg({
    id: 0xedab,
    name: 'loadOutputControl',
    description: 'Load output control (off / on / automatic modes)',
    type: 'un8',
    access: 'rw',
    storage: 'flash',
    families: MPPT,
    enumTexts: LOAD_OUTPUT_CONTROL,
    note: 'Models with a load output. Stored in flash at each change (Victron community thread 49788): never rewrite it periodically.',
  }),
  reg({
    id: 0xedd4,
    name: 'additionalChargerState',
    description: 'Additional charger state info',
    type: 'un8',
    families: MPPT,
    bitTexts: CHARGER_STATE_INFO_BITS,
    notAvailable: null,
  }),
];

function batteryVoltageSetting(id: number, name: string, description: string): RegisterDef {
  return reg({ id, name, description, type: 'un16', scale: 0.01, unit: 'V', access: 'rw', storage: 'flash', families: MPPT, note: VOLTAGE_SETTING_NOTE });
}

function mpptSetting(input: Omit<RegisterDef, 'access' | 'storage' | 'families' | 'scale' | 'unit'> & { readonly scale?: number; readonly unit?: string }): RegisterDef {
  // Every 0xEDxx battery setting writes to non-volatile memory (Victron register dictionary);
  // "continuous writing, for example from a control loop, will lead to early failure".
  return reg({ ...input, access: 'rw', storage: 'flash', families: MPPT });
}

const MPPT_SETTINGS: readonly RegisterDef[] = [
  batteryVoltageSetting(0xedf7, 'absorptionVoltage', 'Absorption voltage'),
  batteryVoltageSetting(0xedf6, 'floatVoltage', 'Float voltage'),
  batteryVoltageSetting(0xedf4, 'equalisationVoltage', 'Equalisation voltage'),
  batteryVoltageSetting(0xedf5, 'storageVoltage', 'Storage voltage'),
  mpptSetting({
    id: 0xedf2,
    name: 'temperatureCompensation',
    description: 'Battery temperature compensation',
    type: 'sn16',
    scale: 0.01,
    unit: 'mV/K',
    note:
      'For a 12 V system −21…+21 mV/K, else error 119 (BlueSolar HEX protocol MPPT, note 5); the limit scales with the system voltage, so no range is enforced here. ' +
      'Set the system voltage (0xEDEF) first (Victron register dictionary).',
  }),
  mpptSetting({
    id: 0xedf1,
    name: 'batteryType',
    description: 'Battery type',
    type: 'un8',
    enumTexts: BATTERY_TYPE,
    notAvailable: null,
    note: '0xFF = user defined; any other value reverts to the rotary switch setting (BlueSolar HEX protocol MPPT).',
  }),
  mpptSetting({ id: 0xedf0, name: 'batteryMaxCurrent', description: 'Battery maximum charge current', type: 'un16', scale: 0.1, unit: 'A' }),
  mpptSetting({
    id: 0xedef,
    name: 'systemVoltage',
    description: 'Battery (system) voltage',
    type: 'un8',
    unit: 'V',
    enumTexts: { 0: 'Auto detect' },
    note: '0 auto, 12, 24, 36, 48; reading returns the operational voltage (BlueSolar HEX protocol MPPT).',
  }),
  mpptSetting({ id: 0xedea, name: 'systemVoltageSetting', description: 'Battery (system) voltage setting', type: 'un8', unit: 'V', note: 'fw ≥ 1.17.' }),
  mpptSetting({
    id: 0xede8,
    name: 'bmsPresent',
    description: 'BMS present',
    type: 'un8',
    enumTexts: NO_YES,
    note: 'Set automatically and stored to flash when BMS control is used (BlueSolar HEX protocol MPPT).',
  }),
  mpptSetting({
    id: 0xede0,
    name: 'lowTemperatureLevel',
    description: 'Battery low temperature level (charge cut / reduce)',
    type: 'sn16',
    scale: 0.01,
    unit: '°C',
    note: 'fw ≥ 1.30.',
  }),
  mpptSetting({
    id: 0xede6,
    name: 'lowTemperatureChargeCurrent',
    description: 'Charge current below the low temperature level',
    type: 'un16',
    scale: 0.1,
    unit: 'A',
    enumTexts: { 0xffff: 'Use battery maximum current' },
    note: '0xFFFF = use the maximum current (decodes to null); 0 = stop charging. fw ≥ 1.30.',
  }),
  mpptSetting({ id: 0xed2e, name: 'reBulkVoltageOffset', description: 'Re-bulk voltage offset', type: 'un16', scale: 0.01, unit: 'V' }),
  mpptSetting({ id: 0xedfb, name: 'absorptionTimeLimit', description: 'Absorption time limit', type: 'un16', scale: 0.01, unit: 'h' }),
  mpptSetting({ id: 0xedfc, name: 'bulkTimeLimit', description: 'Bulk time limit', type: 'un16', scale: 0.01, unit: 'h' }),
  mpptSetting({
    id: 0xedfd,
    name: 'autoEqualisationMode',
    description: 'Automatic equalisation (every n days)',
    type: 'un8',
    enumTexts: { 0: 'Off' },
    note: '0 off, 1..250 repeat every n days (Victron register dictionary).',
  }),
  mpptSetting({ id: 0xedfe, name: 'adaptiveMode', description: 'Adaptive absorption mode', type: 'un8', enumTexts: OFF_ON }),
  mpptSetting({ id: 0xedff, name: 'batterySafeMode', description: 'BatterySafe mode', type: 'un8', enumTexts: OFF_ON }),
  // Further battery settings that the Victron register dictionary says are written to
  // non-volatile memory.
  mpptSetting({ id: 0xedf8, name: 'repeatedAbsorptionInterval', description: 'Repeated absorption interval', type: 'un16', scale: 0.01, unit: 'd' }),
  mpptSetting({ id: 0xedf9, name: 'repeatedAbsorptionDuration', description: 'Repeated absorption duration', type: 'un16', scale: 0.01, unit: 'h' }),
  mpptSetting({ id: 0xedfa, name: 'floatTimeLimit', description: 'Float time limit (0 = off)', type: 'un16', scale: 0.01, unit: 'h' }),
  mpptSetting({ id: 0xede1, name: 'reBulkCurrent', description: 'Re-bulk current level', type: 'un16', scale: 0.1, unit: 'A' }),
  mpptSetting({ id: 0xede3, name: 'equalisationDuration', description: 'Equalisation duration', type: 'un16', scale: 0.01, unit: 'h' }),
  mpptSetting({ id: 0xede4, name: 'equalisationCurrent', description: 'Equalisation current (percentage)', type: 'un8', unit: '%' }),
  mpptSetting({ id: 0xede5, name: 'equalisationAutoStop', description: 'Stop automatic equalisation on voltage', type: 'un8', enumTexts: NO_YES }),
  mpptSetting({ id: 0xede7, name: 'batteryTailCurrent', description: 'Tail current', type: 'un16', scale: 0.1, unit: 'A' }),
  mpptSetting({ id: 0xede9, name: 'powerSupplyVoltage', description: 'Power supply mode voltage', type: 'un16', scale: 0.01, unit: 'V' }),
  mpptSetting({ id: 0xeded, name: 'intelligentMode', description: 'Battery intelligent mode', type: 'un8', enumTexts: OFF_ON }),
  mpptSetting({ id: 0xedee, name: 'storageMode', description: 'Battery storage mode', type: 'un8', enumTexts: OFF_ON }),
  mpptSetting({
    id: 0xed9e,
    name: 'txPortMode',
    description: 'TX pin function',
    type: 'un8',
    enumTexts: TX_PORT_MODE,
    note: 'Anything but 0 stops Text output; the charger still answers HEX before falling back (BlueSolar HEX protocol MPPT).',
  }),
  mpptSetting({ id: 0xed98, name: 'rxPortMode', description: 'RX pin function', type: 'un8', enumTexts: RX_PORT_MODE }),
];

/** History records: 0x104F total, 0x1050 today … 0x106E 30 days ago, 34-byte records (BlueSolar HEX protocol MPPT). */
const MPPT_HISTORY: readonly RegisterDef[] = [
  reg({ id: 0x104f, name: 'historyTotal', description: 'Total history record', type: 'bytes', families: MPPT, notAvailable: null }),
  ...Array.from({ length: 31 }, (_, day) =>
    reg({
      id: 0x1050 + day,
      name: `historyDay${day}`,
      description: day === 0 ? 'Daily history record: today' : `Daily history record: ${day} day${day === 1 ? '' : 's'} ago`,
      type: 'bytes',
      families: MPPT,
      notAvailable: null,
      note: 'A day without data is answered with an empty record and flags 0x04 (BlueSolar HEX protocol MPPT).',
    }),
  ),
];

// ── 4.4 MPPT link / remote-control registers (firmware ≥ 1.29; experimental from 1.17) ────────

const LINK_NOTE = 'Runtime link data with a 60 s timeout, not stored (BlueSolar HEX protocol MPPT; Victron register dictionary).';

const MPPT_LINK: readonly RegisterDef[] = [
  reg({ id: 0x2000, name: 'chargeAlgorithmVersion', description: 'Charge algorithm version', type: 'un8', families: MPPT }),
  reg({
    id: 0x2001,
    name: 'chargeVoltageSetpoint',
    description: 'Charge voltage set-point (external control)',
    type: 'un16',
    scale: 0.01,
    unit: 'V',
    access: 'rw',
    storage: 'volatile',
    families: MPPT,
    note: `${LINK_NOTE} Makes this host the charge controller: not for a sense bridge.`,
  }),
  reg({
    id: 0x2002,
    name: 'batteryVoltageSense',
    description: 'Remote battery voltage sense',
    type: 'un16',
    scale: 0.01,
    unit: 'V',
    access: 'rw',
    storage: 'volatile',
    families: MPPT,
    notAvailable: 0xffff,
    min: 0,
    max: 655.34,
    note:
      'Rewrite well within the 60 s timeout; 0xFFFF = not available, so the charger returns to its own sensing at once (fw ≥ 1.26 announces the timeout with an async 0xFFFF). ' +
      'Must lie within ±5 V of the charger terminal voltage (BlueSolar HEX protocol MPPT).',
  }),
  reg({
    id: 0x2003,
    name: 'batteryTemperatureSense',
    description: 'Remote battery temperature sense',
    type: 'sn16',
    scale: 0.01,
    unit: '°C',
    access: 'rw',
    storage: 'volatile',
    families: MPPT,
    notAvailable: 0x7fff,
    min: -327.67,
    max: 327.66,
    note:
      'In 0.01 °C, not K (unlike 0xEDEC). Rewrite within the 60 s timeout; 0x7FFF = not available (fw ≥ 1.26 announces the timeout with an async 0x7FFF) (BlueSolar HEX protocol MPPT).',
  }),
  reg({
    id: 0x2004,
    name: 'remoteCommand',
    description: 'Remote command (equalisation, synchronisation)',
    type: 'un8',
    access: 'w',
    storage: 'volatile',
    families: MPPT,
    enumTexts: LINK_COMMAND,
    notAvailable: null,
  }),
  reg({
    id: 0x2007,
    name: 'chargeStateElapsedTime',
    description: 'Time spent in the current charge state',
    type: 'un32',
    scale: 0.001,
    unit: 's',
    access: 'rw',
    storage: 'volatile',
    families: MPPT,
    note: LINK_NOTE,
  }),
  reg({ id: 0x2008, name: 'absorptionTime', description: 'Absorption time', type: 'un16', scale: 0.01, unit: 'h', access: 'rw', storage: 'volatile', families: MPPT }),
  reg({
    id: 0x2009,
    name: 'linkErrorCode',
    description: 'Error code shared over the network',
    type: 'un8',
    access: 'rw',
    storage: 'volatile',
    families: MPPT,
    enumTexts: CHARGER_ERROR,
    note: LINK_NOTE,
  }),
  reg({
    id: 0x200a,
    name: 'batteryChargeCurrent',
    description: 'Battery charge current (from a battery monitor)',
    type: 'sn32',
    scale: 0.001,
    unit: 'A',
    access: 'rw',
    storage: 'volatile',
    families: MPPT,
    note: LINK_NOTE,
  }),
  reg({ id: 0x200b, name: 'batteryIdleVoltage', description: 'Battery idle voltage', type: 'un16', scale: 0.01, unit: 'V', access: 'rw', storage: 'volatile', families: MPPT }),
  reg({
    id: 0x200c,
    name: 'linkDeviceState',
    description: 'Device state shared over the network',
    type: 'un8',
    access: 'rw',
    storage: 'volatile',
    families: MPPT,
    enumTexts: LINK_DEVICE_STATE,
    note: 'Slave mode only (BlueSolar HEX protocol MPPT).',
  }),
  reg({
    id: 0x200d,
    name: 'networkInfo',
    description: 'Network info',
    type: 'un16',
    families: MPPT,
    bitTexts: NETWORK_INFO_BITS,
    notAvailable: null,
    note: 'un8 in the BlueSolar HEX protocol MPPT, which still lists a bit 8; un16 in the Victron register dictionary. Decoded by the received length.',
  }),
  reg({
    id: 0x200e,
    name: 'networkMode',
    description: 'Network mode',
    type: 'un8',
    access: 'rw',
    storage: 'volatile',
    families: MPPT,
    bitTexts: NETWORK_MODE_BITS,
    notAvailable: null,
    note:
      'Set by the network master on all units, 60 s timeout (Victron register dictionary). Bit 3 (BMS) plus a set-point makes the charger store "BMS present" in flash and ' +
      'stop charging with error 67 when the data stops (BlueSolar HEX protocol MPPT): never write it from a sense bridge.',
  }),
  reg({
    id: 0x200f,
    name: 'networkStatus',
    description: 'Network status',
    type: 'un8',
    families: MPPT,
    enumMask: 0x0f,
    enumTexts: NETWORK_STATUS_ROLE,
    bitTexts: NETWORK_STATUS_BITS,
    notAvailable: null,
    note: 'Bits 6/7 (fw ≥ 1.26) confirm that 0x2003 / 0x2002 are in use (BlueSolar HEX protocol MPPT).',
  }),
  reg({ id: 0x2013, name: 'totalChargeCurrent', description: 'Total charge current', type: 'sn32', scale: 0.001, unit: 'A', access: 'rw', storage: 'volatile', families: MPPT }),
  reg({
    id: 0x2014,
    name: 'chargeCurrentPercentage',
    description: 'Charge current percentage',
    type: 'un8',
    unit: '%',
    access: 'rw',
    storage: 'volatile',
    families: MPPT,
    note: 'Deprecated, fw 1.17 only (BlueSolar HEX protocol MPPT).',
  }),
  reg({
    id: 0x2015,
    name: 'chargeCurrentLimit',
    description: 'Charge current limit (external control)',
    type: 'un16',
    scale: 0.1,
    unit: 'A',
    access: 'rw',
    storage: 'volatile',
    families: MPPT,
    note: `fw ≥ 1.19. ${LINK_NOTE}`,
  }),
  reg({ id: 0x2018, name: 'manualEqualisationPending', description: 'Manual equalisation pending', type: 'un8', families: MPPT, enumTexts: NO_YES }),
  reg({
    id: 0x2027,
    name: 'totalDcInputPower',
    description: 'Total DC input power of the network',
    type: 'un32',
    scale: 0.01,
    unit: 'W',
    access: 'rw',
    storage: 'volatile',
    families: MPPT,
    note: '0xFFFFFFFF when not in a VE.Smart network.',
  }),
  reg({
    id: 0x2030,
    name: 'solarActivity',
    description: 'Solar activity (dark / light)',
    type: 'un8',
    families: MPPT,
    enumTexts: SOLAR_ACTIVITY,
    note: 'Sent asynchronously from fw 1.26 (BlueSolar HEX protocol MPPT).',
  }),
  reg({
    id: 0x2031,
    name: 'timeOfDay',
    description: 'Time of day (minutes since midnight)',
    type: 'un16',
    unit: 'min',
    access: 'rw',
    storage: 'volatile',
    families: MPPT,
    note: '0xFFFF = unknown. A written time is used for 5 days (BlueSolar HEX protocol MPPT).',
  }),
];

/** Phoenix inverter AC output (Victron register dictionary `ve_regs.h`, VE_REG_AC_OUT_*). */
const INVERTER_VALUES: readonly RegisterDef[] = [
  reg({ id: 0x2200, name: 'acOutputVoltage', description: 'AC output voltage', type: 'sn16', scale: 0.01, unit: 'V', families: ['inverter'] }),
  reg({ id: 0x2201, name: 'acOutputCurrent', description: 'AC output current', type: 'sn16', scale: 0.1, unit: 'A', families: ['inverter'] }),
  reg({ id: 0x2205, name: 'acOutputApparentPower', description: 'AC output apparent power', type: 'sn32', unit: 'VA', families: ['inverter'] }),
];

/** Every known register. */
export const REGISTERS: readonly RegisterDef[] = [
  ...IDENTITY,
  ...MONITOR_VALUES,
  ...MONITOR_HISTORY,
  ...MONITOR_SETTINGS,
  ...MONITOR_ALARMS,
  ...COMMANDS,
  ...MPPT_VALUES,
  ...MPPT_SETTINGS,
  ...MPPT_HISTORY,
  ...MPPT_LINK,
  ...INVERTER_VALUES,
];

const BY_ID: ReadonlyMap<number, RegisterDef> = new Map(REGISTERS.map((r) => [r.id, r]));
const BY_NAME: ReadonlyMap<string, RegisterDef> = new Map(REGISTERS.map((r) => [r.name.toLowerCase(), r]));

/** Four-digit uppercase hex, as the Victron documents write register ids: 0xED8D. */
export function formatRegisterId(id: number): string {
  return `0x${id.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Looks a register up by catalogue name (case-insensitive), by number, or by id text
 * (`0xED8D`, `0xed8d`, `ED8D`). Names are tried first, so a name never shadows an id.
 */
export function findRegister(ref: string | number): RegisterDef | undefined {
  if (typeof ref === 'number') return BY_ID.get(ref);
  const text = ref.trim();
  const byName = BY_NAME.get(text.toLowerCase());
  if (byName !== undefined) return byName;
  const match = /^(?:0x)?([0-9a-f]{1,4})$/i.exec(text);
  if (match === null || match[1] === undefined) return undefined;
  return BY_ID.get(Number.parseInt(match[1], 16));
}

export function registersForFamily(family: DeviceFamily): RegisterDef[] {
  return REGISTERS.filter((r) => r.families.includes(family));
}
