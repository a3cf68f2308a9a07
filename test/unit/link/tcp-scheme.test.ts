/**
 * The path-scheme table and the tcp:// binding: which paths are which, how malformed ones are
 * refused, registry keys; and the binding over a real loopback socket (node:net), with the whole
 * link stack on top: bytes both ways, the relay closing, and reconnecting.
 */

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { VeError } from '../../../lib/errors';
import { VeDirectPort } from '../../../lib/link/port';
import { deviceKey, pathProblem, schemeFor } from '../../../lib/link/port-factory';
import { parseTcpPath } from '../../../lib/link/tcp-binding';
import { encodeFrame, un16Bytes } from '../../../lib/protocol/hex-codec';
import { textBlock } from '../../helpers/wire';

const keepAlive = setInterval(() => undefined, 1000);
after(() => clearInterval(keepAlive));

describe('path schemes', () => {
  it('tells serial, tcp:// and unknown prefixes apart; sim: needs the simulator loaded', () => {
    assert.equal(schemeFor('/dev/ttyUSB0').name, 'serial');
    assert.equal(schemeFor('COM3').name, 'serial');
    assert.equal(schemeFor('tcp://192.168.1.20:4001').name, 'tcp');
    assert.equal(schemeFor('TCP://[fe80::1]:23').name, 'tcp');
    for (const [path, why] of [
      ['udp://10.0.0.1:4001', /unknown kind of port "udp:"; use tcp:\/\/host:port/],
      ['tcp://10.0.0.1', /no port number \(expected tcp:\/\/host:port\)/],
      ['tcp://10.0.0.1:0', /port number outside 1–65535/],
      ['tcp://10.0.0.1:4001/ttyUSB0', /only a host and a port/],
      ['tcp://user:pw@10.0.0.1:4001', /no user name or password/],
    ] as const) {
      assert.throws(
        () => schemeFor(path),
        (err: unknown) => err instanceof VeError && err.code === 'VE_BAD_INPUT' && why.test(err.message) && err.details.reasonKey === 'bad-path',
        path,
      );
      assert.match(pathProblem(path) ?? '', why);
    }
    assert.equal(pathProblem('/dev/ttyUSB0'), null);
  });

  it('keys one relay the same however it is spelled', () => {
    assert.equal(deviceKey('TCP://Relay.Local:4001/'), 'tcp://relay.local:4001');
    assert.equal(deviceKey('tcp://relay.local:4001'), 'tcp://relay.local:4001');
    assert.equal(deviceKey('tcp://[FE80::1]:23'), 'tcp://[fe80::1]:23');
    assert.deepEqual(parseTcpPath('tcp://[::1]:4001'), { host: '::1', port: 4001, canonical: 'tcp://[::1]:4001' });
  });
});

describe('tcp:// binding over a loopback socket', () => {
  it('carries bytes both ways through the whole stack, and reconnects after the relay drops the connection', async () => {
    const connections: Socket[] = [];
    const received: string[] = [];
    const server: Server = createServer((socket) => {
      connections.push(socket);
      socket.on('data', (chunk: Buffer) => {
        received.push(chunk.toString('latin1'));
        // A device behind the relay: answers ping with firmware 1.59.
        if (chunk.toString('latin1').includes(':154')) socket.write(encodeFrame(0x5, un16Bytes(0x4159)) + '\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const url = `tcp://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const port = new VeDirectPort(url, { backoff: { initialMs: 100, maxMs: 200 }, textIdentityWaitMs: 500 });
    port.open();
    try {
      await waitUntil(() => connections.length === 1, 'a connection');
      const block = setInterval(() => connections.at(-1)?.write(textBlock({ PID: '0xA053', FW: '159', 'SER#': 'HQ2045AB2CD', V: '12950' })), 200);
      try {
        const identity = await port.ready({ timeoutMs: 10_000 });
        assert.equal(identity.serial, 'HQ2045AB2CD');
        assert.equal(identity.firmware, '1.59');
        assert.ok(received.join('').startsWith(':154\n'), 'the ping reached the relay as written');
        // It answered the ping: later unanswered requests (this relay's device knows nothing
        // else) are timeouts, not a link without HEX.
        assert.equal(port.carriesHex, true);
        // The relay drops the connection: the port sees it and connects again.
        connections[0]?.destroy();
        await waitUntil(() => connections.length === 2, 'a second connection');
        await port.ready({ timeoutMs: 10_000 });
        assert.ok(port.counters.reconnects >= 1);
        assert.ok(port.counters.drops >= 1);
      } finally {
        clearInterval(block);
      }
    } finally {
      await port.close();
      for (const c of connections) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
