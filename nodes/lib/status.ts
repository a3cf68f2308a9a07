/**
 * Status badges, one vocabulary for every node (Node-RED status: fill × shape, text under
 * ~20 characters): grey ring connecting, green dot "<product> <serial>", yellow dot "this link
 * carries no HEX" (Text only: a receive-only relay or a Text-only device), yellow ring stale,
 * red ring error, red dot wrong device, grey dot stopped, blue dot request in flight.
 * Texts are message keys of the ve-direct-port catalogue, so every node shows the same words.
 */

import type { NodeAPI, NodeStatus } from 'node-red';
import type { PortState } from '../../lib/link/port';

/** The ve-direct-port catalogue's namespace, so other node types can use its keys. */
export const PORT_NS = 'node-red-contrib-ve-direct/ve-direct-port:ve-direct-port';

/** The longest badge text (Node-RED draws the badge on one line under the node). */
const BADGE_MAX = 32;

/** Keep badges short: Node-RED's status line is meant for a glance. */
export function shorten(text: string, max = BADGE_MAX): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * A product name without what the badge does not need to tell the devices of one system apart:
 * the product line ("SmartSolar MPPT 100|30" → "MPPT 100|30"), revisions, the shunt's rating,
 * an Orion's isolation. Applied only when the whole name and the serial do not fit.
 */
export function shortProductName(name: string): string {
  return name
    .replace(/\s+rev\d+\b/i, '')
    .replace(/^(?:All-In-1\s+)?(?:SmartSolar|BlueSolar)\s+(?:(MPPT)\s+)?(?:VE\.Can\s+)?/, (_m, mppt?: string) => (mppt ? 'MPPT ' : ''))
    .replace(/^(BMV-\d+\w*)\s+Smart\b.*$/, '$1')
    .replace(/^SmartShunt\b.*$/, 'SmartShunt')
    .replace(/^Blue Smart\s+(IP\d+s?)\s+Charger\s*/, '$1 ')
    .replace(/^Orion Smart\s+/, 'Orion ')
    .replace(/\s+(?:Isolated|Non-isolated)\s+DC-DC Charger$/, '')
    .trim();
}

/** "<product> <serial>": the whole product name when it fits, else the short one; never a serial cut. */
export function identityText(product: string, serial: string | null): string {
  const whole = [product, serial].filter(Boolean).join(' ');
  if (whole.length <= BADGE_MAX) return whole;
  return shorten([shortProductName(product), serial].filter(Boolean).join(' '), BADGE_MAX);
}

export function portStatus(RED: NodeAPI, state: PortState): NodeStatus {
  switch (state.kind) {
    case 'connecting':
      return { fill: 'grey', shape: 'ring', text: RED._(`${PORT_NS}.status.connecting`) };
    case 'connected': {
      // Text flows, HEX requests cannot be answered: say why gets and sets fail.
      if (state.noHex) return { fill: 'yellow', shape: 'dot', text: RED._(`${PORT_NS}.status.no-hex`) };
      const { product, serial } = state.identity;
      return { fill: 'green', shape: 'dot', text: identityText(product ?? RED._(`${PORT_NS}.status.unknown-device`), serial) };
    }
    case 'stale':
      return { fill: 'yellow', shape: 'ring', text: RED._(`${PORT_NS}.status.stale`, { seconds: Math.round(state.silentMs / 1000) }) };
    case 'error':
      return { fill: 'red', shape: 'ring', text: shorten(RED._(`${PORT_NS}.status.error`, { reason: state.reason })) };
    case 'mismatch':
      return { fill: 'red', shape: 'dot', text: shorten(RED._(`${PORT_NS}.status.mismatch`, { serial: state.identity.serial ?? '?' })) };
    case 'closed':
      return { fill: 'grey', shape: 'dot', text: RED._(`${PORT_NS}.status.stopped`) };
  }
}

export function noPortStatus(RED: NodeAPI, reason?: string): NodeStatus {
  return { fill: 'red', shape: 'ring', text: shorten(reason ? RED._(`${PORT_NS}.status.error`, { reason }) : RED._(`${PORT_NS}.status.no-port`)) };
}

export function busyStatus(RED: NodeAPI, what: string): NodeStatus {
  return { fill: 'blue', shape: 'dot', text: shorten(RED._(`${PORT_NS}.status.busy`, { what })) };
}
