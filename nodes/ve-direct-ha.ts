/**
 * `ve-direct-ha`: publishes the device behind its port to MQTT for Home Assistant (or any MQTT
 * consumer): retained discovery configs, states, availability, and a never-decreasing solar
 * energy total, as messages for Node-RED's core `mqtt out` node (output 1). Messages from an
 * `mqtt in` node (input) are commands for the registers the user allowed — sent on to a set
 * node as `{ topic, register, payload }` (output 2), so every write passes the write policy
 * there — or Home Assistant's birth message, which brings everything again. The topics,
 * payloads and the energy total come from lib/ha; this file is wiring.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeAPI, NodeMessage } from 'node-red';
import { isVeError } from '../lib/errors';
import type { Remover } from '../lib/link/listeners';
import type { PortState, VeDirectPort } from '../lib/link/port';
import { commandEntity, registerEntity, type HaEntity } from '../lib/ha/entities';
import { EnergyStore } from '../lib/ha/energy-store';
import { HaPublisher, type MqttMessage } from '../lib/ha/publisher';
import { checkPrefix, DEFAULT_PREFIXES, TopicScheme } from '../lib/ha/topics';
import { ownError } from './lib/errors';
import type { InputBody } from './lib/input';
import { registerPortNode, type NodeHandlers, type PortNodeParts, type PortUserDef } from './lib/port-node';
import { flagSetting, secondsSetting } from './lib/settings';
import type { PortUser } from './lib/types';

const TYPE = 've-direct-ha';
const DEFAULT_INTERVAL_S = 30;
/** Never poll registers or flush states faster than this. */
const MIN_INTERVAL_S = 1;
/** Where energy totals are kept, in Node-RED's user directory. */
const ENERGY_FILE = 've-direct-energy.json';

type Mode = 'homeassistant' | 'plain';
type Update = 'change' | 'interval';

interface HaNodeDef extends PortUserDef {
  mode?: Mode;
  discoveryPrefix?: string;
  statePrefix?: string;
  update?: Update;
  interval?: string | number;
  /** Text fields to publish, comma-separated; blank: all. */
  fields?: string;
  /** Registers to read every interval and publish, comma-separated. */
  registers?: string;
  /** Registers Home Assistant may write, comma-separated (volatile registers only). */
  commands?: string;
  retain?: boolean | string;
  energyTotal?: boolean | string;
}

function list(text: string | undefined): string[] {
  return [...new Set((text ?? '').split(/[\s,;]+/).filter((s) => s !== ''))];
}

/** The package's name and version, as Home Assistant's `origin` shows them. */
function origin(): { name: string; sw_version: string } {
  // The package file sits two levels above the compiled node (dist/nodes) and one above the source.
  for (const path of [join(__dirname, '..', '..', 'package.json'), join(__dirname, '..', 'package.json')]) {
    try {
      const pkg = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'node-red-contrib-ve-direct') return { name: pkg.name, sw_version: pkg.version ?? '' };
    } catch {
      // Not at this level: try the next.
    }
  }
  return { name: 'node-red-contrib-ve-direct', sw_version: '' };
}

/** One store per file, shared by every ve-direct-ha node of the runtime. */
const stores = new Map<string, EnergyStore>();

function toMessage(m: MqttMessage): NodeMessage {
  return { topic: m.topic, payload: m.payload, retain: m.retain, qos: m.qos } as NodeMessage;
}

