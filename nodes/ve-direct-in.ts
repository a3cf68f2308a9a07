/**
 * `ve-direct-in`: sends the device's Text data as it arrives — the whole decoded cycle (blocks
 * merged, units and raw values alongside), or only the measurements the user picked: one as a
 * plain `msg.payload` number with its name as topic, several as an object. Every cycle, only
 * when a sent value changed, or at most every N seconds (the latest). Optionally also each
 * asynchronous HEX register update, and one `payload: null` message when the device goes
 * stale. The badge shows the values (the picked ones, or the device's headline values). No input.
 */

import type { NodeAPI, NodeMessage } from 'node-red';
import type { Request, Response } from 'express';
import type { RegisterReading, TextSnapshotReading } from '../lib/link/device';
import type { PortCounters, PortState, VeDirectPort } from '../lib/link/port';
import type { Remover } from '../lib/link/listeners';
import { formatProductId } from '../lib/protocol/catalog/products';
import { TEXT_FIELDS } from '../lib/protocol/catalog/text-fields';
import { deviceInfo, registerMeta, type DeviceInfo, type RegisterMeta } from './lib/message';
import { flagSetting, secondsSetting } from './lib/settings';
import { registerPortNode, type NodeHandlers, type PortNodeParts, type PortUserDef } from './lib/port-node';
import type { PortConfigNode } from './lib/types';
import { valuesText, type ShownValue } from './lib/value-text';

const TYPE = 've-direct-in';

type Mode = 'every' | 'change' | 'interval';
const MODES: readonly Mode[] = ['every', 'change', 'interval'];

function isMode(value: unknown): value is Mode {
  return MODES.some((m) => m === value);
}
const DEFAULT_INTERVAL_S = 10;

/** What the badge shows when no measurement is picked: the first three the device sends. */
const HEADLINE = ['batteryVoltage', 'stateOfCharge', 'batteryCurrent', 'panelPower', 'acOutputVoltage', 'acOutputApparentPower'];
const HEADLINE_COUNT = 3;

