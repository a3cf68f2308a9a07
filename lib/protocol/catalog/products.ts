/**
 * Product id catalogue: maps the id a device reports (Text `PID`, HEX `:4` answer) to its model
 * name and device family. Sources: VE.Direct Protocol 3.33 (product id table), BlueSolar HEX
 * protocol MPPT rev 10 ("pv only" and phased-out marks), BMV-7xx HEX protocol (BMV-60x ids).
 * Ids found only in third-party product tables ("BLE tables": the victron-ble project's list of
 * Bluetooth advertisement product ids) are marked so in their group comment: single-sourced.
 */

import type { DeviceFamily, ProductDef } from './types';

/** Families whose model names carry the rated charge current. */
const RATED_FAMILIES: ReadonlySet<DeviceFamily> = new Set<DeviceFamily>(['mppt', 'charger', 'dcdc']);

/**
 * The rated charge current a model name carries, A: "…-18A" (Orion, BuckBoost, "6V/12V-1.1A"),
 * else the second number of "<V>|<A>" or "<V>/<A>" (MPPT 100|30, Phoenix charger 12|50).
 * Undefined for a name without one.
 */
export function ratingFromName(name: string): number | undefined {
  const amps = /-(\d+(?:\.\d+)?)A\b/.exec(name);
  if (amps?.[1] !== undefined) return Number(amps[1]);
  const pair = /\b\d+\s*[|/]\s*(\d+(?:\.\d+)?)\b/.exec(name);
  if (pair?.[1] !== undefined) return Number(pair[1]);
  return undefined;
}

interface ProductFlags {
  readonly pvOnly?: boolean;
  readonly phasedOut?: boolean;
  /** Where the name does not carry the rating, or carries another number (datasheet). */
  readonly ratedChargeCurrent?: number;
}

function product(id: number, name: string, family: DeviceFamily, flags: ProductFlags = {}): ProductDef {
  const rating = flags.ratedChargeCurrent ?? (RATED_FAMILIES.has(family) ? ratingFromName(name) : undefined);
  return { id, name, family, ...flags, ...(rating !== undefined ? { ratedChargeCurrent: rating } : {}) };
}

/** Twelve/24/48 V variants of one Phoenix inverter rating: ids `base`, `base + 1`, `base + 3`. */
function phoenixTrio(base: number, va: number, acVolts: 120 | 230, model = 'Phoenix Inverter', phasedOut = false): ProductDef[] {
  // VE.Direct Protocol 3.33 pattern: last hex digit 1 = 12 V, 2 = 24 V, 4 = 48 V; the 120 V
  // variants add 8 to that digit (9, A, C).
  const dcVolts: ReadonlyArray<readonly [number, number]> = [
    [0, 12],
    [1, 24],
    [3, 48],
  ];
  return dcVolts.map(([delta, dc]) =>
    product(base + delta, `${model} ${dc}V ${va}VA ${acVolts}V`, 'inverter', phasedOut ? { phasedOut } : {}),
  );
}

const BATTERY_MONITORS: readonly ProductDef[] = [
  // BMV-60x ids from the BMV-7xx HEX protocol; the BMV-60x itself sends no PID field.
  product(0x0200, 'BMV-600S', 'bmv'),
  product(0x0201, 'BMV-602S', 'bmv'),
  product(0x0202, 'BMV-600HS', 'bmv'),
  product(0x0203, 'BMV-700', 'bmv'),
  product(0x0204, 'BMV-702', 'bmv'),
  product(0x0205, 'BMV-700H', 'bmv'),
  product(0xa380, 'BMV-710 Smart', 'bmv'),
  product(0xa381, 'BMV-712 Smart', 'bmv'),
  product(0xa382, 'BMV-710H Smart', 'bmv'),
  product(0xa383, 'BMV-712 Smart Rev2', 'bmv'),
  product(0xc034, 'BMV-800 Smart', 'bmv'),
  product(0xa389, 'SmartShunt 500A/50mV', 'smartshunt'),
  product(0xa38a, 'SmartShunt 1000A/50mV', 'smartshunt'),
  product(0xa38b, 'SmartShunt 2000A/50mV', 'smartshunt'),
  // IP67 / IP65 / 300 A SmartShunts: BLE tables only (0xC038 also in OpenDTU-OnBattery).
  product(0xa38c, 'SmartShunt IP67 500A/50mV', 'smartshunt'),
  product(0xa38d, 'SmartShunt IP67 1000A/50mV', 'smartshunt'),
  product(0xa38e, 'SmartShunt IP67 2000A/50mV', 'smartshunt'),
  product(0xc030, 'SmartShunt IP65 500A/50mV', 'smartshunt'),
  product(0xc031, 'SmartShunt IP65 1000A/50mV', 'smartshunt'),
  product(0xc032, 'SmartShunt IP65 2000A/50mV', 'smartshunt'),
  product(0xc035, 'SmartShunt IP65 500A/50mV', 'smartshunt'),
  product(0xc036, 'SmartShunt IP65 1000A/50mV', 'smartshunt'),
  product(0xc037, 'SmartShunt IP65 2000A/50mV', 'smartshunt'),
  product(0xc038, 'SmartShunt 300A/50mV', 'smartshunt'),
];

