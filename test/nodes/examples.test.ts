/**
 * The example flows as files: each is one tab that imports on its own (every node and config
 * node it names is in the file), works on simulated devices, names each simulated device with
 * the same port node as every other example, and says in a comment where the serial port is
 * changed. A set node on a timer writes only volatile registers, so no example wears flash.
 * (The e2e tests import, deploy and run them in a real editor.)
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRegister } from '../../lib/protocol/catalog/registers';

interface FlowNode {
  id: string;
  type: string;
  z?: string;
  label?: string;
  name?: string;
  info?: string;
  path?: string;
  port?: string;
  register?: string;
  allowFlash?: boolean;
  takeRelayControl?: boolean;
  repeat?: string;
  sources?: string[];
  targets?: string[];
  chargers?: string[];
  group?: string;
  page?: string;
  ui?: string;
  theme?: string;
  wires?: string[][];
  scope?: string[] | null;
  broker?: string;
}

const DIR = join(__dirname, '..', '..', 'examples');
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const flows = new Map(FILES.map((f) => [f, JSON.parse(readFileSync(join(DIR, f), 'utf8')) as FlowNode[]]));

/** The simulated device behind each shared port node id. */
const PORTS: Record<string, string> = {
  've-port-monitor-1': 'sim:smartshunt-temp',
  've-port-monitor-2': 'sim:bmv712',
  've-port-mppt-1': 'sim:smartsolar-100-30',
  've-port-mppt-2': 'sim:smartsolar-250-70',
  've-port-inverter-1': 'sim:phoenix-inverter-hex',
  've-port-charger-1': 'sim:bluesmart-charger-hex',
};

/** Ids a node refers to: wires, config nodes, catch scope. */
function references(node: FlowNode): string[] {
  const refs = [...(node.wires ?? []).flat(), ...(node.sources ?? []), ...(node.targets ?? []), ...(node.chargers ?? []), ...(node.scope ?? [])];
  for (const key of ['port', 'group', 'page', 'ui', 'theme', 'broker'] as const) {
    // An mqtt-broker's `broker` and `port` are its address, not nodes.
    if ((key === 'port' || key === 'broker') && node.type === 'mqtt-broker') continue;
    const value = node[key];
    if (typeof value === 'string' && value !== '') refs.push(value);
  }
  return refs;
}

