/**
 * On/off controls: the few switches users flip on a device, each one register with a value
 * per position, as the `ve-direct-control` node and anything else that switches use them:
 *
 *   loadOutput    MPPT load output control 0xEDAB: 4 on, 0 off (flash-backed; models with a
 *                 load output). Read back, 1-3 and 5-7 are automatic modes ("auto").
 *   inverterMode  inverter device mode 0x0200: 2 on, 4 off, 5 eco (flash-backed).
 *   relay         BMV relay 0x034E: 1 closed (on), 0 open (off), volatile; the relay follows it
 *                 only while the relay mode 0x034F is "remote" (2). Another mode is the
 *                 monitor's own rule: switching is refused, unless the caller explicitly lets
 *                 this module set the mode to remote (a flash write, itself rate-limited).
 *   chargerMode   charger device mode 0x0200 (AC chargers, DC-DC chargers, MPPTs): 1 on, 4 off
 *                 (flash-backed; MPPT fw ≤ 1.16 reads off as 0).
 *
 * Every write goes through `VeDirectPort.write`, so through the write policy: a flash-backed
 * control is read first and written only when it differs, at most once per minimum interval
 * per device (the policy's flash-write store). Choosing a control is the opt-in for writing
 * its own register to flash, and for nothing else. After a write the register is read back
 * and the position the device reports is the result.
 */

import { VeError, isVeError, quoteInput } from '../errors';
import { formatRegisterId } from '../protocol/catalog/registers';
import type { DeviceFamily } from '../protocol/catalog/types';
import type { DeviceIdentity, RegisterReading } from './device';
import type { VeDirectPort } from './port';

export const CONTROL_NAMES = ['loadOutput', 'inverterMode', 'relay', 'chargerMode'] as const;
export type ControlName = (typeof CONTROL_NAMES)[number];

/** What a message asks for. */
export type ControlCommand = 'on' | 'off' | 'eco';

/** A position as read back: on (true), off (false), eco (inverters), auto (load output modes). */
export type ControlState = boolean | 'eco' | 'auto';

export interface ControlDef {
  readonly name: ControlName;
  readonly register: number;
  /** Device families that have it. */
  readonly families: readonly DeviceFamily[];
  /** What it is, for messages ("the load output"). */
  readonly what: string;
  /** Which devices have it, for messages ("an MPPT with a load output"). */
  readonly devices: string;
  /** The raw value each command writes. */
  readonly commands: Readonly<Partial<Record<ControlCommand, number>>>;
  /** Raw values read back → position; any other raw reads as `otherState` (or unknown). */
  readonly states: ReadonlyMap<number, ControlState>;
  readonly otherState?: ControlState;
  /** Stored in the device's flash: written only on change, rate-limited. */
  readonly flash: boolean;
}

export const RELAY_MODE = 0x034f;
/** 0x034F value that hands the relay to 0x034E (Victron register dictionary, VE_REG_RELAY_MODE). */
export const RELAY_MODE_REMOTE = 2;

export const CONTROLS: Readonly<Record<ControlName, ControlDef>> = {
  loadOutput: {
    name: 'loadOutput',
    register: 0xedab,
    families: ['mppt'],
    what: 'the load output',
    devices: 'an MPPT solar charger with a load output',
    commands: { on: 4, off: 0 },
    states: new Map<number, ControlState>([
      [4, true],
      [0, false],
    ]),
    otherState: 'auto',
    flash: true,
  },
  inverterMode: {
    name: 'inverterMode',
    register: 0x0200,
    families: ['inverter'],
    what: 'the inverter',
    devices: 'a Phoenix inverter',
    commands: { on: 2, off: 4, eco: 5 },
    states: new Map<number, ControlState>([
      [2, true],
      [4, false],
      [5, 'eco'],
      [0xfd, false], // hibernate: off, woken by the device's own rule
    ]),
    flash: true,
  },
  relay: {
    name: 'relay',
    register: 0x034e,
    families: ['bmv'],
    what: 'the relay',
    devices: 'a BMV battery monitor (the SmartShunt has no relay)',
    commands: { on: 1, off: 0 },
    states: new Map<number, ControlState>([
      [1, true],
      [0, false],
    ]),
    flash: false,
  },
  chargerMode: {
    name: 'chargerMode',
    register: 0x0200,
    families: ['charger', 'dcdc', 'mppt'],
    what: 'the charger',
    devices: 'a Blue Smart / Phoenix Smart charger, an Orion XS DC-DC charger or an MPPT solar charger',
    commands: { on: 1, off: 4 },
    states: new Map<number, ControlState>([
      [1, true],
      [4, false],
      [0, false],
    ]),
    flash: true,
  },
};

