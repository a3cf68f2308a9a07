/**
 * Value texts of the VE.Direct enumerations and bitmasks, shared by the Text protocol fields
 * (CS, ERR, OR, AR, WARN, MPPT, MODE, MON, CAP_BLE) and the HEX registers that carry the same
 * codes (0x0201, 0xEDDA, 0x0207, 0xEDB3, 0x0200, 0x200D–0x200F, …). Plain data, keyed by the raw
 * value as sent on the wire (enumerations) or by the bit value 1, 2, 4, … (bitmasks).
 */

type Texts = Readonly<Record<number, string>>;

/**
 * Device state / state of operation: Text `CS` (VE.Direct Protocol 3.33) and HEX 0x0201
 * (BlueSolar HEX protocol MPPT, rev 10, which names 0 "Not charging", 245 "Wake-up" and adds
 * 255 "Unavailable"). Batterysafe was reported as 3 up to MPPT fw 1.13, auto-equalisation as 4
 * until fw 1.39 (same document).
 */
export const DEVICE_STATE: Texts = {
  0: 'Off',
  1: 'Low power',
  2: 'Fault',
  3: 'Bulk',
  4: 'Absorption',
  5: 'Float',
  6: 'Storage',
  7: 'Equalize (manual)',
  9: 'Inverting',
  11: 'Power supply',
  245: 'Starting-up',
  246: 'Repeated absorption',
  247: 'Auto equalize / Recondition',
  248: 'BatterySafe',
  252: 'External control',
  255: 'Unavailable',
};

/**
 * Device state as exchanged between networked chargers, HEX 0x200C: the 0x0201 codes plus
 * 249 "load detect", which only a slave reports (BlueSolar HEX protocol MPPT, rev 10).
 */
export const LINK_DEVICE_STATE: Texts = {
  ...DEVICE_STATE,
  249: 'Load detect',
};

/**
 * Charger error: Text `ERR` and HEX 0xEDDA. Codes listed in VE.Direct Protocol 3.33 and the
 * BlueSolar HEX protocol MPPT (rev 10) carry those documents' wording; the other codes are
 * Victron's own charger error list (velib `charger_error.h`), the complete authoritative set.
 */
export const CHARGER_ERROR: Texts = {
  0: 'No error',
  1: 'Battery temperature too high',
  2: 'Battery voltage too high',
  3: 'Battery temperature sensor miswired',
  4: 'Battery temperature sensor miswired',
  5: 'Battery temperature sensor connection lost',
  6: 'Battery voltage sense miswired',
  7: 'Battery voltage sense miswired',
  8: 'Battery voltage sense connection lost',
  9: 'Battery voltage wire losses too high',
  10: 'Battery voltage too low',
  11: 'Battery ripple voltage too high',
  12: 'Battery low state of charge',
  13: 'Battery mid-point voltage issue',
  14: 'Battery temperature too low',
  17: 'Charger temperature too high',
  18: 'Charger over current',
  19: 'Charger current reversed',
  20: 'Bulk time limit exceeded',
  21: 'Current sensor issue',
  22: 'Charger temperature sensor miswired',
  23: 'Charger temperature sensor connection lost',
  24: 'Charger internal fan not detected',
  25: 'Charger internal fan over-current',
  26: 'Terminals overheated',
  27: 'Charger short circuit',
  28: 'Converter issue',
  29: 'Over-charge protection',
  31: 'Input voltage out of range',
  32: 'Input voltage too low',
  33: 'Input voltage too high (solar panel)',
  34: 'Input current too high (solar panel)',
  35: 'Input excessive power',
  36: 'Input polarity issue',
  37: 'Input voltage absent',
  38: 'Input shutdown (excessive battery voltage)',
  39: 'Input shutdown (current flow during off mode)',
  40: 'Input internal failure',
  41: 'Inverter shutdown (panel isolation resistance too low)',
  42: 'Inverter shutdown (ground current too high)',
  43: 'Inverter shutdown (voltage over L and PE too high)',
  50: 'Inverter overload',
  51: 'Inverter temperature too high',
  52: 'Inverter peak current',
  53: 'Inverter DC level',
  54: 'Inverter AC level (output voltage not ok)',
  55: 'Inverter DC fail (DC on output)',
  56: 'Inverter AC fail (wrong waveform)',
  57: 'Inverter AC on output',
  58: 'Inverter bridge fault',
  59: 'AC input 1 relay test fault',
  60: 'AC input 2 relay test fault',
  65: 'Lost communication with one of devices',
  66: 'Synchronised charging device configuration issue',
  67: 'BMS connection lost',
  68: 'Network misconfigured',
  113: 'Non-volatile storage write error',
  114: 'CPU temperature too high',
  115: 'Communication lost',
  116: 'Factory calibration data lost',
  117: 'Invalid/incompatible firmware',
  118: 'Incompatible hardware',
  119: 'User settings invalid',
  120: 'Reference voltage failure',
  121: 'Tester fail',
  122: 'Non-volatile history data invalid',
  200: 'Internal DC voltage error',
  201: 'Internal DC voltage error',
  203: 'Internal supply voltage error (3.3 V)',
  205: 'Internal supply voltage error (5 V)',
  212: 'Internal supply voltage error (12 V)',
  215: 'Internal supply voltage error (15 V)',
};