const SOLAR_CHARGERS: readonly ProductDef[] = [
  // The 70|15 from year/week 1308 on is identical to the 75|15 (BlueSolar HEX protocol MPPT).
  product(0x0300, 'BlueSolar MPPT 70|15', 'mppt', { phasedOut: true }),
  // "pv only": powered from the panels, so silent at night (BlueSolar HEX protocol MPPT).
  product(0xa040, 'BlueSolar MPPT 75|50', 'mppt', { pvOnly: true, phasedOut: true }),
  product(0xa041, 'BlueSolar MPPT 150|35', 'mppt', { pvOnly: true, phasedOut: true }),
  product(0xa042, 'BlueSolar MPPT 75|15', 'mppt'),
  product(0xa043, 'BlueSolar MPPT 100|15', 'mppt'),
  product(0xa044, 'BlueSolar MPPT 100|30', 'mppt', { pvOnly: true, phasedOut: true }),
  product(0xa045, 'BlueSolar MPPT 100|50', 'mppt', { pvOnly: true, phasedOut: true }),
  product(0xa046, 'BlueSolar MPPT 150|70', 'mppt'),
  product(0xa047, 'BlueSolar MPPT 150|100', 'mppt'),
  product(0xa048, 'BlueSolar MPPT 75|50 rev2', 'mppt', { phasedOut: true }),
  product(0xa049, 'BlueSolar MPPT 100|50 rev2', 'mppt'),
  product(0xa04a, 'BlueSolar MPPT 100|30 rev2', 'mppt'),
  product(0xa04b, 'BlueSolar MPPT 150|35 rev2', 'mppt'),
  product(0xa04c, 'BlueSolar MPPT 75|10', 'mppt'),
  product(0xa04d, 'BlueSolar MPPT 150|45', 'mppt'),
  product(0xa04e, 'BlueSolar MPPT 150|60', 'mppt'),
  product(0xa04f, 'BlueSolar MPPT 150|85', 'mppt'),
  product(0xa050, 'SmartSolar MPPT 250|100', 'mppt'),
  product(0xa051, 'SmartSolar MPPT 150|100', 'mppt', { phasedOut: true }),
  product(0xa052, 'SmartSolar MPPT 150|85', 'mppt', { phasedOut: true }),
  product(0xa053, 'SmartSolar MPPT 75|15', 'mppt'),
  product(0xa054, 'SmartSolar MPPT 75|10', 'mppt'),
  product(0xa055, 'SmartSolar MPPT 100|15', 'mppt'),
  product(0xa056, 'SmartSolar MPPT 100|30', 'mppt'),
  product(0xa057, 'SmartSolar MPPT 100|50', 'mppt'),
  product(0xa058, 'SmartSolar MPPT 150|35', 'mppt'),
  product(0xa059, 'SmartSolar MPPT 150|100 rev2', 'mppt'),
  product(0xa05a, 'SmartSolar MPPT 150|85 rev2', 'mppt'),
  product(0xa05b, 'SmartSolar MPPT 250|70', 'mppt'),
  product(0xa05c, 'SmartSolar MPPT 250|85', 'mppt'),
  product(0xa05d, 'SmartSolar MPPT 250|60', 'mppt'),
  product(0xa05e, 'SmartSolar MPPT 250|45', 'mppt'),
  product(0xa05f, 'SmartSolar MPPT 100|20', 'mppt'),
  product(0xa060, 'SmartSolar MPPT 100|20 48V', 'mppt'),
  product(0xa061, 'SmartSolar MPPT 150|45', 'mppt'),
  product(0xa062, 'SmartSolar MPPT 150|60', 'mppt'),
  product(0xa063, 'SmartSolar MPPT 150|70', 'mppt'),
  product(0xa064, 'SmartSolar MPPT 250|85 rev2', 'mppt'),
  product(0xa065, 'SmartSolar MPPT 250|100 rev2', 'mppt'),
  product(0xa066, 'BlueSolar MPPT 100|20', 'mppt'),
  product(0xa067, 'BlueSolar MPPT 100|20 48V', 'mppt'),
  product(0xa068, 'SmartSolar MPPT 250|60 rev2', 'mppt'),
  product(0xa069, 'SmartSolar MPPT 250|70 rev2', 'mppt'),
  product(0xa06a, 'SmartSolar MPPT 150|45 rev2', 'mppt'),
  product(0xa06b, 'SmartSolar MPPT 150|60 rev2', 'mppt'),
  product(0xa06c, 'SmartSolar MPPT 150|70 rev2', 'mppt'),
  product(0xa06d, 'SmartSolar MPPT 150|85 rev3', 'mppt'),
  product(0xa06e, 'SmartSolar MPPT 150|100 rev3', 'mppt'),
  product(0xa06f, 'BlueSolar MPPT 150|45 rev2', 'mppt'),
  product(0xa070, 'BlueSolar MPPT 150|60 rev2', 'mppt'),
  product(0xa071, 'BlueSolar MPPT 150|70 rev2', 'mppt'),
  product(0xa072, 'BlueSolar MPPT 150/45 rev3', 'mppt'),
  product(0xa073, 'SmartSolar MPPT 150/45 rev3', 'mppt'),
  product(0xa074, 'SmartSolar MPPT 75/10 rev2', 'mppt'),
  product(0xa075, 'SmartSolar MPPT 75/15 rev2', 'mppt'),
  product(0xa076, 'BlueSolar MPPT 100/30 rev3', 'mppt'),
  product(0xa077, 'BlueSolar MPPT 100/50 rev3', 'mppt'),
  product(0xa078, 'BlueSolar MPPT 150/35 rev3', 'mppt'),
  product(0xa079, 'BlueSolar MPPT 75/10 rev2', 'mppt'),
  product(0xa07a, 'BlueSolar MPPT 75/15 rev2', 'mppt'),
  product(0xa07b, 'BlueSolar MPPT 100/15 rev2', 'mppt'),
  product(0xa07c, 'BlueSolar MPPT 75/10 rev3', 'mppt'),
  product(0xa07d, 'BlueSolar MPPT 75/15 rev3', 'mppt'),
  product(0xa07e, 'SmartSolar MPPT 100/30 12V', 'mppt'),
  product(0xa07f, 'All-In-1 SmartSolar MPPT 75/15 12V', 'mppt'),
  // VE.Can models (VE.Direct Protocol 3.33); RS models from OpenDTU-OnBattery and the BLE tables.
  product(0xa102, 'SmartSolar MPPT VE.Can 150/70', 'mppt'),
  product(0xa103, 'SmartSolar MPPT VE.Can 150/45', 'mppt'),
  product(0xa104, 'SmartSolar MPPT VE.Can 150/60', 'mppt'),
  product(0xa105, 'SmartSolar MPPT VE.Can 150/85', 'mppt'),
  product(0xa106, 'SmartSolar MPPT VE.Can 150/100', 'mppt'),
  product(0xa107, 'SmartSolar MPPT VE.Can 250/45', 'mppt'),
  product(0xa108, 'SmartSolar MPPT VE.Can 250/60', 'mppt'),
  product(0xa109, 'SmartSolar MPPT VE.Can 250/70', 'mppt'),
  product(0xa10a, 'SmartSolar MPPT VE.Can 250/85', 'mppt'),
  product(0xa10b, 'SmartSolar MPPT VE.Can 250/100', 'mppt'),
  product(0xa10c, 'SmartSolar MPPT VE.Can 150/70 rev2', 'mppt'),
  product(0xa10d, 'SmartSolar MPPT VE.Can 150/85 rev2', 'mppt'),
  product(0xa10e, 'SmartSolar MPPT VE.Can 150/100 rev2', 'mppt'),
  product(0xa10f, 'BlueSolar MPPT VE.Can 150/100', 'mppt'),
  product(0xa110, 'SmartSolar MPPT RS 450/100', 'mppt'),
  // Two trackers of 100 A of PV current each; the battery charge current is 100 A (datasheet).
  product(0xa111, 'SmartSolar MPPT RS 450/200', 'mppt', { ratedChargeCurrent: 100 }),
  product(0xa112, 'BlueSolar MPPT VE.Can 250/70', 'mppt'),
  product(0xa113, 'BlueSolar MPPT VE.Can 250/100', 'mppt'),
  product(0xa114, 'SmartSolar MPPT VE.Can 250/70 rev2', 'mppt'),
  product(0xa115, 'SmartSolar MPPT VE.Can 250/100 rev2', 'mppt'),
  product(0xa116, 'SmartSolar MPPT VE.Can 250/85 rev2', 'mppt'),
  product(0xa117, 'BlueSolar MPPT VE.Can 150/100 rev2', 'mppt'),
];

