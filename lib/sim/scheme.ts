/**
 * `sim:<device>[#<instance>]` paths as a scheme of the link's path table: opened with the
 * simulator's binding, listed with the simulated devices, always present, keyed by the
 * canonical name (`sim:SmartShunt` and `sim:smartshunt` are one device). The simulator adds
 * itself to the table when this module loads; the link layer does not know it exists.
 */

import { registerScheme, type PathScheme } from '../link/schemes';
import { simBinding } from './binding';
import { isSimPath, parseSimPath } from './registry';

export const simScheme: PathScheme = {
  name: 'sim',
  example: 'sim:<device>',
  matches: isSimPath,
  validate: (path) => {
    try {
      parseSimPath(path);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  },
  binding: () => simBinding,
  key: (path) => {
    try {
      return parseSimPath(path).canonical;
    } catch {
      return path;
    }
  },
  list: () => simBinding.list(),
};

registerScheme(simScheme);
