/**
 * Serial errors in words a user can act on. The platform binding reports failures as bare
 * messages ("Error: No such file or directory, cannot open /dev/ttyUSB0"), without an errno
 * code, so the message text is what there is to go by.
 */

import { VeError, isVeError } from '../errors';

/** Why a connection is not (or no longer) up. */
export type LinkFailure = 'open-failed' | 'lost' | 'silence';

/**
 * The reason as a stable key (for translated badge texts); `reason` in the error details is
 * the English text.
 */
export type LinkReasonKey =
  | 'not-found'
  | 'permission-denied'
  | 'in-use'
  | 'disconnected'
  | 'no-data'
  | 'bootloader'
  | 'refused'
  | 'unreachable'
  | 'unknown-host'
  | 'bad-path'
  | 'other';

const RULES: ReadonlyArray<{ test: RegExp; text: string; key: LinkReasonKey }> = [
  // Network relays (tcp://): the binding's messages start with the socket error code.
  { test: /^ECONNREFUSED/, text: 'connection refused', key: 'refused' },
  { test: /^ETIMEDOUT/, text: 'relay unreachable (no answer)', key: 'unreachable' },
  { test: /^ENOTFOUND/, text: 'relay host not found', key: 'unknown-host' },
  { test: /^ECONNRESET|^connection (closed by|to) /, text: 'relay connection lost', key: 'disconnected' },
  { test: /ENOENT|No such file or directory|does not exist/i, text: 'port not found (unplugged?)', key: 'not-found' },
  { test: /EACCES|Permission denied/i, text: 'permission denied (is the user in the dialout group?)', key: 'permission-denied' },
  { test: /Cannot lock port|Resource temporarily unavailable|EBUSY|EAGAIN/i, text: 'port in use by another program', key: 'in-use' },
  { test: /ENXIO|No such device|disconnected|EIO|Input\/output error|EBADF|bad file descriptor/i, text: 'device disconnected', key: 'disconnected' },
];

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message.replace(/^Error: /, '');
  return String(err);
}

/**
 * A VeError for a serial failure on `path`: VE_PORT_BUSY when another program holds the port,
 * else VE_PORT_CLOSED. `details.reason` is the short text (for a status badge),
 * `details.reasonKey` the same as a key, `details.cause` the original message.
 */
export function serialError(path: string, failure: LinkFailure, err: unknown): VeError {
  if (isVeError(err) && err.details.path === path) return err;
  const cause = messageOf(err);
  const rule = RULES.find((r) => r.test.test(cause));
  const reason = rule?.text ?? cause;
  const reasonKey: LinkReasonKey = rule?.key ?? 'other';
  const prefix = failure === 'open-failed' ? `cannot open ${path}` : `${path} lost`;
  return new VeError(reasonKey === 'in-use' ? 'VE_PORT_BUSY' : 'VE_PORT_CLOSED', `${prefix}: ${reason}`, { path, failure, reason, reasonKey, cause });
}

/** The error for a port that stopped delivering valid data. */
export function silenceError(path: string, silentMs: number): VeError {
  const reason = `no valid data for ${Math.round(silentMs / 1000)} s`;
  return new VeError('VE_PORT_CLOSED', `${path}: ${reason}; reopening`, { path, failure: 'silence', reason, reasonKey: 'no-data' satisfies LinkReasonKey });
}
