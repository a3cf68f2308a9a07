/**
 * Register ids that code refers to by meaning (the write policy, the simulators, the bridge),
 * as typed constants, so no module redeclares 0x2002 on its own. The catalogue entries
 * (registers.ts) hold everything else about them; a test checks each constant names the
 * catalogue entry it says.
 */

export const REGISTER_IDS = {
  /** 0x0004: restore every user setting to factory defaults (device command). */
  RESTORE_DEFAULT: 0x0004,
  /** 0x1029: BMV / SmartShunt zero current (device command). */
  ZERO_CURRENT: 0x1029,
  /** 0x102C: BMV / SmartShunt synchronise (device command). */
  SYNCHRONISE: 0x102c,
  /** 0x1030: clear history (device command). */
  CLEAR_HISTORY: 0x1030,
  /** 0xED8D: monitor main (battery) voltage. */
  MAIN_VOLTAGE: 0xed8d,
  /** 0xEDEC: battery temperature, 0.01 K. */
  BATTERY_TEMPERATURE: 0xedec,
  /** 0xEDD5: charger (terminal) voltage. */
  CHARGER_VOLTAGE: 0xedd5,
  /** 0xEDEF: battery (system) voltage: 12, 24, 36, 48; 0 = auto detect. */
  SYSTEM_VOLTAGE: 0xedef,
  /** 0xEDF0: battery maximum charge current (flash setting). */
  BATTERY_MAX_CURRENT: 0xedf0,
  /** 0xEDE8: BMS present (flash, set by the charger itself). */
  BMS_PRESENT: 0xede8,
  /** 0x2001: charge voltage set-point (external control). */
  CHARGE_VOLTAGE_SETPOINT: 0x2001,
  /** 0x2002: remote battery voltage sense, 0.01 V. */
  VSENSE: 0x2002,
  /** 0x2003: remote battery temperature sense, 0.01 °C. */
  TSENSE: 0x2003,
  /** 0x2004: remote command (equalisation, synchronisation). */
  REMOTE_COMMAND: 0x2004,
  /** 0x200A: battery charge current from a battery monitor, mA. */
  BATTERY_CURRENT: 0x200a,
  /** 0x200D: network info. */
  NETWORK_INFO: 0x200d,
  /** 0x200E: network mode. */
  NETWORK_MODE: 0x200e,
  /** 0x200F: network status. */
  NETWORK_STATUS: 0x200f,
  /** 0x2013: total charge current of the network. */
  TOTAL_CHARGE_CURRENT: 0x2013,
  /** 0x2015: charge current limit (external control). */
  CHARGE_CURRENT_LIMIT: 0x2015,
  /** 0x2027: total DC input power of the network. */
  TOTAL_DC_INPUT_POWER: 0x2027,
} as const;

export type RegisterIdName = keyof typeof REGISTER_IDS;

export const {
  RESTORE_DEFAULT,
  ZERO_CURRENT,
  SYNCHRONISE,
  CLEAR_HISTORY,
  MAIN_VOLTAGE,
  BATTERY_TEMPERATURE,
  CHARGER_VOLTAGE,
  SYSTEM_VOLTAGE,
  BATTERY_MAX_CURRENT,
  BMS_PRESENT,
  CHARGE_VOLTAGE_SETPOINT,
  VSENSE,
  TSENSE,
  REMOTE_COMMAND,
  BATTERY_CURRENT,
  NETWORK_INFO,
  NETWORK_MODE,
  NETWORK_STATUS,
  TOTAL_CHARGE_CURRENT,
  CHARGE_CURRENT_LIMIT,
  TOTAL_DC_INPUT_POWER,
} = REGISTER_IDS;

/** 0x200E bits a host may set without the flash opt-in: networked (0) and external control (2). */
export const NETWORK_MODE_VOLATILE_BITS = 0x01 | 0x04;
/** 0x200E bit 3: BMS control — the charger stores "BMS present" (0xEDE8) in flash. */
export const NETWORK_MODE_BMS_BIT = 0x08;
