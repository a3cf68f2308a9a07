/**
 * The same stack on @serialport/binding-mock, serialport's own test binding: the exact bytes
 * a Get puts on the wire, and the reply taken from the mock's data.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MockBinding, type MockPortBinding } from '@serialport/binding-mock';
import type { SerialPortStream } from '@serialport/stream';
import { streamWithBinding } from '../../../lib/link/serial-stream';
import { VeDirectPort } from '../../../lib/link/port';
import { settle } from '../../helpers/memory-binding';

describe('VeDirectPort on @serialport/binding-mock', () => {
  it('writes :7D5ED008C\\n for a Get of 0xEDD5 and decodes the reply', async () => {
    MockBinding.reset();
    MockBinding.createPort('/dev/ttyMOCK0', { echo: false, record: true });
    let stream: SerialPortStream | undefined;
    const port = new VeDirectPort('/dev/ttyMOCK0', {
      portFactory: (path) => (stream = streamWithBinding(path, MockBinding)),
      requestTimeoutMs: 200,
      retries: 0,
      minGapMs: 0,
      textIdentityWaitMs: 10,
    });
    port.open();
    await settle();
    const mock = stream?.port as MockPortBinding | undefined;
    assert.ok(mock, 'opened on the mock binding');
    // The mock answers nothing: let the identification give up (ping timeout, Text wait).
    await new Promise((resolve) => setTimeout(resolve, 300));
    mock.recording = Buffer.alloc(0);
    const reading = port.get('chargerVoltage');
    await settle();
    assert.equal(mock.recording.toString('latin1'), ':7D5ED008C\n');
    mock.emitData(':7D5ED00A404E4\n');
    const r = await reading;
    assert.deepEqual([r.register, r.name, r.value, r.unit, r.raw], ['0xEDD5', 'chargerVoltage', 11.88, 'V', 'A404']);
    await port.close();
  });
});