/**
 * Charger error codes that Victron's own software shows as warnings, not faults (velib
 * `charger_error.cpp`, `isWarning`): 14 battery temperature too low, 65 and 66 network issues.
 */
export const CHARGER_WARNING_CODES: ReadonlySet<number> = new Set([14, 65, 66]);

/**
 * Off reason bits: Text `OR` (hex with 0x prefix) and HEX 0x0207 (un32, MPPT fw ≥ 1.44) /
 * 0x0205 (un8, fw 1.29–1.43), same bit positions (VE.Direct Protocol 3.33; BlueSolar HEX
 * protocol MPPT, rev 10; Victron register dictionary `ve_regs.h`).
 */
export const OFF_REASON_BITS: Texts = {
  0x001: 'No input power',
  0x002: 'Switched off (power switch)',
  0x004: 'Switched off (device mode register)',
  0x008: 'Remote input',
  0x010: 'Protection active',
  0x020: 'Paygo',
  0x040: 'BMS',
  0x080: 'Engine shutdown detection',
  0x100: 'Analysing input voltage',
};

/**
 * Alarm reason (Text `AR`) and warning reason (Text `WARN`, inverters only): decimal bit sums
 * (VE.Direct Protocol 3.33). AR latches the cause of an inverter shutdown; WARN is live.
 */
export const ALARM_REASON_BITS: Texts = {
  1: 'Low voltage',
  2: 'High voltage',
  4: 'Low SOC',
  8: 'Low starter voltage',
  16: 'High starter voltage',
  32: 'Low temperature',
  64: 'High temperature',
  128: 'Mid voltage',
  256: 'Overload',
  512: 'DC-ripple',
  1024: 'Low V AC out',
  2048: 'High V AC out',
  4096: 'Short circuit',
  8192: 'BMS lockout',
};

/** Tracker operation mode: Text `MPPT` and HEX 0xEDB3 (VE.Direct Protocol 3.33; HEX MPPT rev 10). */
export const TRACKER_MODE: Texts = {
  0: 'Off',
  1: 'Voltage or current limited',
  2: 'MPP Tracker active',
};

/** Device mode as the Text `MODE` field reports it (VE.Direct Protocol 3.33). */
export const DEVICE_MODE: Texts = {
  1: 'Charger',
  2: 'Inverter on',
  4: 'Off',
  5: 'Eco',
  253: 'Hibernate',
};

/**
 * Device mode register 0x0200. MPPTs: 1 on, 0 or 4 off (fw ≤ 1.16 reports 0, ≥ 1.17 reports 4;
 * both accepted) (BlueSolar HEX protocol MPPT, rev 10); inverters: 2 on, 4 off, 5 eco,
 * 0xFD hibernate; AC and DC-DC chargers: 1 on (charger), 4 off (VE.Direct Protocol 3.33 `MODE`).
 */
export const DEVICE_MODE_REGISTER: Texts = {
  0: 'Off',
  1: 'On',
  2: 'Inverter on',
  4: 'Off',
  5: 'Eco',
  0xfd: 'Hibernate',
};

