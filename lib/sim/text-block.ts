/**
 * Encodes Text-protocol blocks as a device sends them: `\r\n<label>\t<value>` records, then
 * `\r\nChecksum\t` and the one byte that makes the block sum to 0 mod 256 (VE.Direct Protocol
 * 3.33, "Message format" and "Data integrity"). The checksum byte can be any value, `\r`,
 * `\n`, `\t`, `:` and NUL included. Used by the simulator and by tests that build wire bytes.
 */

/** A block's records in wire order: label and value, both ASCII (latin1). */
export type TextRecords = ReadonlyArray<readonly [label: string, value: string]>;

function latin1Bytes(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'latin1'));
}

function toRecords(fields: TextRecords | Readonly<Record<string, string>>): TextRecords {
  return Array.isArray(fields) ? (fields as TextRecords) : Object.entries(fields);
}

/**
 * The block split where a device may pause between records: one segment per record
 * (`\r\nV\t12800`), the last one `\r\nChecksum\t<byte>`. Concatenated, they are the block.
 */
export function textBlockSegments(fields: TextRecords | Readonly<Record<string, string>>): Uint8Array[] {
  const segments = toRecords(fields).map(([label, value]) => latin1Bytes(`\r\n${label}\t${value}`));
  const tail = latin1Bytes('\r\nChecksum\t');
  let sum = 0;
  for (const segment of segments) for (const b of segment) sum += b;
  for (const b of tail) sum += b;
  const last = new Uint8Array(tail.length + 1);
  last.set(tail);
  last[tail.length] = (256 - (sum & 0xff)) & 0xff;
  segments.push(last);
  return segments;
}

/** The wire image of one block, checksum byte included. */
export function encodeTextBlock(fields: TextRecords | Readonly<Record<string, string>>): Uint8Array {
  return Buffer.concat(textBlockSegments(fields));
}
