/**
 * Devices on the device end of a pty pair, in the test process, over the real serialport
 * bindings: a transcript replay (delays included, for late replies) or a simulated device.
 */

import { autoDetect } from '@serialport/bindings-cpp';
import type { SerialPortStream } from '@serialport/stream';
import { streamWithBinding } from '../../lib/link/serial-stream';
import type { SimDevice } from '../../lib/sim/device';
import type { ReplayDevice } from './replay-device';

export class PtyReplayDevice {
  private stream: SerialPortStream | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly path: string,
    readonly replay: ReplayDevice,
  ) {}

  async start(): Promise<void> {
    const stream = streamWithBinding(this.path, autoDetect());
    // The other end closing gives EIO here; a device does not care.
    stream.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => stream.open((err) => (err ? reject(err) : resolve())));
    stream.on('data', (bytes: Buffer) => {
      for (const chunk of this.replay.hostWrote(bytes)) {
        if (chunk.delayMs === 0) this.send(chunk.bytes);
        else {
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            this.send(chunk.bytes);
          }, chunk.delayMs);
          this.timers.add(timer);
        }
      }
    });
    this.stream = stream;
    if (this.replay.preamble.length > 0) this.send(this.replay.preamble);
  }

  send(bytes: Uint8Array): void {
    if (this.stream?.isOpen) this.stream.write(Buffer.from(bytes));
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const stream = this.stream;
    this.stream = undefined;
    if (stream?.isOpen) await new Promise<void>((resolve) => stream.close(() => resolve()));
  }
}

/**
 * A simulated device (lib/sim) on the device end of a pty pair, in the test process, so a
 * test can read what it sent and what it injected while the host talks to it through the real
 * serial stack. Nothing reaches the line until `connect()`.
 */
export class PtySimDevice {
  private stream: SerialPortStream | undefined;
  private detach: (() => void) | undefined;

  constructor(
    readonly path: string,
    readonly device: SimDevice,
  ) {}

  async start(): Promise<void> {
    const stream = streamWithBinding(this.path, autoDetect());
    stream.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => stream.open((err) => (err ? reject(err) : resolve())));
    stream.on('data', (bytes: Buffer) => this.device.receive(Uint8Array.from(bytes)));
    this.stream = stream;
  }

  /** Put the device on the line. */
  connect(): void {
    this.detach = this.device.connect((bytes) => {
      if (this.stream?.isOpen) this.stream.write(Buffer.from(bytes));
    });
  }

  /** Take the device off the line (it keeps running, unheard). */
  disconnect(): void {
    this.detach?.();
    this.detach = undefined;
  }

  async stop(): Promise<void> {
    this.disconnect();
    this.device.dispose();
    const stream = this.stream;
    this.stream = undefined;
    if (stream?.isOpen) await new Promise<void>((resolve) => stream.close(() => resolve()));
  }
}
