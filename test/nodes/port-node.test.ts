/**
 * The skeleton of the nodes that use a port (nodes/lib/port-node.ts), with a node type of its
 * own: the port looked up and registered, the badge painted from the port's state, the input
 * body's failures at a Catch node with their code, the no-port error, and a close that runs
 * the node's clean-up, clears the badge and calls `done` even when the clean-up throws.
 */

import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeStatus } from 'node-red';
import { getSimDevice, resetSimDevices } from '../../lib/sim';
import { registerPortNode } from '../../nodes/lib/port-node';
import { helper, load, nextMessage, recordStatus, translated, waitFor, type Flow } from '../helpers/nodered';
import { portNode, type ErrorMsg, type Msg } from '../helpers/vedirect-flows';

const closes: string[] = [];

/** Answers each message with its port's path; fails a message asking it to; its clean-up throws. */
const skeletonNode = translated('ve-direct-get', (RED) => {
  registerPortNode(RED, 'test-skeleton', {
    setup: ({ node, requirePort }) => ({
      input: async (msg, send) => {
        const port = requirePort();
        if (msg.payload === 'fail') throw Object.assign(new Error('asked to fail'), { code: 'VE_BAD_INPUT' });
        send({ ...msg, payload: port.path });
      },
      close: () => {
        closes.push(node.id);
        throw new Error('clean-up failed');
      },
    }),
  });
});

/** Every badge a node was given, from the helper's spy (also those before the test looked). */
function badges(id: string): NodeStatus[] {
  const spy = Object.getPrototypeOf(helper.getNode(id)).status as { getCalls(): Array<{ thisValue: { id: string }; args: unknown[] }> };
  return spy.getCalls().filter((c) => c.thisValue.id === id).map((c) => c.args[0] as NodeStatus);
}

function flow(port: string | null): Flow {
  return [
    ...(port ? [{ id: 'p1', type: 've-direct-port', path: port }] : []),
    { id: 'n1', type: 'test-skeleton', port: port ? 'p1' : '', wires: [['h1']] },
    { id: 'h1', type: 'helper' },
    { id: 'c1', type: 'catch', scope: ['n1'], uncaught: false, wires: [['h2']] },
    { id: 'h2', type: 'helper' },
  ];
}

describe('the port-node skeleton', () => {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    await helper.unload();
    resetSimDevices();
  });

  it('registers with the port, paints its device, answers, fails with the code, and closes in order', async () => {
    await load([portNode, skeletonNode], flow('sim:smartshunt'));
    const serial = await waitFor(() => getSimDevice('sim:smartshunt').identity.serial, 'the simulated device');
    const green = await waitFor(() => badges('n1').find((s) => s.fill === 'green'), 'the identity badge');
    assert.equal(green.text, `SmartShunt 500A/50mV ${serial}`);

    const answer = nextMessage('h1') as Promise<Msg>;
    helper.getNode('n1').receive({ payload: 'go', topic: 't' });
    assert.deepEqual(await answer.then((m) => [m.payload, m.topic]), ['sim:smartshunt', 't']);

    const caught = nextMessage('h2') as Promise<ErrorMsg>;
    helper.getNode('n1').receive({ payload: 'fail' });
    const err = await caught;
    assert.equal(err.error.code, 'VE_BAD_INPUT');
    assert.match(err.error.message, /asked to fail/);

    closes.length = 0;
    const last = recordStatus(helper.getNode('n1'));
    await helper.unload();
    assert.deepEqual(closes, ['n1'], 'the clean-up ran once');
    assert.deepEqual(last.at(-1), {}, 'the badge cleared although the clean-up threw');
    assert.equal(getSimDevice('sim:smartshunt').connected, false, 'the port closed');
  });

  it('without a port: a red badge, and each message fails with VE_PORT_CLOSED', async () => {
    await load([portNode, skeletonNode], flow(null));
    assert.deepEqual(badges('n1').at(-1), { fill: 'red', shape: 'ring', text: 'no port configured' });
    const caught = nextMessage('h2') as Promise<ErrorMsg>;
    helper.getNode('n1').receive({ payload: 'go' });
    const err = await caught;
    // The text is the node type's own catalogue entry (errors.no-port); the code is the API.
    assert.equal(err.error.code, 'VE_PORT_CLOSED');
  });
});
