/**
 * One device session for the `identify`, `get`, `set` and `monitor` commands: open the port
 * (a path or `sim:<device>`) on the link layer, wait until the device is identified, run the
 * command, close the port — also on Ctrl-C and on failure.
 */

import { VeError, isVeError, quoteInput } from '../errors';
import type { DeviceIdentity } from '../link/device';
import { silentLogger, type LinkLogger } from '../link/log';
import { VeDirectPort, type VeDirectPortOptions } from '../link/port';
import { pathProblem } from '../link/port-factory';
// `sim:<device>` paths: the simulator adds its scheme to the link's table.
import '../sim/scheme';
import type { CliIo } from './command';
import { UsageError } from './command';

export interface SessionOptions {
  /** How long to wait for the device to be identified. */
  readonly timeoutMs: number;
  /** Log the link's messages (opened, identified, reconnecting) to stderr. */
  readonly verbose: boolean;
  /** Link options (tests: a port factory; users: an expected serial). */
  readonly port?: VeDirectPortOptions;
}

export const DEFAULT_SESSION_TIMEOUT_MS = 10_000;

export function stderrLogger(io: CliIo, command: string): LinkLogger {
  return {
    info: (message) => io.stderr.write(`ve-direct ${command}: ${message}\n`),
    warn: (message) => io.stderr.write(`ve-direct ${command}: ${message}\n`),
  };
}

/** Parse `--timeout MS` (a UsageError for anything but a positive number). */
export function parseTimeout(text: string | undefined, fallback = DEFAULT_SESSION_TIMEOUT_MS): number {
  if (text === undefined) return fallback;
  const ms = Number(text);
  if (!Number.isFinite(ms) || ms <= 0) throw new UsageError(`--timeout must be a positive number of milliseconds, got ${quoteInput(text)}`);
  return ms;
}

/**
 * Open `path`, wait for the device's identity, run `fn`, and close the port whatever happens.
 * Rejects with the link's VeError (port not found, in use, no device, mismatch, …).
 */
export async function withPort<T>(
  path: string,
  io: CliIo,
  command: string,
  options: SessionOptions,
  fn: (port: VeDirectPort, identity: DeviceIdentity) => Promise<T>,
): Promise<T> {
  const problem = pathProblem(path);
  if (problem !== null) throw new UsageError(problem);
  // The link's timers do not hold the process open (they must not in a Node-RED runtime);
  // a command waiting on a device must.
  const keepAlive = setInterval(() => undefined, 60_000);
  const port = new VeDirectPort(path, { log: options.verbose ? stderrLogger(io, command) : silentLogger, ...options.port });
  port.open();
  try {
    const interrupted = io.interrupted.then(() => {
      throw new VeError('VE_PORT_CLOSED', 'interrupted', { path });
    });
    const identity = await Promise.race([port.ready({ timeoutMs: options.timeoutMs, failFast: true }), interrupted]);
    return await fn(port, identity);
  } finally {
    await port.close();
    clearInterval(keepAlive);
  }
}

/** Run `fn`; a register name the catalogue does not know is a usage mistake (exit 2). */
export function checkRegisterArgument<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (isVeError(err) && err.code === 'VE_UNKNOWN_REGISTER') throw new UsageError(`${err.message} (${err.code})`);
    throw err;
  }
}
