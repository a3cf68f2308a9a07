/**
 * Which devices may take part: sources must be battery monitors (BMV / SmartShunt), targets
 * MPPT solar chargers whose firmware supports remote sense.
 *
 * Firmware thresholds (BlueSolar HEX protocol MPPT rev 10, "Remote control registers –
 * firmware v1.29 or higher"): the registers exist since 1.17 "for experimental purposes" and
 * are "officially supported since firmware version 1.29" — the GX uses the same gate
 * (dbus-systemcalc-py dvcc.py, VEDIRECT_FIRMWARE_REQUIRED = 0x129). 0x200F bits 6/7 exist from
 * 1.26, 0x200D and the networked 0xEDEC from 1.42. The VE.Can SmartSolar models 0xA102–0xA10E
 * count as supported whatever their version number (dvcc.py, after venus issue #655).
 *
 * Current (0x200A) needs more: the register was "planned in firmware 1.44 only on SmartSolar
 * models that support synchronised charging" (same document, table note 8), 0x200F bit 5
 * (ISENSE) comes with 1.44, and a GX sharing the current made the load output of VE.Direct
 * MPPTs misbehave until firmware 1.47 fixed it (venus issue #540). So current goes only to
 * firmware ≥ 1.47; older chargers keep getting voltage and temperature, and the report says
 * why they get no current. A charger that still does not know 0x200A says so by refusing the
 * write with "unknown id" (charger-session.ts).
 */

import type { DeviceIdentity } from './types';

export const MIN_FIRMWARE_REMOTE_SENSE = { major: 1, minor: 29 } as const;
export const MIN_FIRMWARE_SENSE_BITS = { major: 1, minor: 26 } as const;
export const MIN_FIRMWARE_NETWORK_INFO = { major: 1, minor: 42 } as const;
export const MIN_FIRMWARE_CURRENT_BIT = { major: 1, minor: 44 } as const;
export const MIN_FIRMWARE_CURRENT_SENSE = { major: 1, minor: 47 } as const;

export interface FirmwareNumber {
  readonly major: number;
  readonly minor: number;
}

/** "1.56", "v1.56", "1.56-rcC", "1.56-beta-01", "4.05" → {1, 56}; null when unreadable. */
export function parseFirmware(text: string | null): FirmwareNumber | null {
  if (text === null) return null;
  const match = /^v?(\d{1,2})\.(\d{2})(?:$|[-\s])/i.exec(text.trim());
  if (match === null || match[1] === undefined || match[2] === undefined) return null;
  return { major: Number(match[1]), minor: Number(match[2]) };
}

export function atLeast(fw: FirmwareNumber, min: FirmwareNumber): boolean {
  return fw.major > min.major || (fw.major === min.major && fw.minor >= min.minor);
}

export function isMonitor(identity: DeviceIdentity): boolean {
  return identity.family === 'bmv' || identity.family === 'smartshunt';
}

function isVeCanSmartSolar(productId: number): boolean {
  return productId >= 0xa102 && productId <= 0xa10e;
}

export type ChargerGate =
  | {
      readonly ok: true;
      readonly senseBits: boolean;
      readonly networkInfo: boolean;
      /** 0x200F / 0x200D bit 5 (ISENSE) means something on this firmware. */
      readonly currentBit: boolean;
      /** Why the current may not be written to it, or null when it may. */
      readonly currentRefusal: string | null;
    }
  | { readonly ok: false; readonly pending: boolean; readonly reason: string };

/** May remote sense values be written to this device? `pending` while it is not identified. */
export function gateCharger(identity: DeviceIdentity | null): ChargerGate {
  if (identity === null) return { ok: false, pending: true, reason: 'not identified yet' };
  if (identity.family !== 'mppt') {
    return { ok: false, pending: false, reason: `${identity.product} is not an MPPT solar charger` };
  }
  const fw = parseFirmware(identity.firmware);
  if (isVeCanSmartSolar(identity.productId)) {
    return { ok: true, senseBits: true, networkInfo: fw !== null && atLeast(fw, MIN_FIRMWARE_NETWORK_INFO), currentBit: true, currentRefusal: null };
  }
  if (fw === null) {
    return identity.firmware === null
      ? { ok: false, pending: true, reason: 'firmware version not known yet' }
      : { ok: false, pending: false, reason: `firmware "${identity.firmware}" cannot be read` };
  }
  if (!atLeast(fw, MIN_FIRMWARE_REMOTE_SENSE)) {
    return { ok: false, pending: false, reason: `firmware ${identity.firmware} is below 1.29, the first with remote sense` };
  }
  return {
    ok: true,
    senseBits: atLeast(fw, MIN_FIRMWARE_SENSE_BITS),
    networkInfo: atLeast(fw, MIN_FIRMWARE_NETWORK_INFO),
    currentBit: atLeast(fw, MIN_FIRMWARE_CURRENT_BIT),
    currentRefusal: atLeast(fw, MIN_FIRMWARE_CURRENT_SENSE)
      ? null
      : `firmware ${identity.firmware} is below 1.47, the first that takes the battery current (0x200A) safely: no current sent`,
  };
}
