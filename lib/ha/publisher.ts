/**
 * Turns one device's life on a port — who it is, its Text cycles, register readings, whether
 * it is there — into MQTT messages: Home Assistant discovery configs (retained), states and
 * availability under the topic scheme (topics.ts), and reads command messages back. Pure: the
 * caller feeds events and sends what comes back (the `ve-direct-ha` node, through Node-RED's
 * `mqtt out`); timers (the interval mode, register polling) are the caller's.
 */

import { VeError } from '../errors';
import type { DeviceIdentity } from '../link/device';
import { formatProductId } from '../protocol/catalog/products';
import { commandEntity, ENERGY_TOTAL_ENTITY, textEntityByName, type HaEntity } from './entities';
import { EnergyTotal, type EnergyState } from './energy-total';
import { topicLevel, type TopicScheme } from './topics';

/** A message for Node-RED's `mqtt out` node. */
export interface MqttMessage {
  readonly topic: string;
  readonly payload: string;
  readonly retain: boolean;
  readonly qos: 0 | 1;
}

/** A value as the port reports it (a Text field or a register reading). */
export interface ValueReading {
  readonly value: number | string | boolean | null;
  readonly text?: string;
}

/** A command for a register, as the set node (and the charge-limit and control nodes) take it. */
export interface CommandMessage {
  readonly topic: string;
  readonly register: string;
  readonly payload: number;
}

export type InputVerdict =
  | { readonly kind: 'command'; readonly command: CommandMessage }
  /** Home Assistant came online: discovery, availability and states were sent again. */
  | { readonly kind: 'rediscover'; readonly messages: MqttMessage[] }
  /** A command for another device (another ve-direct-ha node's): not this node's business. */
  | { readonly kind: 'other-device' };

export interface EnergyPersistence {
  load(key: string): EnergyState | null;
  save(key: string, state: EnergyState, now?: boolean): void;
}

export interface HaPublisherOptions {
  /** `homeassistant`: discovery configs and states; `plain`: states only, flat topics. */
  readonly mode: 'homeassistant' | 'plain';
  readonly topics: TopicScheme;
  /** `change`: a state when its value changed; `interval`: all states on `flush()`. */
  readonly update: 'change' | 'interval';
  /** Text fields to publish, by name; empty: every field the device sends. */
  readonly fields: readonly string[];
  /** Registers read periodically by the caller, as entities (entities.ts registerEntity). */
  readonly registers: readonly HaEntity[];
  /** Registers Home Assistant may write, by name (volatile, numeric: entities.ts commandEntity). */
  readonly commands: readonly string[];
  /** Retain state messages, so a client that connects later gets the last value. */
  readonly retainState: boolean;
  /** Keep a never-decreasing energy total for chargers (energy-total.ts); null: none. */
  readonly energy: EnergyPersistence | null;
  /** The package, as Home Assistant's `origin` names it. */
  readonly origin: { readonly name: string; readonly sw_version: string };
}

const AVAILABLE = 'online';
const NOT_AVAILABLE = 'offline';
/** Home Assistant's MQTT sensor takes the payload `None` as "unknown". */
const UNKNOWN = 'None';

export class HaPublisher {
  private identity: DeviceIdentity | null = null;
  private key: string | null = null;
  /** Entities announced to Home Assistant for the current device, by key. */
  private readonly announced = new Map<string, HaEntity>();
  /** The latest state payload of each entity, and what was last sent. */
  private readonly latest = new Map<string, string>();
  private readonly sent = new Map<string, string>();
  private online: boolean | null = null;
  private energy: EnergyTotal | null = null;
  private commandEntities = new Map<string, HaEntity>();

  constructor(private readonly options: HaPublisherOptions) {}

  /** The device key (its serial number as a topic level), once known. */
  get deviceKey(): string | null {
    return this.key;
  }

  /** The command entities for this device, by register name. */
  get commands(): ReadonlyMap<string, HaEntity> {
    return this.commandEntities;
  }

