/**
 * `ve-direct-in`: sends the device's Text data — one message per completed cycle (blocks
 * merged, decoded with units, raw values alongside) — every cycle, only when a value changed,
 * or at most every N seconds (the latest). Optionally also each asynchronous HEX register
 * update, and one `payload: null` message when the device goes stale. No input.
 */

import type { NodeAPI, NodeDef, NodeMessage } from 'node-red';
import type { RegisterReading, TextSnapshotReading } from '../lib/link/device';
import type { PortCounters, PortState, VeDirectPort } from '../lib/link/port';
import type { Remover } from '../lib/link/listeners';
import { deviceInfo, registerMeta, type DeviceInfo, type RegisterMeta } from './lib/message';
import { flagSetting, secondsSetting } from './lib/settings';
import { noPortStatus } from './lib/status';
import type { PortConfigNode, PortUser } from './lib/types';

const TYPE = 've-direct-in';

type Mode = 'every' | 'change' | 'interval';
const MODES: readonly Mode[] = ['every', 'change', 'interval'];

function isMode(value: unknown): value is Mode {
  return MODES.some((m) => m === value);
}
const DEFAULT_INTERVAL_S = 10;

/** The editor's saved fields. */
interface InNodeDef extends NodeDef {
  port: string;
  mode?: Mode;
  /** For `interval`: at most one message per this many seconds. */
  interval?: string | number;
  /** Also send each asynchronous HEX register update. */
  asyncUpdates?: boolean | string;
  /** Send one `payload: null` message when the device goes stale. */
  staleMessage?: boolean | string;
  /** Add the port's counters to each snapshot message. */
  counters?: boolean | string;
}

type Value = number | string | boolean | null;

/** `msg.vedirect` of a snapshot. */
interface SnapshotMeta {
  readonly device: DeviceInfo | null;
  /** name → unit ("V", "A", "" for none). */
  readonly units: Record<string, string>;
  /** Text label → value as sent ("V": "12781"). */
  readonly raw: Record<string, string>;
  /** name → Text label ("batteryVoltage": "V"). */
  readonly labels: Record<string, string>;
  /** name → enumeration or bit text ("deviceState": "Bulk"), where there is one. */
  readonly texts: Record<string, string>;
  /** name → age of the value when the cycle completed, ms. */
  readonly ages: Record<string, number>;
  /** Wall-clock time the cycle completed, ms since 1970. */
  readonly receivedAt: number;
  readonly source: 'text';
  readonly counters?: PortCounters;
}

/** `msg.vedirect` of the stale message. */
interface StaleMeta {
  readonly stale: true;
  readonly device: DeviceInfo | null;
  /** The port's state: `stale`, or `error` when the port itself was lost. */
  readonly state: PortState['kind'];
  readonly silentMs?: number;
}

interface InOutput extends NodeMessage {
  payload: Record<string, Value> | Value;
  topic: string;
  vedirect: SnapshotMeta | StaleMeta | (RegisterMeta & { device: DeviceInfo | null });
}

/** A stable text of the decoded values, for "did anything change". */
function valuesKey(values: Record<string, Value>): string {
  return JSON.stringify(Object.keys(values).sort().map((k) => [k, values[k]]));
}

