import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../lib/clock';

describe('ManualClock', () => {
  it('runs timeouts and intervals in time order as time advances', () => {
    const clock = new ManualClock();
    const log: string[] = [];
    clock.setTimeout(() => log.push(`t250@${clock.now()}`), 250);
    const every = clock.setInterval(() => log.push(`i100@${clock.now()}`), 100);
    clock.advance(300);
    every.cancel();
    clock.advance(1000);
    assert.deepEqual(log, ['i100@100', 'i100@200', 't250@250', 'i100@300']);
    assert.equal(clock.now(), 1300);
    assert.equal(clock.pending, 0);
  });

  it('runs timers that timers arm, within the same advance', () => {
    const clock = new ManualClock();
    const log: number[] = [];
    clock.setTimeout(() => clock.setTimeout(() => log.push(clock.now()), 50), 50);
    clock.advance(100);
    assert.deepEqual(log, [100]);
  });

  it('a cancelled timeout never runs', () => {
    const clock = new ManualClock();
    let ran = false;
    clock.setTimeout(() => (ran = true), 10).cancel();
    clock.advance(20);
    assert.equal(ran, false);
  });
});