  /**
   * The device behind the port (again, after every reconnect). `fallback` names it when it has
   * no serial number (the port's path). Another device than before starts afresh.
   */
  identify(identity: DeviceIdentity, fallback: string): MqttMessage[] {
    const key = topicLevel(identity.serial ?? fallback);
    const out: MqttMessage[] = [];
    if (this.key !== null && this.key !== key) {
      // Another device on this port: the old one is gone.
      out.push(this.availabilityMessage(this.key, false));
      this.announced.clear();
      this.latest.clear();
      this.sent.clear();
      this.online = null;
    }
    this.identity = identity;
    this.key = key;
    const saved = this.options.energy?.load(key) ?? null;
    if (this.energy === null || this.announced.size === 0) this.energy = new EnergyTotal(saved);
    // Commands need the identity: their range is the product's (a 100|30's 30 A).
    this.commandEntities = new Map(this.options.commands.map((name) => {
      const entity = commandEntity(name, identity);
      return [entity.key, entity];
    }));
    for (const entity of [...this.options.registers, ...this.commandEntities.values()]) out.push(...this.announce(entity));
    return out;
  }

  /** One Text cycle: its values, by catalogue name. */
  snapshot(values: Readonly<Record<string, ValueReading>>): MqttMessage[] {
    if (this.key === null) return [];
    const out: MqttMessage[] = [];
    const picked = this.options.fields;
    for (const [name, reading] of Object.entries(values)) {
      if (picked.length > 0 && !picked.includes(name)) continue;
      const entity = this.announced.get(name) ?? textEntityByName(name);
      if (!entity) continue;
      out.push(...this.announce(entity), ...this.value(entity, reading));
    }
    out.push(...this.energyTotal(values));
    return out;
  }

  /** A register value read by the caller (a polled register or a command's current value). */
  register(name: string, reading: ValueReading): MqttMessage[] {
    const entity = this.announced.get(name);
    if (!entity || this.key === null) return [];
    return this.value(entity, reading);
  }

  /** The port's device is there (fresh data) or not (stale, closed, error). */
  availability(online: boolean): MqttMessage[] {
    if (this.key === null || this.online === online) return [];
    this.online = online;
    return [this.availabilityMessage(this.key, online)];
  }

  /** Interval mode: every entity's latest state. */
  flush(): MqttMessage[] {
    if (this.key === null) return [];
    const out: MqttMessage[] = [];
    for (const [key, payload] of this.latest) out.push(this.stateMessage(key, payload));
    return out;
  }

  /** Everything again: after Home Assistant restarted, or on close (offline only). */
  rediscover(): MqttMessage[] {
    if (this.key === null) return [];
    const out: MqttMessage[] = [];
    if (this.options.mode === 'homeassistant') for (const entity of this.announced.values()) out.push(this.discoveryMessage(entity));
    if (this.online !== null) out.push(this.availabilityMessage(this.key, this.online));
    for (const [key, payload] of this.latest) out.push(this.stateMessage(key, payload));
    return out;
  }

  /** The node stops: the device is offline for Home Assistant. */
  close(): MqttMessage[] {
    const out = this.key !== null && this.online !== false ? [this.availabilityMessage(this.key, false)] : [];
    this.online = false;
    return out;
  }

  /**
   * A message from `mqtt in`: a command for an entity Home Assistant may write, or Home
   * Assistant's birth message. Anything else is refused with VE_BAD_INPUT.
   */
  input(topic: unknown, payload: unknown): InputVerdict {
    const topics = this.options.topics;
    if (topic === topics.haStatus()) {
      if (String(payload).trim().toLowerCase() !== 'online') return { kind: 'rediscover', messages: [] };
      return { kind: 'rediscover', messages: this.rediscover() };
    }
    const parsed = typeof topic === 'string' ? topics.parseCommand(topic) : null;
    if (parsed === null) {
      throw new VeError('VE_BAD_INPUT', `"${String(topic)}" is no command topic: commands come on ${topics.commandFilter()}`, { topic });
    }
    if (this.key === null) throw new VeError('VE_PORT_CLOSED', 'The device is not identified yet, so no command is taken. Nothing was written.', { topic });
    if (parsed.deviceKey !== this.key) return { kind: 'other-device' };
    const entity = this.commandEntities.get(parsed.entity);
    if (!entity?.command) {
      throw new VeError('VE_BAD_INPUT', `${parsed.entity} takes no commands from MQTT: allow it in the node first. Nothing was written.`, { topic, register: parsed.entity });
    }
    const text = Buffer.isBuffer(payload) ? payload.toString('utf8') : String(payload);
    const value = typeof payload === 'number' ? payload : text.trim() === '' ? Number.NaN : Number(text);
    if (!Number.isFinite(value)) {
      throw new VeError('VE_TYPE', `${entity.key}: "${text.slice(0, 40)}" is not a number. Nothing was written.`, { topic, value: text.slice(0, 40) });
    }
    return { kind: 'command', command: { topic: entity.command.register, register: entity.command.register, payload: value } };
  }

