/**
 * Shapes of the three catalogues (registers, Text fields, products). The data lives in the
 * sibling modules; everything that scales, names or validates a value reads these shapes.
 */

/**
 * Device families, as the bridge and the editor's register picker group products: the one
 * list every other list of families derives from.
 */
export const DEVICE_FAMILIES = ['bmv', 'smartshunt', 'mppt', 'inverter', 'charger', 'dcdc', 'other'] as const;

export type DeviceFamily = (typeof DEVICE_FAMILIES)[number];

/**
 * Wire types of HEX register values, little-endian on the wire (BlueSolar HEX protocol MPPT,
 * rev 10; BMV-7xx HEX protocol).
 */
export type RegisterType =
  | 'un8'
  | 'un16'
  | 'un24'
  | 'un32'
  | 'sn8'
  | 'sn16'
  | 'sn32'
  | 'string'
  | 'bytes'
  | 'none'; // write-only commands whose data is ignored (0x0004 restore defaults)

export type RegisterAccess = 'ro' | 'rw' | 'w';

/**
 * Where a write lands. `flash` registers wear the device's non-volatile memory and are only
 * writable with an explicit opt-in; `volatile` ones (the 0x20xx link registers) are meant to be
 * rewritten periodically; `command` registers trigger an action (clear history, synchronise).
 */
export type RegisterStorage = 'volatile' | 'flash' | 'command';

export interface RegisterDef {
  /** Register id, e.g. 0xED8D. */
  readonly id: number;
  /** camelCase catalogue name, unique across the catalogue, e.g. `batteryVoltage`. */
  readonly name: string;
  /** One-line human description (English; shown in the editor picker and CLI). */
  readonly description: string;
  readonly type: RegisterType;
  /** Multiply the raw integer by this to get `unit` (0.01 for 0.01 V). 1 when unscaled. */
  readonly scale: number;
  /** Added after scaling (−273.15 for registers sent in 0.01 K and shown in °C). */
  readonly offset?: number;
  /** Unit of the scaled value: 'V', 'A', 'W', '°C', '%', 'Ah', 'kWh', 'min', 's', 'h', 'mV/K', … or ''. */
  readonly unit: string;
  readonly access: RegisterAccess;
  readonly storage: RegisterStorage;
  /** Families that have this register. */
  readonly families: readonly DeviceFamily[];
  /**
   * The raw "not available" value. Defaults by type when omitted (un8 0xFF, un16 0xFFFF,
   * un32 0xFFFFFFFF, sn16 0x7FFF, sn32 0x7FFFFFFF); `null` means the register has none.
   */
  readonly notAvailable?: number | null;
  /** Value texts for enumerations (device state, error code, …), keyed by raw value. */
  readonly enumTexts?: Readonly<Record<number, string>>;
  /** Bit texts for bitmasks (off reason, network status), keyed by bit value (1, 2, 4, …). */
  readonly bitTexts?: Readonly<Record<number, string>>;
  /**
   * For registers that pack a code and flags in one value (0x200F network status: role in the
   * low nibble, "using remote sense" flags in bits 4..7): `enumTexts` apply to `raw & enumMask`,
   * `bitTexts` to the remaining bits.
   */
  readonly enumMask?: number;
  /** Valid range of the *scaled* value for writes, where the documents give one. */
  readonly min?: number;
  readonly max?: number;
  /** Short note on quirks (documentation error, firmware dependence), cited. */
  readonly note?: string;
}

/** How a Text value is to be read (VE.Direct Protocol 3.33, field table). */
export type TextFieldKind =
  | 'int' // signed decimal, scaled to `unit`
  | 'onoff' // ON / OFF (case-insensitive)
  | 'enum' // decimal code with texts (CS, ERR, MPPT, MODE, MON)
  | 'bits' // decimal bit-sum with bit texts (AR, WARN)
  | 'hexbits' // 0x-prefixed hex bitmask (OR)
  | 'product' // 0x-prefixed product id (PID)
  | 'firmware' // FW (16 bit) / FWE (24 bit) version string
  | 'string'; // free text (BMV, SER#)

export interface TextFieldDef {
  readonly label: string;
  /** camelCase name used in decoded snapshots, e.g. `batteryVoltage` for `V`. */
  readonly name: string;
  readonly description: string;
  readonly kind: TextFieldKind;
  /** Multiply the raw integer by this to get `unit` (0.001 for mV → V). */
  readonly scale?: number;
  readonly unit?: string;
  readonly enumTexts?: Readonly<Record<number, string>>;
  readonly bitTexts?: Readonly<Record<number, string>>;
  /**
   * Integer values that stand for "no number" rather than a quantity, with their meaning
   * (TTG −1 = infinite). They decode to `null` with that text.
   */
  readonly nullTexts?: Readonly<Record<number, string>>;
  readonly families: readonly DeviceFamily[];
}

export interface ProductDef {
  readonly id: number;
  readonly name: string;
  readonly family: DeviceFamily;
  /** HEX documents mark some MPPTs "pv only": unpowered, hence silent, without PV. */
  readonly pvOnly?: boolean;
  /** Phased out (marked * in the documents). */
  readonly phasedOut?: boolean;
  /**
   * Rated battery charge current, A (chargers, solar chargers, DC-DC converters): from the
   * model name where it carries the rating ("SmartSolar MPPT 100|30" → 30 A), else given.
   */
  readonly ratedChargeCurrent?: number;
}
