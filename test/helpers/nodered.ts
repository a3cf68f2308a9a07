/**
 * Running nodes in a real Node-RED runtime (node-red-node-test-helper), and waiting on what
 * they do: messages, status badges, log lines.
 */

import { join } from 'node:path';
import helper from 'node-red-node-test-helper';
import { i18n } from '@node-red/util';
import type { Node, NodeAPI, NodeStatus } from 'node-red';
import { registerPortNode } from '../../nodes/lib/port-node';

helper.init(require.resolve('node-red'));

export { helper };

/** A flow is a list of node definitions; the typings of the helper are stricter than needed. */
export type Flow = Record<string, unknown>[];

export type NodeModule = (RED: NodeAPI) => void;

const MODULE = 'node-red-contrib-ve-direct';
const LOCALES = join(__dirname, '..', '..', 'locales');
const registered = new Set<string>();

/**
 * The test helper replaces RED._ with the identity. Give each node module the translation
 * Node-RED gives it instead: its own message catalogue (locales/en-US/<type>.json) as the
 * default namespace, other catalogues by `namespace:key` — with Node-RED's own i18n.
 */
export function translated(type: string, module: NodeModule): NodeModule {
  const wrapped: NodeModule = (red) => {
    const ns = `${MODULE}/${type}`;
    const translate = (key: string, params?: Record<string, string | number>): string => i18n._(key.includes(':') ? key : `${ns}:${key}`, params);
    return module(Object.create(red, { _: { value: translate } }) as NodeAPI);
  };
  return Object.assign(wrapped, { nodeType: type });
}

async function registerCatalogues(nodes: NodeModule[]): Promise<void> {
  // Initialised once per process; the typings leave init out.
  (i18n as unknown as { init(settings: object): void }).init({});
  const types = ['ve-direct-port', ...nodes.map((n) => (n as { nodeType?: string }).nodeType).filter((t): t is string => Boolean(t))];
  for (const type of types) {
    if (registered.has(type)) continue;
    await i18n.registerMessageCatalog(`${MODULE}/${type}`, LOCALES, `${type}.json`);
    registered.add(type);
  }
}

export async function load(nodes: NodeModule[], flow: Flow): Promise<void> {
  await registerCatalogues(nodes);
  await (helper.load as unknown as (n: NodeModule[], f: Flow) => Promise<void>)(nodes, flow);
}

/** Statuses a node showed, in order, recorded from its status() calls. */
export function recordStatus(node: Node): NodeStatus[] {
  const seen: NodeStatus[] = [];
  const original = node.status.bind(node);
  (node as unknown as { status: (s: NodeStatus) => void }).status = (s: NodeStatus) => {
    seen.push(s);
    original(s);
  };
  return seen;
}

/** Resolve when `predicate` holds, polling every 20 ms; reject after `timeoutMs` with `what`. */
export async function waitFor<T>(predicate: () => T | undefined | null | false, what: string, timeoutMs = 10_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = predicate();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The next message a helper node receives. */
export function nextMessage(nodeId: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  const node = helper.getNode(nodeId);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message at ${nodeId} within ${timeoutMs} ms`)), timeoutMs);
    node.once('input', (msg: Record<string, unknown>) => {
      clearTimeout(timer);
      resolve(msg);
    });
  });
}

/**
 * A minimal user of a ve-direct-port node, for testing the config node alone: the skeleton of
 * every port-using node (registration, badge, deregistration on close) and nothing else.
 */
export const portUserNode: NodeModule = translated('ve-direct-port', (RED) => {
  registerPortNode(RED, 'test-port-user', { setup: () => ({}) });
});

/** The runtime's log entries so far ({ level, msg, … }; warn is level 30), from the helper's spy. */
export function logLines(): Array<{ level?: number; msg?: unknown }> {
  const calls = helper.log().args as unknown[][];
  return calls.flatMap((args) => args.filter((entry): entry is { level?: number; msg?: unknown } => typeof entry === 'object' && entry !== null));
}
