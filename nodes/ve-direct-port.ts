/**
 * `ve-direct-port` (config node): one serial path, one shared VeDirectPort. The nodes that
 * name it register as users; the port opens for the first user, paints its state on every
 * user's badge (unless a user shows its own), and closes when this config node closes
 * (redeploy, removal) — after its users' last writes (`beforeClose`, bounded), its `done`
 * waiting for the close. Also serves the editor: the port list (discovery), a port's live
 * state and counters, and the register catalogue for the pickers.
 */

import type { NodeAPI, NodeStatus } from 'node-red';
import type { NextFunction, Request, Response } from 'express';
import { portRegistry } from '../lib/link/registry';
import { isVeError } from '../lib/errors';
import { listPorts } from '../lib/link/discovery';
import { schemeFor } from '../lib/link/port-factory';
// `sim:<device>` paths: the simulator adds its scheme to the link's table.
import '../lib/sim/scheme';
import type { VeDirectPort, VeDirectPortOptions } from '../lib/link/port';
import type { LinkLogger } from '../lib/link/log';
import { registersForFamily, REGISTERS } from '../lib/protocol/catalog/registers';
import { DEVICE_FAMILIES, type DeviceFamily } from '../lib/protocol/catalog/types';
import type { DeviceIdentity } from '../lib/link/device';
import { pickerRegisters } from './lib/register-picker';
import { noPortStatus, portStatus } from './lib/status';
import { runtimeWritePolicy } from './lib/write-policy';
import { PORT_CLOSE_HOLD_MS, type PortConfigNode, type PortNodeDef, type PortUser, type RegisterOptions } from './lib/types';

/** Editor numbers arrive as strings; an empty or invalid field means "default". */
function numberSetting(value: string | number | undefined, scale = 1): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n * scale : undefined;
}

