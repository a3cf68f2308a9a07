/**
 * An in-memory serialport binding for link tests: the real SerialPortStream on top, a
 * scriptable device side below. Unlike @serialport/binding-mock it can fail an open, unplug
 * an open port (a read error, as a USB disconnect gives) and answer writes from a script.
 */

import type { BindingInterface, BindingPortInterface, OpenOptions, PortInfo, PortStatus } from '@serialport/bindings-interface';
import { streamWithBinding, type PortFactory } from '../../lib/link/serial-stream';

class CanceledError extends Error {
  readonly canceled = true;
}

/** The device end of one path. */
export class MemoryLine {
  /** False: opening fails as for a missing device. */
  present = true;
  /** When set, opening fails with this message. */
  openError: string | undefined;
  /** Everything the host wrote, in order. */
  readonly written: Buffer[] = [];
  /** Called with each write (a scripted device answers here). */
  onWrite: (bytes: Buffer) => void = () => undefined;
  opens = 0;
  port: MemoryPort | undefined;

  constructor(readonly path: string) {}

  /** What the host wrote, as text. */
  get writtenText(): string {
    return Buffer.concat(this.written).toString('latin1');
  }

  /** Send bytes to the host (dropped when no port is open). */
  emit(data: string | Uint8Array): void {
    this.port?.deliver(typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data));
  }

  /** Pull the plug: the open port's read fails as on a USB disconnect; opening fails after. */
  unplug(): void {
    this.present = false;
    this.port?.fail(new Error('Input/output error, EIO'));
  }

  replug(): void {
    this.present = true;
  }
}

export class MemoryPort implements BindingPortInterface {
  readonly openOptions: Required<OpenOptions>;
  isOpen = true;
  private buffered: Buffer[] = [];
  private pendingRead: { buffer: Buffer; offset: number; length: number; resolve: (r: { buffer: Buffer; bytesRead: number }) => void; reject: (err: Error) => void } | undefined;

  constructor(
    private readonly line: MemoryLine,
    options: OpenOptions,
  ) {
    this.openOptions = { dataBits: 8, lock: true, stopBits: 1, parity: 'none', rtscts: false, xon: false, xoff: false, xany: false, hupcl: true, ...options } as Required<OpenOptions>;
  }

  deliver(data: Buffer): void {
    // A read of 0 bytes would end the stream (serialport takes it for end of file).
    if (!this.isOpen || data.length === 0) return;
    this.buffered.push(data);
    this.serve();
  }

  fail(err: Error): void {
    const pending = this.pendingRead;
    this.pendingRead = undefined;
    pending?.reject(err);
  }

  private serve(): void {
    const pending = this.pendingRead;
    if (!pending || this.buffered.length === 0) return;
    const all = Buffer.concat(this.buffered);
    const n = Math.min(all.length, pending.length);
    all.copy(pending.buffer, pending.offset, 0, n);
    this.buffered = n < all.length ? [all.subarray(n)] : [];
    this.pendingRead = undefined;
    pending.resolve({ buffer: pending.buffer, bytesRead: n });
  }

  async close(): Promise<void> {
    if (!this.isOpen) throw new Error('Port is not open');
    this.isOpen = false;
    if (this.line.port === this) this.line.port = undefined;
    this.fail(new CanceledError('port closed'));
  }

  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    if (!this.isOpen) return Promise.reject(new CanceledError('Port is not open'));
    return new Promise((resolve, reject) => {
      this.pendingRead = { buffer, offset, length, resolve, reject };
      this.serve();
    });
  }

  async write(buffer: Buffer): Promise<void> {
    if (!this.isOpen) throw new CanceledError('Port is not open');
    const copy = Buffer.from(buffer);
    this.line.written.push(copy);
    this.line.onWrite(copy);
  }

  async update(): Promise<void> {}
  async set(): Promise<void> {}
  async get(): Promise<PortStatus> {
    return { cts: false, dsr: false, dcd: false };
  }
  async getBaudRate(): Promise<{ baudRate: number }> {
    return { baudRate: this.openOptions.baudRate };
  }
  async flush(): Promise<void> {}
  async drain(): Promise<void> {}
}

export class MemoryBinding implements BindingInterface<MemoryPort> {
  readonly lines = new Map<string, MemoryLine>();

  line(path: string): MemoryLine {
    let line = this.lines.get(path);
    if (!line) {
      line = new MemoryLine(path);
      this.lines.set(path, line);
    }
    return line;
  }

  async list(): Promise<PortInfo[]> {
    return [...this.lines.values()]
      .filter((l) => l.present)
      .map((l) => ({ path: l.path, manufacturer: undefined, serialNumber: undefined, pnpId: undefined, locationId: undefined, productId: undefined, vendorId: undefined }));
  }

  async open(options: OpenOptions): Promise<MemoryPort> {
    const line = this.lines.get(options.path);
    if (!line || !line.present) throw new Error(`Error: No such file or directory, cannot open ${options.path}`);
    if (line.openError) throw new Error(line.openError);
    line.opens++;
    const port = new MemoryPort(line, options);
    line.port = port;
    return port;
  }

  /** A PortFactory over this binding. */
  factory(): PortFactory {
    return (path) => streamWithBinding(path, this);
  }
}

/** Let promise callbacks and stream events run (the binding and the stream are asynchronous). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
