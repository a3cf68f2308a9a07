/**
 * The port registry: one port object per device, one owner, the same device under two names,
 * release closing on the last acquire, and a new owner waiting for the old one's close.
 */

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../lib/clock';
import { PortRegistry } from '../../../lib/link/registry';
import { MemoryBinding, settle } from '../../helpers/memory-binding';

const dir = mkdtempSync(join(tmpdir(), 've-registry-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A device node and a by-id style symlink to it (regular files: realpath is what matters). */
function deviceWithAlias(name: string): { device: string; alias: string } {
  const device = join(dir, name);
  writeFileSync(device, '');
  const alias = join(dir, `usb-VictronEnergy_BV_VE_Direct_cable_${name}-if00-port0`);
  symlinkSync(device, alias);
  return { device, alias };
}

function setup() {
  const clock = new ManualClock();
  const binding = new MemoryBinding();
  const registry = new PortRegistry();
  return { clock, binding, registry, options: { clock, portFactory: binding.factory(), minGapMs: 0 } };
}

describe('PortRegistry', () => {
  it('gives the same owner the same port object, and opens the device once', async () => {
    const { binding, registry, options } = setup();
    const { device } = deviceWithAlias('a');
    const line = binding.line(device);
    const first = registry.acquire(device, 'node A', options);
    const second = registry.acquire(device, 'node A', options);
    assert.equal(first, second);
    await settle();
    assert.equal(line.opens, 1);
    await registry.release(device, 'node A');
    assert.equal(first.state.kind, 'connecting', 'still open: one acquire left');
    await registry.release(device, 'node A');
    assert.equal(first.state.kind, 'closed');
    assert.equal(registry.list().length, 0);
  });

  it('refuses a second owner with VE_PORT_BUSY naming the first, also through a symlink', async () => {
    const { binding, registry, options } = setup();
    const { device, alias } = deviceWithAlias('b');
    binding.line(device);
    registry.acquire(alias, 've-direct-port "House battery" (n1)', options);
    assert.throws(() => registry.acquire(alias, 've-direct-port "Other" (n2)', options), {
      code: 'VE_PORT_BUSY',
      message: /is already used by ve-direct-port "House battery" \(n1\)/,
    });
    assert.throws(() => registry.acquire(device, 've-direct-port "Other" (n2)', options), {
      code: 'VE_PORT_BUSY',
      message: new RegExp(`already used by .*\\(as ${alias.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)`),
    });
    assert.equal(registry.find(device)?.owner, 've-direct-port "House battery" (n1)');
    await registry.release(alias, 've-direct-port "House battery" (n1)');
  });

  it('ignores a release by someone who is not the owner', async () => {
    const { binding, registry, options } = setup();
    const { device } = deviceWithAlias('c');
    binding.line(device);
    const port = registry.acquire(device, 'owner', options);
    await registry.release(device, 'someone else');
    assert.notEqual(port.state.kind, 'closed');
    await registry.release(device, 'owner');
  });

  it('resolves release only after the port closed; a new owner opens after that close', async () => {
    const { binding, registry, options } = setup();
    const { device } = deviceWithAlias('d');
    const line = binding.line(device);
    const old = registry.acquire(device, 'old node', options);
    await settle();
    assert.equal(line.opens, 1);
    const released = registry.release(device, 'old node');
    const fresh = registry.acquire(device, 'new node', options); // a redeploy
    assert.notEqual(fresh, old);
    await released;
    assert.equal(old.state.kind, 'closed');
    await settle();
    assert.equal(line.opens, 2);
    assert.equal(line.port !== undefined, true, 'the new owner holds the device');
    await registry.release(device, 'new node');
  });
});
