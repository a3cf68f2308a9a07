/**
 * What a user reads when something fails: in a Catch node (`msg.error.message`), in Node-RED's
 * log and debug sidebar (node.error), on the badge, and from the `ve-direct` CLI. No class-name
 * prefix ("VeError: …"), and what the user typed repeated only up to about 60 characters.
 */

import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { INPUT_QUOTE_MAX, VeError, cutInput, quoteInput } from '../../lib/errors';
import { resetSimDevices } from '../../lib/sim';
import { runCliCaptured } from '../helpers/cli';
import { helper, load, nextMessage, recordStatus, waitFor, type Flow } from '../helpers/nodered';
import { getNode, portNode, readyPort, type ErrorMsg } from '../helpers/vedirect-flows';

const LONG = `batteryVoltage${'X'.repeat(400)}`;

/** What the runtime logged at error level for a node, as its console line shows it. */
function errorLines(nodeId: string): string[] {
  return (helper.log().args as unknown[][])
    .map((args) => args[0] as { level?: number; id?: string; msg?: unknown })
    .filter((entry) => entry?.level === 20 && entry.id === nodeId)
    .map((entry) => `${entry.msg as string}`);
}

describe('error messages as users see them', () => {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    await helper.unload();
    resetSimDevices();
  });

  it('a VeError prints as its message alone; user input is cut and quoted', () => {
    const err = new VeError('VE_BAD_INPUT', 'something went wrong');
    assert.equal(String(err), 'something went wrong');
    assert.equal(`${err}`, 'something went wrong');
    assert.equal(err.code, 'VE_BAD_INPUT');
    assert.ok(err instanceof Error);
    assert.equal(cutInput('short'), 'short');
    const cut = cutInput('y'.repeat(500));
    assert.equal([...cut].length, INPUT_QUOTE_MAX);
    assert.ok(cut.endsWith('…'));
    assert.equal(quoteInput('a "b"\nc'), '"a \\"b\\"\\nc"', 'quotes and control characters escaped');
    assert.equal([...JSON.parse(quoteInput('z'.repeat(1000))) as string].length, INPUT_QUOTE_MAX);
  });

  it('a Catch node, the log and the badge get the message without "VeError:", the input cut', async () => {
    const flow: Flow = [
      { id: 'p1', type: 've-direct-port', path: 'sim:smartshunt' },
      { id: 'g1', type: 've-direct-get', port: 'p1', registers: '', wires: [['h1']] },
      { id: 'h1', type: 'helper' },
      { id: 'c1', type: 'catch', scope: ['g1'], uncaught: false, wires: [['h2']] },
      { id: 'h2', type: 'helper' },
      // Without a Catch node: what the log and the debug sidebar show.
      { id: 'g2', type: 've-direct-get', port: 'p1', registers: '', wires: [[]] },
    ];
    await load([portNode, getNode], flow);
    await readyPort('p1');
    const statuses = recordStatus(helper.getNode('g1'));

    const caught = nextMessage('h2') as Promise<ErrorMsg>;
    helper.getNode('g1').receive({ payload: LONG });
    const err = await caught;
    assert.equal(err.error.code, 'VE_UNKNOWN_REGISTER');
    assert.doesNotMatch(err.error.message, /VeError/);
    assert.match(err.error.message, /^Unknown register "batteryVoltageX+…"\. Give a catalogue name/);
    const quoted = /"([^"]*)"/.exec(err.error.message)?.[1] ?? '';
    assert.equal([...quoted].length, INPUT_QUOTE_MAX, 'the input cut to 60 characters');
    assert.ok(err.error.message.length < 160, `short enough to read: ${err.error.message}`);
    const badge = await waitFor(() => statuses.find((s) => s.fill === 'red'), 'a red badge');
    assert.doesNotMatch(String(badge.text), /VeError/);

    helper.getNode('g2').receive({ payload: ['batteryVoltage', 'batteryVoltage', 'nope'] });
    const lines = await waitFor(() => (errorLines('g2').length > 0 ? errorLines('g2') : null), 'the error logged');
    assert.equal(lines.length, 1);
    assert.equal(lines[0], 'Unknown register "nope". Give a catalogue name (batteryVoltage) or an id (0xED8D).');
  });

  it('the CLI prints the message and its code, never "VeError:", the input cut', async () => {
    const get = await runCliCaptured(['get', 'sim:smartshunt', LONG]);
    assert.notEqual(get.code, 0);
    assert.doesNotMatch(get.stderr, /VeError/);
    assert.match(get.stderr, /unknown register "batteryVoltageX+…"/i);
    assert.ok(!get.stderr.includes('X'.repeat(100)), 'not the whole input');
    assert.match(get.stderr, /VE_UNKNOWN_REGISTER/);

    const command = await runCliCaptured([`frobnicate${'Z'.repeat(300)}`]);
    assert.equal(command.code, 2);
    assert.match(command.stderr, /^ve-direct: unknown command "frobnicateZ+…"\n/);
    assert.ok(!command.stderr.includes('Z'.repeat(100)));

    const device = await runCliCaptured(['simulate', `bmv${'Q'.repeat(300)}`, '/dev/null']);
    assert.equal(device.code, 2);
    assert.match(device.stderr, /unknown device "bmvQ+…"/);
    assert.ok(!device.stderr.includes('Q'.repeat(100)));

    const range = await runCliCaptured(['set', 'sim:smartsolar-100-30', 'batteryVoltageSense', '700']);
    assert.equal(range.code, 1);
    assert.doesNotMatch(range.stderr, /VeError/);
    assert.match(range.stderr, /VE_RANGE/);
  });
});