export = function (RED: NodeAPI): void {
  function energyStore(node: PortUser): EnergyStore {
    const userDir = (RED.settings as { userDir?: string }).userDir;
    const file = userDir ? join(userDir, ENERGY_FILE) : null;
    const key = file ?? '';
    let store = stores.get(key);
    if (!store) {
      store = new EnergyStore(file, { onError: (err) => node.warn(RED._(`${TYPE}.errors.energy-file`, { message: err.message })) });
      stores.set(key, store);
    }
    return store;
  }

  registerPortNode<HaNodeDef>(RED, TYPE, { setup });

  function setup({ node, config, portNode, port, badge, requirePort }: PortNodeParts<HaNodeDef>): NodeHandlers {
    const mode: Mode = config.mode === 'plain' ? 'plain' : 'homeassistant';
    const update: Update = config.update === 'interval' ? 'interval' : 'change';
    const intervalMs = Math.max(MIN_INTERVAL_S * 1000, secondsSetting(config.interval, DEFAULT_INTERVAL_S));
    const removers: Remover[] = [];
    const timers: NodeJS.Timeout[] = [];
    let publisher: HaPublisher | null = null;
    let polled: HaEntity[] = [];
    let store: EnergyStore | null = null;
    /** Registers whose failed reads were already reported (each code once). */
    const warned = new Set<string>();

    try {
      const topics = new TopicScheme({
        discovery: checkPrefix(config.discoveryPrefix, DEFAULT_PREFIXES.discovery),
        state: checkPrefix(config.statePrefix, DEFAULT_PREFIXES.state),
      });
      const registers = list(config.registers).map(registerEntity);
      const commands = list(config.commands);
      // Checked now, so a wrong name is reported at deploy; the ranges follow the device later.
      for (const name of commands) commandEntity(name, null);
      store = flagSetting(config.energyTotal ?? true) ? energyStore(node) : null;
      publisher = new HaPublisher({
        mode,
        topics,
        update,
        fields: list(config.fields),
        registers,
        commands,
        retainState: flagSetting(config.retain ?? true),
        energy: store,
        origin: origin(),
      });
      polled = [...registers, ...commands.map((name) => commandEntity(name, null))];
    } catch (err) {
      badge.failed(err);
      node.error(RED._(`${TYPE}.errors.config`, { message: err instanceof Error ? err.message : String(err) }));
    }

    function publish(messages: MqttMessage[]): void {
      if (messages.length === 0) return;
      node.send([messages.map(toMessage), null]);
    }

    function identify(p: VeDirectPort): void {
      if (!publisher || !p.identity) return;
      try {
        publish(publisher.identify(p.identity, p.path));
      } catch (err) {
        badge.failed(err);
        node.error(RED._(`${TYPE}.errors.config`, { message: err instanceof Error ? err.message : String(err) }));
      }
    }

    function onState(p: VeDirectPort, s: PortState): void {
      if (!publisher) return;
      if (s.kind === 'connected') {
        identify(p);
        // The polled registers soon after the device is known, not a whole interval later.
        if (polled.length > 0) setTimeout(() => void poll(p), 0).unref();
      }
      publish(publisher.availability(s.kind === 'connected'));
    }

    async function poll(p: VeDirectPort): Promise<void> {
      if (!publisher || p.state.kind !== 'connected' || p.identity?.hex !== true) return;
      for (const entity of polled) {
        try {
          const reading = await p.get(entity.key);
          publish(publisher.register(entity.key, reading.text !== undefined ? { value: reading.value, text: reading.text } : { value: reading.value }));
        } catch (err) {
          const code = isVeError(err) ? err.code : 'error';
          if (warned.has(`${entity.key}:${code}`)) continue;
          warned.add(`${entity.key}:${code}`);
          node.warn(RED._(`${TYPE}.errors.read-failed`, { register: entity.key, message: err instanceof Error ? err.message : String(err) }));
        }
      }
    }

    if (port && publisher) {
      const pub = publisher;
      removers.push(port.on('state', (s) => onState(port, s)));
      removers.push(
        port.on('snapshot', (s) => {
          const messages = pub.snapshot(s.values);
          publish(messages);
          badge.show({ text: RED._(`${TYPE}.status.values`, { count: Object.keys(s.values).length }) });
        }),
      );
      onState(port, port.state);
      if (polled.length > 0) {
        timers.push(setInterval(() => void poll(port), intervalMs));
      }
      if (update === 'interval') timers.push(setInterval(() => publish(pub.flush()), intervalMs));
    } else if (portNode && !port) {
      node.error(RED._(`${TYPE}.errors.port-unusable`, { message: portNode.portError?.message ?? '' }));
    }

    const input: InputBody = async (msg, send) => {
      if (!publisher) throw ownError(RED, TYPE, 'VE_BAD_INPUT', 'not-configured');
      requirePort();
      let verdict;
      try {
        verdict = publisher.input(msg.topic, msg.payload);
      } catch (err) {
        badge.failed(err);
        throw err;
      }
      switch (verdict.kind) {
        case 'command':
          send([null, { ...verdict.command, vedirect: { source: 'mqtt', mqttTopic: msg.topic } } as NodeMessage]);
          return;
        case 'rediscover':
          if (verdict.messages.length > 0) send([verdict.messages.map(toMessage), null]);
          return;
        case 'other-device':
          return;
      }
    };

    const close = (): void => {
      for (const remove of removers.splice(0)) remove();
      for (const t of timers.splice(0)) clearInterval(t);
      // Home Assistant shows the device unavailable (when the mqtt out node still runs).
      if (publisher) publish(publisher.close());
      store?.flush();
    };
    return { input, close };
  }
};
