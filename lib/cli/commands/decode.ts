/**
 * `ve-direct decode [FILE]`: raw VE.Direct bytes in (a file, a dump of a cable, a live serial
 * device, stdin), one JSON object per unit out. Streams: output appears as units complete.
 */

import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Readable, Writable } from 'node:stream';
import { Framer, FRAME_ERROR_KINDS, type FramerEvent } from '../../protocol/framer';
import { interpretResponse, toUpperHex, FRAME_ERROR_CODE, Response, type HexFrame } from '../../protocol/hex-codec';
import { findRegister, formatRegisterId } from '../../protocol/catalog/registers';
import { findProduct } from '../../protocol/catalog/products';
import { decodeRegisterValue, decodeTextBlock } from '../../protocol/value-codec';
import { isVeError } from '../../errors';
import { UsageError, type CliCommand, type CliIo } from '../command';

const HELP = `Usage: ve-direct decode [FILE] [--decoded] [--stats]

Decode raw VE.Direct traffic (Text blocks and HEX frames) into one JSON object per line.
Reads FILE, or standard input when FILE is omitted or "-". FILE may be a live serial device.

Use it to see what your device says: record a dump of your cable and decode it,
  stty -F /dev/ttyUSB0 19200 raw -echo && timeout 10 cat /dev/ttyUSB0 > dump.bin
  ve-direct decode dump.bin
or watch a simulated device live (two terminals, see README "Try it without hardware"):
  socat -d -d pty,raw,echo=0,link=/tmp/a pty,raw,echo=0,link=/tmp/b &
  ve-direct simulate smartshunt /tmp/b
  ve-direct decode < /tmp/a

Output, one line per unit, in the order received:
  {"type":"text","fields":{"PID":"0xA389","V":"12865",...}}
      a Text block whose checksum holds; raw values as sent (bytes >= 0x80 as latin1);
      the Checksum record is left out.
  {"type":"hex","command":7,"data":"F0ED009600","register":"0xEDF0","flags":0,"value":"9600"}
      a HEX frame whose checksum holds: command nibble, payload in uppercase hex without the
      checksum byte; for Get (7), Set (8) and Async (10) replies also the register id, the
      flags byte (1 unknown id, 2 not supported, 4 parameter error) and the value bytes as
      sent (little-endian).
  {"type":"error","error":"text-checksum","detail":"..."}
      a unit that was rejected and dropped: text-checksum, text-framing (a broken block,
      e.g. a corrupted record or a HEX frame broken inside it), hex-checksum, hex-framing;
      with --decoded also hex-value: a valid frame whose value does not fit its register
      (e.g. 6 bytes for a 4-byte register), printed with its "register" and "data".
Decoding always goes on with the rest of the input.
A block cut off at the end of the input is not reported. The first block of a dump usually
fails: recording started in the middle of it.

Options:
  --decoded   add scaled values with units from the catalogues ("decoded" for Text blocks;
              "name" and "decoded" for register replies; "firmware" for ping replies)
  --stats     print counters (units, rejects by kind, skipped bytes) to stderr at the end
  -h, --help  show this help

Exit status: 0 at the end of the input, 1 when the input cannot be read, 2 on usage errors.`;

/** The error kind of a valid frame whose value cannot be decoded (with --decoded). */
const VALUE_ERROR = 'hex-value';
const VALUE_ERROR_LINE = `{"type":"error","error":"${VALUE_ERROR}"`;

export interface DecodeOptions {
  readonly decoded: boolean;
}

