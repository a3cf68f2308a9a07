/**
 * `ve-direct-get`: on each message, reads one register or several from the device behind its
 * port (HEX Get), or answers from the port's register cache when the cached value is fresh
 * enough; or reads the device's firmware (ping, app version) or product id; or reports the
 * port's state and counters without any traffic; or reads an MPPT's daily history (one record
 * per day, today first). Failures end the message with `done(err)`.
 */

import type { NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { VeErrorCode } from '../lib/errors';
import type { CachedReading, RegisterReading } from '../lib/link/device';
import type { VeDirectPort } from '../lib/link/port';
import { readDailyHistory } from '../lib/link/daily-history';
import type { FirmwareVersion } from '../lib/protocol/hex-codec';
import { formatProductId, productName } from '../lib/protocol/catalog/products';
import { nodeError, ownError } from './lib/errors';
import type { InputBody } from './lib/input';
import { deviceInfo, registerMeta, type DeviceInfo, type RegisterMeta, type ValueSource } from './lib/message';
import { named, registerList, type NamedRegister } from './lib/registers';
import { secondsSetting } from './lib/settings';
import { valuesText } from './lib/value-text';
import { registerPortNode, type NodeHandlers, type PortNodeParts, type PortUserDef } from './lib/port-node';

const TYPE = 've-direct-get';

/**
 * Most registers one message reads. Each is one request on a port shared with the bridge and
 * other nodes (about 50 ms each): a longer list is a mistake (a whole snapshot, a loop's output)
 * and would hold the port for seconds.
 */
const MAX_REGISTERS_PER_MESSAGE = 64;

/** What the node reads: registers, or one of the read-outs. */
type ReadOut = 'register' | 'ping' | 'firmware' | 'productId' | 'history' | 'diagnostics';
const READ_OUTS: readonly ReadOut[] = ['register', 'ping', 'firmware', 'productId', 'history', 'diagnostics'];

function isReadOut(value: unknown): value is ReadOut {
  return READ_OUTS.some((r) => r === value);
}

/** The editor's saved fields. */
interface GetNodeDef extends PortUserDef {
  read?: ReadOut;
  /** Catalogue names or ids, comma-separated; blank: from the message. */
  registers?: string;
  /** Answer from the cache when its value is at most this old, s; blank or 0: always ask. */
  cacheMaxAge?: string | number;
}

/** What the node reads from a message (only when its own field is blank). */
interface GetInput extends NodeMessageInFlow {
  register?: unknown;
}

/** `msg.vedirect` for one register. */
interface OneRegisterMeta extends RegisterMeta {
  readonly device: DeviceInfo | null;
}

/** `msg.vedirect` for several. */
interface SeveralRegistersMeta {
  readonly registers: Record<string, RegisterMeta>;
  readonly device: DeviceInfo | null;
}

interface GetOutput extends NodeMessage {
  vedirect?: OneRegisterMeta | SeveralRegistersMeta | Record<string, unknown>;
}

/** Codes whose texts the catalogue has. */
const TEXTS: ReadonlySet<VeErrorCode> = new Set<VeErrorCode>([
  'VE_TIMEOUT',
  'VE_UNKNOWN_ID',
  'VE_NOT_SUPPORTED',
  'VE_PARAMETER',
  'VE_UNKNOWN_REGISTER',
  'VE_PORT_CLOSED',
  'VE_QUEUE_FULL',
  'VE_IDENTITY',
]);

interface Answer {
  readonly reading: RegisterReading | CachedReading;
  readonly ageMs: number;
  readonly source: ValueSource;
}

export = function (RED: NodeAPI): void {
  registerPortNode<GetNodeDef>(RED, TYPE, { setup });

  function setup({ node, config, badge, requirePort }: PortNodeParts<GetNodeDef>): NodeHandlers {
    const read: ReadOut = isReadOut(config.read) ? config.read : 'register';
    const configured = registerList(config.registers ?? '') ?? [];
    const cacheMaxAgeMs = secondsSetting(config.cacheMaxAge, 0);
    let warnedOverride = false;

    const fail = (code: VeErrorCode, key: string, params: Record<string, string | number> = {}): never => {
      const err = ownError(RED, TYPE, code, key, params);
      badge.failed(err);
      throw err;
    };

    /** The registers of this message: the node's own, else msg.register, else msg.payload. */
    function registersOf(msg: GetInput): NamedRegister[] {
      if (configured.length > 0 && msg.register !== undefined && !warnedOverride && String(registerList(msg.register)) !== String(configured)) {
        // A field set in the node wins; say so once (Node-RED's own wording).
        warnedOverride = true;
        node.warn(RED._('node-red:common.errors.nooverride'));
      }
      const source = configured.length > 0 ? configured : registerList(msg.register !== undefined ? msg.register : msg.payload);
      if (source === null) return fail('VE_BAD_INPUT', 'bad-register-list');
      if (source.length === 0) return fail('VE_BAD_INPUT', 'no-register');
      const registers = new Map<number, NamedRegister>();
      for (const ref of source) {
        let register: NamedRegister;
        try {
          register = named(ref);
        } catch (err) {
          badge.failed(err);
          throw nodeError(RED, TYPE, err, String(ref), TEXTS);
        }
        // The same register twice (by name and by id, or listed twice) is read once.
        if (!registers.has(register.id)) registers.set(register.id, register);
      }
      if (registers.size > MAX_REGISTERS_PER_MESSAGE) return fail('VE_BAD_INPUT', 'too-many-registers', { count: registers.size, max: MAX_REGISTERS_PER_MESSAGE });
      return [...registers.values()];
    }

    async function answer(p: VeDirectPort, register: NamedRegister): Promise<Answer> {
      if (cacheMaxAgeMs > 0) {
        const cached = p.cached(register.id);
        if (cached !== undefined && cached.ageMs <= cacheMaxAgeMs) return { reading: cached, ageMs: cached.ageMs, source: 'cache' };
      }
      const reading = await p.get(register.id);
      return { reading, ageMs: 0, source: 'get' };
    }

    async function readRegisters(p: VeDirectPort, msg: GetInput & GetOutput): Promise<void> {
      const registers = registersOf(msg);
      const [only] = registers;
      const what = registers.length === 1 && only ? only.label : RED._(`${TYPE}.status.several`, { count: registers.length });
      const answers = await badge.run(RED._(`${TYPE}.status.reading`, { what }), async () => {
        const out: Array<[NamedRegister, Answer]> = [];
        // One after the other: the port has one request in flight anyway, and the first
        // failure ends the message (it names the register), so nothing more is asked.
        for (const register of registers) {
          try {
            out.push([register, await answer(p, register)]);
          } catch (err) {
            throw nodeError(RED, TYPE, err, register.display, TEXTS);
          }
        }
        return out;
      }, (out) => valuesText(out.map(([, a]) => ({ value: a.reading.value, unit: a.reading.unit, ...(a.reading.text !== undefined ? { text: a.reading.text } : {}) }))));
      const device = deviceInfo(p.identity);
      const now = Date.now();
      const [single] = answers;
      if (answers.length === 1 && single) {
        const [register, a] = single;
        msg.payload = a.reading.value;
        msg.topic = register.label;
        msg.vedirect = { ...registerMeta(a.reading, a.ageMs, a.source, now), device };
        return;
      }
      const payload: Record<string, unknown> = {};
      const metas: Record<string, RegisterMeta> = {};
      for (const [register, a] of answers) {
        payload[register.label] = a.reading.value;
        metas[register.label] = registerMeta(a.reading, a.ageMs, a.source, now);
      }
      msg.payload = payload;
      msg.topic = answers.map(([r]) => r.label).join(',');
      msg.vedirect = { registers: metas, device };
    }

    function firmwareMeta(p: VeDirectPort, fw: FirmwareVersion): Record<string, unknown> {
      const word = `0x${fw.word.toString(16).toUpperCase().padStart(4, '0')}`;
      return { kind: fw.kind, version: fw.version, word, device: deviceInfo(p.identity), source: 'get' };
    }

    async function readOut(p: VeDirectPort, msg: GetOutput, what: Exclude<ReadOut, 'register' | 'diagnostics'>): Promise<void> {
      const label = RED._(`${TYPE}.status.reading`, { what });
      try {
        switch (what) {
          case 'ping': {
            const fw = await badge.run(label, () => p.ping(), (v) => v.text);
            msg.payload = fw.text;
            msg.vedirect = firmwareMeta(p, fw);
            break;
          }
          case 'firmware': {
            const fw = await badge.run(label, () => p.appVersion(), (v) => v.text);
            msg.payload = fw.text;
            msg.vedirect = firmwareMeta(p, fw);
            break;
          }
          case 'productId': {
            const id = await badge.run(label, () => p.productId(), formatProductId);
            msg.payload = id;
            msg.vedirect = { raw: formatProductId(id), text: productName(id), device: deviceInfo(p.identity), source: 'get' };
            break;
          }
          case 'history': {
            const history = await badge.run(label, () => readDailyHistory(p), (h) => RED._(`${TYPE}.status.days`, { count: h.days.length }));
            msg.payload = history.days;
            msg.vedirect = { total: history.total, device: deviceInfo(p.identity), source: 'get' };
            break;
          }
        }
      } catch (err) {
        throw nodeError(RED, TYPE, err, RED._(`${TYPE}.read.${what}`), TEXTS);
      }
      msg.topic = what;
    }

    function diagnostics(p: VeDirectPort, msg: GetOutput): void {
      const state = p.state;
      msg.payload = {
        path: p.path,
        state: state.kind,
        ...(state.kind === 'error' ? { reason: state.reason, code: state.code } : {}),
        ...(state.kind === 'stale' ? { silentMs: Math.round(state.silentMs) } : {}),
        stale: p.isStale(),
        device: deviceInfo(p.identity),
        counters: p.counters,
      };
      msg.topic = 'diagnostics';
      msg.vedirect = { device: deviceInfo(p.identity) };
    }

    const input: InputBody = async (msg, send) => {
      const port = requirePort();
      // The incoming message goes on, with the answer added.
      const out = msg as GetInput & GetOutput;
      switch (read) {
        case 'register':
          await readRegisters(port, out);
          break;
        case 'diagnostics':
          diagnostics(port, out);
          break;
        default:
          await readOut(port, out, read);
      }
      send(out);
    };
    return { input };
  }
};