const INVERTERS: readonly ProductDef[] = [
  // VE.Direct Protocol 3.33; the first three ratings are phased out.
  ...phoenixTrio(0xa201, 250, 230, 'Phoenix Inverter', true),
  ...phoenixTrio(0xa211, 375, 230, 'Phoenix Inverter', true),
  ...phoenixTrio(0xa221, 500, 230, 'Phoenix Inverter', true),
  ...phoenixTrio(0xa231, 250, 230),
  ...phoenixTrio(0xa239, 250, 120),
  ...phoenixTrio(0xa241, 375, 230),
  ...phoenixTrio(0xa249, 375, 120),
  ...phoenixTrio(0xa251, 500, 230),
  ...phoenixTrio(0xa259, 500, 120),
  ...phoenixTrio(0xa261, 800, 230),
  ...phoenixTrio(0xa269, 800, 120),
  ...phoenixTrio(0xa271, 1200, 230),
  ...phoenixTrio(0xa279, 1200, 120),
  ...phoenixTrio(0xa281, 1600, 230),
  ...phoenixTrio(0xa291, 2000, 230),
  ...phoenixTrio(0xa2a1, 3000, 230),
  // Not in VE.Direct Protocol 3.33; named after go-victron, VictronMPPT-ESPHOME and the BLE tables.
  ...phoenixTrio(0xa2b1, 5000, 230, 'Phoenix Inverter Smart'),
  product(0xa2ba, 'Phoenix Inverter Smart 24V 5000VA 120V', 'inverter'),
  product(0xa2bc, 'Phoenix Inverter Smart 48V 5000VA 120V', 'inverter'),
  ...phoenixTrio(0xa2e1, 800, 230, 'Phoenix Inverter 64k HS'),
  ...phoenixTrio(0xa2e9, 800, 120),
  ...phoenixTrio(0xa2f1, 1200, 230),
  ...phoenixTrio(0xa2f9, 1200, 120),
  // 120 V Smart variants: BLE tables only.
  ...phoenixTrio(0xa289, 1600, 120, 'Phoenix Inverter Smart'),
  ...phoenixTrio(0xa299, 2000, 120, 'Phoenix Inverter Smart'),
  ...phoenixTrio(0xa2a9, 3000, 120, 'Phoenix Inverter Smart'),
  // Phoenix Sun Inverter: BLE tables only, which give no battery voltage per id.
  product(0xa235, 'Phoenix Sun Inverter 250VA', 'inverter'),
  product(0xa236, 'Phoenix Sun Inverter 250VA', 'inverter'),
  product(0xa237, 'Phoenix Sun Inverter 250VA', 'inverter'),
];

