/**
 * The MQTT topic scheme: where discovery configs, states, availability and commands of one
 * device live. Discovery follows Home Assistant's `<prefix>/<component>/<node_id>/<object_id>/config`;
 * everything else sits under `<state prefix>/<device key>/…`, the device key being its serial
 * number (stable across ports, cables and restarts).
 */

import { VeError } from '../errors';

export interface TopicPrefixes {
  /** Home Assistant's discovery prefix (its default: `homeassistant`). */
  readonly discovery: string;
  /** Root of state, availability and command topics (default `ve-direct`). */
  readonly state: string;
}

export const DEFAULT_PREFIXES: TopicPrefixes = { discovery: 'homeassistant', state: 've-direct' };

/** MQTT wildcards and separators cannot be part of a topic level; spaces make topics awkward. */
const UNSAFE = /[^A-Za-z0-9_-]+/g;

/** A topic level from a serial number or a path: letters, digits, `_` and `-` only. */
export function topicLevel(text: string): string {
  const level = text.trim().replace(UNSAFE, '_').replace(/^_+|_+$/g, '');
  return level === '' ? 'unknown' : level;
}

/**
 * A prefix as the user typed it: one or more levels, no wildcards, no leading or trailing `/`.
 * Blank gives the default.
 */
export function checkPrefix(text: string | undefined, fallback: string): string {
  const prefix = (text ?? '').trim().replace(/^\/+|\/+$/g, '');
  if (prefix === '') return fallback;
  if (/[+#]/.test(prefix) || prefix.includes('\0') || prefix.split('/').some((level) => level === '')) {
    throw new VeError('VE_BAD_INPUT', `"${prefix}" cannot be a topic prefix: no + or #, no empty levels`, { prefix });
  }
  return prefix;
}

export class TopicScheme {
  constructor(readonly prefixes: TopicPrefixes = DEFAULT_PREFIXES) {}

  /** Home Assistant's node id for a device: `ve_direct_<serial>`. */
  nodeId(deviceKey: string): string {
    return `ve_direct_${deviceKey}`;
  }

  discovery(component: string, deviceKey: string, entity: string): string {
    return `${this.prefixes.discovery}/${component}/${this.nodeId(deviceKey)}/${entity}/config`;
  }

  state(deviceKey: string, entity: string): string {
    return `${this.prefixes.state}/${deviceKey}/${entity}`;
  }

  availability(deviceKey: string): string {
    return `${this.prefixes.state}/${deviceKey}/availability`;
  }

  command(deviceKey: string, entity: string): string {
    return `${this.prefixes.state}/${deviceKey}/${entity}/set`;
  }

  /** Home Assistant's birth and last-will topic: `online` there means "send discovery again". */
  haStatus(): string {
    return `${this.prefixes.discovery}/status`;
  }

  /** What an `mqtt in` node subscribes to for this scheme's commands. */
  commandFilter(): string {
    return `${this.prefixes.state}/+/+/set`;
  }

  /** The device and entity a command topic names, or null when it is no command topic of this scheme. */
  parseCommand(topic: string): { deviceKey: string; entity: string } | null {
    const head = `${this.prefixes.state}/`;
    if (!topic.startsWith(head)) return null;
    const levels = topic.slice(head.length).split('/');
    if (levels.length !== 3 || levels[2] !== 'set' || !levels[0] || !levels[1]) return null;
    return { deviceKey: levels[0], entity: levels[1] };
  }
}
