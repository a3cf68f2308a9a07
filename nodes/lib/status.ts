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

/** Keep badges short: Node-RED's status line is meant for a glance. */
export function shorten(text: string, max = 32): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function portStatus(RED: NodeAPI, state: PortState): NodeStatus {
  switch (state.kind) {
    case 'connecting':
      return { fill: 'grey', shape: 'ring', text: RED._(`${PORT_NS}.status.connecting`) };
    case 'connected': {
      // Text flows, HEX requests cannot be answered: say why gets and sets fail.
      if (state.noHex) return { fill: 'yellow', shape: 'dot', text: RED._(`${PORT_NS}.status.no-hex`) };
      const { product, serial } = state.identity;
      return { fill: 'green', shape: 'dot', text: shorten([product ?? RED._(`${PORT_NS}.status.unknown-device`), serial].filter(Boolean).join(' ')) };
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