/** DC monitor mode, Text `MON` (signed; BMV-71x/SmartShunt fw ≥ 4.08) (VE.Direct Protocol 3.33). */
export const DC_MONITOR_MODE: Texts = {
  [-9]: 'Solar charger',
  [-8]: 'Wind turbine',
  [-7]: 'Shaft generator',
  [-6]: 'Alternator',
  [-5]: 'Fuel cell',
  [-4]: 'Water generator',
  [-3]: 'DC/DC charger',
  [-2]: 'AC charger',
  [-1]: 'Generic source',
  0: 'Battery monitor',
  1: 'Generic load',
  2: 'Electric drive',
  3: 'Fridge',
  4: 'Water pump',
  5: 'Bilge pump',
  6: 'DC system',
  7: 'Inverter',
  8: 'Water heater',
};

/**
 * Network mode bits, HEX 0x200E (BlueSolar HEX protocol MPPT, rev 10; Victron register
 * dictionary `regs_payload.h`). 0 = stand-alone. Bit 3 makes the charger store "BMS present"
 * (0xEDE8) in flash and stop charging (error 67) when BMS data stops.
 */
export const NETWORK_MODE_BITS: Texts = {
  0x01: 'Networked',
  0x02: 'Remote charge control (slave)',
  0x04: 'External control',
  0x08: 'BMS controlled',
  0x10: 'Group master',
  0x20: 'Instance master',
  0x40: 'Standby (charger)',
  0x80: 'Standby (inverter)',
};

/**
 * Network status, HEX 0x200F, low nibble: the charger's role (BlueSolar HEX protocol MPPT,
 * rev 10; Victron register dictionary `regs_payload.h`).
 */
export const NETWORK_STATUS_ROLE: Texts = {
  0: 'Slave',
  1: 'Group master',
  2: 'Instance master',
  3: 'Group and instance master',
  4: 'Stand-alone',
};

/**
 * Network status, HEX 0x200F, bits 4..7: which remote values the charger is using. Bits 6/7
 * (fw ≥ 1.26) confirm that written 0x2003 / 0x2002 values are in use; bits 4/5 from fw 1.44
 * (BlueSolar HEX protocol MPPT, rev 10).
 */
export const NETWORK_STATUS_BITS: Texts = {
  0x10: 'Using remote charge current (ICHARGE)',
  0x20: 'Using remote battery current (ISENSE)',
  0x40: 'Using remote temperature (TSENSE)',
  0x80: 'Using remote voltage (VSENSE)',
};

/** Network info bits, HEX 0x200D (un16; Victron register dictionary `regs_payload.h`). */
export const NETWORK_INFO_BITS: Texts = {
  0x0001: 'BMS',
  0x0002: 'External voltage control',
  0x0004: 'Charge slave',
  0x0008: 'Charge master',
  0x0010: 'Remote charge current (ICHARGE)',
  0x0020: 'Remote battery current (ISENSE)',
  0x0040: 'Remote temperature (TSENSE)',
  0x0080: 'Remote voltage (VSENSE)',
  0x0100: 'Standby',
  0x0200: 'External current control',
};

/** BLE capabilities: Text `CAP_BLE` and HEX 0x0150 (VE.Direct Protocol 3.33). */
export const BLE_CAPABILITY_BITS: Texts = {
  0x1: 'BLE supports switching off',
  0x2: 'BLE switching off is permanent',
};

/**
 * Capabilities, HEX 0x0140 (MPPT fw ≥ 1.16). Bit order from the Victron register dictionary
 * (`ve_regs.h`, VE_REG_CAPABILITIES1); the BlueSolar HEX protocol MPPT (rev 10) names bit 16
 * "parallel charging", the dictionary "remote sense support" (VE.Smart networking).
 */