  // ── inside ─────────────────────────────────────────────────────────────────────────────

  private announce(entity: HaEntity): MqttMessage[] {
    if (this.announced.has(entity.key)) return [];
    this.announced.set(entity.key, entity);
    return this.options.mode === 'homeassistant' ? [this.discoveryMessage(entity)] : [];
  }

  private value(entity: HaEntity, reading: ValueReading): MqttMessage[] {
    const payload = statePayload(entity, reading);
    // Plain topics feed databases: a missing value is left out, not written as a word.
    if (payload === UNKNOWN && this.options.mode === 'plain') return [];
    this.latest.set(entity.key, payload);
    if (this.options.update !== 'change' || this.sent.get(entity.key) === payload) return [];
    return [this.stateMessage(entity.key, payload)];
  }

  private energyTotal(values: Readonly<Record<string, ValueReading>>): MqttMessage[] {
    const today = values.yieldToday?.value;
    if (this.options.energy === null || this.energy === null || this.key === null || typeof today !== 'number') return [];
    const num = (name: string): number | null => {
      const v = values[name]?.value;
      return typeof v === 'number' ? v : null;
    };
    const before = this.energy.state;
    const total = this.energy.update({ todayKWh: today, userTotalKWh: num('yieldTotal'), yesterdayKWh: num('yieldYesterday'), day: num('daySequenceNumber') });
    const after = this.energy.state;
    if (after !== null && (before === null || before.totalKWh !== after.totalKWh || before.todayKWh !== after.todayKWh || before.day !== after.day)) {
      this.options.energy.save(this.key, after, before === null || before.day !== after.day || after.todayKWh < before.todayKWh);
    }
    return [...this.announce(ENERGY_TOTAL_ENTITY), ...this.value(ENERGY_TOTAL_ENTITY, { value: total })];
  }

  private stateMessage(entityKey: string, payload: string): MqttMessage {
    this.sent.set(entityKey, payload);
    return { topic: this.options.topics.state(this.key ?? 'unknown', entityKey), payload, retain: this.options.retainState, qos: 0 };
  }

  private availabilityMessage(key: string, online: boolean): MqttMessage {
    return { topic: this.options.topics.availability(key), payload: online ? AVAILABLE : NOT_AVAILABLE, retain: true, qos: 1 };
  }

  private discoveryMessage(entity: HaEntity): MqttMessage {
    const key = this.key ?? 'unknown';
    const topics = this.options.topics;
    const id = this.identity;
    const product = id?.product ?? 'VE.Direct device';
    const config: Record<string, unknown> = {
      name: entity.name,
      unique_id: `${topics.nodeId(key)}_${entity.key}`,
      state_topic: topics.state(key, entity.key),
      availability_topic: topics.availability(key),
      payload_available: AVAILABLE,
      payload_not_available: NOT_AVAILABLE,
      ...(entity.unit !== undefined ? { unit_of_measurement: entity.unit } : {}),
      ...(entity.deviceClass !== undefined ? { device_class: entity.deviceClass } : {}),
      ...(entity.stateClass !== undefined ? { state_class: entity.stateClass } : {}),
      ...(entity.diagnostic ? { entity_category: 'diagnostic' } : {}),
      ...(entity.command
        ? { command_topic: topics.command(key, entity.key), min: entity.command.min, max: entity.command.max, step: entity.command.step, mode: 'box' }
        : {}),
      device: {
        identifiers: [topics.nodeId(key)],
        name: id?.serial ? `${product} ${id.serial}` : product,
        manufacturer: 'Victron Energy',
        model: product,
        ...(id?.productId != null ? { model_id: formatProductId(id.productId) } : {}),
        ...(id?.serial ? { serial_number: id.serial } : {}),
        ...(id?.firmware ? { sw_version: id.firmware } : {}),
      },
      origin: this.options.origin,
    };
    return { topic: topics.discovery(entity.component, key, entity.key), payload: JSON.stringify(config), retain: true, qos: 1 };
  }
}

/** The state payload of a value: numbers as decimal text, texts for enumerations, `None` for no value. */
export function statePayload(entity: HaEntity, reading: ValueReading): string {
  const { value, text } = reading;
  if (value === null) return UNKNOWN;
  if (typeof value === 'boolean') return value ? 'ON' : 'OFF';
  const numeric = entity.deviceClass !== undefined || entity.stateClass !== undefined || entity.component === 'number' || entity.unit !== undefined;
  if (!numeric && text !== undefined && text !== '') return text;
  return String(value);
}
