/**
 * VE.Direct HEX frames: encode and decode `:<command nibble><payload bytes><checksum>\n`
 * (BlueSolar HEX protocol MPPT rev 10 §1, BMV-7xx HEX protocol §1).
 *
 * The command is a single hex digit, so a valid frame carries an odd number of digits after
 * the `:`. Everything here works digit by digit: Node's `Buffer.from(s, 'hex')` silently drops
 * an odd last nibble and stops at the first non-hex character, which would turn a broken frame
 * into a plausible one.
 */

import { VeError } from '../errors';

/** Host → device commands (the nibble after `:`). */
export const Command = {
  EnterBoot: 0x0,
  Ping: 0x1,
  AppVersion: 0x3,
  ProductId: 0x4,
  Restart: 0x6,
  Get: 0x7,
  Set: 0x8,
  Async: 0xa,
} as const;

/** Device → host responses. 1, 3 and 4 mean something else here than as commands. */
export const Response = {
  Done: 0x1,
  Unknown: 0x3,
  Error: 0x4,
  Ping: 0x5,
  Get: 0x7,
  Set: 0x8,
  Async: 0xa,
} as const;

/** Flags byte of Get / Set / Async replies. */
export const Flag = {
  UnknownId: 0x01,
  NotSupported: 0x02,
  ParameterError: 0x04,
} as const;

/** Payload of the error response to a frame the device could not parse (`:4AAAAFD`). */
export const FRAME_ERROR_CODE = 0xaaaa;

/** Longest body (digits between `:` and `\n`) accepted: a 64-byte string reply needs 137. */
export const MAX_BODY_DIGITS = 200;

export interface HexFrame {
  /** The command or response nibble, 0x0–0xF. */
  readonly command: number;
  /** Payload bytes, without the checksum byte. */
  readonly payload: Uint8Array;
}

export type HexDecodeResult =
  | { readonly ok: true; readonly frame: HexFrame }
  | { readonly ok: false; readonly error: 'hex-framing' | 'hex-checksum'; readonly detail: string };

const HEX_DIGITS = '0123456789ABCDEF';

/** Value of an ASCII hex digit (either case), or −1. */
export function hexDigitValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/** The checksum byte a sender appends: command + payload + checksum ≡ 0x55 (mod 256). */
export function hexChecksum(command: number, payload: ArrayLike<number>): number {
  let sum = command;
  for (let i = 0; i < payload.length; i++) sum += payload[i] ?? 0;
  return (0x55 - sum) & 0xff;
}

/** The two uppercase digits of each byte value, so printing a byte is one lookup. */
const HEX_PAIRS: readonly string[] = Array.from({ length: 256 }, (_, b) => HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 0xf]!);

/** Two uppercase hex digits per byte. */
export function toUpperHex(bytes: ArrayLike<number>): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX_PAIRS[(bytes[i] ?? 0) & 0xff]!;
  return out;
}

/**
 * Encode a frame as sent on the wire, without the terminating `\n` (`:7F0ED0071`).
 * Devices accept only uppercase digits.
 */
export function encodeFrame(command: number, payload: ArrayLike<number> = []): string {
  if (!Number.isInteger(command) || command < 0 || command > 0xf) {
    throw new VeError('VE_BAD_FRAME', `HEX command must be a nibble 0x0–0xF, got ${String(command)}`);
  }
  for (let i = 0; i < payload.length; i++) {
    const b = payload[i];
    if (b === undefined || !Number.isInteger(b) || b < 0 || b > 0xff) {
      throw new VeError('VE_BAD_FRAME', `HEX payload byte ${i} is not 0–255: ${String(b)}`);
    }
  }
  return ':' + HEX_DIGITS[command]! + toUpperHex(payload) + toUpperHex([hexChecksum(command, payload)]);
}

/**
 * Decode the digits between `:` and `\n`. Rejects, rather than repairs: an even digit count,
 * anything that is not a hex digit, a frame too short to hold a checksum, a wrong checksum.
 */
