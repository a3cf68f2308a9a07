/**
 * A charger as the charge-limit manager sees it, on top of a real VeDirectPort: identity and
 * reachability as the sense bridge's PortAdapter has them, the charger's own current from its
 * Text `I`, and Get / Set through the port — so every write passes the write policy (0x2015 up
 * to the product's rating, 0x200E without bit 3). No listeners: nothing to remove on stop.
 */

import type { VeDirectPort } from '../link/port';
import type { LimitReadRegister, LimitRegister, LimitTarget, LIMIT_NETWORK_MODE } from './charge-limit-types';
import { PortAdapter, rawInteger, type PortAdapterOptions } from './port-adapters';
import type { DeviceIdentity, RegisterValue, WriteAck } from './types';

/** A Text value older than this is not shown as the charger's current. */
const CURRENT_FRESH_MS = 5000;

export class PortLimitTarget implements LimitTarget {
  readonly id: string;
  readonly label: string;
  private readonly adapter: PortAdapter;

  constructor(port: VeDirectPort, options: PortAdapterOptions) {
    this.adapter = new PortAdapter(port, options);
    this.id = this.adapter.id;
    this.label = this.adapter.label;
  }

  get port(): VeDirectPort {
    return this.adapter.port;
  }

  identity(): DeviceIdentity | null {
    return this.adapter.identity();
  }

  online(): boolean {
    return this.adapter.online();
  }

  current(): number | null {
    const field = this.adapter.port.snapshot()?.values.batteryCurrent;
    if (field === undefined || typeof field.value !== 'number' || field.ageMs > CURRENT_FRESH_MS) return null;
    return field.value;
  }

  async read(register: LimitReadRegister | typeof LIMIT_NETWORK_MODE): Promise<RegisterValue> {
    const reading = await this.adapter.port.get(register);
    return { value: typeof reading.value === 'number' ? reading.value : null, rawNumber: rawInteger(reading.raw) };
  }

  async write(register: LimitRegister, value: number | null): Promise<WriteAck> {
    const reading = await this.adapter.port.set(register, value);
    return { echo: reading.raw, flags: reading.flags };
  }
}
