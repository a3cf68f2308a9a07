/**
 * What the tests of the ve-direct-in/get/set nodes share: the node modules with their real
 * message catalogues, the port behind a port node, messages a helper node collects, and what
 * a simulated device holds and heard.
 */

import type { NodeStatus } from 'node-red';
import getModule from '../../nodes/ve-direct-get';
import inModule from '../../nodes/ve-direct-in';
import portModule from '../../nodes/ve-direct-port';
import setModule from '../../nodes/ve-direct-set';
import type { PortConfigNode } from '../../nodes/lib/types';
import type { VeDirectPort } from '../../lib/link/port';
import { findRegister } from '../../lib/protocol/catalog/registers';
import { decodeRegisterValue } from '../../lib/protocol/value-codec';
import { getSimDevice, type HostFrame } from '../../lib/sim';
import { helper, translated, waitFor, type Flow } from './nodered';

export const portNode = translated('ve-direct-port', portModule);
export const getNode = translated('ve-direct-get', getModule);
export const setNode = translated('ve-direct-set', setModule);
export const inNode = translated('ve-direct-in', inModule);

export type Msg = Record<string, unknown> & { payload?: unknown; topic?: string; vedirect?: Record<string, unknown> };
export type ErrorMsg = Msg & { error: { message: string; code?: string; source: { id: string } } };

/** The port of a deployed port node, once its device is identified. */
export async function readyPort(portNodeId: string): Promise<VeDirectPort> {
  const port = await waitFor(() => (helper.getNode(portNodeId) as unknown as PortConfigNode | null)?.port, `port ${portNodeId}`);
  await port.ready({ timeoutMs: 10_000 });
  return port;
}

/** Deploy a changed flow the way the editor does: "full", "flows" (changed flows) or "nodes" (changed nodes). */
export async function redeploy(flow: Flow, type: 'full' | 'flows' | 'nodes'): Promise<void> {
  // The helper's typings want its own flow item type; the flows here carry node fields.
  await (helper.setFlows as unknown as (f: Flow, t: string) => Promise<void>)(flow, type);
}

/** Every message a helper node receives from now on. */
export function collect(helperId: string): Msg[] {
  const seen: Msg[] = [];
  helper.getNode(helperId).on('input', (msg: Msg) => seen.push(msg));
  return seen;
}

/** The value a simulated device holds in a register, decoded as the catalogue says. */
export function simValue(path: string, id: number): number | string | null {
  const bytes = getSimDevice(path).readRegister(id);
  if (bytes === undefined) throw new Error(`${path} has no register 0x${id.toString(16)}`);
  return decodeRegisterValue(findRegister(id), bytes).value;
}

/** Frames the host sent to a simulated device, of one kind (and register). */
export function hostFrames(path: string, type: 'get' | 'set' | 'ping' | 'app-version' | 'product-id', register?: number): HostFrame[] {
  return getSimDevice(path).hostLog.filter((f) => {
    const c = f.command;
    if (c === undefined || c.type !== type) return false;
    if (register === undefined) return true;
    return 'register' in c && c.register === register;
  });
}

export const green = (s: NodeStatus): boolean => s.fill === 'green' && s.shape === 'dot';
export const blue = (s: NodeStatus): boolean => s.fill === 'blue' && s.shape === 'dot';
export const red = (s: NodeStatus): boolean => s.fill === 'red' && s.shape === 'ring';
export const yellow = (s: NodeStatus): boolean => s.fill === 'yellow';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
