/**
 * `ve-direct-control`: one on/off switch of the device behind its port — an MPPT's load
 * output, an inverter's mode (on / off / eco), a BMV's relay in remote mode, a charger's mode
 * (lib/link/controls.ts says which register and values). A message switches it; the node
 * reads the position back after each write and every poll interval, sends it, and shows it on
 * its badge. Nothing is written on deploy: only a message writes.
 */

import type { NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { isVeError, type VeErrorCode } from '../lib/errors';
import { CONTROLS, isControlName, parseCommand, readControl, switchControl, unsupportedError, type ControlCommand, type ControlDef, type ControlReading, type ControlState } from '../lib/link/controls';
import type { VeDirectPort } from '../lib/link/port';
import { Badge } from './lib/badge';
import { nodeError, noPortError, ownError, type ErrorParams } from './lib/errors';
import { handleInput } from './lib/input';
import { deviceInfo, registerMeta, type DeviceInfo, type RegisterMeta } from './lib/message';
import { flagSetting, secondsSetting } from './lib/settings';
import type { PortConfigNode, PortUser } from './lib/types';

const TYPE = 've-direct-control';

/** Default time between two reads of the position, s (0: no polling). */
const DEFAULT_POLL_S = 10;
/** Default minimum time between two flash writes of the control, s. */
const DEFAULT_MIN_INTERVAL_S = 60;

/** The editor's saved fields. */
interface ControlNodeDef extends NodeDef {
  port: string;
  /** loadOutput | inverterMode | relay | chargerMode. */
  control?: string;
  /** Read the position every this many seconds; 0: only after a write. */
  poll?: string | number;
  /** Minimum time between two writes of a flash-backed control, s. */
  minInterval?: string | number;
  /** Relay: set the relay mode to remote (a flash write) when it is not. */
  takeRelayControl?: boolean | string;
}

/** `msg.vedirect` of a position. */
interface ControlMeta extends RegisterMeta {
  readonly control: string;
  readonly device: DeviceInfo | null;
  /** Whether a Set went out (false: read by the poll, or a flash control already held it). */
  readonly written: boolean;
  readonly previous?: ControlState | null;
  readonly relayModeChanged?: boolean;
}

interface ControlOutput extends NodeMessage {
  payload: ControlState | null;
  topic: string;
  vedirect: ControlMeta;
}

/** Codes whose texts the catalogue has. */
const TEXTS: ReadonlySet<VeErrorCode> = new Set<VeErrorCode>([
  'VE_NOT_SUPPORTED_DEVICE',
  'VE_CONFLICT',
  'VE_RATE_LIMIT',
  'VE_PARAMETER',
  'VE_ECHO_MISMATCH',
  'VE_TIMEOUT',
  'VE_PORT_CLOSED',
  'VE_QUEUE_FULL',
  'VE_IDENTITY',
  'VE_NO_HEX',
  'VE_BAD_INPUT',
]);

export = function (RED: NodeAPI): void {
  function VeDirectControlNode(this: PortUser, config: ControlNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const portNode = RED.nodes.getNode(config.port) as PortConfigNode | null;
    const { badge, port } = Badge.attach(RED, node, portNode);
    const control: ControlDef | null = isControlName(config.control) ? CONTROLS[config.control] : null;
    const pollMs = secondsSetting(config.poll, DEFAULT_POLL_S);
    const minFlashIntervalMs = secondsSetting(config.minInterval, DEFAULT_MIN_INTERVAL_S);
    const takeRelayControl = flagSetting(config.takeRelayControl);
    /** The position last sent, so the poll sends only changes. */
    let lastSent: string | null = null;
    /** Counts switches, so a poll that began before one does not send an older position. */
    let switches = 0;
    let polling = false;
    let closed = false;
    let lastPollError = '';
    /** A refused or failed switch stays on the badge until the next successful one, whatever the poll reads. */
    let switchFailed = false;

    const label = (state: ControlState | null, reading: ControlReading): string => {
      if (state === null) return RED._(`${TYPE}.state.unknown`, { raw: reading.raw });
      if (state === 'auto') return RED._(`${TYPE}.state.auto`, { text: reading.text ?? String(reading.raw) });
      return RED._(`${TYPE}.state.${state === true ? 'on' : state === false ? 'off' : state}`);
    };

    const params = (extra: ErrorParams = {}): ErrorParams => ({ control: control ? RED._(`${TYPE}.control.${control.name}`) : '', ...extra });

    function translate(err: unknown): Error {
      const what = control ? RED._(`${TYPE}.control.${control.name}`) : TYPE;
      const extra: ErrorParams = {};
      if (isVeError(err)) {
        const d = err.details;
        if (typeof d.retryInMs === 'number') extra.seconds = Math.max(1, Math.ceil(d.retryInMs / 1000));
        if (typeof d.relayModeText === 'string') extra.mode = d.relayModeText;
        if (typeof d.positions === 'string') extra.positions = d.positions;
      }
      return nodeError(RED, TYPE, err, what, TEXTS, params(extra));
    }

    function output(reading: ControlReading, p: VeDirectPort, written: boolean, extra: Partial<ControlMeta> = {}): ControlOutput {
      return {
        payload: reading.state,
        topic: control?.name ?? '',
        vedirect: {
          ...registerMeta(reading.reading, 0, written ? 'set' : 'get'),
          control: control?.name ?? '',
          device: deviceInfo(p.identity),
          written,
          ...extra,
        },
      };
    }

    const key = (reading: ControlReading): string => `${String(reading.state)}:${reading.raw}`;

    /** Read the position; send it when it changed since the last one sent. */
    async function poll(): Promise<void> {
      if (!control || !port || polling || closed || port.state.kind !== 'connected' || port.state.noHex) return;
      polling = true;
      const before = switches;
      try {
        const reading = await readControl(port, control);
        lastPollError = '';
        if (closed || switches !== before) return;
        if (!switchFailed) badge.show({ text: label(reading.state, reading) });
        if (key(reading) === lastSent) return;
        lastSent = key(reading);
        node.send(output(reading, port, false));
      } catch (err) {
        if (closed || switches !== before) return;
        const out = translate(err);
        badge.failed(out);
        // Logged once per kind of failure, not every poll.
        const code = isVeError(out) ? out.code : out.message;
        if (code !== lastPollError) node.warn(out.message);
        lastPollError = code;
      } finally {
        polling = false;
      }
    }

    /** A control this device cannot have: red badge at once, and no traffic for it. */
    function checkDevice(): void {
      if (!control || !port || port.state.kind !== 'connected') return;
      const err = unsupportedError(control, port.state.identity);
      if (err) badge.failed(translate(err));
    }

    const timer = control && port && pollMs > 0 ? setInterval(() => void poll(), pollMs) : null;
    const removeState = port?.on('state', (state) => {
      if (state.kind !== 'connected') return;
      checkDevice();
      // With polling on: the position as the device holds it now, once the port is up (a
      // read, never a write).
      if (pollMs > 0) void poll();
    });
    if (port?.state.kind === 'connected') {
      checkDevice();
      if (pollMs > 0) void poll();
    }

    /** A switch that failed: red badge, kept until a switch succeeds. */
    function refuse(err: Error): never {
      switchFailed = true;
      badge.failed(err);
      throw err;
    }

    handleInput(node, async (msg, send) => {
      if (!port) return refuse(noPortError(RED, TYPE, portNode));
      if (!control) return refuse(ownError(RED, TYPE, 'VE_BAD_INPUT', 'no-control'));
      let command: ControlCommand;
      try {
        command = parseCommand(control, msg.payload);
      } catch (err) {
        return refuse(translate(err));
      }
      switches++;
      const p = port;
      try {
        const result = await badge.run(
          RED._(`${TYPE}.status.switching`, params({ position: command })),
          () => switchControl(p, control, command, { minFlashIntervalMs, takeRelayControl }),
          (r) => label(r.reading.state, r.reading),
        );
        lastSent = key(result.reading);
        switchFailed = false;
        const out = msg as typeof msg & ControlOutput;
        const built = output(result.reading, p, result.written, {
          ...(result.previous ? { previous: result.previous.state } : {}),
          ...(result.relayModeChanged ? { relayModeChanged: true } : {}),
        });
        out.payload = built.payload;
        out.topic = built.topic;
        out.vedirect = built.vedirect;
        send(out);
      } catch (err) {
        return refuse(translate(err));
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      if (timer) clearInterval(timer);
      removeState?.();
      badge.close();
      portNode?.deregister(node);
      done();
    });
  }

  RED.nodes.registerType(TYPE, VeDirectControlNode as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
};
