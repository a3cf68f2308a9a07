/**
 * `ve-direct-set`: on each message, writes a value to one register of the device behind its
 * port (HEX Set), through the port's write policy: before any byte goes out the value is
 * checked against the register, the product and the device's live values. Flash-backed
 * settings need the node's flash opt-in and device commands its command opt-in; a flash
 * setting is then written only when the value differs from the device's and no sooner than a
 * minimum interval after the last write (remembered across restarts). The device's echo is
 * checked (a clamped echo is an error) and, optionally, the register is read back.
 */

import type { NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import { VeError, isVeError, type VeErrorCode } from '../lib/errors';
import type { RegisterReading } from '../lib/link/device';
import type { VeDirectPort, WriteResult } from '../lib/link/port';
import { formatRegisterId } from '../lib/protocol/catalog/registers';
import type { RegisterDef } from '../lib/protocol/catalog/types';
import { nodeError, ownError, type ErrorParams } from './lib/errors';
import type { InputBody } from './lib/input';
import { registerPortNode, type NodeHandlers, type PortNodeParts, type PortUserDef } from './lib/port-node';
import { deviceInfo, registerMeta, type DeviceInfo, type RegisterMeta } from './lib/message';
import { named, type NamedRegister } from './lib/registers';
import { flagSetting, secondsSetting } from './lib/settings';
import { PORT_NS } from './lib/status';
import { valueText } from './lib/value-text';

const TYPE = 've-direct-set';

/** Default minimum time between two writes of one flash-backed setting, s. */
const DEFAULT_MIN_INTERVAL_S = 60;

/** The editor's saved fields. */
interface SetNodeDef extends PortUserDef {
  /** Catalogue name or id; blank: msg.register. */
  register?: string;
  /** The value, as a typed input: msg/flow/global property, number, text, JSON, env var. */
  value?: string;
  valueType?: string;
  /** Allow writing flash-backed settings. */
  allowFlash?: boolean | string;
  /** Allow sending device commands (restore defaults, clear history, zero current, synchronise). */
  allowCommands?: boolean | string;
  /** Minimum time between two writes of a flash-backed setting, s. */
  minInterval?: string | number;
  /** Read the register again after the write and compare. */
  readBack?: boolean | string;
}

/** What the node reads from a message (msg.register only when its own field is blank). */
interface SetInput extends NodeMessageInFlow {
  register?: unknown;
}

type WriteValue = number | string | null;

/** `msg.vedirect` of a write. */
interface SetMeta extends RegisterMeta {
  readonly device: DeviceInfo | null;
  /** Whether a Set went out; false when a flash-backed setting already held the value. */
  readonly written: boolean;
  readonly reason?: 'unchanged';
  /** The device's value before the write (flash-backed settings, which are read first). */
  readonly previous?: WriteValue;
  readonly readBack?: { value: WriteValue; raw: string; flags: number; text?: string };
}

interface SetOutput extends NodeMessage {
  vedirect?: SetMeta;
}

/** What a write did. */
interface Outcome extends WriteResult {
  readonly readBack?: RegisterReading;
}

/** Codes whose texts the catalogue has. */
const TEXTS: ReadonlySet<VeErrorCode> = new Set<VeErrorCode>([
  'VE_RANGE',
  'VE_TYPE',
  'VE_READ_ONLY',
  'VE_FLASH_GUARD',
  'VE_PARAMETER',
  'VE_ECHO_MISMATCH',
  'VE_TIMEOUT',
  'VE_UNKNOWN_ID',
  'VE_NOT_SUPPORTED',
  'VE_UNKNOWN_REGISTER',
  'VE_PORT_CLOSED',
  'VE_QUEUE_FULL',
  'VE_IDENTITY',
  'VE_COMMAND_GUARD',
  'VE_RATE_LIMIT',
]);

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

function isInteger(def: RegisterDef): boolean {
  return def.type !== 'string' && def.type !== 'bytes' && def.type !== 'none';
}

/** What the policy's refusals tell a message text: where a limit comes from, when to try again. */
function policyParams(err: unknown): ErrorParams {
  if (!isVeError(err)) return {};
  const d = err.details;
  const out: ErrorParams = {};
  // Where a range comes from: the product, a live value, physics; else what the register encodes.
  if (typeof d.source === 'string') out.source = d.source;
  else if (err.code === 'VE_RANGE') out.source = 'what the register can hold';
  if (typeof d.retryInMs === 'number') out.seconds = Math.max(1, Math.ceil(d.retryInMs / 1000));
  if (typeof d.intervalMs === 'number') out.interval = Math.round(d.intervalMs / 100) / 10;
  return out;
}

export = function (RED: NodeAPI): void {
  registerPortNode<SetNodeDef>(RED, TYPE, { setup });

  function setup({ node, config, badge, requirePort }: PortNodeParts<SetNodeDef>): NodeHandlers {
    const configuredRegister = (config.register ?? '').trim();
    const valueType = config.valueType || 'msg';
    const valueSetting = config.value ?? (valueType === 'msg' ? 'payload' : '');
    const allowFlash = flagSetting(config.allowFlash);
    // Absent in flows saved before device commands had their own opt-in: not allowed.
    const allowCommand = config.allowCommands === undefined ? false : flagSetting(config.allowCommands);
    const readBack = config.readBack === undefined ? true : flagSetting(config.readBack);
    const minIntervalMs = secondsSetting(config.minInterval, DEFAULT_MIN_INTERVAL_S);
    let warnedOverride = false;

    /** Refuse the message: red badge, translated error. */
    const refuse: (err: Error) => never = (err) => {
      badge.failed(err);
      throw err;
    };

    function registerOf(msg: SetInput): NamedRegister {
      if (configuredRegister !== '' && msg.register !== undefined && String(msg.register) !== configuredRegister && !warnedOverride) {
        warnedOverride = true;
        node.warn(RED._('node-red:common.errors.nooverride'));
      }
      const ref = configuredRegister !== '' ? configuredRegister : msg.register;
      if (ref === undefined || ref === null || ref === '') return refuse(ownError(RED, TYPE, 'VE_BAD_INPUT', 'no-register'));
      if (typeof ref !== 'string' && typeof ref !== 'number') return refuse(ownError(RED, TYPE, 'VE_BAD_INPUT', 'bad-register'));
      try {
        return named(typeof ref === 'string' ? ref.trim() : ref);
      } catch (err) {
        return refuse(nodeError(RED, TYPE, err, String(ref), TEXTS));
      }
    }

    /** The value of this message: the node's typed input; a blank constant means msg.payload. */
    function valueOf(msg: SetInput): Promise<unknown> {
      const fromMessage = valueSetting === '' && (valueType === 'num' || valueType === 'str' || valueType === 'json' || valueType === 'msg');
      if (fromMessage) return Promise.resolve(msg.payload);
      const bad = (err: unknown): VeError => ownError(RED, TYPE, 'VE_BAD_INPUT', 'bad-value-setting', { message: err instanceof Error ? err.message : String(err) });
      return new Promise((resolve, reject) => {
        try {
          // JSON that does not parse throws here instead of reaching the callback.
          RED.util.evaluateNodeProperty(valueSetting, valueType, node, msg, (err: Error | null, result: unknown) => {
            if (err) reject(bad(err));
            else resolve(result);
          });
        } catch (err) {
          reject(bad(err));
        }
      });
    }

    /** As the register's type wants it: numbers for integer registers, null for "not available". */
    function coerce(register: NamedRegister, def: RegisterDef, value: unknown): WriteValue {
      if (def.type === 'none') return null; // a command's data is ignored
      if (value === undefined) return refuse(ownError(RED, TYPE, 'VE_BAD_INPUT', 'no-value', { what: register.display }));
      if (value === null) return null;
      if (typeof value === 'boolean' && isInteger(def)) return value ? 1 : 0;
      if (typeof value === 'number') return value;
      if (typeof value === 'string') {
        const text = value.trim();
        if (text === 'null') return null;
        if (isInteger(def) && NUMBER.test(text)) return Number(text);
        return value;
      }
      return refuse(ownError(RED, TYPE, 'VE_TYPE', 'bad-value', { what: register.display, type: Array.isArray(value) ? 'array' : typeof value }, { register: register.id }));
    }

    function shown(value: WriteValue, def: RegisterDef): string {
      if (value === null) return RED._(`${TYPE}.label.notAvailable`);
      return def.unit ? `${value} ${def.unit}` : String(value);
    }

    /** Through the port's write policy (every check before any traffic), then the read-back. */
    async function write(p: VeDirectPort, def: RegisterDef, value: WriteValue, register: NamedRegister): Promise<Outcome> {
      const outcome: Outcome = await p.write(def.id, value, { allowFlash, allowCommand, minFlashIntervalMs: minIntervalMs });
      if (!readBack || !outcome.written || def.access === 'w') return outcome;
      let back: RegisterReading;
      try {
        back = await p.get(def.id);
      } catch (err) {
        const inner = nodeError(RED, TYPE, err, register.display, TEXTS);
        if (!isVeError(inner)) throw inner;
        throw ownError(RED, TYPE, inner.code, 'readback-failed', { what: register.display, message: inner.message }, { ...inner.details, phase: 'read-back' });
      }
      if (back.raw !== outcome.reading.raw && back.value !== outcome.reading.value) {
        throw ownError(
          RED,
          TYPE,
          'VE_ECHO_MISMATCH',
          'readback-mismatch',
          { what: register.display, echoed: shown(outcome.reading.value, def), readBack: shown(back.value, def) },
          { register: formatRegisterId(def.id), echoed: outcome.reading.raw, readBack: back.raw, phase: 'read-back' },
        );
      }
      return { ...outcome, readBack: back };
    }

    const input: InputBody = async (msg, send) => {
      const p = requirePort();
      const register = registerOf(msg);
      const def = register.def;
      if (def === undefined) {
        return refuse(ownError(RED, TYPE, 'VE_UNKNOWN_REGISTER', 'not-in-catalogue', { what: register.display }, { register: formatRegisterId(register.id) }));
      }
      const value = coerce(register, def, await valueOf(msg));
      const params: ErrorParams = { value: shown(value, def), unit: def.unit };
      let outcome: Outcome;
      try {
        outcome = await badge.run(
          RED._(`${TYPE}.status.writing`, { what: register.label }),
          () => write(p, def, value, register),
          // What the device now holds, as its echo says.
          (o) => RED._(`${PORT_NS}.status.${o.written ? 'wrote' : 'unchanged'}`, { value: valueText(o.reading.value, def.unit, o.reading.text) }),
        );
      } catch (err) {
        throw nodeError(RED, TYPE, err, register.display, TEXTS, { ...params, ...policyParams(err) });
      }
      // The incoming message goes on, with the echo added.
      const out = msg as SetInput & SetOutput;
      const reading = outcome.reading;
      out.payload = reading.value;
      out.topic = register.label;
      out.vedirect = {
        ...registerMeta(reading, 0, outcome.written ? 'set' : outcome.previous ? 'get' : 'cache'),
        device: deviceInfo(p.identity),
        written: outcome.written,
        ...(outcome.written ? {} : { reason: 'unchanged' as const }),
        ...(outcome.previous ? { previous: outcome.previous.value } : {}),
        ...(outcome.readBack
          ? {
              readBack: {
                value: outcome.readBack.value,
                raw: outcome.readBack.raw,
                flags: outcome.readBack.flags,
                ...(outcome.readBack.text !== undefined ? { text: outcome.readBack.text } : {}),
              },
            }
          : {}),
      };
      send(out);
    };
    return { input };
  }
};
