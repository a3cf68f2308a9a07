/**
 * The one error type every layer throws. `code` is public API: Node-RED copies it into the
 * Catch node's `msg.error.code`, the CLI prints it, tests assert on it.
 *
 * Message format, for every text a user reads: no class-name prefix (a VeError prints as its
 * message alone: Node-RED's Catch node and log take `toString()`), one clause per fact ("X is
 * read-only. Nothing was written."), and user input quoted with `quoteInput`, cut to
 * INPUT_QUOTE_MAX characters.
 */

export type VeErrorCode =
  | 'VE_TIMEOUT' // no reply within the request timeout (after retries)
  | 'VE_UNKNOWN_ID' // reply flags 0x01: the device has no such register
  | 'VE_NOT_SUPPORTED' // reply flags 0x02: e.g. a write to a read-only register
  | 'VE_PARAMETER' // reply flags 0x04: value out of range; the device echoes the clamped value
  | 'VE_ECHO_MISMATCH' // a Set was acknowledged with another value than the one sent
  | 'VE_QUEUE_FULL' // the port's HEX request queue is full
  | 'VE_PORT_CLOSED' // the port closed (or was never open) while the request waited
  | 'VE_STALE' // the value is older than the freshness limit
  | 'VE_RANGE' // a value to write lies outside the register's valid range
  | 'VE_TYPE' // a value to write does not fit the register's type
  | 'VE_READ_ONLY' // a write was asked of a read-only register
  | 'VE_FLASH_GUARD' // a write to a flash-backed register without the explicit opt-in
  | 'VE_COMMAND_GUARD' // a device command (restore defaults, clear history, …) without its explicit opt-in
  | 'VE_UNKNOWN_REGISTER' // a register name or id that the catalogue does not know
  | 'VE_BAD_FRAME' // a HEX frame that could not be encoded or decoded
  | 'VE_DEVICE_ERROR' // the device answered with an error frame (e.g. :4AAAAFD framing error)
  | 'VE_UNKNOWN_COMMAND' // the device answered "unknown command"
  | 'VE_IDENTITY' // the device behind the port is not the expected one
  | 'VE_NOT_SUPPORTED_DEVICE' // the device family or firmware cannot do what was asked
  | 'VE_CONFLICT' // another master (GX, BMS, VE.Smart network) controls the charger
  | 'VE_BOOTLOADER' // the device runs its bootloader, not its application
  | 'VE_BAD_INPUT' // a message or argument that cannot be understood
  | 'VE_PORT_BUSY' // the serial port already has an owner (another port node, another program)
  | 'VE_NO_HEX' // the link carries no HEX (a receive-only relay, a Text-only device): requests cannot be answered
  | 'VE_RATE_LIMIT'; // a flash-backed write asked for sooner than its minimum interval after the last one

export class VeError extends Error {
  readonly code: VeErrorCode;
  /** Extra facts for the caller (register id, flags, echoed value, …). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: VeErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'VeError';
    this.code = code;
    this.details = details;
  }

  /** The message alone: Node-RED shows `toString()` to users (Catch node, log, debug sidebar). */
  override toString(): string {
    return this.message;
  }
}

/** How much of a user's input a message repeats. */
export const INPUT_QUOTE_MAX = 60;

/** User input as a message repeats it: cut to `max` characters, with an ellipsis. */
export function cutInput(input: unknown, max = INPUT_QUOTE_MAX): string {
  const chars = [...(typeof input === 'string' ? input : String(input))];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : chars.join('');
}

/**
 * User input as a message quotes it: cut (a pasted flow or a binary payload must not make a
 * message unreadable), in double quotes, quotes and control characters escaped.
 */
export function quoteInput(input: unknown, max = INPUT_QUOTE_MAX): string {
  return JSON.stringify(cutInput(input, max));
}

export function isVeError(err: unknown): err is VeError {
  return err instanceof VeError;
}
