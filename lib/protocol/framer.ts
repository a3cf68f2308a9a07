/**
 * Framer: the byte-level state machine that splits one VE.Direct stream into checksum-valid
 * Text blocks, HEX frames and counted rejects (VE.Direct Protocol 3.33 "Message format",
 * "Data integrity", "Implementation guidelines"; Victron's reference framehandler).
 *
 * Wire facts it is built around:
 * - A Text block is `\r\n<label>\t<value>` records ending in `\r\nChecksum\t<byte>`; the
 *   checksum byte is any value (also `\r`, `\n`, `\t`, `:` or NUL), and the block's bytes sum
 *   to 0 mod 256. The next block starts right after that byte.
 * - A HEX frame `:…\n` may interrupt a Text block anywhere, even right after `Checksum\t`'s
 *   byte; its bytes do not count in the Text sum, and the Text block resumes after it.
 *
 * Safety rules beyond the checksum (a sum is only 8 bits): a block is also rejected when its
 * structure is broken — a `\r` not followed by `\n`, a control byte in a label or value, a
 * duplicate label, an over-long label or value, a broken HEX frame inside it, or a start after
 * the framer lost track of the stream. So no single corrupted byte can turn a valid block into
 * another valid one. The only block accepted without a known start is the first one after
 * `reset()` (opening a port mid-block is normal), and then only when its checksum holds.
 *
 * Pure: no I/O, no timers. Output depends only on the bytes, never on how they were chunked.
 */

import { MAX_BODY_DIGITS, toUpperHex, type HexFrame } from './hex-codec';

export type FrameErrorKind = 'text-checksum' | 'text-framing' | 'hex-checksum' | 'hex-framing';

export const FRAME_ERROR_KINDS: readonly FrameErrorKind[] = ['text-checksum', 'text-framing', 'hex-checksum', 'hex-framing'];

export interface TextBlockEvent {
  readonly kind: 'text-block';
  /** Label → raw value, in wire order; the Checksum record is left out. Bytes ≥ 0x80 as latin1. */
  readonly fields: Record<string, string>;
  /** The checksum byte that closed the block (any value 0x00–0xFF). */
  readonly checksum: number;
}

export interface HexFrameEvent {
  readonly kind: 'hex-frame';
  readonly frame: HexFrame;
  /** The frame as received, `:` included, terminator excluded, digits uppercased. */
  readonly text: string;
}

/**
 * A received frame. Its text is only built when asked for: most consumers read the payload,
 * and the text of every frame would cost a string per frame on a busy link.
 */
class ReceivedHexFrame implements HexFrameEvent {
  readonly kind = 'hex-frame';
  readonly frame: HexFrame;
  /** The checksum byte as received, to give back the frame's exact digits. */
  private readonly checksum: number;

  constructor(command: number, payload: Uint8Array, checksum: number) {
    this.frame = { command, payload };
    this.checksum = checksum;
  }

  get text(): string {
    return ':' + HEX_DIGITS[this.frame.command]! + toUpperHex(this.frame.payload) + toUpperHex([this.checksum]);
  }
}

export interface FrameErrorEvent {
  readonly kind: 'frame-error';
  readonly error: FrameErrorKind;
  /** Why, in a few words ("sum is 0x3A", "control byte in label", …). */
  readonly detail: string;
}

export type FramerEvent = TextBlockEvent | HexFrameEvent | FrameErrorEvent;

export interface FramerStats {
  bytes: number;
  textBlocks: number;
  hexFrames: number;
  /** Bytes outside any block or frame (noise, the tail of a block cut by opening the port). */
  skippedBytes: number;
  errors: Record<FrameErrorKind, number>;
}

/** Victron's guidelines give 8-character labels, 32-character values, 22 records: room to spare. */
export const MAX_LABEL_BYTES = 16;
export const MAX_VALUE_BYTES = 64;
export const MAX_RECORDS = 40;