const IP43_RATINGS: readonly string[] = ['12|50 (1+1)', '12|50 (3)', '24|25 (1+1)', '24|25 (3)', '12|30 (1+1)', '12|30 (3)', '24|16 (1+1)', '24|16 (3)'];
const IP22_RATINGS: readonly string[] = ['12|15 (1)', '12|15 (3)', '12|20 (1)', '12|20 (3)', '12|30 (1)', '12|30 (3)', '24|8 (1)', '24|8 (3)', '24|12 (1)', '24|12 (3)', '24|16 (1)', '24|16 (3)'];

const CHARGERS: readonly ProductDef[] = [
  // Phoenix Smart IP43 (VE.Direct Protocol 3.33); the 120-240V variants from the BLE tables.
  ...IP43_RATINGS.map((rating, i) => product(0xa340 + i, `Phoenix Smart IP43 Charger ${rating}`, 'charger')),
  ...IP43_RATINGS.map((rating, i) => product(0xa350 + i, `Phoenix Smart IP43 Charger ${rating} 120-240V`, 'charger')),
  // Blue Smart chargers: BLE tables (0xA30A and the IP22 second ids confirmed by VictronMPPT-ESPHOME).
  product(0xa301, 'Blue Smart IP65 Charger 12|10', 'charger'),
  product(0xa302, 'Blue Smart IP65 Charger 12|15', 'charger'),
  product(0xa303, 'Blue Smart IP65 Charger 24|8', 'charger'),
  product(0xa304, 'Blue Smart IP65 Charger 12|5', 'charger'),
  product(0xa305, 'Blue Smart IP65 Charger 12|7', 'charger'),
  product(0xa306, 'Blue Smart IP65 Charger 24|5', 'charger'),
  product(0xa307, 'Blue Smart IP65 Charger 12|4', 'charger'),
  product(0xa308, 'Blue Smart IP65s Charger 12|4', 'charger'),
  product(0xa309, 'Blue Smart IP65s Charger 12|5', 'charger'),
  product(0xa30a, 'Blue Smart IP65 Charger 12|25', 'charger'),
  product(0xa30b, 'Blue Smart IP65 Charger 24|13', 'charger'),
  product(0xa30c, 'Blue Smart IP65 Charger 6V/12V-1.1A', 'charger'),
  product(0xa30d, 'Blue Smart IP65s Charger 12|4', 'charger'),
  product(0xa30e, 'Blue Smart IP65s Charger 12|5', 'charger'),
  product(0xa310, 'Blue Smart IP67 Charger 12|7', 'charger'),
  product(0xa311, 'Blue Smart IP67 Charger 12|13', 'charger'),
  product(0xa312, 'Blue Smart IP67 Charger 24|5', 'charger'),
  product(0xa313, 'Blue Smart IP67 Charger 12|17', 'charger'),
  product(0xa314, 'Blue Smart IP67 Charger 12|25', 'charger'),
  product(0xa315, 'Blue Smart IP67 Charger 24|8', 'charger'),
  product(0xa316, 'Blue Smart IP67 Charger 24|12', 'charger'),
  product(0xa317, 'Blue Smart IP67 Charger 12|7', 'charger'),
  product(0xa318, 'Blue Smart IP67 Charger 12|13', 'charger'),
  product(0xa319, 'Blue Smart IP67 Charger 24|5', 'charger'),
  product(0xa31a, 'Blue Smart IP67 Charger 12|17', 'charger'),
  product(0xa31b, 'Blue Smart IP67 Charger 12|25', 'charger'),
  product(0xa31c, 'Blue Smart IP67 Charger 24|8', 'charger'),
  product(0xa31d, 'Blue Smart IP67 Charger 24|12', 'charger'),
  ...IP22_RATINGS.map((rating, i) => product(0xa320 + i, `Blue Smart IP22 Charger ${rating}`, 'charger')),
  ...IP22_RATINGS.map((rating, i) => product(0xa32c + i, `Blue Smart IP22 Charger ${rating}`, 'charger')),
  product(0xa338, 'Blue Smart IP65 Charger 12|10', 'charger'),
  product(0xa339, 'Blue Smart IP65 Charger 12|15', 'charger'),
  product(0xa33a, 'Blue Smart IP65 Charger 24|5', 'charger'),
  product(0xa33b, 'Blue Smart IP65 Charger 24|8', 'charger'),
  product(0xa33c, 'Blue Smart IP65 Charger 12|5', 'charger'),
];

