/**
 * Text protocol field catalogue: for every label a device may send in a Text block, its
 * camelCase name, how to read the value, the scale to SI-ish units and the value texts.
 * Source: VE.Direct Protocol 3.33 (field table, units, device columns); `HC#` is seen only in
 * the VictronMPPT-ESPHOME project.
 */

import {
  ALARM_REASON_BITS,
  BLE_CAPABILITY_BITS,
  CHARGER_ERROR,
  DC_MONITOR_MODE,
  DEVICE_MODE,
  DEVICE_STATE,
  OFF_REASON_BITS,
  TRACKER_MODE,
} from './enums';
import { DEVICE_FAMILIES, type DeviceFamily, type TextFieldDef } from './types';

const MONITORS: readonly DeviceFamily[] = ['bmv', 'smartshunt'];
const MPPT: readonly DeviceFamily[] = ['mppt'];
const INVERTER: readonly DeviceFamily[] = ['inverter'];
const CHARGER: readonly DeviceFamily[] = ['charger'];
const DCDC: readonly DeviceFamily[] = ['dcdc'];
const ALL: readonly DeviceFamily[] = DEVICE_FAMILIES;

/** Raw units as sent, and the factor that turns them into the unit we publish. */
const MILLIVOLT = { scale: 0.001, unit: 'V' } as const;
const MILLIAMP = { scale: 0.001, unit: 'A' } as const;
const MILLIAMP_HOUR = { scale: 0.001, unit: 'Ah' } as const;
const PER_MILLE = { scale: 0.1, unit: '%' } as const;
const CENTI_KWH = { scale: 0.01, unit: 'kWh' } as const;
const CENTIVOLT = { scale: 0.01, unit: 'V' } as const;
const DECIAMP = { scale: 0.1, unit: 'A' } as const;
const WATT = { scale: 1, unit: 'W' } as const;
const COUNT = { scale: 1, unit: '' } as const;

