/**
 * `tcp://host:port`: a VE.Direct line relayed over TCP by a serial-to-network bridge (ser2net,
 * esp-link, an ESP32/ESP8266 VE.Direct bridge). A serialport binding over `net.Socket`, so
 * everything above it is the real stack — SerialPortStream, the framer, the HEX client,
 * reconnect with the serial back-off, silence detection.
 *
 * What the binding adds for a network link:
 * - a connect timeout (a host that drops SYNs would otherwise hold an open for minutes);
 * - TCP keep-alive, so a relay that vanished (power cut, Wi-Fi gone) is noticed even when
 *   the device is quiet; the link's silence check (no valid unit for 15 s) reopens too;
 * - no Nagle delay: a HEX request is one small frame and should leave at once.
 * The line settings (19200 8N1) are the relay's business: baud-rate changes are accepted and
 * ignored here.
 *
 * The connection ending (the relay restarted, a reset) fails the pending read with an error,
 * which SerialPortStream reports as a disconnect: the link then reconnects as after an unplug.
 */

import { connect, isIP, type Socket } from 'node:net';
import type { BindingInterface, BindingPortInterface, OpenOptions, PortInfo, PortStatus } from '@serialport/bindings-interface';
import { registerScheme, type PathScheme } from './schemes';

export const TCP_PREFIX = 'tcp://';
/** Longest wait for the TCP handshake. */
export const TCP_CONNECT_TIMEOUT_MS = 5000;
/** Idle time before the first keep-alive probe (the OS sends a few more, then gives up). */
export const TCP_KEEPALIVE_MS = 5000;

export interface TcpAddress {
  /** Host name or address, without IPv6 brackets. */
  readonly host: string;
  readonly port: number;
  /** The registry key: `tcp://host:port`, host in lower case, IPv6 in brackets. */
  readonly canonical: string;
}

export function isTcpPath(path: string): boolean {
  return path.slice(0, TCP_PREFIX.length).toLowerCase() === TCP_PREFIX;
}

/** Parse `tcp://host:port` (IPv6: `tcp://[::1]:port`); throws RangeError saying what is wrong. */
export function parseTcpPath(path: string): TcpAddress {
  if (!isTcpPath(path)) throw new RangeError('not a tcp:// path');
  let url: URL;
  try {
    url = new URL(path.trim());
  } catch {
    throw new RangeError('not a valid address');
  }
  if (url.username || url.password) throw new RangeError('no user name or password in a tcp:// address');
  if ((url.pathname !== '' && url.pathname !== '/') || url.search || url.hash) throw new RangeError('only a host and a port after tcp://');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === '') throw new RangeError('no host');
  if (url.port === '') throw new RangeError('no port number');
  const port = Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError('port number outside 1–65535');
  return { host, port, canonical: `${TCP_PREFIX}${isIP(host) === 6 ? `[${host}]` : host}:${port}` };
}

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

/** One open TCP connection, shaped as a serial port. */
export class TcpPortBinding implements BindingPortInterface {
  readonly openOptions: Required<OpenOptions>;
  isOpen = true;
  private readonly socket: Socket;
  private readonly address: TcpAddress;
  private readonly received: Buffer[] = [];
  private pending: PendingRead | null = null;
  /** Why the connection ended, once it has (reads and writes fail with it). */
  private ended: Error | null = null;

  constructor(socket: Socket, address: TcpAddress, options: Required<OpenOptions>) {
    this.socket = socket;
    this.address = address;
    this.openOptions = options;
    socket.on('data', (chunk: Buffer) => this.fromRelay(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => this.end(connectionError(address, err)));
    socket.on('end', () => this.end(new Error(`connection closed by ${address.host}:${address.port} (relay stopped?)`)));
    socket.on('close', () => this.end(new Error(`connection to ${address.host}:${address.port} closed`)));
  }

  async read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    if (!this.isOpen) throw canceled('Port is not open');
    if (this.pending) throw new Error('A read is already pending');
    if (this.received.length > 0) return { buffer, bytesRead: this.take(buffer, offset, length) };
    if (this.ended) throw this.ended;
    return new Promise((resolve, reject) => {
      this.pending = { buffer, offset, length, resolve, reject };
    });
  }