export function isControlName(name: unknown): name is ControlName {
  return typeof name === 'string' && (CONTROL_NAMES as readonly string[]).includes(name);
}

/**
 * The command in a message payload: true or "on", false or "off", "eco" where the control has
 * it (text in any case, spaces around ignored). Anything else: VE_BAD_INPUT.
 */
export function parseCommand(control: ControlDef, payload: unknown): ControlCommand {
  let command: ControlCommand | undefined;
  if (payload === true) command = 'on';
  else if (payload === false) command = 'off';
  else if (typeof payload === 'string') {
    const text = payload.trim().toLowerCase();
    if (text === 'on' || text === 'off' || text === 'eco') command = text;
  }
  if (command === undefined || control.commands[command] === undefined) throw badCommand(control, payload);
  return command;
}

function badCommand(control: ControlDef, payload: unknown): VeError {
  const allowed = Object.keys(control.commands) as ControlCommand[];
  const shown = typeof payload === 'string' ? quoteInput(payload) : payload === undefined ? '(missing)' : quoteInput(JSON.stringify(payload) ?? String(payload));
  const positions = `true / "on", false / "off"${allowed.includes('eco') ? ' or "eco"' : ''}`;
  return new VeError('VE_BAD_INPUT', `${shown} is not a position of ${control.what}. Send ${positions}. Nothing was written.`, {
    control: control.name,
    value: shown,
    positions,
  });
}

/** Why the device behind a port cannot have this control, or null when it may. */
export function unsupportedError(control: ControlDef, identity: DeviceIdentity | null): VeError | null {
  if (identity === null || identity.family === null) return null;
  if (control.families.includes(identity.family)) return null;
  const product = identity.product ?? 'this device';
  return new VeError('VE_NOT_SUPPORTED_DEVICE', `${product} has no such control; it needs ${control.devices}. Nothing was written.`, {
    control: control.name,
    family: identity.family,
    productId: identity.productId,
  });
}

/** A position as read from the device. */
export interface ControlReading {
  readonly control: ControlName;
  /** null: a raw value this module does not know. */
  readonly state: ControlState | null;
  readonly raw: number;
  /** The catalogue's text for the raw value ("Automatic (BatteryLife)"). */
  readonly text?: string;
  readonly reading: RegisterReading;
}

function decode(control: ControlDef, reading: RegisterReading): ControlReading {
  const raw = typeof reading.value === 'number' ? reading.value : Number.NaN;
  const state = control.states.get(raw) ?? (Number.isNaN(raw) ? null : (control.otherState ?? null));
  return { control: control.name, state, raw, ...(reading.text !== undefined ? { text: reading.text } : {}), reading };
}

/** "the device has no such register" → "this device has no such control". */
function asControlError(control: ControlDef, identity: DeviceIdentity | null, err: unknown): unknown {
  if (!isVeError(err) || err.code !== 'VE_UNKNOWN_ID') return err;
  const product = identity?.product ?? 'the device';
  return new VeError('VE_NOT_SUPPORTED_DEVICE', `${product} does not have ${control.what} (${formatRegisterId(control.register)} unknown); it needs ${control.devices}. Nothing was written.`, {
    ...err.details,
    control: control.name,
  });
}