export const TEXT_FIELDS: readonly TextFieldDef[] = [
  { label: 'V', name: 'batteryVoltage', description: 'Main (battery) voltage', kind: 'int', ...MILLIVOLT, families: ALL },
  { label: 'V2', name: 'battery2Voltage', description: 'Channel 2 battery voltage', kind: 'int', ...MILLIVOLT, families: CHARGER },
  { label: 'V3', name: 'battery3Voltage', description: 'Channel 3 battery voltage', kind: 'int', ...MILLIVOLT, families: CHARGER },
  {
    label: 'VS',
    name: 'auxVoltage',
    description: 'Auxiliary (starter) voltage',
    kind: 'int',
    ...MILLIVOLT,
    families: MONITORS,
  },
  { label: 'VM', name: 'midPointVoltage', description: 'Mid-point voltage of the battery bank', kind: 'int', ...MILLIVOLT, families: MONITORS },
  { label: 'DM', name: 'midPointDeviation', description: 'Mid-point deviation of the battery bank', kind: 'int', ...PER_MILLE, families: MONITORS },
  { label: 'VPV', name: 'panelVoltage', description: 'Panel voltage', kind: 'int', ...MILLIVOLT, families: MPPT },
  { label: 'PPV', name: 'panelPower', description: 'Panel power', kind: 'int', ...WATT, families: MPPT },
  {
    label: 'I',
    name: 'batteryCurrent',
    description: 'Main (battery) current, > 0 charging',
    kind: 'int',
    ...MILLIAMP,
    families: ['bmv', 'smartshunt', 'mppt', 'charger', 'dcdc'],
  },
  { label: 'I2', name: 'battery2Current', description: 'Channel 2 battery current', kind: 'int', ...MILLIAMP, families: CHARGER },
  { label: 'I3', name: 'battery3Current', description: 'Channel 3 battery current', kind: 'int', ...MILLIAMP, families: CHARGER },
  { label: 'IL', name: 'loadCurrent', description: 'Load current', kind: 'int', ...MILLIAMP, families: MPPT },
  { label: 'LOAD', name: 'loadOutputState', description: 'Load output state (ON/OFF)', kind: 'onoff', families: MPPT },
  {
    label: 'T',
    name: 'batteryTemperature',
    description: 'Battery temperature',
    kind: 'int',
    scale: 1,
    unit: '°C',
    families: MONITORS,
  },
  { label: 'P', name: 'batteryPower', description: 'Instantaneous power', kind: 'int', ...WATT, families: MONITORS },
  { label: 'CE', name: 'consumedAmpHours', description: 'Consumed amp-hours', kind: 'int', ...MILLIAMP_HOUR, families: MONITORS },
  { label: 'SOC', name: 'stateOfCharge', description: 'State of charge', kind: 'int', ...PER_MILLE, families: MONITORS },
  {
    label: 'TTG',
    name: 'timeToGo',
    description: 'Time to go',
    kind: 'int',
    scale: 1,
    unit: 'min',
    // "-1 = infinite" (VE.Direct Protocol 3.33): the battery is not being discharged.
    nullTexts: { [-1]: 'infinite' },
    families: MONITORS,
  },
  { label: 'Alarm', name: 'alarm', description: 'Alarm condition active', kind: 'onoff', families: MONITORS },
  { label: 'Relay', name: 'relay', description: 'Relay state', kind: 'onoff', families: ['bmv', 'mppt', 'inverter', 'charger'] },
  { label: 'AR', name: 'alarmReason', description: 'Alarm reason', kind: 'bits', bitTexts: ALARM_REASON_BITS, families: ['bmv', 'smartshunt', 'inverter'] },
  { label: 'OR', name: 'offReason', description: 'Off reason', kind: 'hexbits', bitTexts: OFF_REASON_BITS, families: ['mppt', 'inverter', 'dcdc'] },
  { label: 'H1', name: 'deepestDischarge', description: 'Depth of the deepest discharge', kind: 'int', ...MILLIAMP_HOUR, families: MONITORS },
  { label: 'H2', name: 'lastDischarge', description: 'Depth of the last discharge', kind: 'int', ...MILLIAMP_HOUR, families: MONITORS },
  { label: 'H3', name: 'averageDischarge', description: 'Depth of the average discharge', kind: 'int', ...MILLIAMP_HOUR, families: MONITORS },
  { label: 'H4', name: 'chargeCycles', description: 'Number of charge cycles', kind: 'int', ...COUNT, families: MONITORS },
  { label: 'H5', name: 'fullDischarges', description: 'Number of full discharges', kind: 'int', ...COUNT, families: MONITORS },
  { label: 'H6', name: 'cumulativeAmpHours', description: 'Cumulative amp-hours drawn', kind: 'int', ...MILLIAMP_HOUR, families: MONITORS },
  { label: 'H7', name: 'minimumVoltage', description: 'Minimum main voltage', kind: 'int', ...MILLIVOLT, families: MONITORS },
  { label: 'H8', name: 'maximumVoltage', description: 'Maximum main voltage', kind: 'int', ...MILLIVOLT, families: MONITORS },
  { label: 'H9', name: 'secondsSinceFullCharge', description: 'Seconds since the last full charge', kind: 'int', scale: 1, unit: 's', families: MONITORS },
  { label: 'H10', name: 'automaticSyncs', description: 'Number of automatic synchronisations', kind: 'int', ...COUNT, families: MONITORS },
  { label: 'H11', name: 'lowVoltageAlarms', description: 'Number of low main voltage alarms', kind: 'int', ...COUNT, families: MONITORS },
  { label: 'H12', name: 'highVoltageAlarms', description: 'Number of high main voltage alarms', kind: 'int', ...COUNT, families: MONITORS },
  { label: 'H13', name: 'lowAuxVoltageAlarms', description: 'Number of low auxiliary voltage alarms (BMV-60x)', kind: 'int', ...COUNT, families: ['bmv'] },
  { label: 'H14', name: 'highAuxVoltageAlarms', description: 'Number of high auxiliary voltage alarms (BMV-60x)', kind: 'int', ...COUNT, families: ['bmv'] },
  { label: 'H15', name: 'minimumAuxVoltage', description: 'Minimum auxiliary voltage', kind: 'int', ...MILLIVOLT, families: MONITORS },
  { label: 'H16', name: 'maximumAuxVoltage', description: 'Maximum auxiliary voltage', kind: 'int', ...MILLIVOLT, families: MONITORS },
  {
    label: 'H17',
    name: 'dischargedEnergy',
    description: 'Amount of discharged energy (BMV) / produced energy (DC monitor)',
    kind: 'int',
    ...CENTI_KWH,
    families: MONITORS,
  },
  {
    label: 'H18',
    name: 'chargedEnergy',
    description: 'Amount of charged energy (BMV) / consumed energy (DC monitor)',
    kind: 'int',
    ...CENTI_KWH,
    families: MONITORS,
  },
  { label: 'H19', name: 'yieldTotal', description: 'Yield total (user resettable counter)', kind: 'int', ...CENTI_KWH, families: MPPT },
  { label: 'H20', name: 'yieldToday', description: 'Yield today', kind: 'int', ...CENTI_KWH, families: MPPT },
  { label: 'H21', name: 'maxPowerToday', description: 'Maximum power today', kind: 'int', ...WATT, families: MPPT },
  { label: 'H22', name: 'yieldYesterday', description: 'Yield yesterday', kind: 'int', ...CENTI_KWH, families: MPPT },
  { label: 'H23', name: 'maxPowerYesterday', description: 'Maximum power yesterday', kind: 'int', ...WATT, families: MPPT },
  { label: 'ERR', name: 'errorCode', description: 'Error code', kind: 'enum', enumTexts: CHARGER_ERROR, families: ['mppt', 'charger', 'dcdc'] },
  { label: 'CS', name: 'deviceState', description: 'State of operation', kind: 'enum', enumTexts: DEVICE_STATE, families: ['mppt', 'inverter', 'charger', 'dcdc'] },
  { label: 'BMV', name: 'bmvModel', description: 'Model description (deprecated)', kind: 'string', families: MONITORS },
  { label: 'FW', name: 'firmware', description: 'Firmware version (16 bit)', kind: 'firmware', families: ['bmv', 'smartshunt', 'mppt', 'inverter'] },
  { label: 'FWE', name: 'firmwareExtended', description: 'Firmware version (24 bit)', kind: 'firmware', families: ['mppt', 'charger', 'dcdc'] },
  { label: 'PID', name: 'productId', description: 'Product id', kind: 'product', families: ALL },
  { label: 'SER#', name: 'serialNumber', description: 'Serial number', kind: 'string', families: ['mppt', 'inverter', 'charger', 'dcdc'] },
  { label: 'HSDS', name: 'daySequenceNumber', description: 'Day sequence number (0..364)', kind: 'int', ...COUNT, families: MPPT },
  { label: 'MODE', name: 'deviceMode', description: 'Device mode', kind: 'enum', enumTexts: DEVICE_MODE, families: ['inverter', 'charger', 'dcdc'] },
  { label: 'AC_OUT_V', name: 'acOutputVoltage', description: 'AC output voltage', kind: 'int', ...CENTIVOLT, families: INVERTER },
  { label: 'AC_OUT_I', name: 'acOutputCurrent', description: 'AC output current', kind: 'int', ...DECIAMP, families: INVERTER },
  { label: 'AC_OUT_S', name: 'acOutputApparentPower', description: 'AC output apparent power', kind: 'int', scale: 1, unit: 'VA', families: INVERTER },
  { label: 'WARN', name: 'warningReason', description: 'Warning reason', kind: 'bits', bitTexts: ALARM_REASON_BITS, families: INVERTER },
  { label: 'MPPT', name: 'trackerMode', description: 'Tracker operation mode', kind: 'enum', enumTexts: TRACKER_MODE, families: MPPT },
  { label: 'MON', name: 'dcMonitorMode', description: 'DC monitor mode', kind: 'enum', enumTexts: DC_MONITOR_MODE, families: MONITORS },
  { label: 'DC_IN_V', name: 'dcInputVoltage', description: 'DC input voltage', kind: 'int', ...CENTIVOLT, families: DCDC },
  { label: 'DC_IN_I', name: 'dcInputCurrent', description: 'DC input current', kind: 'int', ...DECIAMP, families: DCDC },
  { label: 'DC_IN_P', name: 'dcInputPower', description: 'DC input power', kind: 'int', ...WATT, families: DCDC },
  { label: 'CAP_BLE', name: 'bleCapabilities', description: 'Bluetooth capabilities', kind: 'bits', bitTexts: BLE_CAPABILITY_BITS, families: INVERTER },
  { label: 'HC#', name: 'hardwareRevision', description: 'Hardware revision', kind: 'string', families: ALL },
];

const BY_LABEL: ReadonlyMap<string, TextFieldDef> = new Map(TEXT_FIELDS.map((f) => [f.label, f]));
const BY_LABEL_UPPER: ReadonlyMap<string, TextFieldDef> = new Map(TEXT_FIELDS.map((f) => [f.label.toUpperCase(), f]));

/**
 * Finds a field by its label as sent (`V`, `SER#`). Labels are matched exactly first, then
 * case-insensitively: Victron's reference parser upper-cases labels, and no two labels differ
 * only in case.
 */
export function findTextField(label: string): TextFieldDef | undefined {
  return BY_LABEL.get(label) ?? BY_LABEL_UPPER.get(label.toUpperCase());
}