export function decodeFrameBody(body: string): HexDecodeResult {
  const n = body.length;
  if (n < 3) return { ok: false, error: 'hex-framing', detail: `frame too short (${n} digits)` };
  if (n > MAX_BODY_DIGITS) return { ok: false, error: 'hex-framing', detail: `frame too long (${n} digits)` };
  if (n % 2 === 0) return { ok: false, error: 'hex-framing', detail: `even number of digits (${n})` };
  const command = hexDigitValue(body.charCodeAt(0));
  if (command < 0) return { ok: false, error: 'hex-framing', detail: 'command is not a hex digit' };
  const bytes = new Uint8Array((n - 1) / 2);
  let sum = command;
  for (let i = 0; i < bytes.length; i++) {
    const hi = hexDigitValue(body.charCodeAt(1 + 2 * i));
    const lo = hexDigitValue(body.charCodeAt(2 + 2 * i));
    if (hi < 0 || lo < 0) return { ok: false, error: 'hex-framing', detail: `non-hex character at digit ${hi < 0 ? 1 + 2 * i : 2 + 2 * i}` };
    const b = (hi << 4) | lo;
    bytes[i] = b;
    sum += b;
  }
  if ((sum & 0xff) !== 0x55) {
    return { ok: false, error: 'hex-checksum', detail: `sum is 0x${toUpperHex([sum & 0xff])}, not 0x55` };
  }
  return { ok: true, frame: { command, payload: bytes.subarray(0, bytes.length - 1) } };
}

/** Decode a whole frame as text: `:` + body, optionally followed by `\n` or `\r\n`. */
export function decodeFrame(text: string): HexDecodeResult {
  let end = text.length;
  if (text.endsWith('\r\n')) end -= 2;
  else if (text.endsWith('\n')) end -= 1;
  if (!text.startsWith(':')) return { ok: false, error: 'hex-framing', detail: 'frame does not start with ":"' };
  return decodeFrameBody(text.slice(1, end));
}

/** Like decodeFrame, but throws VE_BAD_FRAME: for frames that must be valid (tests, replays). */
export function parseFrame(text: string): HexFrame {
  const result = decodeFrame(text);
  if (!result.ok) throw new VeError('VE_BAD_FRAME', `invalid HEX frame ${JSON.stringify(text)}: ${result.detail}`);
  return result.frame;
}

// ─── Register payloads (Get, Set, Async: un16 id little-endian, un8 flags, value) ──────────

export function registerPayload(register: number, flags: number, value: ArrayLike<number> = []): Uint8Array {
  if (!Number.isInteger(register) || register < 0 || register > 0xffff) {
    throw new VeError('VE_BAD_FRAME', `register id must be 0x0000–0xFFFF, got ${String(register)}`);
  }
  const out = new Uint8Array(3 + value.length);
  out[0] = register & 0xff;
  out[1] = register >> 8;
  out[2] = flags & 0xff;
  for (let i = 0; i < value.length; i++) out[3 + i] = value[i] ?? 0;
  return out;
}

/** Little-endian bytes of an un16 (product id, version word, error code). */
export function un16Bytes(value: number): Uint8Array {
  return new Uint8Array([value & 0xff, (value >> 8) & 0xff]);
}

function readUn16(bytes: Uint8Array, at: number): number {
  return (bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8);
}

// ─── Host commands ────────────────────────────────────────────────────────────────────────

export const pingFrame = (): string => encodeFrame(Command.Ping);
export const appVersionFrame = (): string => encodeFrame(Command.AppVersion);
export const productIdFrame = (): string => encodeFrame(Command.ProductId);
export const restartFrame = (): string => encodeFrame(Command.Restart);
export const getFrame = (register: number, flags = 0): string => encodeFrame(Command.Get, registerPayload(register, flags));
export const setFrame = (register: number, value: ArrayLike<number>, flags = 0): string =>
  encodeFrame(Command.Set, registerPayload(register, flags, value));

// ─── Firmware version word (ping reply, app version) ──────────────────────────────────────

export type FirmwareKind = 'bootloader' | 'application' | 'tester' | 'release-candidate';

export interface FirmwareVersion {
  readonly kind: FirmwareKind;
  /** `1.16` for 0x4116 (the digits are read as hex: 0x0101 is version 1.01). */
  readonly version: string;
  /** The version as shown to users: `1.16`, `1.01-rcD`, `1.02 (bootloader)`. */
  readonly text: string;
  readonly word: number;
}

const FIRMWARE_KINDS: readonly FirmwareKind[] = ['bootloader', 'application', 'tester', 'release-candidate'];