/** The editor's saved fields. */
interface InNodeDef extends PortUserDef {
  /** Picked measurements, by name ("batteryVoltage, stateOfCharge"); blank: the whole cycle. */
  fields?: string;
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

type Value = ShownValue;

/** `msg.vedirect` of a cycle. */
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

/** `msg.vedirect` of one picked measurement. */
interface MeasurementMeta {
  readonly device: DeviceInfo | null;
  readonly unit: string;
  readonly label: string;
  readonly raw: string;
  readonly text?: string;
  readonly ageMs: number;
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
  vedirect: SnapshotMeta | MeasurementMeta | StaleMeta | (RegisterMeta & { device: DeviceInfo | null });
}

/** The picked measurement names, in the user's order, without repeats. */
function pickedFields(text: string | undefined): string[] {
  const names = (text ?? '')
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return [...new Set(names)];
}

/** A stable text of the sent values, for "did anything change". */
function valuesKey(payload: Record<string, Value> | Value): string {
  if (payload === null || typeof payload !== 'object') return JSON.stringify(payload);
  return JSON.stringify(Object.keys(payload).sort().map((k) => [k, payload[k]]));
}

type SnapshotValue = TextSnapshotReading['values'][string];

/** A value as a message carries it: product ids as Victron writes them ("0xA389"). */
function published(name: string, v: SnapshotValue): Value {
  if (name === 'productId' && typeof v.value === 'number') return formatProductId(v.value);
  return v.value;
}

export = function (RED: NodeAPI): void {
  registerPortNode<InNodeDef>(RED, TYPE, { setup });

  function setup({ node, config, portNode, port, badge }: PortNodeParts<InNodeDef>): NodeHandlers {
    const picked = pickedFields(config.fields);
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
    /** Picked names the device has not sent in a whole cycle; warned about once each. */
    const warnedMissing = new Set<string>();

    function topicOf(p: VeDirectPort): string {
      return p.identity?.serial ?? p.path;
    }

    function wholeCycle(p: VeDirectPort, s: TextSnapshotReading): InOutput {
      const payload: Record<string, Value> = {};
      const units: Record<string, string> = {};
      const labels: Record<string, string> = {};
      const texts: Record<string, string> = {};
      const ages: Record<string, number> = {};
      for (const [name, v] of Object.entries(s.values)) {
        payload[name] = published(name, v);
        units[name] = v.unit;
        labels[name] = v.label;
        if (v.text !== undefined && v.text !== '') {
          texts[name] = v.text;
          // The meaning beside the code: deviceState 3, deviceStateText "Bulk".
          payload[`${name}Text`] = v.text;
        }
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

    /** The picked measurements of a cycle; null when the device sent none of them. */
    function measurements(p: VeDirectPort, s: TextSnapshotReading): InOutput | null {
      const present = picked.filter((name) => s.values[name] !== undefined);
      for (const name of picked) {
        if (present.includes(name) || warnedMissing.has(name)) continue;
        warnedMissing.add(name);
        node.warn(RED._(`${TYPE}.errors.field-missing`, { name, device: p.identity?.product ?? p.path }));
      }
      const [only] = present;
      if (only === undefined) return null;
      if (picked.length === 1) {
        const v = s.values[only]!;
        return {
          payload: published(only, v),
          topic: only,
          vedirect: {
            device: deviceInfo(p.identity),
            unit: v.unit,
            label: v.label,
            raw: s.fields[v.label] ?? '',
            ...(v.text !== undefined && v.text !== '' ? { text: v.text } : {}),
            ageMs: Math.max(0, Math.round(v.ageMs)),
            receivedAt: Date.now(),
            source: 'text',
            ...(withCounters ? { counters: p.counters } : {}),
          },
        };
      }
      const whole = wholeCycle(p, s);
      const all = whole.payload as Record<string, Value>;
      const meta = whole.vedirect as SnapshotMeta;
      const pick = <T>(record: Record<string, T>): Record<string, T> => Object.fromEntries(present.filter((n) => n in record).map((n) => [n, record[n]!]));
      const payload: Record<string, Value> = {};
      for (const name of present) {
        payload[name] = all[name] ?? null;
        if (meta.texts[name] !== undefined) payload[`${name}Text`] = meta.texts[name];
      }
      const labels = pick(meta.labels);
      return {
        payload,
        topic: topicOf(p),
        vedirect: {
          ...meta,
          units: pick(meta.units),
          labels,
          texts: pick(meta.texts),
          ages: pick(meta.ages),
          raw: Object.fromEntries(Object.values(labels).map((label) => [label, s.fields[label] ?? ''])),
        },
      };
    }

    /** The values on the badge: the picked ones, else the device's headline values. */
    function showValues(s: TextSnapshotReading): void {
      const names = picked.length > 0 ? picked : HEADLINE.filter((n) => s.values[n] !== undefined).slice(0, HEADLINE_COUNT);
      const shown = names.flatMap((n) => {
        const v = s.values[n];
        return v ? [{ value: published(n, v), unit: v.unit, ...(v.text !== undefined && v.text !== '' ? { text: v.text } : {}) }] : [];
      });
      badge.show(shown.length > 0 ? { text: valuesText(shown) } : null);
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
      showValues(s);
      const msg = picked.length > 0 ? measurements(p, s) : wholeCycle(p, s);
      if (msg === null) return;
      live = true;
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
      // A value held back for the interval would be old news now; so are the badge's values.
      cancelPending();
      badge.show(null);
      lastKey = '';
      if (!staleMessage || !live) return;
      live = false;
      node.send({
        payload: null,
        topic: picked.length === 1 ? picked[0]! : topicOf(p),
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

    return {
      close: () => {
        for (const remove of removers.splice(0)) remove();
        cancelPending();
      },
    };
  }

  // The measurements the editor's picker offers: what the device behind a deployed port sends
  // now (with its current values), else the catalogue's fields for a family, or all of them.
  RED.httpAdmin.get('/ve-direct/text-fields', RED.auth.needsPermission('ve-direct.read'), (req: Request, res: Response) => {
    let family = typeof req.query.family === 'string' && req.query.family !== '' ? req.query.family : null;
    let device: DeviceInfo | null = null;
    let current: TextSnapshotReading | null = null;
    if (typeof req.query.port === 'string') {
      const portNode = RED.nodes.getNode(req.query.port) as PortConfigNode | null;
      const port = portNode && 'portStatus' in portNode ? portNode.port : null;
      if (port?.identity) {
        device = deviceInfo(port.identity);
        family ??= port.identity.family ?? null;
        current = port.snapshot();
      }
    }
    const fields = TEXT_FIELDS.filter((f) => (current ? current.values[f.name] !== undefined : family === null || f.families.some((x) => x === family))).map((f) => {
      const v = current?.values[f.name];
      return {
        name: f.name,
        label: f.label,
        description: f.description,
        unit: f.unit ?? '',
        ...(v ? { value: published(f.name, v), ...(v.text ? { text: v.text } : {}) } : {}),
      };
    });
    res.json({ family, device, live: current !== null, fields });
  });
};