function refuseUnsupported(control: ControlDef, port: VeDirectPort): void {
  const err = unsupportedError(control, port.identity);
  if (err) throw err;
}

/** Read the control's position from the device (no write). */
export async function readControl(port: VeDirectPort, control: ControlDef): Promise<ControlReading> {
  refuseUnsupported(control, port);
  try {
    return decode(control, await port.get(control.register));
  } catch (err) {
    throw asControlError(control, port.identity, err);
  }
}

export interface SwitchOptions {
  /** Minimum time between two flash writes of the control's register (and of 0x034F), ms. */
  readonly minFlashIntervalMs?: number;
  /** Relay only: set the relay mode 0x034F to remote first when it is not (a flash write). */
  readonly takeRelayControl?: boolean;
}

export interface SwitchResult {
  /** The position read back after the write (or before it, when nothing had to be written). */
  readonly reading: ControlReading;
  /** Whether a Set of the control's register went out (false: a flash control already held it). */
  readonly written: boolean;
  /** The position before, where it was read first (flash-backed controls). */
  readonly previous?: ControlReading;
  /** Relay only: the relay mode was set to remote on the way. */
  readonly relayModeChanged?: boolean;
}

/**
 * The relay mode must be remote for 0x034E to move the relay: check it, and set it only when
 * the caller allowed it. Returns whether it was changed.
 */
async function ensureRelayRemote(port: VeDirectPort, control: ControlDef, options: SwitchOptions): Promise<boolean> {
  const mode = await port.get(RELAY_MODE);
  if (mode.value === RELAY_MODE_REMOTE) return false;
  if (!options.takeRelayControl) {
    const shown = mode.text ?? String(mode.value);
    throw new VeError(
      'VE_CONFLICT',
      `The relay mode (${formatRegisterId(RELAY_MODE)}) is "${shown}", so the monitor drives the relay by its own rule. Set the relay mode to "Remote" (VictronConnect, or the node's option to take over the relay). Nothing was written.`,
      { control: control.name, relayMode: mode.value, relayModeText: shown, register: formatRegisterId(RELAY_MODE) },
    );
  }
  await port.write(RELAY_MODE, RELAY_MODE_REMOTE, { allowFlash: true, ...flashInterval(options) });
  return true;
}

function flashInterval(options: SwitchOptions): { minFlashIntervalMs?: number } {
  return options.minFlashIntervalMs !== undefined ? { minFlashIntervalMs: options.minFlashIntervalMs } : {};
}

/**
 * Put the control in the commanded position: the policy's checks, the write (flash-backed
 * ones only on change), then a read-back that must show the position asked for.
 */
export async function switchControl(port: VeDirectPort, control: ControlDef, command: ControlCommand, options: SwitchOptions = {}): Promise<SwitchResult> {
  const raw = control.commands[command];
  if (raw === undefined) throw badCommand(control, command);
  refuseUnsupported(control, port);
  try {
    const relayModeChanged = control.name === 'relay' ? await ensureRelayRemote(port, control, options) : false;
    // The choice of a flash-backed control is the opt-in for writing its register, and only it.
    const outcome = await port.write(control.register, raw, { allowFlash: control.flash, ...flashInterval(options) });
    const previous = outcome.previous ? decode(control, outcome.previous) : undefined;
    const back = decode(control, await port.get(control.register));
    const wanted = control.states.get(raw);
    if (back.state !== wanted) {
      throw new VeError(
        'VE_ECHO_MISMATCH',
        `Switched ${command}, but ${control.what} reads back ${back.text ?? String(back.raw)}.`,
        { control: control.name, sent: raw, readBack: back.raw, register: formatRegisterId(control.register) },
      );
    }
    return { reading: back, written: outcome.written, ...(previous ? { previous } : {}), ...(relayModeChanged ? { relayModeChanged } : {}) };
  } catch (err) {
    throw asControlError(control, port.identity, err);
  }
}