export = function (RED: NodeAPI): void {
  function VeDirectInNode(this: PortUser, config: InNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    // The runtime types config nodes as plain nodes; this one is a ve-direct-port (editor type).
    const portNode = RED.nodes.getNode(config.port) as PortConfigNode | null;
    const port = portNode ? portNode.register(node) : null;
    if (!portNode) node.status(noPortStatus(RED));
    const mode: Mode = isMode(config.mode) ? config.mode : 'every';
    const intervalMs = Math.max(1, secondsSetting(config.interval, DEFAULT_INTERVAL_S));
    const asyncUpdates = flagSetting(config.asyncUpdates);
    const staleMessage = flagSetting(config.staleMessage);
    const withCounters = flagSetting(config.counters);

    const removers: Remover[] = [];
    /** Data was sent since the last stale message: the next stale period gets one. */
    let live = false;
    let lastKey = '';
    let lastSentAt = -Infinity;
    let pending: InOutput | null = null;
    let timer: NodeJS.Timeout | undefined;

    function topicOf(p: VeDirectPort): string {
      return p.identity?.serial ?? p.path;
    }

    function snapshotMessage(p: VeDirectPort, s: TextSnapshotReading): InOutput & { payload: Record<string, Value> } {
      const payload: Record<string, Value> = {};
      const units: Record<string, string> = {};
      const labels: Record<string, string> = {};
      const texts: Record<string, string> = {};
      const ages: Record<string, number> = {};
      for (const [name, v] of Object.entries(s.values)) {
        payload[name] = v.value;
        units[name] = v.unit;
        labels[name] = v.label;
        if (v.text !== undefined && v.text !== '') texts[name] = v.text;
        ages[name] = Math.max(0, Math.round(v.ageMs));
      }
      return {
        payload,
        topic: topicOf(p),
        vedirect: {
          device: deviceInfo(p.identity),
          units,
          raw: { ...s.fields },
          labels,
          texts,
          ages,
          receivedAt: Date.now(),
          source: 'text',
          ...(withCounters ? { counters: p.counters } : {}),
        },
      };
    }

    function emit(msg: InOutput): void {
      lastSentAt = Date.now();
      node.send(msg);
    }

    function cancelPending(): void {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      pending = null;
    }

    function onSnapshot(p: VeDirectPort, s: TextSnapshotReading): void {
      live = true;
      const msg = snapshotMessage(p, s);
      switch (mode) {
        case 'every':
          emit(msg);
          return;
        case 'change': {
          const key = valuesKey(msg.payload);
          if (key === lastKey) return;
          lastKey = key;
          emit(msg);
          return;
        }
        case 'interval': {
          const wait = lastSentAt + intervalMs - Date.now();
          if (wait <= 0) {
            cancelPending();
            emit(msg);
            return;
          }
          // Keep the latest; it goes out when the interval is over.
          pending = msg;
          timer ??= setTimeout(() => {
            timer = undefined;
            const next = pending;
            pending = null;
            if (next) emit(next);
          }, wait);
          return;
        }
      }
    }

    function onRegister(p: VeDirectPort, r: RegisterReading): void {
      if (r.source !== 'async') return;
      node.send({
        payload: r.value,
        topic: r.name ?? r.register,
        vedirect: { ...registerMeta(r, 0, 'async'), device: deviceInfo(p.identity) },
      } satisfies InOutput);
    }

    function onState(p: VeDirectPort, s: PortState): void {
      if (s.kind !== 'stale' && s.kind !== 'error') return;
      // A value held back for the interval would be old news now.
      cancelPending();
      lastKey = '';
      if (!staleMessage || !live) return;
      live = false;
      node.send({
        payload: null,
        topic: topicOf(p),
        vedirect: { stale: true, device: deviceInfo(p.identity), state: s.kind, ...(s.kind === 'stale' ? { silentMs: Math.round(s.silentMs) } : {}) },
      } satisfies InOutput);
    }

    if (port) {
      removers.push(port.on('snapshot', (s) => onSnapshot(port, s)));
      removers.push(port.on('state', (s) => onState(port, s)));
      if (asyncUpdates) removers.push(port.on('register', (r) => onRegister(port, r)));
    } else if (portNode) {
      node.error(RED._(`${TYPE}.errors.port-unusable`, { message: portNode.portError?.message ?? '' }));
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      for (const remove of removers.splice(0)) remove();
      cancelPending();
      portNode?.deregister(node);
      done();
    });
  }

  // The typings want a constructor of plain nodes; this one's `this` is a port user.
  RED.nodes.registerType(TYPE, VeDirectInNode as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
};