export = function (RED: NodeAPI): void {
  // One write policy per runtime: a flash setting is counted per device whichever port node
  // reaches it, and across restarts (a file in the user directory).
  const writePolicy = runtimeWritePolicy(RED);

  function VeDirectPortNode(this: PortConfigNode & { path: string; port: VeDirectPort | null; portError: Error | null }, config: PortNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    node.path = (config.path ?? '').trim();
    node.port = null;
    node.portError = null;
    const users = new Map<PortUser, RegisterOptions>();
    let stopPainting: (() => void) | null = null;
    const owner = `ve-direct-port "${config.name || node.path}" (${node.id})`;

    const log: LinkLogger = {
      info: (msg) => node.log(msg),
      warn: (msg) => node.warn(msg),
    };
    const options: VeDirectPortOptions = {
      log,
      writePolicy,
      ...(config.expectedSerial?.trim() ? { expectedSerial: config.expectedSerial.trim() } : {}),
      ...(numberSetting(config.requestTimeout) !== undefined ? { requestTimeoutMs: numberSetting(config.requestTimeout)! } : {}),
      ...(config.retries !== undefined && config.retries !== '' && Number.isInteger(Number(config.retries)) ? { retries: Math.max(0, Number(config.retries)) } : {}),
      ...(numberSetting(config.staleAfter, 1000) !== undefined ? { staleMs: numberSetting(config.staleAfter, 1000)! } : {}),
      ...(numberSetting(config.reconnectAfter, 1000) !== undefined ? { silenceMs: numberSetting(config.reconnectAfter, 1000)! } : {}),
    };

    node.portStatus = (): NodeStatus => (node.port ? portStatus(RED, node.port.state) : noPortStatus(RED, node.portError?.message));

    const paint = (): void => {
      const status = node.portStatus();
      for (const [user, options] of users) if (options.paint !== false) user.status(status);
    };

    function open(): VeDirectPort | null {
      if (node.port || node.portError) return node.port;
      if (!node.path) {
        node.portError = new Error(RED._('ve-direct-port.errors.no-path'));
        return null;
      }
      try {
        schemeFor(node.path);
      } catch (err) {
        // A path no kind of port accepts (`tcp://host` without a port, `udp://…`): say so now.
        const reason = isVeError(err) && typeof err.details.reason === 'string' ? err.details.reason : (err as Error).message;
        node.portError = new Error(reason);
        node.error(RED._('ve-direct-port.errors.cannot-use', { path: node.path, message: (err as Error).message }));
        return null;
      }
      try {
        node.port = portRegistry.acquire(node.path, owner, options);
      } catch (err) {
        node.portError = err as Error;
        node.error(RED._('ve-direct-port.errors.cannot-use', { path: node.path, message: (err as Error).message }));
        return null;
      }
      stopPainting = node.port.on('state', paint);
      return node.port;
    }

    node.register = (user: PortUser, options: RegisterOptions = {}): VeDirectPort | null => {
      users.set(user, options);
      const port = open();
      if (options.paint !== false) user.status(node.portStatus());
      return port;
    };

    node.deregister = (user: PortUser): void => {
      const options = users.get(user);
      users.delete(user);
      if (options?.paint !== false) user.status({});
    };

    /** Let users finish their last writes while the port is still open; bounded. */
    function lastWrites(): Promise<void> {
      const work = [...users.values()].flatMap((o) => (o.beforeClose ? [Promise.resolve().then(o.beforeClose)] : []));
      if (work.length === 0) return Promise.resolve();
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, PORT_CLOSE_HOLD_MS);
      });
      return Promise.race([Promise.allSettled(work).then(() => undefined), limit]).finally(() => clearTimeout(timer));
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      stopPainting?.();
      stopPainting = null;
      const port = node.port;
      if (!port) {
        users.clear();
        done();
        return;
      }
      // Node-RED gives a close handler 15 s; the users' last writes and the close fit in that.
      lastWrites()
        .then(() => {
          node.port = null;
          users.clear();
          return portRegistry.release(node.path, owner);
        })
        .catch((err: unknown) => node.warn(RED._('ve-direct-port.errors.close-failed', { message: (err as Error).message })))
        .finally(() => done());
    });
  }

  RED.nodes.registerType('ve-direct-port', VeDirectPortNode as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);

  // ─── Admin endpoints for the editor ───────────────────────────────────────────────────────
  const canRead = RED.auth.needsPermission('ve-direct.read');
  const canWrite = RED.auth.needsPermission('ve-direct.write');

  /** A query flag: `1` or `true`. */
  const flag = (value: unknown): boolean => value === '1' || value === 'true';
  /** A query parameter given once or repeated, as a list of non-empty strings (at most 16). */
  const queryList = (value: unknown): string[] =>
    (Array.isArray(value) ? value : [value])
      .filter((v): v is string => typeof v === 'string' && v.trim() !== '')
      .map((v) => v.trim())
      .slice(0, 16);

  // The port list with Victron cables first (read permission). `probe=1` opens each port and
  // writes HEX requests to it, so it needs write permission, and it asks only Victron cables,
  // relays the user named (`path=tcp://…`, repeatable) and simulated devices — every serial
  // port only with `all=1` (on a Pi /dev/ttyS0 is the console or a GPS).
  RED.httpAdmin.get(
    '/ve-direct/ports',
    (req: Request, res: Response, next: NextFunction) => (flag(req.query.probe) ? canWrite : canRead)(req, res, next),
    (req: Request, res: Response) => {
      listPorts({ probe: flag(req.query.probe), probeAll: flag(req.query.all), paths: queryList(req.query.path) })
        .then((result) => res.json(result))
        .catch((err: unknown) => res.json({ ports: [], warning: String((err as Error).message ?? err) }));
    },
  );

  // A deployed port node's state, identity and counters (the config dialog's diagnostics).
  RED.httpAdmin.get('/ve-direct/ports/:id/status', canRead, (req: Request, res: Response) => {
    const node = RED.nodes.getNode(String(req.params.id)) as PortConfigNode | null;
    if (!node || !('portStatus' in node)) {
      res.status(404).json({ error: RED._('ve-direct-port.errors.not-deployed') });
      return;
    }
    const port = node.port;
    res.json({
      path: node.path,
      status: node.portStatus(),
      state: port?.state ?? null,
      identity: port?.identity ?? null,
      counters: port?.counters ?? null,
      error: node.portError?.message ?? null,
    });
  });

  // The register catalogue in the picker's order, with what a write needs and the range a
  // value must lie in: optionally only a family's, or the registers of the device behind a
  // deployed port node (`port=<id>`), its product's ranges included.
  RED.httpAdmin.get('/ve-direct/registers', canRead, (req: Request, res: Response) => {
    let family = typeof req.query.family === 'string' ? (req.query.family as DeviceFamily) : undefined;
    let device: DeviceIdentity | null = null;
    if (typeof req.query.port === 'string') {
      const node = RED.nodes.getNode(req.query.port) as PortConfigNode | null;
      const identity = node && 'portStatus' in node ? node.port?.identity : null;
      if (identity) {
        device = identity;
        family = family ?? identity.family ?? undefined;
      }
    }
    const defs = family ? registersForFamily(family) : REGISTERS;
    // The families go with the answer so the editor's family filter never repeats the list.
    res.json({ families: DEVICE_FAMILIES, family: family ?? null, device, registers: pickerRegisters(defs, device) });
  });
};
