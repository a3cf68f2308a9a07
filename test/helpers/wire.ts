/** Building VE.Direct wire bytes for tests: Text blocks with their checksum, HEX frames. */

import type { TextBlockEvent } from '../../lib/protocol/framer';

/** The wire image of a Text block with the checksum byte that makes it sum to 0. */
export function textBlock(fields: Readonly<Record<string, string>>): Buffer {
  const body = Object.entries(fields)
    .map(([label, value]) => `\r\n${label}\t${value}`)
    .join('');
  const bytes = Buffer.from(`${body}\r\nChecksum\t`, 'latin1');
  let sum = 0;
  for (const b of bytes) sum += b;
  return Buffer.concat([bytes, Buffer.from([(256 - (sum & 0xff)) & 0xff])]);
}

/** Recompute, from what the framer emitted, that the block's bytes sum to 0 mod 256. */
export function blockSumsToZero(event: TextBlockEvent): boolean {
  const bytes = Buffer.from(
    Object.entries(event.fields)
      .map(([label, value]) => `\r\n${label}\t${value}`)
      .join('') + '\r\nChecksum\t',
    'latin1',
  );
  let sum = event.checksum;
  for (const b of bytes) sum += b;
  return (sum & 0xff) === 0;
}

export const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');