  write(buffer: Buffer): Promise<void> {
    if (!this.isOpen) return Promise.reject(canceled('Port is not open'));
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      this.socket.write(buffer, (err) => (err ? reject(connectionError(this.address, err)) : resolve()));
    });
  }

  /** The relay owns the line settings: a baud-rate change is accepted and has no effect here. */
  async update(): Promise<void> {
    if (!this.isOpen) throw new Error('Port is not open');
  }

  async set(): Promise<void> {
    if (!this.isOpen) throw new Error('Port is not open');
  }

  async get(): Promise<PortStatus> {
    if (!this.isOpen) throw new Error('Port is not open');
    return { cts: true, dsr: true, dcd: !this.ended };
  }

  async getBaudRate(): Promise<{ baudRate: number }> {
    if (!this.isOpen) throw new Error('Port is not open');
    return { baudRate: this.openOptions.baudRate };
  }

  async flush(): Promise<void> {
    if (!this.isOpen) throw new Error('Port is not open');
    this.received.length = 0;
  }

  async drain(): Promise<void> {
    if (!this.isOpen) throw new Error('Port is not open');
    if (!this.socket.writableNeedDrain) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }

  async close(): Promise<void> {
    if (!this.isOpen) throw new Error('Port is not open');
    this.isOpen = false;
    this.received.length = 0;
    const pending = this.pending;
    this.pending = null;
    pending?.reject(canceled('Port closed'));
    if (this.socket.destroyed) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.destroy();
    });
  }

  private fromRelay(chunk: Buffer): void {
    if (!this.isOpen) return;
    this.received.push(chunk);
    const pending = this.pending;
    if (pending) {
      this.pending = null;
      pending.resolve({ buffer: pending.buffer, bytesRead: this.take(pending.buffer, pending.offset, pending.length) });
    }
  }

  private end(err: Error): void {
    if (this.ended) return;
    this.ended = err;
    const pending = this.pending;
    // Bytes still buffered are read first; the read after them fails.
    if (pending && this.received.length === 0) {
      this.pending = null;
      pending.reject(err);
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

/** Socket errors in words the link's error texts map to a reason (serial-error.ts). */
function connectionError(address: TcpAddress, err: NodeJS.ErrnoException): Error {
  const where = `${address.host}:${address.port}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return new Error(`ECONNREFUSED: connection refused by ${where}`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new Error(`ENOTFOUND: host ${address.host} not found`);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new Error(`ETIMEDOUT: ${where} unreachable (${err.code})`);
    case 'ECONNRESET':
    case 'EPIPE':
      return new Error(`ECONNRESET: connection to ${where} reset`);
    default:
      return new Error(`${err.code ?? 'error'}: ${where}: ${err.message}`);
  }
}

export interface TcpBindingOptions {
  readonly connectTimeoutMs?: number;
  readonly keepAliveMs?: number;
}

export type TcpBinding = BindingInterface<TcpPortBinding, OpenOptions, PortInfo>;

export function createTcpBinding(options: TcpBindingOptions = {}): TcpBinding {
  const connectTimeoutMs = options.connectTimeoutMs ?? TCP_CONNECT_TIMEOUT_MS;
  const keepAliveMs = options.keepAliveMs ?? TCP_KEEPALIVE_MS;
  return {
    /** Relays cannot be discovered from here: the user names them. */
    list: () => Promise.resolve([]),
    open(openOptions: OpenOptions): Promise<TcpPortBinding> {
      let address: TcpAddress;
      try {
        address = parseTcpPath(openOptions.path);
      } catch (err) {
        return Promise.reject(new Error(`${openOptions.path}: ${(err as Error).message} (expected tcp://host:port)`));
      }
      return new Promise((resolve, reject) => {
        const socket = connect({ host: address.host, port: address.port, noDelay: true, keepAlive: true, keepAliveInitialDelay: keepAliveMs });
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new Error(`ETIMEDOUT: no answer from ${address.host}:${address.port} within ${Math.round(connectTimeoutMs / 100) / 10} s`));
        }, connectTimeoutMs);
        const failed = (err: NodeJS.ErrnoException): void => {
          clearTimeout(timer);
          socket.destroy();
          reject(connectionError(address, err));
        };
        socket.once('error', failed);
        socket.once('connect', () => {
          clearTimeout(timer);
          socket.off('error', failed);
          resolve(new TcpPortBinding(socket, address, withDefaults(openOptions)));
        });
      });
    },
  };
}

function withDefaults(options: OpenOptions): Required<OpenOptions> {
  return { dataBits: 8, lock: true, stopBits: 1, parity: 'none', rtscts: false, xon: false, xoff: false, xany: false, hupcl: true, ...options };
}

export const tcpBinding: TcpBinding = createTcpBinding();

export const tcpScheme: PathScheme = {
  name: 'tcp',
  example: 'tcp://host:port',
  matches: isTcpPath,
  validate: (path) => {
    try {
      parseTcpPath(path);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  },
  binding: () => tcpBinding,
  // No presence poll: a lost connection ends the socket, and a relay that keeps the socket
  // but delivers nothing is caught by the link's silence check.
  key: (path) => {
    try {
      return parseTcpPath(path).canonical;
    } catch {
      return path;
    }
  },
};

registerScheme(tcpScheme);