const DC_DC_CONVERTERS: readonly ProductDef[] = [
  // VE.Direct Protocol 3.33 name; sold as "Orion XS 12V/12V-50A" (VictronMPPT-ESPHOME, BLE tables).
  product(0xa3f0, 'Smart BuckBoost 12V/12V-50A', 'dcdc'),
  // 1400 W, 50 A (datasheet).
  product(0xa3f1, 'Orion XS 1400', 'dcdc', { ratedChargeCurrent: 50 }),
  // Orion Smart: BLE tables only.
  product(0xa3c0, 'Orion Smart 12V|12V-18A Isolated DC-DC Charger', 'dcdc'),
  product(0xa3c1, 'Orion Smart 12V|24V-10A Isolated DC-DC Charger', 'dcdc'),
  product(0xa3c2, 'Orion Smart 24V|12V-20A Isolated DC-DC Charger', 'dcdc'),
  product(0xa3c3, 'Orion Smart 24V|24V-12A Isolated DC-DC Charger', 'dcdc'),
  product(0xa3c4, 'Orion Smart 24V|48V-6A Isolated DC-DC Charger', 'dcdc'),
  product(0xa3c5, 'Orion Smart 48V|12V-20A Isolated DC-DC Charger', 'dcdc'),
  product(0xa3c6, 'Orion Smart 48V|24V-12A Isolated DC-DC Charger', 'dcdc'),
  product(0xa3c7, 'Orion Smart 48V|48V-6A Isolated DC-DC Charger', 'dcdc'),
  product(0xa3c8, 'Orion Smart 12V|12V-30A Isolated DC-DC Charger', 'dcdc'),
  product(0xa3c9, 'Orion Smart 12V|24V-15A Isolated DC-DC Charger', 'dcdc'),
  product(0xa3ca, 'Orion Smart 24V|12V-30A Isolated DC-DC Charger', 'dcdc'),
  product(0xa3cb, 'Orion Smart 24V|24V-17A Isolated DC-DC Charger', 'dcdc'),
  product(0xa3cc, 'Orion Smart 24V|48V-8.5A Isolated DC-DC Charger', 'dcdc'),
  product(0xa3cd, 'Orion Smart 48V|12V-30A Isolated DC-DC Charger', 'dcdc'),
  product(0xa3ce, 'Orion Smart 48V|24V-16A Isolated DC-DC Charger', 'dcdc'),
  product(0xa3cf, 'Orion Smart 48V|48V-8.5A Isolated DC-DC Charger', 'dcdc'),
  product(0xa3d0, 'Orion Smart 12V|12V-30A Non-isolated DC-DC Charger', 'dcdc'),
  product(0xa3d1, 'Orion Smart 12V|24V-15A Non-isolated DC-DC Charger', 'dcdc'),
  product(0xa3d2, 'Orion Smart 24V|12V-30A Non-isolated DC-DC Charger', 'dcdc'),
  product(0xa3d3, 'Orion Smart 24V|24V-17A Non-isolated DC-DC Charger', 'dcdc'),
];

