/**
 * Failures as a node reports them: a VeError whose `code` and `details` are the link's (the
 * code reaches a Catch node as `msg.error.code`) and whose message comes from the node's own
 * message catalogue — a text per code where the node has one (`<type>.errors.<CODE>`), else
 * the catalogue's generic `<type>.errors.failed` around the link's explanation. The link's
 * error stays attached as `cause`.
 */

import type { NodeAPI } from 'node-red';
import { VeError, cutInput, isVeError, type VeErrorCode } from '../../lib/errors';
import type { PortConfigNode } from './types';

/** Message parameters a catalogue text may use: `__what__`, `__value__`, `__min__`, … */
export type ErrorParams = Record<string, string | number>;

/** Errors whose message already comes from a node catalogue. */
const translated = new WeakSet<Error>();

function mark<E extends Error>(err: E): E {
  translated.add(err);
  return err;
}

function param(value: unknown): string | number | undefined {
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (value === null) return 'null';
  return undefined;
}

/** Parameters that may hold what a user typed or sent: cut, so a message stays readable. */
const INPUT_PARAMS = ['what', 'value', 'type'] as const;

function cutParams(params: ErrorParams): ErrorParams {
  const out: ErrorParams = { ...params };
  for (const key of INPUT_PARAMS) {
    const v = out[key];
    if (typeof v === 'string') out[key] = cutInput(v);
  }
  return out;
}

/** The facts of a link error that catalogue texts can show. */
function paramsOf(err: VeError): ErrorParams {
  const d = err.details;
  const out: ErrorParams = { message: err.message };
  for (const key of ['value', 'min', 'max', 'unit', 'clamped', 'echoedValue', 'sent', 'echoed', 'raw']) {
    const v = param(d[key]);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/**
 * The error for `done(err)`: `what` names the thing that failed ("batteryVoltage (0xED8D)"),
 * `texts` the codes the node's catalogue has a text for. Errors other than VeError (bugs) go
 * out as they are.
 */
export function nodeError(RED: NodeAPI, type: string, err: unknown, what: string, texts: ReadonlySet<VeErrorCode>, extra: ErrorParams = {}): Error {
  if (err instanceof Error && translated.has(err)) return err;
  if (!isVeError(err)) return err instanceof Error ? err : new Error(String(err));
  const params = cutParams({ what, ...paramsOf(err), ...extra });
  const message = texts.has(err.code) ? RED._(`${type}.errors.${err.code}`, params) : RED._(`${type}.errors.failed`, params);
  const out = new VeError(err.code, message, { ...err.details });
  Object.defineProperty(out, 'cause', { value: err, enumerable: false, writable: true, configurable: true });
  return mark(out);
}

/**
 * A failure the node itself decides (bad input, rate limit), translated at once. Also for a
 * translated error wrapped with more context (`readback-failed`).
 */
export function ownError(RED: NodeAPI, type: string, code: VeErrorCode, key: string, params: ErrorParams = {}, details: Record<string, unknown> = {}): VeError {
  return mark(new VeError(code, RED._(`${type}.errors.${key}`, cutParams(params)), details));
}

/**
 * Why a node has no port to talk to: no config node selected, or the config node could not
 * take the path (another port node owns it: VE_PORT_BUSY).
 */
export function noPortError(RED: NodeAPI, type: string, portNode: PortConfigNode | null): VeError {
  const cause = portNode?.portError;
  if (cause) {
    return mark(
      new VeError(isVeError(cause) ? cause.code : 'VE_PORT_CLOSED', RED._(`${type}.errors.port-unusable`, { message: cause.message }), {
        ...(isVeError(cause) ? cause.details : {}),
        reason: 'port-unusable',
      }),
    );
  }
  return mark(new VeError('VE_PORT_CLOSED', RED._(`${type}.errors.no-port`), { reason: 'no-port' }));
}
