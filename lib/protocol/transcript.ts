/**
 * Transcripts: a plain-text record of one VE.Direct conversation, one item per line, so a
 * field report can become a test fixture and a test can replay a real device.
 *
 *   > FRAME     host → device (FRAME is sent followed by "\n")
 *   < FRAME     device → host (FRAME was received followed by "\n")
 *   <~ BYTES    other bytes received (Text blocks, noise), C-escaped: \r \n \t \\ \xHH
 *   # text      comment; after a frame, four spaces and `#` start an inline comment
 */

export type TranscriptItem =
  | { readonly kind: 'sent'; readonly frame: string; readonly comment?: string }
  | { readonly kind: 'received'; readonly frame: string; readonly comment?: string }
  | { readonly kind: 'received-bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'comment'; readonly text: string };

/** Whether a text looks like a transcript (it starts with one of the line markers). */
export function isTranscript(text: string): boolean {
  const first = text.split('\n').find((line) => line.trim() !== '');
  return first !== undefined && /^(#|> |< |<~ )/.test(first);
}

function splitComment(rest: string): { frame: string; comment?: string } {
  const at = rest.indexOf('    #');
  if (at < 0) return { frame: rest.trim() };
  return { frame: rest.slice(0, at).trim(), comment: rest.slice(at + 5).trim() };
}

export function parseTranscript(text: string): TranscriptItem[] {
  const items: TranscriptItem[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('<~ ')) {
      items.push({ kind: 'received-bytes', bytes: unescapeBytes(line.slice(3)) });
    } else if (line.startsWith('> ') || line.startsWith('< ')) {
      const { frame, comment } = splitComment(line.slice(2));
      const kind = line[0] === '>' ? 'sent' : 'received';
      items.push(comment === undefined ? { kind, frame } : { kind, frame, comment });
    } else if (line.startsWith('#')) {
      items.push({ kind: 'comment', text: line.slice(1).trim() });
    }
  }
  return items;
}

/** The bytes the host received, in order: received frames (each + "\n") and raw bytes. */
export function receivedBytes(items: readonly TranscriptItem[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const item of items) {
    if (item.kind === 'received') parts.push(Buffer.from(item.frame + '\n', 'latin1'));
    else if (item.kind === 'received-bytes') parts.push(item.bytes);
  }
  return Buffer.concat(parts);
}

/** Decode the C escapes of a `<~` line: \r \n \t \\ \xHH; everything else is literal. */
export function unescapeBytes(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x5c || i + 1 >= text.length) {
      out.push(c & 0xff);
      continue;
    }
    const next = text[i + 1];
    if (next === 'r') out.push(0x0d);
    else if (next === 'n') out.push(0x0a);
    else if (next === 't') out.push(0x09);
    else if (next === '\\') out.push(0x5c);
    else if (next === 'x' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 2, i + 4))) {
      out.push(parseInt(text.slice(i + 2, i + 4), 16));
      i += 2;
    } else {
      out.push(0x5c);
      continue;
    }
    i++;
  }
  return Uint8Array.from(out);
}

/** The inverse of unescapeBytes: printable ASCII stays, the rest is escaped. */
export function escapeBytes(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) {
    if (b === 0x0d) s += '\\r';
    else if (b === 0x0a) s += '\\n';
    else if (b === 0x09) s += '\\t';
    else if (b === 0x5c) s += '\\\\';
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += '\\x' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return s;
}

export function formatTranscriptItem(item: TranscriptItem): string {
  switch (item.kind) {
    case 'sent':
    case 'received':
      return `${item.kind === 'sent' ? '>' : '<'} ${item.frame}${item.comment ? `    # ${item.comment}` : ''}`;
    case 'received-bytes':
      return `<~ ${escapeBytes(item.bytes)}`;
    case 'comment':
      return `# ${item.text}`;
  }
}