/** One framer event as the JSON object `decode` prints. */
export function eventToJson(event: FramerEvent, options: DecodeOptions): Record<string, unknown> {
  switch (event.kind) {
    case 'text-block': {
      const out: Record<string, unknown> = { type: 'text', fields: event.fields };
      if (options.decoded) out.decoded = decodeTextBlock(event.fields);
      return out;
    }
    case 'hex-frame':
      return hexToJson(event, options);
    case 'frame-error':
      return { type: 'error', error: event.error, detail: event.detail };
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

function hexToJson(event: Extract<FramerEvent, { kind: 'hex-frame' }>, options: DecodeOptions): Record<string, unknown> {
  const { frame } = event;
  const out: Record<string, unknown> = { type: 'hex', command: frame.command, data: toUpperHex(frame.payload) };
  const response = interpretResponse(frame);
  switch (response.type) {
    case 'get':
    case 'set':
    case 'async': {
      out.register = formatRegisterId(response.register);
      out.flags = response.flags;
      // The value bytes follow the id and flags: their digits are the tail of "data".
      out.value = (out.data as string).slice(6);
      if (options.decoded) {
        const def = findRegister(response.register);
        if (def) out.name = def.name;
        if (response.flags === 0 || response.value.length > 0) {
          try {
            out.decoded = decodeRegisterValue(def, response.value);
          } catch (err) {
            // A valid frame whose value does not fit the register (6 bytes for an sn32): say so
            // and go on with the rest of the input.
            if (!isVeError(err)) throw err;
            const name = def ? ` (${def.name})` : '';
            return {
              type: 'error',
              error: VALUE_ERROR,
              detail: `value of ${out.register as string}${name} cannot be decoded: ${err.message}`,
              register: out.register,
              data: out.data,
            };
          }
        }
      }
      break;
    }
    case 'ping':
      if (options.decoded) out.firmware = response.firmware.text;
      break;
    case 'error':
      if (options.decoded) out.meaning = response.code === FRAME_ERROR_CODE ? 'the device could not parse a frame' : 'error';
      break;
    case 'done':
      if (options.decoded && response.data.length === 2) {
        const word = response.data[0]! | (response.data[1]! << 8);
        const product = findProduct(word);
        if (product) out.product = product.name;
      }
      break;
    case 'unknown-command':
    case 'malformed':
    case 'other':
      break;
  }
  return out;
}

/**
 * One unit as the line decode prints: exactly `JSON.stringify(eventToJson(event)) + '\n'`.
 * Without --decoded, the units of a busy link (HEX replies, plain blocks) are written
 * directly: a HEX unit holds only numbers and hex digits, and this is several times faster
 * than building the object and serializing it.
 */
export function eventLine(event: FramerEvent, options: DecodeOptions): string {
  if (!options.decoded) {
    if (event.kind === 'text-block') return `{"type":"text","fields":${JSON.stringify(event.fields)}}\n`;
    if (event.kind === 'hex-frame') return plainHexLine(event.frame);
  }
  return JSON.stringify(eventToJson(event, options)) + '\n';
}

/** The register replies hexToJson splits into id, flags and value (see interpretResponse). */
const REGISTER_REPLIES: ReadonlySet<number> = new Set([Response.Get, Response.Set, Response.Async]);

function plainHexLine(frame: HexFrame): string {
  const { command, payload } = frame;
  const data = toUpperHex(payload);
  let line = `{"type":"hex","command":${command},"data":"${data}"`;
  if (REGISTER_REPLIES.has(command) && payload.length >= 3) {
    // The id is little-endian: its digits are the first two bytes', swapped.
    line += `,"register":"0x${data.slice(2, 4)}${data.slice(0, 2)}","flags":${payload[2]!},"value":"${data.slice(6)}"`;
  }
  return line + '}\n';
}

/** Resolves when `out` can take more, or when waiting no longer makes sense (closed, aborted). */
function drained(out: Writable, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      out.off('error', done);
      stop.removeEventListener('abort', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
    out.on('error', done);
    stop.addEventListener('abort', done);
    if (stop.aborted) done();
  });
}

async function decodeStream(input: Readable, io: CliIo, options: DecodeOptions & { stats: boolean }): Promise<number> {
  const framer = new Framer();
  let valueErrors = 0;
  // A live device never ends: stop reading on Ctrl-C and still print the counters.
  const stop = new AbortController();
  void io.interrupted.then(() => {
    stop.abort();
    input.destroy();
  });
  try {
    for await (const chunk of input) {
      const bytes: Uint8Array = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : (chunk as Uint8Array);
      // One write per chunk read, not one per unit.
      let text = '';
      for (const event of framer.push(bytes)) {
        const line = eventLine(event, options);
        if (options.decoded && event.kind === 'hex-frame' && line.startsWith(VALUE_ERROR_LINE)) valueErrors++;
        text += line;
      }
      // A reader slower than the input (a pager, `| jq` on a big dump) must not make the
      // output pile up in memory: stop reading until it has caught up.
      if (text !== '' && !io.stdout.write(text) && !stop.signal.aborted) await drained(io.stdout, stop.signal);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return 0;
    io.stderr.write(`ve-direct decode: cannot read input: ${(err as Error).message}\n`);
    return 1;
  }
  if (options.stats) {
    const { stats } = framer;
    const rejects = FRAME_ERROR_KINDS.map((k) => `${k} ${stats.errors[k]}`).join(', ');
    const values = options.decoded ? `; values that could not be decoded: ${valueErrors}` : '';
    io.stderr.write(
      `${stats.bytes} bytes: ${stats.textBlocks} Text blocks, ${stats.hexFrames} HEX frames; rejected: ${rejects}; skipped bytes: ${stats.skippedBytes}${values}\n`,
    );
  }
  return 0;
}

export const decodeCommand: CliCommand = {
  name: 'decode',
  summary: 'decode raw VE.Direct bytes (file or stdin) into JSON lines',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: { decoded: { type: 'boolean' }, stats: { type: 'boolean' } },
    });
    if (positionals.length > 1) throw new UsageError('decode takes at most one FILE');
    const file = positionals[0];
    const input = file === undefined || file === '-' ? io.stdin : createReadStream(file);
    return decodeStream(input, io, { decoded: values.decoded === true, stats: values.stats === true });
  },
};
