/**
 * Discovery: Victron cables first with their by-id names, sim devices listed, a clear warning
 * instead of a failure without udev, and probes that go through an owner's port.
 */

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PortInfo } from '@serialport/bindings-interface';
import { listPorts, UDEV_WARNING } from '../../../lib/link/discovery';
import { PortRegistry } from '../../../lib/link/registry';
import '../../../lib/sim/scheme';
import { MemoryBinding, settle } from '../../helpers/memory-binding';

const dir = mkdtempSync(join(tmpdir(), 've-discovery-'));
// The link's timers and the simulator's do not hold the process open (they are unref'd).
const keepAlive = setInterval(() => undefined, 1000);
after(() => {
  clearInterval(keepAlive);
  rmSync(dir, { recursive: true, force: true });
});
const dev = join(dir, 'dev');
const byIdDir = join(dir, 'by-id');
mkdirSync(dev);
mkdirSync(byIdDir);
for (const tty of ['ttyUSB0', 'ttyUSB1', 'ttyACM0']) writeFileSync(join(dev, tty), '');
const VICTRON_BY_ID = join(byIdDir, 'usb-VictronEnergy_BV_VE_Direct_cable_HQ2132QX4CN-if00-port0');
symlinkSync(join(dev, 'ttyUSB1'), VICTRON_BY_ID);
symlinkSync(join(dev, 'ttyACM0'), join(byIdDir, 'usb-Arduino_Uno_12345-if00'));

const info = (path: string, extra: Partial<PortInfo> = {}): PortInfo => ({
  path,
  manufacturer: undefined,
  serialNumber: undefined,
  pnpId: undefined,
  locationId: undefined,
  productId: undefined,
  vendorId: undefined,
  ...extra,
});