describe('example flows', () => {
  it('are the examples, in order', () => {
    assert.deepEqual(FILES, [
      '01-watch-a-battery-monitor.json',
      '02-get-and-set-mppt-registers.json',
      '03-bmv-to-mppt-one-to-one.json',
      '04-many-monitors-to-many-chargers.json',
      '05-dashboard-needs-dashboard-2.json',
      '06-charge-limit-needs-dashboard-2.json',
      '07-home-assistant-mqtt.json',
      '08-on-off-control.json',
    ]);
  });

  for (const [file, nodes] of flows) {
    describe(file, () => {
      it('is one tab; every flow node is on it; ids are unique', () => {
        const tabs = nodes.filter((n) => n.type === 'tab');
        assert.equal(tabs.length, 1);
        for (const n of nodes) if (n.z !== undefined) assert.equal(n.z, tabs[0]!.id, `${n.id} on the tab`);
        assert.equal(new Set(nodes.map((n) => n.id)).size, nodes.length);
      });

      it('imports on its own: every node it refers to is in the file', () => {
        const ids = new Set(nodes.map((n) => n.id));
        for (const n of nodes) for (const ref of references(n)) assert.ok(ids.has(ref), `${n.id} → ${ref}`);
      });

      it('uses the shared port nodes, on simulated devices, and says where to change them', () => {
        const ports = nodes.filter((n) => n.type === 've-direct-port');
        assert.ok(ports.length > 0);
        for (const port of ports) assert.equal(port.path, PORTS[port.id], `${port.id}`);
        // The path is set in the port nodes only.
        assert.deepEqual(nodes.filter((n) => n.type !== 've-direct-port' && typeof n.path === 'string' && n.path.startsWith('sim:')).map((n) => n.id), []);
        const hint = nodes.find((n) => n.type === 'comment' && /serial port/.test(n.name ?? '') && /\/dev\/serial\/by-id\//.test(`${n.name} ${n.info}`));
        assert.ok(hint, 'a comment says to set the serial port to a /dev/serial/by-id/ path');
      });

      it('never writes a flash-backed setting on a timer', () => {
        const byId = new Map(nodes.map((n) => [n.id, n]));
        for (const inject of nodes.filter((n) => n.type === 'inject' && n.repeat)) {
          for (const id of (inject.wires ?? []).flat()) {
            const target = byId.get(id);
            if (target?.type !== 've-direct-set') continue;
            const register = findRegister(target.register ?? '');
            assert.equal(register?.storage, 'volatile', `${inject.id} → ${target.id} writes ${target.register} every ${inject.repeat} s`);
          }
        }
        for (const set of nodes.filter((n) => n.type === 've-direct-set')) assert.equal(set.allowFlash, false, `${set.id}: no flash writes in an example`);
        // A control node switches flash-backed modes: only on a press, never on a timer, and
        // never takes over a relay.
        for (const inject of nodes.filter((n) => n.type === 'inject' && n.repeat)) {
          for (const id of (inject.wires ?? []).flat()) assert.notEqual(byId.get(id)?.type, 've-direct-control', `${inject.id} → ${id} switches on a timer`);
        }
        for (const control of nodes.filter((n) => n.type === 've-direct-control')) assert.equal(control.takeRelayControl, false, `${control.id}: never takes over a relay`);
      });
    });
  }

  it('Home Assistant: one broker, localhost:1883, a comment says where to change it; commands go to a set node', () => {
    const nodes = flows.get('07-home-assistant-mqtt.json')!;
    const brokers = nodes.filter((n) => n.type === 'mqtt-broker') as Array<FlowNode & { broker?: string; port?: string }>;
    assert.equal(brokers.length, 1);
    assert.equal(brokers[0]!.broker, 'localhost');
    assert.equal(String(brokers[0]!.port), '1883');
    for (const n of nodes.filter((x) => x.type === 'mqtt in' || x.type === 'mqtt out')) assert.equal(n.broker, brokers[0]!.id, n.id);
    assert.ok(nodes.some((n) => n.type === 'comment' && /broker/i.test(n.name ?? '') && /set its address/.test(n.name ?? '')));
    const byId = new Map(nodes.map((n) => [n.id, n]));
    for (const ha of nodes.filter((n) => n.type === 've-direct-ha')) {
      for (const id of ha.wires?.[1] ?? []) assert.equal(byId.get(id)?.type, 've-direct-set', `${ha.id}'s commands go to a set node`);
    }
  });

  it('give each port node the same content in every example (npm start keeps one)', () => {
    const seen = new Map<string, string>();
    for (const [file, nodes] of flows) {
      for (const port of nodes.filter((n) => n.type === 've-direct-port' || (n.z === undefined && n.type !== 'tab'))) {
        const json = JSON.stringify(port);
        const earlier = seen.get(port.id);
        if (earlier !== undefined) assert.equal(json, earlier, `${port.id} in ${file}`);
        seen.set(port.id, json);
      }
    }
  });

  it('use every node type of the package, and one bridge per charger within a file', () => {
    const all = [...flows.values()].flat();
    for (const type of ['ve-direct-in', 've-direct-get', 've-direct-set', 've-direct-control', 've-bmv-to-mppt', 've-charge-limit', 've-direct-ha']) assert.ok(all.some((n) => n.type === type), type);
    for (const [file, nodes] of flows) {
      const chargers = nodes.filter((n) => n.type === 've-bmv-to-mppt').flatMap((n) => n.targets ?? []);
      assert.equal(new Set(chargers).size, chargers.length, file);
    }
  });
});
