/**
 * A serialport binding (@serialport/bindings-interface) whose ports are simulated devices:
 * opening `sim:<device>[#<instance>]` attaches to that device of the registry, reads return
 * what it sends, writes reach it. Everything above the binding — SerialPortStream, parsers,
 * the link layer — is the real code. Other paths are refused here; `scheme.ts` puts this
 * binding in the link's path-scheme table for `sim:` paths, the link picks others for the rest.
 *
 * Like a real cable: one opener at a time (a second gets the "Cannot lock port" error of
 * bindings-cpp), and a port opened at a baud rate other than VE.Direct's 19200 reads garbage
 * and is not understood by the device.
 */

import type { BindingInterface, BindingPortInterface, OpenOptions, PortInfo, PortStatus, SetOptions, UpdateOptions } from '@serialport/bindings-interface';
import type { SimDevice } from './device';
import { defaultSimRegistry, isSimPath, parseSimPath, type SimRegistry } from './registry';
import { describeSimDevice, SIM_DEVICES } from './catalogue';

export { isSimPath } from './registry';

const VE_DIRECT_BAUD = 19200;

interface CanceledError extends Error {
  canceled: true;
}

function canceled(message: string): CanceledError {
  return Object.assign(new Error(message), { canceled: true as const });
}

interface PendingRead {
  readonly buffer: Buffer;
  readonly offset: number;
  readonly length: number;
  readonly resolve: (result: { buffer: Buffer; bytesRead: number }) => void;
  readonly reject: (err: Error) => void;
}

/** What a UART at the wrong baud rate makes of a byte: something else, deterministically. */
function misread(byte: number): number {
  return ((byte * 167) ^ 0x5b) & 0xff;
}

export class SimPortBinding implements BindingPortInterface {
  readonly openOptions: Required<OpenOptions>;
  isOpen = true;
  /** The device behind this port. */
  readonly device: SimDevice;
  private readonly received: Buffer[] = [];
  private pending: PendingRead | null = null;
  private readonly detach: () => void;
  private baudRate: number;

  constructor(device: SimDevice, options: Required<OpenOptions>) {
    this.device = device;
    this.openOptions = options;
    this.baudRate = options.baudRate;
    this.detach = device.connect((bytes) => this.fromDevice(bytes));
  }

  async read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    if (!this.isOpen) throw canceled('Port is not open');
    if (this.pending) throw new Error('A read is already pending');
    if (this.received.length > 0) return { buffer, bytesRead: this.take(buffer, offset, length) };
    return new Promise((resolve, reject) => {
      this.pending = { buffer, offset, length, resolve, reject };
    });
  }

  async write(buffer: Buffer): Promise<void> {
    if (!this.isOpen) throw canceled('Port is not open');
    // At the wrong speed the device cannot make sense of the host's bytes.
    if (this.baudRate !== VE_DIRECT_BAUD) return;
    this.device.receive(Uint8Array.from(buffer));
  }

  async update(options: UpdateOptions): Promise<void> {
    if (!this.isOpen) throw new Error('Port is not open');
    this.baudRate = options.baudRate;
  }

  async set(_options: SetOptions): Promise<void> {
    if (!this.isOpen) throw new Error('Port is not open');
  }

  async get(): Promise<PortStatus> {
    if (!this.isOpen) throw new Error('Port is not open');
    return { cts: true, dsr: true, dcd: true };
  }

  async getBaudRate(): Promise<{ baudRate: number }> {
    if (!this.isOpen) throw new Error('Port is not open');
    return { baudRate: this.baudRate };
  }

  async flush(): Promise<void> {
    if (!this.isOpen) throw new Error('Port is not open');
    this.received.length = 0;
  }

  async drain(): Promise<void> {
    if (!this.isOpen) throw new Error('Port is not open');
  }

  async close(): Promise<void> {
    if (!this.isOpen) throw new Error('Port is not open');
    this.isOpen = false;
    this.detach();
    this.received.length = 0;
    const pending = this.pending;
    this.pending = null;
    pending?.reject(canceled('Port closed'));
  }

  private fromDevice(bytes: Uint8Array): void {
    if (!this.isOpen) return;
    const chunk = this.baudRate === VE_DIRECT_BAUD ? Buffer.from(bytes) : Buffer.from(Array.from(bytes, misread));
    this.received.push(chunk);
    const pending = this.pending;
    if (pending) {
      this.pending = null;
      pending.resolve({ buffer: pending.buffer, bytesRead: this.take(pending.buffer, pending.offset, pending.length) });
    }
  }

  private take(buffer: Buffer, offset: number, length: number): number {
    let copied = 0;
    while (copied < length && this.received.length > 0) {
      const head = this.received[0]!;
      const n = Math.min(head.length, length - copied);
      head.copy(buffer, offset + copied, 0, n);
      copied += n;
      if (n === head.length) this.received.shift();
      else this.received[0] = head.subarray(n);
    }
    return copied;
  }
}

function withDefaults(options: OpenOptions): Required<OpenOptions> {
  return {
    dataBits: 8,
    lock: true,
    stopBits: 1,
    parity: 'none',
    rtscts: false,
    xon: false,
    xoff: false,
    xany: false,
    hupcl: true,
    ...options,
  };
}

export type SimBinding = BindingInterface<SimPortBinding, OpenOptions, PortInfo>;

/** A binding over `registry` (default: the process-wide one, looked up at each open). */
export function createSimBinding(registry?: SimRegistry): SimBinding {
  const registryNow = (): SimRegistry => registry ?? defaultSimRegistry();
  return {
    async list(): Promise<PortInfo[]> {
      return SIM_DEVICES.map((spec) => ({
        path: `sim:${spec.name}`,
        manufacturer: 'Simulated VE.Direct device',
        serialNumber: undefined,
        pnpId: describeSimDevice(spec),
        locationId: undefined,
        productId: undefined,
        vendorId: undefined,
      }));
    },
    async open(options: OpenOptions): Promise<SimPortBinding> {
      if (!options || typeof options.path !== 'string') throw new TypeError('"path" is not a valid port');
      if (!isSimPath(options.path)) throw new Error(`Error: No such file or directory, cannot open ${options.path} with the simulator binding`);
      if (typeof options.baudRate !== 'number') throw new TypeError('"baudRate" is not a valid baudRate');
      const path = parseSimPath(options.path);
      const device = registryNow().get(path.canonical);
      if (device.connected) throw new Error('Error Resource temporarily unavailable Cannot lock port');
      return new SimPortBinding(device, withDefaults(options));
    },
  };
}

/** The binding for `sim:` paths, over the process-wide registry on the system clock. */
export const simBinding: SimBinding = createSimBinding();

export { getSimDevice, findSimDevice, resetSimDevices } from './registry';
