/**
 * Is anyone else in control of a charger? Reads the network registers of one MPPT and says
 * what they show, for any node that writes remote values to chargers (remote sense here, a
 * charge-current limit next): a writer must never fight a GX, a BMS or a VE.Smart network.
 *
 * Evidence of another master (BlueSolar HEX protocol MPPT rev 10, "Networking"):
 * - 0x200E network mode ≠ 0: a GX (DVCC), a BMS or ESS set it, and refreshes it;
 * - 0x200F role ≠ stand-alone (low nibble 0x04);
 * - 0x200F bits 7/6 (fw ≥ 1.26), 0x200D bits 7/6 (fw ≥ 1.42), bit 5 of either (fw ≥ 1.44) or
 *   a networked 0xEDEC battery temperature while the caller says those values cannot be its
 *   own (VE.Smart networking, a GX sharing the current).
 *
 * Pure apart from the reads: the caller passes a reader that returns results, never throws,
 * and decides what "may be ours" means for its own registers.
 */

import { NETWORK_MODE_BITS, NETWORK_STATUS_ROLE } from '../protocol/catalog/enums';
import type { ErrorInfo } from './write-ledger';
import { BATTERY_TEMPERATURE, NETWORK_INFO, NETWORK_MODE, NETWORK_STATUS, QUANTITIES, type ChargerReadRegister, type Quantity } from './types';

/** The outcome of one read: a value, "this firmware does not have it", or no usable answer. */
export type ReadResult =
  | { readonly kind: 'value'; readonly value: number | null; readonly rawNumber: number | null }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'silent'; readonly error: ErrorInfo };

export type RegisterReader = (register: ChargerReadRegister) => Promise<ReadResult>;

export interface InspectionRequest {
  /** Read 0x200E as well (the full check); else only 0x200F (verification of the "in use" bits). */
  readonly full: boolean;
  /** The very first check of this charger: also 0x200D and 0xEDEC (networked values). */
  readonly initial: boolean;
  /** What the firmware has (gating.ts): 0x200F bits 7/6, 0x200D. */
  readonly senseBits: boolean;
  readonly networkInfo: boolean;
  /** Bit 5 (ISENSE) means something on this firmware (≥ 1.44). Default false: bit 5 is ignored. */
  readonly currentBit?: boolean;
  /** Could a set "in use" bit for this value be the caller's own doing? */
  readonly mayBeOurs: (quantity: Quantity) => boolean;
}

export type Inspection =
  | { readonly kind: 'silent'; readonly error: ErrorInfo }
  /** The charger lacks a register the check needs: another master cannot be ruled out. */
  | { readonly kind: 'unsupported'; readonly reason: string }
  | {
      readonly kind: 'done';
      /** 0x200F as read. */
      readonly statusByte: number;
      /** Per value, whether 0x200F says it is in use; null when the firmware has no such bits. */
      readonly inUse: Readonly<Record<Quantity, boolean>> | null;
      /** Empty: nobody else in control (as far as these registers tell). */
      readonly evidence: readonly string[];
    };

const STATUS_ROLE_MASK = 0x0f;
const ROLE_STAND_ALONE = 0x04;
/** 0x200F / 0x200D bit per value. */
export const SENSE_BIT: Readonly<Record<Quantity, number>> = { voltage: 0x80, temperature: 0x40, current: 0x20 };

export function hex2(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** The set bits of 0x200E, named as the catalogue names them. */
export function describeNetworkMode(mode: number): string {
  const names = Object.entries(NETWORK_MODE_BITS)
    .filter(([bit]) => (mode & Number(bit)) !== 0)
    .map(([, name]) => name);
  return names.length > 0 ? names.join(', ') : 'unknown bits';
}

export async function inspectCharger(read: RegisterReader, request: InspectionRequest): Promise<Inspection> {
  const evidence: string[] = [];
  if (request.full) {
    const mode = await read(NETWORK_MODE);
    if (mode.kind === 'silent') return mode;
    if (mode.kind === 'unknown') return { kind: 'unsupported', reason: 'the charger does not know 0x200E (network mode), so another master cannot be ruled out' };
    if (mode.rawNumber !== null && mode.rawNumber !== 0) {
      evidence.push(`0x200E network mode ${hex2(mode.rawNumber)} (${describeNetworkMode(mode.rawNumber)}): another master (GX, BMS or ESS) controls this charger`);
    }
  }
  const status = await read(NETWORK_STATUS);
  if (status.kind === 'silent') return status;
  if (status.kind === 'unknown' || status.rawNumber === null) {
    return { kind: 'unsupported', reason: 'the charger does not report 0x200F (network status), so its use of the values cannot be checked' };
  }
  const byte = status.rawNumber;
  const role = byte & STATUS_ROLE_MASK;
  const findings: string[] = [];
  if (role !== ROLE_STAND_ALONE) findings.push(`role ${NETWORK_STATUS_ROLE[role] ?? hex2(role)}, not stand-alone`);
  let inUse: Record<Quantity, boolean> | null = null;
  // The quantities whose bits this firmware has.
  const known = QUANTITIES.filter((q) => q !== 'current' || request.currentBit === true);
  if (request.senseBits) {
    const bits = { voltage: false, temperature: false, current: false };
    for (const q of known) bits[q] = (byte & SENSE_BIT[q]) !== 0;
    inUse = bits;
    const foreign = known.filter((q) => inUse?.[q] === true && !request.mayBeOurs(q));
    if (foreign.length > 0) findings.push(`remote ${foreign.join(' and ')} already in use, not sent by this bridge`);
  }
  if (findings.length > 0) evidence.push(`0x200F network status ${hex2(byte)}: ${findings.join('; ')}`);
  if (request.full && request.initial && request.networkInfo) {
    const info = await read(NETWORK_INFO);
    if (info.kind === 'silent') return info;
    if (info.kind === 'value' && info.rawNumber !== null) {
      const bits = info.rawNumber;
      const foreign = known.filter((q) => (bits & SENSE_BIT[q]) !== 0 && !request.mayBeOurs(q));
      if (foreign.length > 0) evidence.push(`0x200D network info ${hex2(bits)}: remote ${foreign.join(' and ')} sense in use (VE.Smart network?)`);
    }
    const networked = await read(BATTERY_TEMPERATURE);
    if (networked.kind === 'silent') return networked;
    if (networked.kind === 'value' && networked.value !== null && !request.mayBeOurs('temperature')) {
      evidence.push(`0xEDEC shows a battery temperature from a VE.Smart network (${networked.value.toFixed(2)} °C)`);
    }
  }
  return { kind: 'done', statusByte: byte, inUse, evidence };
}
