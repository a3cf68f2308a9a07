/**
 * Serial ports, the default scheme: any path no other scheme claims (`/dev/ttyUSB0`,
 * `/dev/serial/by-id/…`, `COM3`). Opened with the platform's serial driver
 * (`@serialport/bindings-cpp`, loaded only once a real port is asked for); present while the
 * path names the same device node; one owner per device node, whatever name reaches it.
 */

import { realpathSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { autoDetect } from '@serialport/bindings-cpp';
import type { BindingInterface } from '@serialport/bindings-interface';
import { setDefaultScheme, type PathScheme } from './schemes';

let platform: BindingInterface | undefined;

/** The platform's serial driver (it also lists the ports). */
export function platformBinding(): BindingInterface {
  // autoDetect loads the native module: only once a real port is asked for.
  platform ??= autoDetect();
  return platform;
}

export const serialScheme: PathScheme = {
  name: 'serial',
  example: '/dev/serial/by-id/…',
  matches: () => true,
  binding: () => platformBinding(),
  /**
   * The device node the path resolves to (inode and device number), null once it is gone. An
   * unplugged USB cable's /dev/ttyUSB0 and by-id link disappear; a replugged one is a new node.
   */
  presence: async (path) => {
    try {
      const s = await stat(path);
      return `${s.dev}:${s.ino}:${s.rdev}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  },
  key: (path) => {
    try {
      return realpathSync(path);
    } catch {
      // Unplugged right now: compare by the absolute name.
      return resolvePath(path);
    }
  },
  list: () => platformBinding().list(),
};

setDefaultScheme(serialScheme);