const CR = 0x0d;
const LF = 0x0a;
const TAB = 0x09;
const COLON = 0x3a;
const CHECKSUM_LABEL = 'Checksum';
const HEX_DIGITS = '0123456789ABCDEF';

/** Value of each byte as a hex digit (either case), −1 for the others: one lookup per byte. */
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUE[HEX_DIGITS.charCodeAt(i)] = i;
  HEX_VALUE[HEX_DIGITS.toLowerCase().charCodeAt(i)] = i;
}

const enum State {
  /** Between blocks: waiting for the `\r` that starts one. */
  Idle,
  /** Read the `\r` that starts a block; `\n` must follow. */
  BlockCr,
  Label,
  Value,
  /** Read a `\r` inside a value; `\n` must follow. */
  ValueCr,
  /** After `Checksum\t`: the next byte, whatever it is, is the checksum. */
  Checksum,
}

/** Whether the framer knows where units begin: at a reset it does not, after a unit it does. */
const enum Sync {
  Start,
  Synced,
  Lost,
}

export class Framer {
  readonly stats: FramerStats = {
    bytes: 0,
    textBlocks: 0,
    hexFrames: 0,
    skippedBytes: 0,
    errors: { 'text-checksum': 0, 'text-framing': 0, 'hex-checksum': 0, 'hex-framing': 0 },
  };

  private state = State.Idle;
  private sync = Sync.Start;
  private sum = 0;
  /** Why the block in progress must be rejected, or '' while it is sound. */
  private taint = '';
  private fields: Record<string, string> = {};
  private records = 0;
  private readonly label = Buffer.alloc(MAX_LABEL_BYTES);
  private labelLength = 0;
  private labelHash = 0;
  private labelOverflow = false;
  /** Labels repeat in every block: decode each distinct one once. */
  private readonly labels = new Map<number, string>();
  private readonly value = Buffer.alloc(MAX_VALUE_BYTES);
  private valueLength = 0;

  private inHex = false;
  private hexCr = false;
  /** Digits of the frame in progress (the command nibble included), counted, not stored. */
  private hexLength = 0;
  private hexCommand = 0;
  /** The high nibble of a byte whose low nibble has not arrived yet. */
  private hexHigh = 0;
  /** Bytes after the command nibble (payload, then the checksum byte), decoded as they come. */
  private readonly hexBytes = new Uint8Array(MAX_BODY_DIGITS >> 1);
  private hexSum = 0;

  private out: FramerEvent[] = [];

