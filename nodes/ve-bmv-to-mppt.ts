/**
 * `ve-bmv-to-mppt`: shares battery voltage, temperature and (when ticked) current from BMV /
 * SmartShunt battery monitors with MPPT solar chargers — Victron's Shared Voltage, Temperature
 * and Current Sense, without a GX. Wiring only: the editor's fields become a SenseBridge (lib/bridge), the
 * selected ve-direct-port nodes its monitors and chargers; its reports go out on output 1, its
 * alarm changes on output 2, its status is the badge. An input message may carry an external
 * reading, pause or resume sharing, retry refused chargers, and always runs a cycle.
 *
 * Closing (redeploy, removal) stops the bridge — it writes the "not available" values to the
 * chargers, bounded — before the ports close: Node-RED closes the port config nodes at the same
 * time as this node, so the bridge registers a `beforeClose` with each port, which keeps the
 * port open until the release is written. A port node closed on its own (a deploy that changed
 * only the port) stops the bridge the same way; once the new flows run, the bridge is built
 * again on the new port nodes.
 */

import type { NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import { SenseBridge } from '../lib/bridge/sense-bridge';
import { PortAdapter } from '../lib/bridge/port-adapters';
import type { AlarmChange, BridgeReport, BridgeStatus } from '../lib/bridge/types';
import { systemClock } from '../lib/clock';
import { VeError, isVeError, type VeErrorCode } from '../lib/errors';
import { bridgeConfig, checkbox, editorField, type BridgeNodeDef } from './lib/bridge-config';
import { alarmChangeOut, logAlarmChange, reportOut, wallClockNow } from './lib/bridge-output';
import { Badge, type BadgeNews } from './lib/badge';
import { nodeError, ownError } from './lib/errors';
import type { InputBody } from './lib/input';
import { registerNode } from './lib/port-node';
import type { PortConfigNode, RegisterOptions } from './lib/types';

const TYPE = 've-bmv-to-mppt';
const PORT_TYPE = 've-direct-port';

/** What the node reads from a message. */
interface BridgeInput extends NodeMessageInFlow {
  /** false: pause sharing (release); true: resume. */
  enabled?: unknown;
  /** true: try chargers that refused a value again. */
  retry?: unknown;
}

/** Output 1: one per cycle. */
interface ReportMessage extends NodeMessage {
  payload: BridgeReport;
  topic: string;
}

/** Output 2: when the set of active alarms changes. */
interface AlarmMessage extends NodeMessage {
  payload: AlarmChange;
  topic: string;
}

/** Codes whose texts the catalogue has. */
const TEXTS: ReadonlySet<VeErrorCode> = new Set<VeErrorCode>(['VE_BAD_INPUT']);

function ids(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : [];
}

/** An object that may be a reading `{ voltage?, temperature?, timestamp? }` (not a Buffer, not an array). */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

export = function (RED: NodeAPI): void {
  // The node of several ports: the skeleton without a single port, a badge of its own.
  registerNode<BridgeNodeDef>(RED, TYPE, (node, config) => {
    const topic = config.name || TYPE;
    const sourcesAll = checkbox(config.sourcesAll, false);
    const targetsAll = checkbox(config.targetsAll, false);
    const chosenSources = ids(config.sources);
    const chosenTargets = ids(config.targets);
    const externalInput = checkbox(config.externalVoltage, false) || checkbox(config.externalTemperature, false);

    let bridge: SenseBridge | null = null;
    /**
     * Why there is no bridge: the configuration was refused (every message fails with this
     * error), or a chosen port is missing or unusable (tried again after the next deploy).
     */
    let refused: { readonly error: VeError; readonly ports: boolean } | null = null;
    /** The port nodes the bridge uses, by id: the instance registered with (null: not deployed). */
    let ports = new Map<string, PortConfigNode | null>();
    let unsubscribe: Array<() => void> = [];
    let closing = false;
    /** A port node closed while this node went on (a deploy of only the port): build again. */
    let stoppedByPort = false;
    let rebuilding: Promise<void> | null = null;

    const t = (key: string, params?: Record<string, string | number>): string => RED._(`${TYPE}.${key}`, params);
    // The bridge's badge says what it shares, over every port it uses.
    const badge = Badge.own(RED, node);

    // The bridge writes its release before a port closes.
    const asUser: RegisterOptions = { beforeClose: () => portClosing() };

    function portClosing(): Promise<void> {
      if (!closing) stoppedByPort = true;
      return bridge ? bridge.stop() : Promise.resolve();
    }

    function portNodeOf(id: string): PortConfigNode | null {
      const found = RED.nodes.getNode(id) as PortConfigNode | null;
      return found !== null && found.type === PORT_TYPE ? found : null;
    }

    /** Every deployed ve-direct-port node, in the order of the flows. */
    function deployedPorts(): string[] {
      const out: string[] = [];
      RED.nodes.eachNode((def) => {
        if (def.type === PORT_TYPE && portNodeOf(def.id) !== null) out.push(def.id);
      });
      return out;
    }

    /** The port ids per role. "All found" takes every deployed port but those chosen for the other role. */
    function selection(): { sources: string[]; targets: string[] } {
      const all = sourcesAll || targetsAll ? deployedPorts() : [];
      return {
        sources: sourcesAll ? all.filter((id) => targetsAll || !chosenTargets.includes(id)) : chosenSources,
        targets: targetsAll ? all.filter((id) => sourcesAll || !chosenSources.includes(id)) : chosenTargets,
      };
    }

    function selectionChanged(): boolean {
      for (const [id, instance] of ports) if (portNodeOf(id) !== instance) return true;
      const { sources, targets } = selection();
      const now = new Set([...sources, ...targets]);
      return now.size !== ports.size || [...now].some((id) => !ports.has(id));
    }

    function news(status: BridgeStatus): BadgeNews {
      const p = status.params;
      const text = status.key === 'stopped' ? t('status.stopped') : t(`status.${status.key}`, { values: p.values ?? '', sensing: p.sensing ?? 0, total: p.total ?? 0 });
      switch (status.key) {
        case 'stopped':
          return { text, look: 'stopped' };
        // Paused by the user (the catalogue says "paused": "disabled" is Node-RED's word for a disabled node).
        case 'disabled':
          return { text, look: 'paused' };
        case 'conflict':
        case 'rejected':
          return { text, look: 'fault' };
        case 'waiting':
          return { text, look: 'waiting' };
        default:
          // Sharing with every charger is green; with some, or released, yellow.
          return { text, look: status.fill === 'green' ? 'value' : 'warning' };
      }
    }

    /** No bridge: red badge, one error in the log; messages fail with this error until a deploy fixes it. */
    function refuse(err: unknown, reason: 'config' | 'ports' | 'bms' = 'config'): void {
      const cause = isVeError(err) ? err : new VeError('VE_BAD_INPUT', err instanceof Error ? err.message : String(err));
      const key = typeof cause.details.key === 'string' ? cause.details.key : '?';
      const field = editorField(key);
      // The badge names the setting as the editor labels it.
      const label = reason === 'config' && field !== null ? t(`label.${field}`) : key;
      const error = ownError(RED, TYPE, cause.code, reason === 'ports' ? 'port-refused' : 'bad-config', { message: cause.message }, { ...cause.details });
      refused = { error, ports: reason === 'ports' };
      deregisterAll();
      badge.show({ text: t(`status.${reason === 'config' ? 'bad-config' : reason}`, { key: label }), look: 'fault' });
      node.error(error.message);
    }

    /** Register with the port nodes, build the bridge, start it. */
    function build(): void {
      refused = null;
      ports = new Map();
      if (!sourcesAll && chosenSources.length === 0) return refuse(new VeError('VE_BAD_INPUT', t('errors.no-sources'), { key: 'sources' }));
      if (!targetsAll && chosenTargets.length === 0) return refuse(new VeError('VE_BAD_INPUT', t('errors.no-targets'), { key: 'targets' }));
      if (checkbox(config.bmsDisconnect, false) && !checkbox(config.bmsAccept, false)) {
        return refuse(new VeError('VE_BAD_INPUT', t('errors.bms-not-accepted'), { key: 'bmsAccept' }), 'bms');
      }
      const { sources, targets } = selection();
      // A chosen port that is missing or unusable stops the whole bridge rather than leave a gap
      // the others would fill: nothing is written, and the chargers use their own sensing.
      for (const id of [...(sourcesAll ? [] : sources), ...(targetsAll ? [] : targets)]) {
        if (portNodeOf(id) === null) return refuse(new VeError('VE_BAD_INPUT', t('errors.port-missing', { id }), { key: id }), 'ports');
      }
      const adapters = new Map<string, PortAdapter>();
      for (const id of new Set([...sources, ...targets])) {
        const portNode = portNodeOf(id);
        if (portNode === null) continue; // found by "all" a moment ago, gone now
        ports.set(id, portNode);
        const port = portNode.register(node, asUser);
        const label = portNode.name || portNode.path || id;
        if (port !== null) {
          // The port's clock is systemClock (its default): the bridge must run on the same one.
          adapters.set(id, new PortAdapter(port, { clock: systemClock, id, label }));
        } else if (!(sourcesAll && sources.includes(id)) && !(targetsAll && targets.includes(id))) {
          const cause = portNode.portError;
          const code = isVeError(cause) ? cause.code : 'VE_PORT_CLOSED';
          return refuse(new VeError(code, t('errors.port-unusable', { port: label, message: cause?.message ?? '' }), { key: label }), 'ports');
        } // else: found by "all", but not usable (another port node owns the path): not part of this bridge
      }
      const pick = (list: string[]): PortAdapter[] => list.flatMap((id) => adapters.get(id) ?? []);
      let b: SenseBridge;
      try {
        b = new SenseBridge({
          clock: systemClock,
          wallClock: Date.now,
          logError: (message) => node.error(message),
          sources: pick(sources),
          targets: pick(targets),
          config: bridgeConfig(config),
        });
      } catch (err) {
        return refuse(err);
      }
      unsubscribe = [
        b.on('status', (s) => badge.show(news(s))),
        b.on('report', (r) => {
          // A cycle an input message asked for goes out with that message (see the input handler).
          if (r.trigger === 'manual' || closing) return;
          const msg: ReportMessage = { topic, payload: reportOut(wallClockNow(), r) };
          node.send([msg, null]);
        }),
        b.on('alarm', (change) => {
          logAlarmChange(node, t, change);
          if (closing) return;
          const msg: AlarmMessage = { topic, payload: alarmChangeOut(wallClockNow(), change) };
          node.send([null, msg]);
        }),
      ];
      if (checkbox(config.bmsDisconnect, false)) node.warn(t('warnings.bms'));
      // Paused before the first cycle: nothing is written until msg.enabled = true.
      if (!checkbox(config.enabled, true)) void b.setEnabled(false);
      bridge = b;
      b.start();
    }

    function deregisterAll(): void {
      // A port node that has closed (and been replaced) has already let go of its users.
      for (const [id, portNode] of ports) if (portNode !== null && portNodeOf(id) === portNode) portNode.deregister(node);
      ports = new Map();
    }

    /** Stop the bridge (the release is written, bounded by the library), then leave the ports. */
    async function teardown(): Promise<void> {
      const b = bridge;
      if (b !== null) await b.stop();
      bridge = null;
      for (const off of unsubscribe) off();
      unsubscribe = [];
      deregisterAll();
    }

    const onFlowsStarted = (): void => {
      if (closing || rebuilding !== null) return;
      if (refused !== null ? !refused.ports : !stoppedByPort && !selectionChanged()) return;
      rebuilding = (async () => {
        await teardown();
        stoppedByPort = false;
        if (!closing) build();
      })()
        .catch((err: unknown) => node.error(t('errors.rebuild-failed', { message: err instanceof Error ? err.message : String(err) })))
        .finally(() => {
          rebuilding = null;
        });
    };
    RED.events.on('flows:started', onFlowsStarted);

    build();

    const onInput: InputBody = async (msg, send) => {
      const input = msg as BridgeInput;
      const b = bridge;
      if (b === null) throw refused?.error ?? ownError(RED, TYPE, 'VE_BAD_INPUT', 'not-running');
      // Everything is checked before anything changes: a bad message changes nothing.
      if (input.enabled !== undefined && typeof input.enabled !== 'boolean') {
        throw ownError(RED, TYPE, 'VE_BAD_INPUT', 'bad-enabled', { value: JSON.stringify(input.enabled) ?? String(input.enabled) });
      }
      if (input.retry !== undefined && typeof input.retry !== 'boolean') {
        throw ownError(RED, TYPE, 'VE_BAD_INPUT', 'bad-retry', { value: JSON.stringify(input.retry) ?? String(input.retry) });
      }
      const payload = input.payload;
      // An inject's timestamp or any other non-object payload is only a trigger.
      if (isRecord(payload) && ('voltage' in payload || 'temperature' in payload || 'timestamp' in payload || externalInput)) {
        try {
          b.external(payload);
        } catch (err) {
          throw nodeError(RED, TYPE, err, 'msg.payload', TEXTS);
        }
      }
      if (typeof input.enabled === 'boolean') await b.setEnabled(input.enabled);
      if (input.retry === true) b.retryRejected();
      let report: BridgeReport;
      try {
        report = await b.trigger();
      } catch (err) {
        throw nodeError(RED, TYPE, err, t('label.cycle'), TEXTS);
      }
      // Within a second of the last cycle no new one runs (the chargers' Text frames need the
      // gap): the message then carries the latest report, which may be a pause's or a stop's.
      const latest = b.report();
      if (latest !== null && latest.cycle > report.cycle) report = latest;
      const out = msg as unknown as ReportMessage;
      out.payload = reportOut(wallClockNow(), report);
      out.topic = topic;
      send([out, null]);
    };

    const close = (): Promise<void> => {
      closing = true;
      RED.events.removeListener('flows:started', onFlowsStarted);
      // The port nodes close now too; each waits for this stop through its beforeClose.
      return (rebuilding ?? Promise.resolve())
        .then(() => teardown())
        .catch((err: unknown) => node.warn(t('errors.stop-failed', { message: err instanceof Error ? err.message : String(err) })));
    };
    return { input: onInput, close };
  });
};
