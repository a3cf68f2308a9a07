/**
 * What a device family plugs into the shared device engine: its identity, its HEX habits by
 * firmware, and a model that produces its Text blocks and HEX registers from the shared
 * battery / sun system.
 */

import type { Clock } from '../clock';
import type { DeviceFamily } from '../protocol/catalog/types';
import type { SimSystem } from './battery-model';
import type { Firmware, FirmwareStyle } from './identity';
import type { Random } from './random';
import type { RegisterSlot } from './register-map';
import type { TextRecords } from './text-block';

export interface SimIdentity {
  readonly family: DeviceFamily;
  readonly productId: number;
  /** 0x010B model name, as the device spells it ("SmartSolar Charger MPPT 100/30"). */
  readonly modelName: string;
  /** SER# / 0x010A. */
  readonly serial: string;
  readonly firmware: Firmware;
  readonly firmwareStyle: FirmwareStyle;
}

/** How a device mixes HEX with Text; defaults come from the family and firmware. */
export interface HexHabits {
  /** Whether it answers HEX at all (the Text-only devices here do not). */
  readonly answersHex: boolean;
  /**
   * `after-unit`: a reply waits for the Text block in progress (MPPT fw ≥ 1.53, BlueSolar HEX
   * protocol MPPT as quoted for that firmware); `next-record`: it may cut into the block.
   */
  readonly replyPlacement: 'after-unit' | 'next-record';
  /**
   * Older firmware stops Text while HEX frames keep coming and resumes "several seconds" after
   * the last one (VE.Direct Protocol 3.33); MPPT fw ≥ 1.53 always sends Text.
   */
  readonly pauseTextOnHex: boolean;
  /** How long Text stays paused after the last valid HEX frame, ms. */
  readonly hexHoldMs: number;
  /**
   * MPPT fw ≥ 1.17: after a HEX frame, registers are sent as async `:A` frames when they
   * change, until 2 minutes pass without one (BlueSolar HEX protocol MPPT §1.2).
   */
  readonly asyncAfterHex: boolean;
}

/** What the engine hands a family model. */
export interface DeviceContext {
  readonly clock: Clock;
  readonly system: SimSystem;
  readonly random: Random;
  readonly identity: SimIdentity;
  /** Raw values of the device's settings by register id; they survive a restart. */
  readonly settings: Map<number, number>;
  /** Send an async `:A` frame now (remote sense timeout notices). */
  notifyAsync(register: number, value: Uint8Array): void;
  /** Count a write to flash the device made on its own (BMS mode stores 0xEDE8). */
  countFlashWrite(register: number): void;
  /** Seconds since the last (re)boot. */
  uptimeSeconds(): number;
}

/** A family's behaviour, built once per device. */
export interface FamilyModel {
  /** The Text blocks of one cycle, in wire order (two for BMVs: main and history). */
  textBlocks(): TextRecords[];
  /** HEX registers by id. */
  readonly registers: ReadonlyMap<number, RegisterSlot>;
  /** Registers sent asynchronously when they change (empty: none). */
  readonly asyncRegisters: readonly number[];
  /** False while the device has no power ("pv only" MPPTs at night). */
  powered?(): boolean;
  /** A restart: drop volatile state (remote sense, network mode). */
  restart?(): void;
  /** Stop timers and leave the shared system. */
  dispose?(): void;
}

/** A family profile: identity defaults and a model factory. */
export interface SimProfile {
  readonly identity: Omit<SimIdentity, 'serial'> & { readonly serialPrefix: string };
  habits(firmware: Firmware): HexHabits;
  create(context: DeviceContext): FamilyModel;
}