  /** Feed received bytes; returns the units they completed, in order. */
  push(bytes: Uint8Array): FramerEvent[] {
    this.out = [];
    this.stats.bytes += bytes.length;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (this.inHex) this.hexByte(b);
      else if (b === COLON && this.state !== State.Checksum) this.startHex();
      else this.textByte(b);
    }
    return this.out;
  }

  /**
   * Forget any unit in progress, as after opening the port or a silence: the first block seen
   * afterwards may have lost its start, and is accepted only on its checksum.
   */
  reset(): void {
    this.inHex = false;
    this.state = State.Idle;
    this.sync = Sync.Start;
    this.clearBlock();
  }

  /** True while a Text block or HEX frame is partly received (the link paces requests on it). */
  get busy(): boolean {
    return this.inHex || this.state !== State.Idle;
  }

  private startHex(): void {
    this.inHex = true;
    this.hexCr = false;
    this.hexLength = 0;
  }

  private textByte(b: number): void {
    if (this.state === State.Idle) {
      if (b === CR) {
        this.clearBlock();
        if (this.sync === Sync.Lost) this.taint = 'block started after lost sync';
        this.sum = CR;
        this.state = State.BlockCr;
      } else {
        this.stats.skippedBytes++;
        if (this.sync === Sync.Synced) this.sync = Sync.Lost;
      }
      return;
    }
    this.sum = (this.sum + b) & 0xff;
    switch (this.state) {
      case State.BlockCr:
        if (b === LF) {
          this.startLabel();
        } else {
          this.setTaint('block start \\r not followed by \\n');
          this.startLabel();
          this.labelByte(b);
        }
        return;
      case State.Label:
        this.labelByte(b);
        return;
      case State.Value:
        this.valueByte(b);
        return;
      case State.ValueCr:
        if (b === LF) {
          this.endRecord();
        } else if (b !== CR) {
          this.setTaint('\\r not followed by \\n');
          this.state = State.Value;
          this.valueByte(b);
        } else {
          this.setTaint('\\r not followed by \\n');
        }
        return;
      case State.Checksum:
        this.endBlock(b);
        return;
    }
  }

  private labelByte(b: number): void {
    if (b === TAB) {
      if (!this.labelOverflow && this.labelIs(CHECKSUM_LABEL)) {
        this.state = State.Checksum;
      } else {
        this.state = State.Value;
        this.valueLength = 0;
      }
      return;
    }
    if (b === CR) {
      this.setTaint('record without a value');
      this.state = State.ValueCr;
      return;
    }
    if (b === LF) {
      this.setTaint('record without a value');
      this.startLabel();
      return;
    }
    if (b < 0x21 || b > 0x7e) this.setTaint('control byte in label');
    if (this.labelLength === MAX_LABEL_BYTES) {
      this.labelOverflow = true;
      this.setTaint('label too long');
      return;
    }
    this.label[this.labelLength++] = b;
    this.labelHash = (Math.imul(this.labelHash, 31) + b) | 0;
  }

  private valueByte(b: number): void {
    if (b === CR) {
      this.state = State.ValueCr;
      return;
    }
    if (b === LF) {
      this.setTaint('\\n without \\r');
      this.endRecord();
      return;
    }
    if (b < 0x20 || b === 0x7f) this.setTaint('control byte in value');
    if (this.valueLength === MAX_VALUE_BYTES) {
      this.setTaint('value too long');
      return;
    }
    this.value[this.valueLength++] = b;
  }

  private startLabel(): void {
    this.state = State.Label;
    this.labelLength = 0;
    this.labelHash = 0;
    this.labelOverflow = false;
  }

  private endRecord(): void {
    if (!this.taint) {
      const label = this.labelText();
      if (label.length === 0) this.setTaint('empty label');
      else if (Object.prototype.hasOwnProperty.call(this.fields, label) || label === '__proto__') this.setTaint(`duplicate label ${label}`);
      else if (this.records === MAX_RECORDS) this.setTaint('too many records');
      else {
        this.fields[label] = latin1(this.value, this.valueLength);
        this.records++;
      }
    }
    this.startLabel();
  }

  private endBlock(checksum: number): void {
    if (this.sum !== 0) {
      this.reject('text-checksum', `sum is 0x${this.sum.toString(16).toUpperCase().padStart(2, '0')}, not 0`);
    } else if (this.taint) {
      this.reject('text-framing', this.taint);
    } else {
      this.stats.textBlocks++;
      this.out.push({ kind: 'text-block', fields: this.fields, checksum });
    }
    this.state = State.Idle;
    this.sync = Sync.Synced;
    this.clearBlock();
  }

  private clearBlock(): void {
    this.sum = 0;
    this.taint = '';
    this.fields = {};
    this.records = 0;
    this.labelLength = 0;
    this.labelOverflow = false;
    this.valueLength = 0;
  }

  private setTaint(reason: string): void {
    if (!this.taint) this.taint = reason;
  }

  private labelText(): string {
    const key = (this.labelHash ^ (this.labelLength << 24)) | 0;
    const known = this.labels.get(key);
    if (known !== undefined && this.labelIs(known)) return known;
    const text = latin1(this.label, this.labelLength);
    if (this.labels.size < 256) this.labels.set(key, text);
    return text;
  }

  private labelIs(text: string): boolean {
    if (this.labelLength !== text.length) return false;
    for (let i = 0; i < text.length; i++) if (this.label[i] !== text.charCodeAt(i)) return false;
    return true;
  }

  // ─── HEX frames ──────────────────────────────────────────────────────────────────────────

  private hexByte(b: number): void {
    if (this.hexCr && b !== LF) {
      this.abortHex('\\r inside a HEX frame');
      this.textByte(b);
      return;
    }
    const digit = HEX_VALUE[b]!;
    if (digit >= 0) {
      if (this.hexLength === MAX_BODY_DIGITS) {
        this.abortHex('frame too long');
        this.textByte(b);
        return;
      }
      const at = this.hexLength++;
      if (at === 0) {
        this.hexCommand = digit;
        this.hexSum = digit;
      } else if ((at & 1) === 1) {
        this.hexHigh = digit << 4;
      } else {
        const byte = this.hexHigh | digit;
        this.hexBytes[(at >> 1) - 1] = byte;
        this.hexSum += byte;
      }
    } else if (b === LF) {
      this.endHex();
    } else if (b === CR) {
      // Devices end frames with `\n` alone; tolerate a host-style `\r\n`.
      this.hexCr = true;
    } else if (b === COLON) {
      // A new frame began before this one ended: this one was truncated.
      this.hexError('hex-framing', 'frame cut by a new ":"');
      this.startHex();
    } else {
      // A corrupted terminator (seen in the field: 0xFE for \n) or Text resuming mid-frame.
      this.abortHex('non-hex byte in frame');
      this.textByte(b);
    }
  }

  /** Checks as decodeFrameBody does, on the digits already decoded, with the same details. */
  private endHex(): void {
    this.inHex = false;
    const n = this.hexLength;
    if (n < 3) {
      this.hexError('hex-framing', `frame too short (${n} digits)`);
      return;
    }
    if (n % 2 === 0) {
      this.hexError('hex-framing', `even number of digits (${n})`);
      return;
    }
    const sum = this.hexSum & 0xff;
    if (sum !== 0x55) {
      this.hexError('hex-checksum', `sum is 0x${toUpperHex([sum])}, not 0x55`);
      return;
    }
    const bytes = (n - 1) >> 1;
    this.stats.hexFrames++;
    if (this.state === State.Idle && this.sync !== Sync.Lost) this.sync = Sync.Synced;
    this.out.push(new ReceivedHexFrame(this.hexCommand, this.hexBytes.slice(0, bytes - 1), this.hexBytes[bytes - 1]!));
  }

  private abortHex(detail: string): void {
    this.inHex = false;
    this.hexError('hex-framing', detail);
  }

  /**
   * A broken HEX frame may have been a corrupted Text byte that looked like `:`, so the Text
   * block around it cannot be trusted, and between blocks the framer no longer knows where the
   * next unit starts.
   */
  private hexError(error: 'hex-framing' | 'hex-checksum', detail: string): void {
    if (this.state === State.Idle) this.sync = Sync.Lost;
    else this.setTaint(`broken HEX frame inside the block (${detail})`);
    this.reject(error, detail);
  }

  private reject(error: FrameErrorKind, detail: string): void {
    this.stats.errors[error]++;
    this.out.push({ kind: 'frame-error', error, detail });
  }
}

/**
 * The bytes as a latin1 string. Most Text values are a few digits: for those a direct
 * String.fromCharCode is faster than a call into Buffer.
 */
function latin1(bytes: Buffer, length: number): string {
  switch (length) {
    case 0:
      return '';
    case 1:
      return String.fromCharCode(bytes[0]!);
    case 2:
      return String.fromCharCode(bytes[0]!, bytes[1]!);
    case 3:
      return String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!);
    case 4:
      return String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!);
    case 5:
      return String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!, bytes[4]!);
    case 6:
      return String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!, bytes[4]!, bytes[5]!);
    default:
      return bytes.toString('latin1', 0, length);
  }
}
