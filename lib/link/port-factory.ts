/**
 * Port factory: the serial stream for a path, with the right binding — the simulator's for
 * `sim:<device>` paths, the platform's serial driver (`@serialport/bindings-cpp`) for every
 * other path. The factory is a parameter of the link, so tests hand in their own.
 */

import { stat } from 'node:fs/promises';
import { autoDetect } from '@serialport/bindings-cpp';
import type { BindingInterface } from '@serialport/bindings-interface';
import { isSimPath, simBinding } from '../sim/binding';
import { streamWithBinding, type PortFactory } from './serial-stream';

import type { PresenceCheck } from './connection';

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

/**
 * The presence check for paths of the default factory: the device node the path resolves to
 * (inode and device number), null once it is gone. An unplugged USB cable's /dev/ttyUSB0 and
 * by-id link disappear; a replugged one is a new node. Simulated devices are always present.
 */
export const pathPresence: PresenceCheck = async (path) => {
  if (isSimPath(path)) return 'sim';
  try {
    const s = await stat(path);
    return `${s.dev}:${s.ino}:${s.rdev}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
};
