/**
 * The path-scheme table: what kind of port a path names, and everything the link needs to
 * know about that kind — the serialport binding that opens it, whether the device is still
 * there, the key under which the registry keeps one owner per device, and how to list the
 * ports of that kind. A new transport is one scheme, registered once, not an edit in every
 * module that handles paths.
 *
 * Serial paths (`/dev/ttyUSB0`, `/dev/serial/by-id/…`, `COM3`) are the default: a path no
 * registered scheme claims is a serial port, unless it starts like a URL or a prefix
 * (`udp://…`, `foo:bar`) that nobody knows — that is refused with a clear message rather than
 * looked for as a file. `tcp://` lives in this layer; `sim:` is registered by the simulator
 * (lib/sim), so the link layer never depends on it.
 *
 * Use the table through port-factory.ts, which loads this layer's schemes (serial, tcp); this
 * module alone knows none.
 */

import type { BindingInterface, PortInfo } from '@serialport/bindings-interface';
import { VeError } from '../errors';
import type { PresenceCheck } from './connection';

export type { PresenceCheck } from './connection';

export interface PathScheme {
  /** Short name for messages and discovery (`serial`, `tcp`, `sim`). */
  readonly name: string;
  /** How a path of this kind looks, for messages ("tcp://host:port"). */
  readonly example: string;
  /** Whether `path` is of this kind. */
  matches(path: string): boolean;
  /** Why `path` (of this kind) cannot be used, or null when it can. */
  validate?(path: string): string | null;
  /** The binding that opens `path`. */
  binding(path: string): BindingInterface;
  /**
   * Polled while open when the transport may go away without saying so (a pty whose other end
   * left). Absent: the stream itself reports a loss (a socket closes), silence does the rest.
   */
  readonly presence?: PresenceCheck;
  /** The device `path` names, as the registry compares them (`/dev/ttyUSB0` = its by-id link). */
  key(path: string): string;
  /** The ports of this kind a user can pick, if it can list them. */
  list?(): Promise<PortInfo[]>;
}

const schemes: PathScheme[] = [];
let fallback: PathScheme | undefined;

/** Add a scheme (idempotent by name: a module loaded twice does not register twice). */
export function registerScheme(scheme: PathScheme): void {
  const index = schemes.findIndex((s) => s.name === scheme.name);
  if (index >= 0) schemes[index] = scheme;
  else schemes.push(scheme);
}

/** The scheme for paths no other scheme claims (serial). Set once by the serial scheme. */
export function setDefaultScheme(scheme: PathScheme): void {
  fallback = scheme;
}

/** The registered schemes, default last. */
export function listSchemes(): readonly PathScheme[] {
  return fallback ? [...schemes, fallback] : [...schemes];
}

/** `udp://x`, `foo:bar` — but not `C:\…` or `COM3`. */
const PREFIXED = /^([a-z][a-z0-9+.-]+):/i;

/**
 * The scheme of `path`. Throws VE_BAD_INPUT for a path with a prefix no scheme knows
 * (`udp://…`, or `sim:…` where the simulator is not loaded) and for a malformed path of a
 * known kind (`tcp://host` without a port).
 */
export function schemeFor(path: string): PathScheme {
  const scheme = schemes.find((s) => s.matches(path));
  if (scheme) {
    const problem = scheme.validate?.(path) ?? null;
    if (problem !== null) {
      throw new VeError('VE_BAD_INPUT', `${path}: ${problem} (expected ${scheme.example})`, { path, scheme: scheme.name, reason: problem, reasonKey: 'bad-path' });
    }
    return scheme;
  }
  const prefix = PREFIXED.exec(path)?.[1];
  if (prefix !== undefined || !fallback) {
    const known = listSchemes().map((s) => s.example).join(', ');
    const reason = `unknown kind of port${prefix !== undefined ? ` "${prefix}:"` : ''}`;
    throw new VeError('VE_BAD_INPUT', `${path}: ${reason}; use ${known}`, { path, reason, reasonKey: 'bad-path' });
  }
  return fallback;
}

/** The registry key of `path`; a path no scheme accepts is its own key. */
export function deviceKey(path: string): string {
  try {
    return schemeFor(path).key(path);
  } catch {
    return path;
  }
}

/** Why `path` cannot be used, or null (for editors and the CLI: check before opening). */
export function pathProblem(path: string): string | null {
  try {
    schemeFor(path);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
