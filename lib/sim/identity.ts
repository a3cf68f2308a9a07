/**
 * Who a simulated device says it is: firmware numbers as the documents write them, the
 * version word of the ping and app-version replies, the Text FW / FWE field, and serial
 * numbers for several instances of one model.
 */

import { seedFromText } from './random';

/**
 * Firmware as the HEX documents write it, the version digits read as hex: 0x161 is 1.61,
 * 0x401 is 4.01 ("0x0101 is version 1.01", BlueSolar HEX protocol MPPT rev 10 §Ping).
 */
export type Firmware = number;

/** `1.61` → 0x161, `4.01` → 0x401; throws RangeError on anything else. */
export function parseFirmware(text: string): Firmware {
  const m = /^(\d)\.(\d\d)$/.exec(text.trim());
  if (!m) throw new RangeError(`firmware must look like 1.61, got ${JSON.stringify(text)}`);
  return Number.parseInt(`${m[1]}${m[2]}`, 16);
}

/** 0x161 → `1.61`. */
export function formatFirmware(fw: Firmware): string {
  const digits = fw.toString(16).padStart(3, '0');
  return `${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/** The ping / app-version word of an application build: top bits 01 (BlueSolar HEX protocol MPPT §Ping). */
export function versionWord(fw: Firmware): number {
  return 0x4000 | (fw & 0x0fff);
}

/**
 * How a family writes its firmware in Text blocks (VE.Direct Protocol 3.33, FW / FWE):
 * `FW` 3 digits (MPPT `161`), `FW4` 4 digits (BMV `0308`, SmartShunt `0414`, Phoenix `0124`),
 * `FWE` 24-bit with `FF` for a release, without (`316FF`, SmartSolar 150/70 rev2) or with
 * (`0342FF`, Blue Smart IP22) a leading zero.
 */
export type FirmwareStyle = 'FW' | 'FW4' | 'FWE' | 'FWE6';

export function textFirmwareRecord(fw: Firmware, style: FirmwareStyle): [string, string] {
  const digits = fw.toString(16).toUpperCase();
  switch (style) {
    case 'FW':
      return ['FW', digits];
    case 'FW4':
      return ['FW', digits.padStart(4, '0')];
    case 'FWE':
      return ['FWE', `${digits}FF`];
    case 'FWE6':
      return ['FWE', `${digits.padStart(4, '0')}FF`];
  }
}

/**
 * The serial number of one instance of a model: the model's 9-character prefix plus two
 * characters from the instance name (`1` → `01`, `2` → `02`, other names hashed), so that
 * `sim:smartshunt` and `sim:smartshunt#2` are told apart as real devices are, by serial.
 */
export function instanceSerial(prefix: string, instance: string): string {
  if (/^\d{1,2}$/.test(instance)) return prefix + instance.padStart(2, '0');
  const code = (seedFromText(instance) % 1296).toString(36).toUpperCase().padStart(2, '0');
  return prefix + code;
}