const OTHERS: readonly ProductDef[] = [
  product(0xa442, 'Multi RS Solar 48V 6000VA', 'other'),
  product(0xa3a4, 'Smart Battery Sense', 'other'),
  product(0xa3a5, 'Smart Battery Sense', 'other'),
];

/** Every known product id. */
export const PRODUCTS: readonly ProductDef[] = [
  ...BATTERY_MONITORS,
  ...SOLAR_CHARGERS,
  ...INVERTERS,
  ...CHARGERS,
  ...DC_DC_CONVERTERS,
  ...OTHERS,
];

const BY_ID: ReadonlyMap<number, ProductDef> = new Map(PRODUCTS.map((p) => [p.id, p]));

export function findProduct(id: number): ProductDef | undefined {
  return BY_ID.get(id);
}

/** Four-digit uppercase hex as Victron writes product ids: 0xA053, 0x0203. */
export function formatProductId(id: number): string {
  return `0x${id.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The model name, or "Unknown product 0xA0FF" for an id not in the catalogue. */
export function productName(id: number): string {
  return findProduct(id)?.name ?? `Unknown product ${formatProductId(id)}`;
}

/**
 * Parses a product id as the Text `PID` field sends it: hex with a `0x` prefix, leading zeros
 * optional (`0xA053`, `0x204`, `0X203`). The prefix is optional here so a user may type `A053`.
 */
export function parseProductId(text: string): number | undefined {
  const match = /^(?:0x)?([0-9a-f]{1,4})$/i.exec(text.trim());
  if (match === null || match[1] === undefined) return undefined;
  return Number.parseInt(match[1], 16);
}
