/**
 * Value codec: turns register value bytes (the value part of a HEX Get/Set/Async frame,
 * little-endian) and Text field values (ASCII) into scaled, typed values with unit and text,
 * and turns a value to write back into register bytes. "Not available" sentinels become `null`
 * and `null` becomes the sentinel, so a missing sensor is never a number (0xFFFF on 0xEDEC is
 * not 382 °C). Pure functions over the catalogues; no I/O.
 */

import { VeError } from '../errors';
import { registerForProduct, type ProductContext } from './catalog/overrides';
import { productName, parseProductId } from './catalog/products';
import { formatRegisterId } from './catalog/registers';
import { findTextField } from './catalog/text-fields';
import type { RegisterDef, RegisterType, TextFieldDef } from './catalog/types';

export interface DecodedRegisterValue {
  /** Scaled number, string (strings, raw byte registers), or null (not available / no data). */
  value: number | string | null;
  unit: string;
  /** The value bytes as received, uppercase hex ("6D0A"). */
  raw: string;
  /** The integer as received, before scaling (integer registers only). */
  rawNumber?: number;
  /** Enumeration text, or the comma-joined texts of the bits set. */
  text?: string;
}

export interface DecodedTextValue {
  /** camelCase field name (the label itself for labels the catalogue does not know). */
  name: string;
  value: number | string | boolean | null;
  unit: string;
  /** Enumeration / bit texts, product name, or the meaning of a null ("infinite"). */
  text?: string;
}

export type DecodedTextField = DecodedTextValue & { label: string; raw: string };

type IntegerType = Exclude<RegisterType, 'string' | 'bytes' | 'none'>;

const INTEGER_WIDTH: Readonly<Record<IntegerType, number>> = {
  un8: 1,
  sn8: 1,
  un16: 2,
  sn16: 2,
  un24: 3,
  un32: 4,
  sn32: 4,
};

function isSignedType(type: IntegerType): boolean {
  return type.startsWith('sn');
}

function integerRange(signed: boolean, width: number): { min: number; max: number } {
  const span = 2 ** (8 * width);
  return signed ? { min: -span / 2, max: span / 2 - 1 } : { min: 0, max: span - 1 };
}

/** The sentinel a type uses for "not available": all ones unsigned, the maximum signed (Victron register dictionary). */
function defaultSentinel(signed: boolean, width: number): number {
  return integerRange(signed, width).max;
}

/**
 * The "not available" raw value of `def` for a value `width` bytes wide, or undefined when the
 * register has none. A register may arrive narrower or wider than its catalogue type (0xEDD3
 * was un32 before MPPT fw 1.12), so the type's default sentinel follows the received width.
 */
function sentinelFor(def: RegisterDef, type: IntegerType, width: number): number | undefined {
  if (def.notAvailable === null) return undefined;
  const signed = isSignedType(type);
  const typeWidth = INTEGER_WIDTH[type];
  if (def.notAvailable === undefined || (width !== typeWidth && def.notAvailable === defaultSentinel(signed, typeWidth))) {
    return defaultSentinel(signed, width);
  }
  return def.notAvailable;
}

/**
 * Little-endian integer of 1, 2, 3 or 4 bytes; the width is the byte count, because registers
 * changed width with firmware (0xEDD3 / 0xEDD1: un32 up to MPPT fw 1.12, un16 after, BlueSolar
 * HEX protocol MPPT note 4).
 */
export function decodeInteger(bytes: Uint8Array, signed: boolean): number {
  const width = bytes.length;
  if (width < 1 || width > 4) {
    throw new VeError('VE_BAD_FRAME', `An integer value must be 1 to 4 bytes long, got ${width}`, { length: width });
  }
  let value = 0;
  for (let i = width - 1; i >= 0; i--) {
    // Arithmetic, not bit operators: those are signed 32-bit and would break un32 values.
    value = value * 256 + (bytes[i] ?? 0);
  }
  if (signed && value > integerRange(true, width).max) value -= 2 ** (8 * width);
  return value;
}

function encodeInteger(value: number, width: number): Uint8Array {
  const out = new Uint8Array(width);
  let rest = value < 0 ? value + 2 ** (8 * width) : value;
  for (let i = 0; i < width; i++) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return out;
}

function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).toUpperCase().padStart(2, '0');
  return out;
}

