/**
 * A simulated device on a ManualClock with the real Framer on the host side: what unit tests
 * of the simulator (and of layers above it) need to drive it and read what it sent.
 */

import { ManualClock } from '../../lib/clock';
import { Framer, type FramerEvent, type TextBlockEvent } from '../../lib/protocol/framer';
import { SimSystem, type SimSystemOptions } from '../../lib/sim/battery-model';
import { createSimDevice, type CreateSimDeviceOptions } from '../../lib/sim/catalogue';
import type { SimDevice } from '../../lib/sim/device';

export interface SimRig {
  readonly clock: ManualClock;
  readonly system: SimSystem;
  readonly device: SimDevice;
  readonly framer: Framer;
  /** Every framer event so far. */
  readonly events: FramerEvent[];
  /** Every byte the host received so far. */
  bytes(): Buffer;
  blocks(): TextBlockEvent[];
  /** HEX frames received, as text (`:51641F9`). */
  frames(): string[];
  /** Send one HEX frame (`:154`); the line end is added. */
  send(frame: string): void;
  advance(ms: number): void;
  /** Forget what was received so far. */
  clear(): void;
  dispose(): void;
}

export interface RigOptions extends Omit<CreateSimDeviceOptions, 'clock' | 'system'> {
  readonly systemOptions?: SimSystemOptions;
  readonly system?: SimSystem;
  readonly clock?: ManualClock;
}

export function simRig(name: string, options: RigOptions = {}): SimRig {
  const clock = options.clock ?? new ManualClock();
  const system = options.system ?? new SimSystem(clock, { seed: 7, ...options.systemOptions });
  const { systemOptions: _s, system: _y, clock: _c, ...deviceOptions } = options;
  const device = createSimDevice(name, { seed: 11, ...deviceOptions, clock, system });
  const framer = new Framer();
  const events: FramerEvent[] = [];
  let raw: Buffer[] = [];
  device.connect((bytes) => {
    raw.push(Buffer.from(bytes));
    events.push(...framer.push(bytes));
  });
  return {
    clock,
    system,
    device,
    framer,
    events,
    bytes: () => Buffer.concat(raw),
    blocks: () => events.filter((e): e is TextBlockEvent => e.kind === 'text-block'),
    frames: () => events.flatMap((e) => (e.kind === 'hex-frame' ? [e.text] : [])),
    send: (frame) => device.receive(Buffer.from(`${frame}\n`, 'latin1')),
    advance: (ms) => clock.advance(ms),
    clear: () => {
      raw = [];
      events.length = 0;
    },
    dispose: () => device.dispose(),
  };
}

/** The labels of a block, in order. */
export const labels = (block: TextBlockEvent): string[] => Object.keys(block.fields);