/** The two top bits give the firmware type; for release candidates the top digit is the rc letter. */
export function decodeVersionWord(word: number): FirmwareVersion {
  const kind = FIRMWARE_KINDS[(word >> 14) & 0x3]!;
  const digits = word & 0x0fff;
  const version = `${(digits >> 8).toString(16).toUpperCase()}.${toUpperHex([digits & 0xff])}`;
  let text = version;
  if (kind === 'release-candidate') text = `${version}-rc${HEX_DIGITS[(word >> 12) & 0xf]}`;
  else if (kind !== 'application') text = `${version} (${kind})`;
  return { kind, version, text, word };
}

// ─── Responses (device → host) ────────────────────────────────────────────────────────────

export type RegisterResponseType = 'get' | 'set' | 'async';

export type HexResponse =
  | { readonly type: 'done'; readonly data: Uint8Array }
  | { readonly type: 'unknown-command'; readonly data: Uint8Array }
  | { readonly type: 'error'; readonly code: number }
  | { readonly type: 'ping'; readonly firmware: FirmwareVersion }
  | {
      readonly type: RegisterResponseType;
      readonly register: number;
      readonly flags: number;
      readonly value: Uint8Array;
    }
  | { readonly type: 'malformed'; readonly command: number; readonly reason: string }
  | { readonly type: 'other'; readonly command: number; readonly data: Uint8Array };

const REGISTER_RESPONSES: Readonly<Record<number, RegisterResponseType>> = {
  [Response.Get]: 'get',
  [Response.Set]: 'set',
  [Response.Async]: 'async',
};

/** Read a received frame with the response table (the host only ever receives responses). */
export function interpretResponse(frame: HexFrame): HexResponse {
  const { command, payload } = frame;
  const registerType = REGISTER_RESPONSES[command];
  if (registerType) {
    if (payload.length < 3) return { type: 'malformed', command, reason: 'register reply shorter than id + flags' };
    return { type: registerType, register: readUn16(payload, 0), flags: payload[2]!, value: payload.subarray(3) };
  }
  switch (command) {
    case Response.Done:
      return { type: 'done', data: payload };
    case Response.Unknown:
      return { type: 'unknown-command', data: payload };
    case Response.Error:
      if (payload.length !== 2) return { type: 'malformed', command, reason: 'error reply is not 2 bytes' };
      return { type: 'error', code: readUn16(payload, 0) };
    case Response.Ping:
      if (payload.length !== 2) return { type: 'malformed', command, reason: 'ping reply is not 2 bytes' };
      return { type: 'ping', firmware: decodeVersionWord(readUn16(payload, 0)) };
    default:
      return { type: 'other', command, data: payload };
  }
}

// ─── Commands (host → device), as a device reads them ─────────────────────────────────────

export type HexCommand =
  | { readonly type: 'ping' }
  | { readonly type: 'app-version' }
  | { readonly type: 'product-id' }
  | { readonly type: 'restart' }
  | { readonly type: 'enter-boot'; readonly data: Uint8Array }
  | { readonly type: 'get'; readonly register: number; readonly flags: number }
  | { readonly type: 'set'; readonly register: number; readonly flags: number; readonly value: Uint8Array }
  | { readonly type: 'async'; readonly register: number; readonly flags: number; readonly value: Uint8Array }
  | { readonly type: 'malformed'; readonly command: number; readonly reason: string }
  | { readonly type: 'unsupported'; readonly command: number; readonly data: Uint8Array };

/** Read a frame with the command table, as a device (the simulator) does. */
export function interpretCommand(frame: HexFrame): HexCommand {
  const { command, payload } = frame;
  switch (command) {
    case Command.Ping:
      return { type: 'ping' };
    case Command.AppVersion:
      return { type: 'app-version' };
    case Command.ProductId:
      return { type: 'product-id' };
    case Command.Restart:
      return { type: 'restart' };
    case Command.EnterBoot:
      return { type: 'enter-boot', data: payload };
    case Command.Get:
      if (payload.length !== 3) return { type: 'malformed', command, reason: 'Get takes id + flags' };
      return { type: 'get', register: readUn16(payload, 0), flags: payload[2]! };
    case Command.Set:
    case Command.Async:
      if (payload.length < 3) return { type: 'malformed', command, reason: 'Set takes id + flags + value' };
      return {
        type: command === Command.Set ? 'set' : 'async',
        register: readUn16(payload, 0),
        flags: payload[2]!,
        value: payload.subarray(3),
      };
    default:
      return { type: 'unsupported', command, data: payload };
  }
}