function decimalsOf(n: number): number {
  if (Number.isInteger(n)) return 0;
  const text = String(n);
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

/** Rounds away float noise at the precision the scale and offset carry (13.28, not 13.280000000000001). */
function scaleValue(raw: number, scale: number, offset: number): number {
  const decimals = Math.max(decimalsOf(scale), decimalsOf(offset));
  const factor = 10 ** decimals;
  const rounded = Math.round((raw * scale + offset) * factor) / factor;
  return rounded === 0 ? 0 : rounded; // no -0
}

/**
 * The raw integer for a scaled value. Noise is cut at 6 decimals first (11.85 °C + 273.15 is
 * 284.99999999999994 in floating point), then halves round away from zero, so +x and −x map
 * to raw values of equal magnitude.
 */
function unscaleValue(value: number, scale: number, offset: number): number {
  const exact = Number(((value - offset) / scale).toFixed(6));
  const rounded = Math.sign(exact) * Math.round(Math.abs(exact));
  return rounded === 0 ? 0 : rounded;
}

function bitTextList(raw: number, bitTexts: Readonly<Record<number, string>>): string[] {
  const texts: string[] = [];
  for (let bit = 0; bit < 32; bit++) {
    const mask = 2 ** bit;
    if (mask > raw) break;
    if (Math.floor(raw / mask) % 2 === 1) texts.push(bitTexts[mask] ?? `bit ${bit}`);
  }
  return texts;
}

/** Enumeration text or bit texts of a raw integer, as the catalogue entry describes it. */
function describe(raw: number, enumTexts?: Readonly<Record<number, string>>, bitTexts?: Readonly<Record<number, string>>, enumMask?: number): string | undefined {
  if (enumMask !== undefined && raw >= 0) {
    // BigInt: bit operators on plain numbers are signed 32-bit.
    const code = Number(BigInt(raw) & BigInt(enumMask));
    const parts: string[] = [];
    const codeText = enumTexts?.[code];
    if (codeText !== undefined) parts.push(codeText);
    if (bitTexts !== undefined) parts.push(...bitTextList(raw - code, bitTexts));
    return parts.join(', ');
  }
  if (bitTexts !== undefined && raw >= 0) return bitTextList(raw, bitTexts).join(', ');
  return enumTexts?.[raw];
}

function withText<T extends object>(result: T, text: string | undefined): T & { text?: string } {
  return text === undefined ? result : { ...result, text };
}

function latin1(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}

/**
 * Decodes the value bytes of a register, as `product` uses the register when given
 * (catalogue/overrides.ts). Integers: signedness from the catalogue type, width
 * from the byte count; the not-available sentinel gives `null`. Strings end at the first NUL
 * (devices zero-pad them). Without a catalogue entry: an unsigned integer of 1–4 bytes, else
 * the hex of the bytes. No bytes at all (an "unknown id" reply) give `null`.
 */
export function decodeRegisterValue(catalogueDef: RegisterDef | undefined, bytes: Uint8Array, product?: ProductContext | null): DecodedRegisterValue {
  // The entry as this product uses it (a BMV-702 sends its voltage thresholds in 0.1 V).
  const def = catalogueDef === undefined ? undefined : registerForProduct(catalogueDef, product);
  const raw = toHex(bytes);
  const unit = def?.unit ?? '';
  if (bytes.length === 0) return { value: null, unit, raw };
  if (def === undefined) {
    if (bytes.length > 4) return { value: raw, unit, raw };
    const rawNumber = decodeInteger(bytes, false);
    return { value: rawNumber, unit, raw, rawNumber };
  }
  switch (def.type) {
    case 'string': {
      const nul = bytes.indexOf(0);
      return { value: latin1(nul < 0 ? bytes : bytes.subarray(0, nul)), unit, raw };
    }
    case 'bytes':
      return { value: raw, unit, raw };
    case 'none':
      return { value: null, unit, raw };
    default: {
      const type = def.type;
      const rawNumber = decodeInteger(bytes, isSignedType(type));
      const text = describe(rawNumber, def.enumTexts, def.bitTexts, def.enumMask);
      if (rawNumber === sentinelFor(def, type, bytes.length)) {
        // Only an enumeration text may explain a sentinel ("Never", "Disabled"); bit texts of
        // an all-ones value would be noise.
        return withText({ value: null, unit, raw, rawNumber }, def.enumTexts?.[rawNumber]);
      }
      return withText({ value: scaleValue(rawNumber, def.scale, def.offset ?? 0), unit, raw, rawNumber }, text);
    }
  }
}

function rangeError(def: RegisterDef, value: number, lowRaw: number, highRaw: number): VeError {
  const offset = def.offset ?? 0;
  const low = scaleValue(lowRaw, def.scale, offset);
  const high = scaleValue(highRaw, def.scale, offset);
  const unit = def.unit === '' ? '' : ` ${def.unit}`;
  return new VeError(
    'VE_RANGE',
    `${formatRegisterId(def.id)} ${def.name}: ${value}${unit} is outside the allowed range ${low}..${high}${unit}`,
    { register: def.id, name: def.name, value, min: low, max: high },
  );
}

function typeError(def: RegisterDef, message: string, value: unknown): VeError {
  return new VeError('VE_TYPE', `${formatRegisterId(def.id)} ${def.name}: ${message}`, { register: def.id, name: def.name, value });
}

/**
 * Encodes a value for writing to a register, as `product` uses it when given: the inverse of
 * `decodeRegisterValue`. `null`
 * writes the not-available sentinel (0x2002 → FF FF, 0x2003 → FF 7F), which makes an MPPT drop
 * remote sense data at once. Numbers are unscaled with explicit rounding and must fit both the
 * wire type (minus its sentinel) and the catalogue's documented min/max, else VE_RANGE; a
 * non-finite number or a value of the wrong kind is VE_TYPE. Command registers (type `none`)
 * carry no data.
 */
export function encodeRegisterValue(catalogueDef: RegisterDef, value: number | string | null, product?: ProductContext | null): Uint8Array {
  const def = registerForProduct(catalogueDef, product);
  switch (def.type) {
    case 'none':
      return new Uint8Array(0);
    case 'string': {
      if (typeof value !== 'string') throw typeError(def, `expects a string, got ${value === null ? 'null' : typeof value}`, value);
      const out = new Uint8Array(value.length);
      for (let i = 0; i < value.length; i++) {
        const code = value.charCodeAt(i);
        if (code > 0xff) throw typeError(def, `character ${JSON.stringify(value[i])} cannot be sent (latin1 only)`, value);
        out[i] = code;
      }
      return out;
    }
    case 'bytes': {
      if (typeof value !== 'string' || !/^(?:[0-9a-f]{2})*$/i.test(value)) {
        throw typeError(def, 'expects the raw bytes as a hex string', value);
      }
      const out = new Uint8Array(value.length / 2);
      for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(value.slice(2 * i, 2 * i + 2), 16);
      return out;
    }
    default: {
      const type = def.type;
      const width = INTEGER_WIDTH[type];
      const sentinel = sentinelFor(def, type, width);
      if (value === null) {
        if (sentinel === undefined) throw typeError(def, 'has no "not available" value, so null cannot be written', value);
        return encodeInteger(sentinel, width);
      }
      if (typeof value !== 'number') throw typeError(def, `expects a number, got ${typeof value}`, value);
      if (!Number.isFinite(value)) throw typeError(def, `expects a finite number, got ${value}`, value);
      const offset = def.offset ?? 0;
      const raw = unscaleValue(value, def.scale, offset);
      const typeRange = integerRange(isSignedType(type), width);
      let low = typeRange.min;
      let high = typeRange.max;
      // The sentinel is not a value: it is written only when null is given.
      if (sentinel === high) high -= 1;
      if (sentinel === low) low += 1;
      if (def.min !== undefined) low = Math.max(low, unscaleValue(def.min, def.scale, offset));
      if (def.max !== undefined) high = Math.min(high, unscaleValue(def.max, def.scale, offset));
      if (raw < low || raw > high || raw === sentinel) throw rangeError(def, value, low, high);
      return encodeInteger(raw, width);
    }
  }
}

// ── Text protocol values ─────────────────────────────────────────────────────────────────────

const DECIMAL = /^[-+]?\d+$/;
const HEX_PREFIXED = /^0x[0-9a-f]+$/i;

/** Decimal (`AR 5`) or 0x-prefixed hex (`OR 0x00000001`); undefined when neither. */
function parseTextInteger(text: string, allowHex: boolean): number | undefined {
  if (DECIMAL.test(text)) return Number.parseInt(text, 10);
  if (allowHex && HEX_PREFIXED.test(text)) return Number.parseInt(text.slice(2), 16);
  return undefined;
}

function stripLeadingZeros(digits: string): string {
  const stripped = digits.replace(/^0+/, '');
  return stripped === '' ? '0' : stripped;
}

/**
 * Text `FW` (16 bit): `156` → "1.56", `0405` → "4.05", `C208` → "2.08-rcC" (release candidate
 * C, VE.Direct Protocol 3.33; the rc letter is the version word's top hex digit, BlueSolar HEX
 * protocol MPPT §Ping).
 */
function formatFirmware16(text: string): string | undefined {
  const rc = /^([C-F])(\d{3})$/i.exec(text);
  if (rc !== null && rc[1] !== undefined && rc[2] !== undefined) {
    return `${stripLeadingZeros(rc[2].slice(0, -2))}.${rc[2].slice(-2)}-rc${rc[1].toUpperCase()}`;
  }
  if (!/^\d{1,4}$/.test(text)) return undefined;
  const padded = text.padStart(3, '0');
  return `${stripLeadingZeros(padded.slice(0, -2))}.${padded.slice(-2)}`;
}

/**
 * Text `FWE` (24 bit, left zeros optional): the last two digits are FF for a release, else the
 * beta number: `0208FF` / `208FF` → "2.08", `020801` → "2.08-beta-01" (VE.Direct Protocol 3.33).
 */
function formatFirmware24(text: string): string | undefined {
  if (!/^[0-9a-f]{1,6}$/i.test(text)) return undefined;
  const padded = text.toUpperCase().padStart(6, '0');
  const version = `${stripLeadingZeros(padded.slice(0, 2))}.${padded.slice(2, 4)}`;
  const build = padded.slice(4);
  return build === 'FF' ? version : `${version}-beta-${build}`;
}

function decodeKnownTextValue(def: TextFieldDef, raw: string): DecodedTextValue {
  const name = def.name;
  const unit = def.unit ?? '';
  const text = raw.trim();
  // `---`: BMV not synchronised / no sensor (VE.Direct Protocol 3.33, footnotes on CE, SOC, TTG, T).
  if (text === '' || text === '---') return { name, value: null, unit };
  const unreadable: DecodedTextValue = { name, value: null, unit, text: raw };
  switch (def.kind) {
    case 'int': {
      const n = parseTextInteger(text, false);
      if (n === undefined) return unreadable;
      const nullText = def.nullTexts?.[n];
      if (nullText !== undefined) return { name, value: null, unit, text: nullText };
      return { name, value: scaleValue(n, def.scale ?? 1, 0), unit };
    }
    case 'onoff': {
      // BMV-600 fw ≤ 2.09 sent On/Off: compare case-insensitively (VE.Direct Protocol 3.33).
      const upper = text.toUpperCase();
      if (upper === 'ON') return { name, value: true, unit };
      if (upper === 'OFF') return { name, value: false, unit };
      return unreadable;
    }
    case 'enum':
    case 'bits':
    case 'hexbits': {
      const n = parseTextInteger(text, def.kind !== 'enum');
      if (n === undefined) return unreadable;
      return withText({ name, value: n, unit }, describe(n, def.enumTexts, def.bitTexts));
    }
    case 'product': {
      const id = parseProductId(text);
      if (id === undefined) return unreadable;
      return { name, value: id, unit, text: productName(id) };
    }
    case 'firmware': {
      const version = def.label === 'FWE' ? formatFirmware24(text) : formatFirmware16(text);
      return { name, value: version ?? raw, unit };
    }
    case 'string':
      return { name, value: raw, unit };
  }
}

/**
 * Decodes one Text field value by its label: integers scaled to the catalogue unit (mV → V,
 * ‰ → %), `---` and empty → null, ON/OFF → boolean, enumerations and bitmasks with texts, PID
 * with the product name, FW/FWE as version strings, TTG −1 → null with text "infinite". A
 * value that cannot be read gives null with the raw text in `text`. Unknown labels pass
 * through: value = the raw string, name = the label.
 */
export function decodeTextValue(label: string, raw: string): DecodedTextValue {
  const def = findTextField(label);
  if (def === undefined) return { name: label, value: raw, unit: '' };
  return decodeKnownTextValue(def, raw);
}

/**
 * Decodes every field of one checksum-valid Text block, keyed by camelCase name (the label for
 * unknown labels). A `Checksum` entry, if the caller left it in, is skipped.
 */
export function decodeTextBlock(fields: Record<string, string>): Record<string, DecodedTextField> {
  const entries: Array<[string, DecodedTextField]> = [];
  for (const [label, raw] of Object.entries(fields)) {
    if (label.toLowerCase() === 'checksum') continue;
    const decoded = decodeTextValue(label, raw);
    entries.push([decoded.name, { ...decoded, label, raw }]);
  }
  // fromEntries defines own properties, so even a label like "__proto__" stays plain data.
  return Object.fromEntries(entries);
}
