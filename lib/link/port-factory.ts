/**
 * Port factory: the serial stream for a path, with the right binding — the simulator's for
 * `sim:<device>` paths, the platform's serial driver (`@serialport/bindings-cpp`) for every
 * other path. The factory is a parameter of the link, so tests hand in their own.
 */

import { autoDetect } from '@serialport/bindings-cpp';
import type { BindingInterface } from '@serialport/bindings-interface';
import { isSimPath, simBinding } from '../sim/binding';
import { streamWithBinding, type PortFactory } from './serial-stream';

export { VE_DIRECT_BAUD_RATE, streamWithBinding, type PortFactory } from './serial-stream';

let platform: BindingInterface | undefined;

/** The platform's serial driver (it also lists the ports). */
export function platformBinding(): BindingInterface {
  // autoDetect loads the native module: only once a real port is asked for.
  platform ??= autoDetect();
  return platform;
}

/** The binding for a path: the simulator for `sim:` paths, else the platform's serial driver. */
export function bindingFor(path: string): BindingInterface {
  return isSimPath(path) ? simBinding : platformBinding();
}

/** The default factory: a VE.Direct-configured stream for `path`, `autoOpen: false`. */
export const openSerial: PortFactory = (path) => streamWithBinding(path, bindingFor(path));
