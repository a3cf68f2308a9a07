/**
 * `ve-direct decode [FILE]`: raw VE.Direct bytes in (a file, a dump of a cable, a live serial
 * device, stdin), one JSON object per unit out. Streams: output appears as units complete.
 */

import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Readable } from 'node:stream';
import { Framer, FRAME_ERROR_KINDS, type FramerEvent } from '../../protocol/framer';
import { interpretResponse, toUpperHex, FRAME_ERROR_CODE } from '../../protocol/hex-codec';
import { findRegister, formatRegisterId } from '../../protocol/catalog/registers';
import { findProduct } from '../../protocol/catalog/products';
import { decodeRegisterValue, decodeTextBlock } from '../../protocol/value-codec';
import { UsageError, writeJsonLine, type CliCommand, type CliIo } from '../command';

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
      e.g. a corrupted record or a HEX frame broken inside it), hex-checksum, hex-framing.
A block cut off at the end of the input is not reported. The first block of a dump usually
fails: recording started in the middle of it.

Options:
  --decoded   add scaled values with units from the catalogues ("decoded" for Text blocks;
              "name" and "decoded" for register replies; "firmware" for ping replies)
  --stats     print counters (units, rejects by kind, skipped bytes) to stderr at the end
  -h, --help  show this help

Exit status: 0 at the end of the input, 1 when the input cannot be read, 2 on usage errors.`;

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
      out.value = toUpperHex(response.value);
      if (options.decoded) {
        const def = findRegister(response.register);
        if (def) out.name = def.name;
        if (response.flags === 0 || response.value.length > 0) out.decoded = decodeRegisterValue(def, response.value);
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

async function decodeStream(input: Readable, io: CliIo, options: DecodeOptions & { stats: boolean }): Promise<number> {
  const framer = new Framer();
  // A live device never ends: stop reading on Ctrl-C and still print the counters.
  void io.interrupted.then(() => input.destroy());
  try {
    for await (const chunk of input) {
      const bytes: Uint8Array = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : (chunk as Uint8Array);
      for (const event of framer.push(bytes)) writeJsonLine(io.stdout, eventToJson(event, options));
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return 0;
    io.stderr.write(`ve-direct decode: cannot read input: ${(err as Error).message}\n`);
    return 1;
  }
  if (options.stats) {
    const { stats } = framer;
    const rejects = FRAME_ERROR_KINDS.map((k) => `${k} ${stats.errors[k]}`).join(', ');
    io.stderr.write(
      `${stats.bytes} bytes: ${stats.textBlocks} Text blocks, ${stats.hexFrames} HEX frames; rejected: ${rejects}; skipped bytes: ${stats.skippedBytes}\n`,
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
