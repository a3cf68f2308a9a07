/**
 * Port factory: the stream for a path, opened with the binding of the path's scheme (serial,
 * `tcp://`, and whatever else is registered — `sim:` by the simulator). The factory is a
 * parameter of the link, so tests hand in their own.
 */

import type { BindingInterface } from '@serialport/bindings-interface';
import type { PresenceCheck } from './connection';
import { schemeFor } from './schemes';
import { streamWithBinding, type PortFactory } from './serial-stream';
// The schemes of this layer register themselves on load.
import './serial-scheme';
import './tcp-binding';

export { VE_DIRECT_BAUD_RATE, streamWithBinding, type PortFactory } from './serial-stream';
export { platformBinding } from './serial-scheme';
// The table, with this layer's schemes loaded: use it from here, not from schemes.ts.
export { deviceKey, listSchemes, pathProblem, registerScheme, schemeFor, type PathScheme } from './schemes';

/** The binding for a path; throws VE_BAD_INPUT for a path no scheme accepts. */
export function bindingFor(path: string): BindingInterface {
  return schemeFor(path).binding(path);
}

/** The default factory: a VE.Direct-configured stream for `path`, `autoOpen: false`. */
export const openSerial: PortFactory = (path) => streamWithBinding(path, bindingFor(path));

/** A token that never changes: the transport reports its own loss. */
const ALWAYS_PRESENT = 'present';

/**
 * The presence check for paths of the default factory, by scheme: a serial path is present
 * while it names the same device node; other kinds (a TCP relay, a simulator) report their
 * loss through the stream itself.
 */
export const pathPresence: PresenceCheck = async (path) => {
  const check = schemeFor(path).presence;
  return check ? check(path) : ALWAYS_PRESENT;
};
