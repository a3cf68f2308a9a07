/**
 * A device that replays a transcript (captures format: `> sent`, `< received`, `<~ bytes`):
 * each request the host writes is answered with the items that followed that request in the
 * transcript — async frames and Text blocks before the reply included, as the real device sent
 * them. Items before the first request are the preamble (sent when the host connects).
 *
 * A request that occurs several times in the transcript gets its answers in order; once they
 * are used up the last one is repeated (a retry gets the same answer). A request the
 * transcript does not hold is recorded as unexpected and answered as a real device would
 * answer a register it does not have (Get/Set: flags 0x01 unknown id), or not at all.
 * `unheard()` lists scripted requests that never came, so a test can fail on them.
 */

import { Command, encodeFrame, parseFrame, registerPayload } from '../../lib/protocol/hex-codec';
import type { TranscriptItem } from '../../lib/protocol/transcript';

export interface ReplayChunk {
  readonly bytes: Buffer;
  /** Send this long after the request (0: at once). */
  readonly delayMs: number;
}

export interface ReplayOptions {
  /** Unscripted Get/Set requests: answer "unknown id" (default) or stay silent. */
  readonly unscripted?: 'unknown-id' | 'silent';
  /** Hold the answers to these requests back this long (a late reply). */
  readonly delays?: ReadonlyMap<string, number>;
}

export class ReplayDevice {
  /** Bytes the device sends before any request. */
  readonly preamble: Buffer;
  /** Every frame the host sent, in order. */
  readonly heard: string[] = [];
  /** Frames the host sent that the transcript does not hold. */
  readonly unexpected: string[] = [];
  private readonly answers = new Map<string, Buffer[]>();
  private readonly used = new Map<string, number>();
  private readonly options: ReplayOptions;
  private pending = '';

  constructor(items: readonly TranscriptItem[], options: ReplayOptions = {}) {
    this.options = options;
    const preamble: Buffer[] = [];
    let request: { frame: string; parts: Buffer[] } | undefined;
    const finish = (): void => {
      if (!request) return;
      const list = this.answers.get(request.frame) ?? [];
      list.push(Buffer.concat(request.parts));
      this.answers.set(request.frame, list);
    };
    for (const item of items) {
      if (item.kind === 'sent') {
        finish();
        request = { frame: item.frame, parts: [] };
        continue;
      }
      const bytes = item.kind === 'received' ? Buffer.from(item.frame + '\n', 'latin1') : item.kind === 'received-bytes' ? Buffer.from(item.bytes) : undefined;
      if (bytes !== undefined) (request?.parts ?? preamble).push(bytes);
    }
    finish();
    this.preamble = Buffer.concat(preamble);
  }

  /** Feed bytes the host wrote; returns what the device sends back, with delays. */
  hostWrote(bytes: Uint8Array): ReplayChunk[] {
    this.pending += Buffer.from(bytes).toString('latin1');
    const out: ReplayChunk[] = [];
    let newline: number;
    while ((newline = this.pending.indexOf('\n')) >= 0) {
      const frame = this.pending.slice(0, newline).replace(/\r$/, '');
      this.pending = this.pending.slice(newline + 1);
      if (frame === '') continue;
      this.heard.push(frame);
      const answer = this.answer(frame);
      if (answer.length > 0) out.push({ bytes: answer, delayMs: this.options.delays?.get(frame) ?? 0 });
    }
    return out;
  }

  /** Scripted requests the host never sent. */
  unheard(): string[] {
    return [...this.answers.keys()].filter((frame) => !this.heard.includes(frame));
  }

  private answer(frame: string): Buffer {
    const list = this.answers.get(frame);
    if (list && list.length > 0) {
      const n = this.used.get(frame) ?? 0;
      this.used.set(frame, n + 1);
      return list[Math.min(n, list.length - 1)] ?? Buffer.alloc(0);
    }
    this.unexpected.push(frame);
    if (this.options.unscripted === 'silent') return Buffer.alloc(0);
    try {
      const request = parseFrame(frame);
      if ((request.command === Command.Get || request.command === Command.Set) && request.payload.length >= 2) {
        const register = (request.payload[0] ?? 0) | ((request.payload[1] ?? 0) << 8);
        return Buffer.from(encodeFrame(request.command, registerPayload(register, 0x01)) + '\n', 'latin1');
      }
    } catch {
      // Not a valid frame: a real device answers those with :4AAAAFD, but nothing here sends them.
    }
    return Buffer.alloc(0);
  }
}
