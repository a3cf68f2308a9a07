/**
 * Per-product and per-firmware register overrides: where one model encodes a register unlike
 * the catalogue entry (which describes the current models). `registerForProduct` gives the
 * entry as a given device uses it; the value codec applies it to reads and writes alike, so a
 * value is never scaled one way going out and another coming back. Modelled on a per-product
 * register factory: the catalogue stays one list, the exceptions are data here.
 */

import type { RegisterDef } from './types';

/** The device a value belongs to, as far as known. */
export interface ProductContext {
  readonly productId: number | null;
  /** Firmware as shown to users ("4.14"); null when unknown. */
  readonly firmware?: string | null;
}

interface RegisterOverride {
  /** Product ids the override applies to. */
  readonly products: readonly number[];
  readonly registers: readonly number[];
  /** Limits the override to some firmware versions; every version when absent. */
  readonly firmware?: (version: FirmwareNumber) => boolean;
  readonly patch: Partial<Pick<RegisterDef, 'scale' | 'min' | 'max'>>;
  /** Why, cited; appended to the entry's note. */
  readonly source: string;
}

/** "4.14" → 414, "1.56-rcC" → 156: comparable as a number; null for text that is no version. */
type FirmwareNumber = number;

export function firmwareNumber(text: string | null | undefined): FirmwareNumber | null {
  const match = /^(\d+)\.(\d{2})/.exec(text ?? '');
  if (match?.[1] === undefined || match[2] === undefined) return null;
  return Number(match[1]) * 100 + Number(match[2]);
}

/** BMV-700, BMV-702, BMV-700H. */
export const BMV70X_PRODUCTS: readonly number[] = [0x0203, 0x0204, 0x0205];

/** The BMV alarm and relay voltage thresholds (main and auxiliary, set and clear). */
const BMV_VOLTAGE_THRESHOLDS: readonly number[] = [0x0320, 0x0321, 0x0322, 0x0323, 0x0324, 0x0325, 0x0326, 0x0327, 0x0350, 0x0351, 0x0352, 0x0353, 0x0354, 0x0355, 0x0356, 0x0357];

const OVERRIDES: readonly RegisterOverride[] = [
  {
    products: BMV70X_PRODUCTS,
    registers: BMV_VOLTAGE_THRESHOLDS,
    patch: { scale: 0.1 },
    source: 'BMV-70x: 0.1 V (Victron register dictionary)',
  },
];

const BY_REGISTER: ReadonlyMap<number, readonly RegisterOverride[]> = (() => {
  const map = new Map<number, RegisterOverride[]>();
  for (const o of OVERRIDES) for (const id of o.registers) map.set(id, [...(map.get(id) ?? []), o]);
  return map;
})();

/** The entry as the given device uses it: `def` itself when no override applies. */
export function registerForProduct(def: RegisterDef, product: ProductContext | null | undefined): RegisterDef {
  const productId = product?.productId ?? null;
  if (productId === null) return def;
  const candidates = BY_REGISTER.get(def.id);
  if (candidates === undefined) return def;
  let out = def;
  for (const o of candidates) {
    if (!o.products.includes(productId)) continue;
    if (o.firmware !== undefined) {
      const fw = firmwareNumber(product?.firmware);
      if (fw === null || !o.firmware(fw)) continue;
    }
    out = { ...out, ...o.patch, note: out.note === undefined ? o.source : `${out.note} ${o.source}.` };
  }
  return out;
}