describe('listPorts', () => {
  it('lists Victron cables first, with their by-id path, then other ports, then sim devices', async () => {
    const { ports, warning } = await listPorts({
      byIdDir,
      list: async () => [
        info(join(dev, 'ttyACM0'), { manufacturer: 'Arduino' }),
        info(join(dev, 'ttyUSB0'), { manufacturer: 'FTDI', vendorId: '0403', productId: '6015' }),
        info(join(dev, 'ttyUSB1'), { manufacturer: 'VictronEnergy BV', serialNumber: 'HQ2132QX4CN', vendorId: '0403', productId: '6015' }),
      ],
      registry: new PortRegistry(),
    });
    assert.equal(warning, undefined);
    const first = ports[0];
    assert.equal(first?.path, VICTRON_BY_ID);
    assert.equal(first?.device, join(dev, 'ttyUSB1'));
    assert.equal(first?.victron, true);
    assert.match(first?.label ?? '', /^VE\.Direct cable HQ2132QX4CN/);
    assert.equal(ports[1]?.device, join(dev, 'ttyUSB0'), 'an FTDI FT-X cable next');
    assert.ok(ports.some((p) => p.sim && p.path === 'sim:smartshunt'));
    assert.ok(ports.findIndex((p) => p.sim) > ports.findIndex((p) => p.device.endsWith('ttyACM0')), 'sim devices last');
  });

  it('says clearly that udev is missing instead of failing, and still lists by-id ports and sim devices', async () => {
    const { ports, warning } = await listPorts({
      byIdDir,
      list: async () => {
        throw new Error('spawn udevadm ENOENT');
      },
      registry: new PortRegistry(),
    });
    assert.match(warning ?? '', new RegExp(`^${UDEV_WARNING.replace(/[()]/g, '\\$&')}`));
    assert.match(warning ?? '', /spawn udevadm ENOENT/);
    assert.equal(ports[0]?.path, VICTRON_BY_ID);
    assert.equal(ports[0]?.victron, true, 'recognised by its by-id name');
    assert.ok(ports.some((p) => p.byId?.includes('Arduino')));
    assert.ok(ports.some((p) => p.sim));
  });

  it('probes through the owner of a port instead of opening it a second time', async () => {
    const binding = new MemoryBinding();
    const line = binding.line(VICTRON_BY_ID);
    line.onWrite = () => undefined; // a device that never answers
    const registry = new PortRegistry();
    const port = registry.acquire(VICTRON_BY_ID, 've-direct-port "Shunt" (n1)', { portFactory: binding.factory(), minGapMs: 0 });
    await settle();
    assert.equal(line.opens, 1);
    const { ports } = await listPorts({ byIdDir, list: async () => [], registry, sim: false, probe: true, probeAll: true, timeoutMs: 200, probeOptions: { portFactory: binding.factory() } });
    const probed = ports.find((p) => p.path === VICTRON_BY_ID);
    assert.equal(probed?.owner, 've-direct-port "Shunt" (n1)');
    assert.equal(probed?.identity, null);
    assert.match(probed?.probeError ?? '', /owned by ve-direct-port "Shunt"/);
    assert.equal(line.opens, 1, 'not opened again');
    const other = ports.find((p) => p.device.endsWith('ttyACM0'));
    assert.match(other?.probeError ?? '', /port not found/, 'a free port is opened by the probe (here it does not exist)');
    await registry.release(VICTRON_BY_ID, 've-direct-port "Shunt" (n1)');
    assert.equal(port.state.kind, 'closed');
  });

  it('identifies the device behind a simulated port', async () => {
    const { ports } = await listPorts({ byIdDir, list: async () => [], registry: new PortRegistry(), probe: true });
    const shunt = ports.find((p) => p.path === 'sim:smartshunt');
    assert.equal(shunt?.identity?.product, 'SmartShunt 500A/50mV');
    assert.match(shunt?.identity?.serial ?? '', /^HQ/);
  });

  it('probes by default only Victron cables, FT-X cables, named relays and sim devices: never /dev/ttyS0', async () => {
    const binding = new MemoryBinding();
    const ttyS0 = join(dev, 'ttyS0');
    writeFileSync(ttyS0, '');
    const lines = [ttyS0, join(dev, 'ttyACM0'), VICTRON_BY_ID, join(dev, 'ttyUSB0'), 'tcp://127.0.0.1:1'].map((p) => binding.line(p));
    for (const line of lines) line.onWrite = () => undefined;
    const list = async (): Promise<PortInfo[]> => [
      info(ttyS0),
      info(join(dev, 'ttyACM0'), { manufacturer: 'Arduino' }),
      info(join(dev, 'ttyUSB0'), { manufacturer: 'FTDI', vendorId: '0403', productId: '6015' }),
      info(join(dev, 'ttyUSB1'), { manufacturer: 'VictronEnergy BV', vendorId: '0403', productId: '6015' }),
    ];
    const probeOptions = { portFactory: binding.factory() };
    const { ports } = await listPorts({ byIdDir, list, registry: new PortRegistry(), sim: false, probe: true, timeoutMs: 150, probeOptions, paths: ['tcp://127.0.0.1:1'] });
    const [s0, acm, victron, ftdi, relay] = lines;
    assert.equal(s0?.opens, 0, '/dev/ttyS0 (console, GPS) not opened');
    assert.equal(acm?.opens, 0, 'an Arduino not opened');
    assert.equal(victron?.opens, 1, 'the Victron cable probed');
    assert.equal(ftdi?.opens, 1, 'the FT-X cable probed');
    assert.equal(relay?.opens, 1, 'the relay the user named probed');
    const skipped = ports.find((p) => p.device === ttyS0);
    assert.equal(skipped?.identity, undefined);
    assert.match(skipped?.probeSkipped ?? '', /not a Victron cable/);
    const named = ports.find((p) => p.path === 'tcp://127.0.0.1:1');
    assert.equal(named?.scheme, 'tcp');
    assert.equal(named?.label, 'Network relay (tcp://127.0.0.1:1)');
    assert.ok(ports.indexOf(named!) > ports.indexOf(skipped!), 'relays after serial ports');

    const all = await listPorts({ byIdDir, list, registry: new PortRegistry(), sim: false, probe: true, probeAll: true, timeoutMs: 150, probeOptions });
    assert.equal(s0?.opens, 1, 'asked for: every serial port probed');
    assert.equal(all.ports.find((p) => p.device === ttyS0)?.probeSkipped, undefined);
    rmSync(ttyS0);
  });
});
