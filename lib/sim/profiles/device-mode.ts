/**
 * The device mode register 0x0200 of inverters, AC chargers and DC-DC chargers: a setting the
 * device keeps across a restart (`context.settings`), which takes only the modes the product
 * has and refuses any other with flags 0x04 and the current mode, stored nowhere. Counted as
 * a flash write by the engine, as the catalogue marks 0x0200 `storage: 'flash'`.
 */

import { Flag } from '../../protocol/hex-codec';
import type { DeviceContext } from '../profile';
import { decodeRaw, encodeRaw, registerDef, type RegisterSlot, type SetOutcome } from '../register-map';

export const DEVICE_MODE = 0x0200;

/** The current mode of a device whose modes `modeSlot` keeps. */
export function currentMode(context: DeviceContext, initial: number): number {
  return context.settings.get(DEVICE_MODE) ?? initial;
}

export function modeSlot(context: DeviceContext, accepted: readonly number[], initial: number): RegisterSlot {
  const def = registerDef(DEVICE_MODE);
  const settings = context.settings;
  if (!settings.has(DEVICE_MODE)) settings.set(DEVICE_MODE, initial);
  const read = (): Uint8Array => encodeRaw(def, currentMode(context, initial));
  return {
    def,
    read,
    write: (value): SetOutcome => {
      const raw = decodeRaw(def, value);
      if (raw === undefined || !accepted.includes(raw)) return { flags: Flag.ParameterError, value: read(), stored: false };
      settings.set(DEVICE_MODE, raw);
      return { flags: 0, value: read(), stored: true };
    },
  };
}
