/**
 * Pieces every family profile uses: the identity registers (0x0100, 0x010A, 0x010B), the
 * Text PID value, and rounding helpers for Text values.
 */

import { fixedSlot, stringBytes, type RegisterSlot } from '../register-map';
import type { SimIdentity } from '../profile';

/** Text `PID`: `0x` and uppercase hex without leading zeros (`0x203`, `0xA389`; VE.Direct Protocol 3.33). */
export function pidText(productId: number): string {
  return `0x${productId.toString(16).toUpperCase()}`;
}

/**
 * 0x0100 product id, 0x010A serial number, 0x010B model name, as real devices answer them:
 * 0x0100 is instance 0, the product id little-endian and a reserved byte (0xFF on MPPTs,
 * 0xFE on a SmartShunt); strings are NUL-padded (an MPPT's serial to 16 bytes, a SmartShunt's
 * to 24; model names end with one NUL) — all from koestler/go-victron's device captures.
 */
export function identitySlots(identity: SimIdentity, serialLength: number, reservedByte: number): Array<[number, RegisterSlot]> {
  const pid = identity.productId;
  return [
    [0x0100, fixedSlot(0x0100, Uint8Array.from([0x00, pid & 0xff, (pid >> 8) & 0xff, reservedByte]))],
    [0x010a, fixedSlot(0x010a, stringBytes(identity.serial, serialLength))],
    [0x010b, fixedSlot(0x010b, stringBytes(identity.modelName))],
  ];
}

/** Integer text of a number (no `-0`). */
export function intText(value: number): string {
  const n = Math.round(value);
  return String(n === 0 ? 0 : n);
}

export function onOff(on: boolean): string {
  return on ? 'ON' : 'OFF';
}
