/**
 * `ve-charge-limit`: keeps one total charge current in force across MPPT solar chargers — the
 * charge current limit a GX applies with DVCC — from a BMS or a flow. Wiring only: the
 * editor's fields become a ChargeLimitManager (lib/bridge/charge-limit.ts), the selected
 * ve-direct-port nodes its chargers; `msg.payload` is the total (A) or null; its reports go out
 * on output 1, its alarm changes on output 2, its state is the badge.
 *
 * Closing (redeploy, removal) stops the manager — it releases every charger, bounded — before
 * the ports close: Node-RED closes the port config nodes at the same time as this node, so the
 * node registers a `beforeClose` with each port, which keeps the port open until the release
 * is written (as ve-bmv-to-mppt does). A port node closed on its own stops it the same way;
 * once the new flows run, the manager is built again on the new port nodes.
 */

import type { NodeAPI, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';
import { ChargeLimitManager } from '../lib/bridge/charge-limit';
import type { ChargeLimitReport, LimitAlarmChange, LimitStatus } from '../lib/bridge/charge-limit-types';
import { PortLimitTarget } from '../lib/bridge/limit-target';
import { systemClock } from '../lib/clock';
import { VeError, isVeError, quoteInput } from '../lib/errors';
import { logAlarmChange, wallClockNow } from './lib/bridge-output';
import { limitConfig, type ChargeLimitNodeDef } from './lib/limit-config';
import { limitAlarmChangeOut, limitReportOut } from './lib/limit-output';
import { nodeError, ownError } from './lib/errors';
import { handleInput } from './lib/input';
import { shorten } from './lib/status';
import type { PortConfigNode, PortUser, RegisterOptions } from './lib/types';

const TYPE = 've-charge-limit';
const PORT_TYPE = 've-direct-port';

interface ReportMessage extends NodeMessage {
  payload: ChargeLimitReport;
  topic: string;
}

interface AlarmMessage extends NodeMessage {
  payload: LimitAlarmChange;
  topic: string;
}

function ids(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : [];
}

export = function (RED: NodeAPI): void {
  function ChargeLimitNode(this: PortUser, config: ChargeLimitNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const topic = config.name || TYPE;
    const chosen = ids(config.chargers);

    let manager: ChargeLimitManager | null = null;
    /** Why there is no manager: every message fails with this error until a deploy fixes it. */
    let refused: { readonly error: VeError; readonly retry: boolean } | null = null;
    let ports = new Map<string, PortConfigNode>();
    let unsubscribe: Array<() => void> = [];
    let closing = false;
    let stoppedByPort = false;
    let rebuilding: Promise<void> | null = null;

    const t = (key: string, params?: Record<string, string | number>): string => RED._(`${TYPE}.${key}`, params);
    const asUser: RegisterOptions = { beforeClose: () => portClosing() };

    function portClosing(): Promise<void> {
      if (!closing) stoppedByPort = true;
      return manager ? manager.stop() : Promise.resolve();
    }

    function portNodeOf(id: string): PortConfigNode | null {
      const found = RED.nodes.getNode(id) as PortConfigNode | null;
      return found !== null && found.type === PORT_TYPE ? found : null;
    }

    function badge(status: LimitStatus): NodeStatus {
      const p = status.params;
      const text = t(`status.${status.key}`, { limit: p.limit ?? '', shares: p.shares ?? '' });
      return { fill: status.fill, shape: status.shape, text: shorten(text) };
    }

    /** No manager: red badge, one error in the log; `retry`: built again after the next deploy. */
    function refuse(error: VeError, badgeKey: string, params: Record<string, string>, retry: boolean): void {
      refused = { error, retry };
      deregisterAll();
      node.status({ fill: 'red', shape: 'ring', text: shorten(t(`status.${badgeKey}`, params)) });
      node.error(error.message);
    }

    function build(): void {
      refused = null;
      ports = new Map();
      if (chosen.length === 0) return refuse(ownError(RED, TYPE, 'VE_BAD_INPUT', 'no-chargers', {}, { key: 'chargers' }), 'bad-config', { key: t('label.chargers') }, false);
      const targets: PortLimitTarget[] = [];
      for (const id of chosen) {
        const portNode = portNodeOf(id);
        if (portNode === null) return refuse(ownError(RED, TYPE, 'VE_BAD_INPUT', 'port-missing', { id }, { key: id }), 'ports', { key: id }, true);
        ports.set(id, portNode);
        const port = portNode.register(node, asUser);
        const label = portNode.name || portNode.path || id;
        if (port === null) {
          const cause = portNode.portError;
          return refuse(ownError(RED, TYPE, isVeError(cause) ? cause.code : 'VE_PORT_CLOSED', 'port-unusable', { port: label, message: cause?.message ?? '' }, { key: label }), 'ports', { key: label }, true);
        }
        // The port's clock is systemClock (its default): the manager must run on the same one.
        targets.push(new PortLimitTarget(port, { clock: systemClock, id, label }));
      }
      let m: ChargeLimitManager;
      try {
        m = new ChargeLimitManager({
          clock: systemClock,
          chargers: targets,
          config: limitConfig(config),
          owner: node.id,
          ownerLabel: t('label.owner', { name: config.name || node.id }),
          logError: (message) => node.error(message),
        });
      } catch (err) {
        const cause = isVeError(err) ? err : new VeError('VE_BAD_INPUT', String(err));
        const key = typeof cause.details.key === 'string' ? cause.details.key : '?';
        return refuse(ownError(RED, TYPE, cause.code, 'bad-config', { message: cause.message }, { ...cause.details }), 'bad-config', { key }, false);
      }
      unsubscribe = [
        m.on('status', (s) => node.status(badge(s))),
        m.on('report', (r) => {
          // A cycle an input message asked for goes out with that message.
          if (r.trigger !== 'timer' || closing) return;
          const msg: ReportMessage = { topic, payload: limitReportOut(wallClockNow(), r) };
          node.send([msg, null]);
        }),
        m.on('alarm', (change) => {
          logAlarmChange(node, t, change);
          if (closing) return;
          const msg: AlarmMessage = { topic, payload: limitAlarmChangeOut(wallClockNow(), change) };
          node.send([null, msg]);
        }),
      ];
      try {
        m.start();
      } catch (err) {
        for (const off of unsubscribe) off();
        unsubscribe = [];
        // Another charge-limit node already limits one of these chargers.
        const cause = isVeError(err) ? err : new VeError('VE_CONFLICT', String(err));
        const key = typeof cause.details.key === 'string' ? (portNodeOf(cause.details.key)?.name ?? cause.details.key) : '?';
        return refuse(ownError(RED, TYPE, cause.code, 'claimed', { message: cause.message }, { ...cause.details }), 'claimed', { key }, true);
      }
      manager = m;
    }

    function deregisterAll(): void {
      for (const [id, portNode] of ports) if (portNodeOf(id) === portNode) portNode.deregister(node);
      ports = new Map();
    }

    async function teardown(): Promise<void> {
      const m = manager;
      if (m !== null) await m.stop();
      manager = null;
      for (const off of unsubscribe) off();
      unsubscribe = [];
      deregisterAll();
    }

    const onFlowsStarted = (): void => {
      if (closing || rebuilding !== null) return;
      if (refused !== null ? !refused.retry : !stoppedByPort) return;
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

    handleInput(node, async (msg: NodeMessageInFlow, send) => {
      const m = manager;
      if (m === null) throw refused?.error ?? ownError(RED, TYPE, 'VE_BAD_INPUT', 'not-running');
      const total = msg.payload;
      // Checked here, with the node's words; the manager checks again.
      if (total !== null && (typeof total !== 'number' || !Number.isFinite(total) || total < 0)) {
        throw ownError(RED, TYPE, 'VE_BAD_INPUT', 'bad-payload', { value: quoteInput(total) }, { key: 'payload' });
      }
      let report: ChargeLimitReport;
      try {
        report = await m.setLimit(total);
      } catch (err) {
        throw nodeError(RED, TYPE, err, 'msg.payload', new Set(['VE_BAD_INPUT']));
      }
      const out = msg as unknown as ReportMessage;
      out.payload = limitReportOut(wallClockNow(), report);
      out.topic = topic;
      send([out, null]);
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closing = true;
      RED.events.removeListener('flows:started', onFlowsStarted);
      // The port nodes close now too; each waits for this stop through its beforeClose.
      (rebuilding ?? Promise.resolve())
        .then(() => teardown())
        .catch((err: unknown) => node.warn(t('errors.stop-failed', { message: err instanceof Error ? err.message : String(err) })))
        .finally(() => done());
    });
  }

  RED.nodes.registerType(TYPE, ChargeLimitNode as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
};
