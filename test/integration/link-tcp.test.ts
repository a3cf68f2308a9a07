/**
 * `tcp://` ports with real parts: Debian's ser2net relays a loopback TCP port to one end of a
 * socat pty pair, `ve-direct simulate` (a child process) is the device on the other. Text,
 * get, set (the exact frame the device receives), identify, the CLI; ser2net killed and
 * restarted; a closed port; a receive-only relay (socat -u) where Text works and HEX says why
 * it cannot.
 */

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VeError } from '../../lib/errors';
import { VeDirectPort, type VeDirectPortOptions } from '../../lib/link/port';
import { setFrame } from '../../lib/protocol/hex-codec';
import { runCliCaptured } from '../helpers/cli';
import { nextEvents, waitForState } from '../helpers/link-events';
import { freePort, ReceiveOnlyRelay, Ser2net } from '../helpers/net-relay';
import { PtyPair } from '../helpers/pty';
import { SimulatorProcess } from '../helpers/simulator-process';

// The link's timers are unref'd (they must not hold a Node-RED runtime open); hold the test.
const keepAlive = setInterval(() => undefined, 1000);
after(() => clearInterval(keepAlive));

function open(path: string, options: VeDirectPortOptions = {}): VeDirectPort {
  const port = new VeDirectPort(path, options);
  port.open();
  return port;
}

async function rejection(promise: Promise<unknown>): Promise<VeError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof VeError, String(err));
    return err;
  }
  assert.fail('expected a rejection');
}

describe('tcp:// through ser2net: SmartSolar MPPT simulator', () => {
  const pty = new PtyPair('tcp-mppt');
  const sim = new SimulatorProcess('smartsolar-100-30', pty.b, ['--verbose', '--seed', '7']);
  let relay: Ser2net;

  before(async () => {
    await pty.start();
    await sim.start();
    relay = new Ser2net(await freePort(), pty.a);
    await relay.start();
  });
  after(async () => {
    await relay.dispose();
    await sim.stop();
    await pty.dispose();
  });

  it('identifies the charger, delivers Text, reads and writes registers; the device receives the exact Set frame', async () => {
    const port = open(relay.url);
    try {
      const identity = await port.ready({ timeoutMs: 15_000 });
      assert.equal(identity.productId, 0xa056);
      assert.equal(identity.model, 'SmartSolar Charger MPPT 100/30');
      assert.equal(identity.hex, true);
      assert.match(identity.serial ?? '', /^HQ\w+$/);
      const [snapshot] = await nextEvents(port, 'snapshot', 1, 5000);
      assert.equal(snapshot?.fields.PID, '0xA056');
      assert.equal(typeof snapshot?.values.batteryVoltage?.value, 'number');

      const volts = (await port.get('chargerVoltage')).value;
      assert.equal(typeof volts, 'number');
      const written = await port.set('batteryVoltageSense', 13.27);
      assert.equal(written.value, 13.27);
      assert.equal(written.raw, '2F05');
      // What reached the device through TCP and ser2net, byte for byte.
      const expected = setFrame(0x2002, [0x2f, 0x05]);
      assert.ok(sim.stderr.includes(`> ${expected}\n`), `the simulator received ${expected}:\n${sim.stderr.slice(-600)}`);
      assert.equal(port.carriesHex, true);
      const released = await port.set('batteryVoltageSense', null);
      assert.equal(released.raw, 'FFFF');
    } finally {
      await port.close();
    }
  });

  it('ve-direct identify, get and monitor name the tcp:// port like a serial path', async () => {
    const identify = await runCliCaptured(['identify', relay.url, '--timeout', '15000']);
    assert.equal(identify.code, 0, identify.stderr + identify.stdout);
    assert.equal(identify.lines[0]?.product, 'SmartSolar MPPT 100|30');
    assert.equal(identify.lines[0]?.port, relay.url);
    const get = await runCliCaptured(['get', relay.url, 'chargerVoltage', '--timeout', '15000']);
    assert.equal(get.code, 0, get.stderr);
    assert.equal(get.lines[0]?.unit, 'V');
    assert.equal(typeof get.lines[0]?.value, 'number');
  });

  it('ser2net killed and restarted: values flow again within 5 s of the restart, with no redeploy', async () => {
    const port = open(relay.url);
    try {
      await port.ready({ timeoutMs: 15_000 });
      await nextEvents(port, 'snapshot', 1, 5000);
      await relay.kill();
      const lost = await waitForState(port, 'error', 10_000);
      assert.equal(lost.kind === 'error' && lost.reasonKey, 'disconnected', JSON.stringify(lost));
      await relay.start();
      const restarted = Date.now();
      await nextEvents(port, 'snapshot', 1, 5000);
      const tookMs = Date.now() - restarted;
      assert.ok(tookMs <= 5000, `values again after ${tookMs} ms`);
      assert.ok(port.counters.reconnects >= 1);
      assert.equal(typeof (await port.get('chargerVoltage')).value, 'number');
    } finally {
      await port.close();
    }
  });

  it('two owners of one relay: the second, under another spelling of the address, gets VE_PORT_BUSY', async () => {
    const { PortRegistry } = await import('../../lib/link/registry');
    const registry = new PortRegistry();
    const first = registry.acquire(relay.url, 'owner A', { backoff: { initialMs: 60_000 } });
    try {
      assert.throws(
        () => registry.acquire(`TCP://127.0.0.1:${relay.port}/`, 'owner B'),
        (err: unknown) => err instanceof VeError && err.code === 'VE_PORT_BUSY' && /owner A/.test(err.message),
      );
      await first.ready({ timeoutMs: 15_000 });
    } finally {
      await registry.release(relay.url, 'owner A');
    }
  });
});

