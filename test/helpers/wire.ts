/** Building VE.Direct wire bytes for tests: Text blocks with their checksum, HEX frames. */

import type { TextBlockEvent } from '../../lib/protocol/framer';
import { encodeTextBlock } from '../../lib/sim/text-block';

/** The wire image of a Text block with the checksum byte that makes it sum to 0 (the simulator's encoder). */
export function textBlock(fields: Readonly<Record<string, string>>): Buffer {
  return Buffer.from(encodeTextBlock(fields));
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
