/**
 * A `tcp://` port node in a Node-RED runtime: a relay nobody runs gives a red badge with the
 * reason and keeps retrying without crashing; a malformed address is refused at deploy with
 * what is wrong; two port nodes naming one relay are refused like two on one cable.
 */

import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import portModule from '../../nodes/ve-direct-port';
import type { PortConfigNode } from '../../nodes/lib/types';
import { freePort } from '../helpers/node-red-process';
import { helper, load, portUserNode, recordStatus, translated, waitFor, type Flow } from '../helpers/nodered';

const portNode = translated('ve-direct-port', portModule);

describe('ve-direct-port with a tcp:// path', () => {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(() => helper.unload());

  it('a relay that is not running: red "error: connection refused" on the user badge, retried, no crash', async () => {
    const url = `tcp://127.0.0.1:${await freePort()}`;
    const flow: Flow = [
      { id: 'p1', type: 've-direct-port', name: 'remote MPPT', path: url },
      { id: 'u1', type: 'test-port-user', port: 'p1' },
    ];
    await load([portNode, portUserNode], flow);
    const statuses = recordStatus(helper.getNode('u1'));
    const red = await waitFor(() => statuses.find((s) => s.fill === 'red'), 'a red badge');
    assert.equal(red.shape, 'ring');
    assert.equal(red.text, 'error: connection refused');
    const node = helper.getNode('p1') as unknown as PortConfigNode;
    const state = node.port?.state;
    assert.equal(state?.kind, 'error');
    assert.match(state?.kind === 'error' ? state.message : '', new RegExp(`^cannot open ${url}: connection refused$`));
    await waitFor(() => (node.port?.counters.openFailures ?? 0) >= 2, 'a second attempt', 10_000);
  });

  it('a malformed address is refused at deploy, saying what is wrong', async () => {
    const flow: Flow = [
      { id: 'p1', type: 've-direct-port', path: 'tcp://192.168.1.20' },
      { id: 'u1', type: 'test-port-user', port: 'p1' },
    ];
    await load([portNode, portUserNode], flow);
    const node = helper.getNode('p1') as unknown as PortConfigNode;
    assert.equal(node.port, null);
    assert.equal(node.portError?.message, 'no port number');
    assert.deepEqual(node.portStatus(), { fill: 'red', shape: 'ring', text: 'error: no port number' });
  });

  it('two port nodes naming one relay, spelled differently: the second is refused', async () => {
    const port = await freePort();
    const flow: Flow = [
      { id: 'p1', type: 've-direct-port', name: 'first', path: `tcp://127.0.0.1:${port}` },
      { id: 'p2', type: 've-direct-port', name: 'second', path: `TCP://127.0.0.1:${port}/` },
      { id: 'u1', type: 'test-port-user', port: 'p1' },
      { id: 'u2', type: 'test-port-user', port: 'p2' },
    ];
    await load([portNode, portUserNode], flow);
    const second = helper.getNode('p2') as unknown as PortConfigNode;
    assert.equal(second.port, null);
    assert.match(String(second.portError?.message), /already used by ve-direct-port "first"/);
  });
});