describe('tcp:// to a port nobody listens on', () => {
  it('shows a clear error with a retry, does not crash, and the CLI says why', async () => {
    const url = `tcp://127.0.0.1:${await freePort()}`;
    const port = open(url, { backoff: { initialMs: 200, maxMs: 400 } });
    try {
      const state = await waitForState(port, 'error', 10_000);
      assert.equal(state.kind, 'error');
      if (state.kind === 'error') {
        assert.equal(state.code, 'VE_PORT_CLOSED');
        assert.equal(state.reason, 'connection refused');
        assert.equal(state.reasonKey, 'refused');
        assert.match(state.message, new RegExp(`^cannot open ${url}: connection refused`));
        assert.notEqual(state.retryInMs, null, 'retried by itself');
      }
      const refused = await rejection(port.get('batteryVoltage'));
      assert.equal(refused.code, 'VE_PORT_CLOSED');
      // Still retrying, not crashed: a few more failed opens.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.ok(port.counters.openFailures >= 2, String(port.counters.openFailures));
    } finally {
      await port.close();
    }
    const cli = await runCliCaptured(['identify', url, '--timeout', '3000']);
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr, /cannot open tcp:\/\/127\.0\.0\.1:\d+: connection refused/);
  });

  it('refuses a malformed address before opening anything', async () => {
    const cli = await runCliCaptured(['identify', 'tcp://127.0.0.1']);
    assert.equal(cli.code, 2, cli.stderr);
    assert.match(cli.stderr, /tcp:\/\/127\.0\.0\.1: no port number \(expected tcp:\/\/host:port\)/);
  });
});

describe('tcp:// through a receive-only relay (device → host only)', () => {
  const pty = new PtyPair('tcp-rx');
  const sim = new SimulatorProcess('smartsolar-100-30', pty.b, ['--verbose', '--seed', '9']);
  let relay: ReceiveOnlyRelay;

  before(async () => {
    await pty.start();
    await sim.start();
    relay = new ReceiveOnlyRelay(await freePort(), pty.a);
    await relay.start();
  });
  after(async () => {
    await relay.kill();
    await sim.stop();
    await pty.dispose();
  });

  it('Text works; HEX requests fail with VE_NO_HEX and the state says the link carries no HEX', async () => {
    const port = open(relay.url);
    try {
      const identity = await port.ready({ timeoutMs: 15_000 });
      assert.equal(identity.hex, false, 'identified from Text');
      assert.equal(identity.productId, 0xa056);
      const [snapshot] = await nextEvents(port, 'snapshot', 1, 5000);
      assert.equal(typeof snapshot?.values.batteryVoltage?.value, 'number');
      // Requests until the link is known to carry no HEX (a few unanswered), then at once.
      let err: VeError | undefined;
      for (let i = 0; i < 4 && err?.code !== 'VE_NO_HEX'; i++) err = await rejection(port.get('batteryVoltage'));
      assert.equal(err?.code, 'VE_NO_HEX');
      assert.match(err?.message ?? '', /this link carries no HEX/);
      const state = await waitForState(port, 'connected', 5000, (s) => s.kind === 'connected' && s.noHex);
      assert.equal(state.kind === 'connected' && state.noHex, true);
      const started = Date.now();
      assert.equal((await rejection(port.set('batteryVoltageSense', 13.2))).code, 'VE_NO_HEX');
      assert.ok(Date.now() - started < 500, 'refused at once, not after a timeout');
      assert.equal((sim.stderr.match(/^> /gm) ?? []).length, 0, 'the device never received a byte');
    } finally {
      await port.close();
    }
  });
});
