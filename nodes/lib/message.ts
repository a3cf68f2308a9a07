/**
 * The `msg.vedirect` metadata the nodes send: who the device is, and a register value's id,
 * unit, raw bytes, flags and age. Times are wall-clock milliseconds (`Date.now()`), as users
 * compare them with other messages; the link's own clock is monotonic and not for display.
 */

import type { DeviceIdentity, RegisterReading } from '../../lib/link/device';
import { formatProductId } from '../../lib/protocol/catalog/products';

/** The device as every message names it. */
export interface DeviceInfo {
  readonly product: string | null;
  /** As Victron writes it, "0xA389". */
  readonly productId: string | null;
  readonly serial: string | null;
  readonly firmware: string | null;
}

export function deviceInfo(identity: DeviceIdentity | null): DeviceInfo | null {
  if (identity === null) return null;
  return { product: identity.product, productId: identity.productId === null ? null : formatProductId(identity.productId), serial: identity.serial, firmware: identity.firmware };
}

/** Where a value came from: a Get, a Set echo, an async frame, or the register cache. */
export type ValueSource = 'get' | 'set' | 'async' | 'cache';

/** One register value's metadata. */
export interface RegisterMeta {
  /** "0xED8D". */
  readonly register: string;
  readonly name: string | null;
  readonly unit: string;
  /** Value bytes as on the wire, little-endian hex ("FE04"). */
  readonly raw: string;
  readonly flags: number;
  /** Enumeration or bit texts ("Bulk"), where the catalogue has them. */
  readonly text?: string;
  /** Age of the value when the message left, ms. */
  readonly ageMs: number;
  /** Wall-clock time the value arrived, ms since 1970. */
  readonly timestamp: number;
  readonly source: ValueSource;
}

export function registerMeta(reading: RegisterReading, ageMs: number, source: ValueSource, now = Date.now()): RegisterMeta {
  const age = Math.max(0, Math.round(ageMs));
  return {
    register: reading.register,
    name: reading.name,
    unit: reading.unit,
    raw: reading.raw,
    flags: reading.flags,
    ...(reading.text !== undefined ? { text: reading.text } : {}),
    ageMs: age,
    timestamp: now - age,
    source,
  };
}