export const CAPABILITY_BITS: Texts = {
  0x00000001: 'Load output',
  0x00000002: 'Rotary encoder',
  0x00000004: 'History support',
  0x00000008: 'Batterysafe mode',
  0x00000010: 'Adaptive mode',
  0x00000020: 'Manual equalise',
  0x00000040: 'Auto equalise',
  0x00000080: 'Storage mode',
  0x00000100: 'Remote on/off',
  0x00000200: 'Solar timer',
  0x00000400: 'Alternative TX function',
  0x00000800: 'User load switch',
  0x00001000: 'Load current',
  0x00002000: 'Panel current',
  0x00004000: 'BMS support',
  0x00008000: 'External control support',
  0x00010000: 'Parallel charging / remote sense',
  0x00020000: 'Alarm relay',
  0x00040000: 'Alternative RX function',
  0x00080000: 'Virtual load output',
  0x00100000: 'Virtual relay',
  0x00200000: 'Display',
  0x00400000: 'Low current mode',
  0x00800000: 'Night mode',
  0x01000000: 'Lumeter support',
  0x02000000: 'Load AES mode',
  0x04000000: 'Battery test',
  0x08000000: 'Paygo support',
  0x10000000: 'Hibernate mode',
  0x20000000: 'AC out apparent power',
  0x40000000: 'Power supply function',
  0x80000000: 'Needs battery to shut down',
};

/** Additional charger state info bits, HEX 0xEDD4 (Victron register dictionary `regs_payload.h`). */
export const CHARGER_STATE_INFO_BITS: Texts = {
  0x01: 'Safe mode',
  0x02: 'Automatic equalisation',
  0x04: 'Repeated absorption',
  0x08: 'Low input voltage current limit',
  0x10: 'Temperature current limit',
  0x20: 'Sense current limit',
  0x40: 'Input current limit',
  0x80: 'Low current mode',
};

/** TX pin function, HEX 0xED9E; anything but 0 disables Text output (Victron register dictionary). */
export const TX_PORT_MODE: Texts = {
  0: 'VE.Direct communication',
  1: 'Pulse every 0.01 kWh',
  2: 'Lighting control PWM normal',
  3: 'Lighting control PWM inverted',
  4: 'Virtual load output',
  5: 'Virtual relay',
};

/** RX pin function, HEX 0xED98 (Victron register dictionary `regs_payload.h`). */
export const RX_PORT_MODE: Texts = {
  0: 'Remote on/off',
  1: 'Load output configuration',
  2: 'Load output on/off remote control (inverted)',
  3: 'Load output on/off remote control (normal)',
};

/** Relay mode, HEX 0x034F (Victron register dictionary `regs_payload.h`, VE_REG_RELAY_MODE). */
export const RELAY_MODE: Texts = {
  0: 'Alarm',
  1: 'Charger',
  2: 'Remote',
  3: 'Always open',
  4: 'Inverter active',
  5: 'Battery low',
  6: 'Fan',
  7: 'Indicator',
  8: 'Charging',
  9: 'Generator start/stop',
  10: 'Always closed',
};

/** Remote command, HEX 0x2004 (BlueSolar HEX protocol MPPT, rev 10). */
export const LINK_COMMAND: Texts = {
  1: 'Start equalisation',
  2: 'Stop equalisation',
  3: 'Synchronise (GUI)',
  4: 'Synchronise (day)',
};

/** Battery type, HEX 0xEDF1: 0xFF = user defined settings (Victron register dictionary). */
export const BATTERY_TYPE: Texts = {
  0x00: 'Charger disabled',
  0xff: 'User defined',
};

/** Solar activity, HEX 0x2030 (BlueSolar HEX protocol MPPT, rev 10). */
export const SOLAR_ACTIVITY: Texts = {
  0: 'Dark',
  1: 'Light',
};

/** Relay state, HEX 0x034E. */
export const RELAY_STATE: Texts = {
  0: 'Open',
  1: 'Closed',
};

export const OFF_ON: Texts = {
  0: 'Off',
  1: 'On',
};

export const NO_YES: Texts = {
  0: 'No',
  1: 'Yes',
};

/** Alarm/relay "fuse blown" enable registers 0x0330 / 0x0360: 0 = enabled (Victron register dictionary). */
export const ENABLED_DISABLED: Texts = {
  0: 'Enabled',
  1: 'Disabled',
};

/**
 * Load output control, HEX 0xEDAB, on MPPTs with a load output (BlueSolar HEX protocol MPPT,
 * rev 10; 0 / 4 / 5 as sent to a real MPPT, openenergymonitor thread 20101).
 */
export const LOAD_OUTPUT_CONTROL: Texts = {
  0: 'Off',
  1: 'Automatic (BatteryLife)',
  2: 'Alternative control 1',
  3: 'Alternative control 2',
  4: 'On',
  5: 'User defined 1',
  6: 'User defined 2',
  7: 'Automatic energy selector',
};
