/**
 * ve-charge-limit in a real Node-RED runtime (node-red-node-test-helper), on the real link
 * stack, against simulated MPPTs (`sim:` ports, real time): the limit each charger holds and
 * the bytes it received, what the node sent on its outputs, its badge, errors through a Catch
 * node, and the order of the release and the port close on a redeploy. The refresh is the
 * shortest allowed (2 s). Every test ends by checking that nothing was written to flash.
 */

import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeStatus } from 'node-red';
import limitModule from '../../nodes/ve-charge-limit';
import type { ChargeLimitReport, LimitAlarmChange } from '../../lib/bridge/charge-limit-types';
import { systemClock } from '../../lib/clock';
import { defaultSimRegistry, getSimDevice, mpptOf, resetSimDevices } from '../../lib/sim';
import { helper, load, recordStatus, translated, waitFor, type Flow } from '../helpers/nodered';
import { collect, portNode, sleep, type ErrorMsg, type Msg } from '../helpers/vedirect-flows';
import type { PortConfigNode } from '../../nodes/lib/types';
import { DEVICE_FAMILIES } from '../../lib/protocol/catalog/types';

const limitNode = translated('ve-charge-limit', limitModule);

const SMALL = 'sim:smartsolar-100-30';
const BIG = 'sim:smartsolar-250-70';

type ReportMsg = Msg & { payload: ChargeLimitReport; topic: string; _msgid: string };
type AlarmMsg = Msg & { payload: LimitAlarmChange; topic: string };

interface Running {
  readonly reports: ReportMsg[];
  readonly alarms: AlarmMsg[];
  readonly errors: ErrorMsg[];
  readonly statuses: NodeStatus[];
}

function flowOf(node: Record<string, unknown> = {}, extra: Flow = []): Flow {
  return [
    { id: 'p1', type: 've-direct-port', name: '100/30', path: SMALL, staleAfter: 1.5 },
    { id: 'p2', type: 've-direct-port', name: '250/70', path: BIG, staleAfter: 1.5 },
    { id: 'l1', type: 've-charge-limit', chargers: ['p1', 'p2'], refresh: 2, ...node, wires: [['h1'], ['h2']] },
    { id: 'h1', type: 'helper' },
    { id: 'h2', type: 'helper' },
    { id: 'k1', type: 'catch', scope: null, uncaught: false, wires: [['h3']] },
    { id: 'h3', type: 'helper' },
    ...extra,
  ];
}

async function deploy(node: Record<string, unknown> = {}, extra: Flow = []): Promise<Running> {
  await load([portNode, limitNode], flowOf(node, extra));
  return { reports: collect('h1') as ReportMsg[], alarms: collect('h2') as AlarmMsg[], errors: collect('h3') as ErrorMsg[], statuses: recordStatus(helper.getNode('l1')) };
}

/** The 0x2015 limit a simulated charger holds, A (null: none). */
function held(path: string): number | null {
  const raw = mpptOf(getSimDevice(path))!.chargeLimit.readRaw();
  return raw === 0xffff ? null : raw / 10;
}

interface SetFrame {
  readonly at: number;
  readonly register: number;
  readonly raw: string;
}

function sets(path: string): SetFrame[] {
  return getSimDevice(path).hostLog.flatMap((f) =>
    f.command?.type === 'set' ? [{ at: f.at, register: f.command.register, raw: Buffer.from(f.command.value).toString('hex').toUpperCase() }] : [],
  );
}

/** Send `payload` and wait for the message back on output 1. */
async function send(run: Running, payload: unknown): Promise<ReportMsg> {
  const msg: Msg = { payload };
  helper.getNode('l1').receive(msg);
  const id = msg._msgid;
  return waitFor(() => run.reports.find((r) => r._msgid === id), 'the input message back on output 1', 10_000);
}

function assertNoFlashWrites(): void {
  for (const [path, device] of defaultSimRegistry().entries()) assert.equal(device.flashWriteCount, 0, `${path}: nothing written to flash`);
}

const badgeText = (run: Running, text: string): Promise<NodeStatus> => waitFor(() => run.statuses.find((s) => s.text === text), `badge "${text}"`, 12_000);

describe('ve-charge-limit', () => {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    await helper.unload();
    resetSimDevices();
  });

  it('40 A over a 100/30 and a 250/70: 12 + 28 A, refreshed, green badge, the message back with the report, timer reports on output 1', async () => {
    const run = await deploy();
    const back = await send(run, 40);
    assert.equal(back.topic, 've-charge-limit');
    assert.deepEqual(back.payload.chargers.map((c) => [c.id, c.rating, c.share]), [
      ['p1', 30, 12],
      ['p2', 70, 28],
    ]);
    assert.ok(Math.abs(back.payload.at - Date.now()) < 5000, 'times are wall-clock ms');
    const green = await badgeText(run, '40 A → 12 + 28 A');
    assert.deepEqual([green.fill, green.shape], ['green', 'dot']);
    assert.deepEqual([held(SMALL), held(BIG)], [12, 28]);
    const from = systemClock.now();
    await sleep(5000);
    const timer = run.reports.filter((r) => r.payload.trigger === 'timer');
    assert.ok(timer.length >= 2, `timer reports: ${timer.length}`);
    for (const path of [SMALL, BIG]) {
      const refreshes = sets(path).filter((s) => s.register === 0x2015 && s.at >= from);
      assert.ok(refreshes.length >= 2, `${path}: refreshed every 2 s (${refreshes.length} in 5 s)`);
      assert.deepEqual([...new Set(sets(path).map((s) => s.register))].sort(), [0x200e, 0x2015], `${path}: only 0x200E / 0x2015`);
      assert.ok(sets(path).filter((s) => s.register === 0x200e).every((s) => s.raw === '05'), 'network mode 0x05, never bit 3');
    }
    assertNoFlashWrites();
  });

  it('0 A stops charging; null releases once and the badge says released', async () => {
    const run = await deploy();
    await send(run, 0);
    await badgeText(run, '0 A → 0 + 0 A');
    assert.deepEqual([held(SMALL), held(BIG)], [0, 0]);
    await sleep(3000);
    for (const id of ['p1', 'p2']) {
      const port = (helper.getNode(id) as unknown as PortConfigNode).port;
      assert.equal(port?.snapshot()?.values.batteryCurrent?.value, 0, `${id}: Text I = 0 A`);
    }
    const before = new Map([SMALL, BIG].map((p) => [p, sets(p).length]));
    const released = await send(run, null);
    assert.equal(released.payload.demand.state, 'none');
    await badgeText(run, 'released');
    await sleep(4500);
    for (const path of [SMALL, BIG]) {
      assert.deepEqual(sets(path).slice(before.get(path)).map((s) => [s.register, s.raw]), [
        [0x2015, 'FFFF'],
        [0x200e, '00'],
      ], `${path}: one release, then silence`);
      assert.equal(held(path), null);
    }
    assertNoFlashWrites();
  });

  it('a total older than the timeout is released, with INPUT_STALE on output 2', async () => {
    const run = await deploy({ timeout: 5 });
    await send(run, 40);
    await badgeText(run, '40 A → 12 + 28 A');
    const stale = await badgeText(run, 'input stale: released');
    assert.equal(stale.fill, 'yellow');
    assert.deepEqual([held(SMALL), held(BIG)], [null, null]);
    const alarm = run.alarms.flatMap((m) => m.payload.raised).find((a) => a.code === 'INPUT_STALE');
    assert.equal(alarm?.errorCode, 'VE_STALE');
    assertNoFlashWrites();
  });

  it('a bad payload fails through a Catch node with VE_BAD_INPUT and changes nothing', async () => {
    const run = await deploy();
    await send(run, 20);
    for (const bad of [-5, '20', { amps: 20 }]) {
      helper.getNode('l1').receive({ payload: bad });
    }
    await waitFor(() => run.errors.length >= 3, 'three errors');
    for (const e of run.errors) {
      assert.equal(e.error.code, 'VE_BAD_INPUT');
      assert.match(e.error.message, /msg\.payload must be the total charge current in A/);
    }
    assert.deepEqual([held(SMALL), held(BIG)], [6, 14]);
  });

  it('a charger under a GX is left alone; the other takes the total up to its rating', async () => {
    await load([portNode, limitNode], []);
    resetSimDevices();
    mpptOf(getSimDevice(SMALL))!.setOtherMaster('gx');
    await helper.unload();
    const run = await deploy();
    await send(run, 40);
    await sleep(2500);
    const r = run.reports.at(-1)!.payload;
    assert.deepEqual(r.chargers.map((c) => c.state), ['conflict', 'limiting']);
    assert.deepEqual(sets(SMALL), [], 'nothing written to the GX-controlled charger');
    assert.equal(held(BIG), 40);
    assert.ok(run.statuses.some((s) => s.fill === 'red' && s.text === '40 A → – + 40 A'));
    assert.ok(run.alarms.flatMap((m) => m.payload.raised).some((a) => a.code === 'CHARGER_CONFLICT' && a.errorCode === 'VE_CONFLICT'));
    assertNoFlashWrites();
  });

  it('a charger going offline leaves its share to the other, within its rating', async () => {
    const run = await deploy({ split: 'equal' });
    await send(run, 40);
    await badgeText(run, '40 A → 20 + 20 A');
    getSimDevice(BIG).faults.unplug();
    await badgeText(run, '40 A → 30 + – A');
    assert.equal(held(SMALL), 30, 'the 100/30 at its rating');
    // The alarm follows the badge on the alarm output; on a loaded machine it may come a little later.
    const offline = await waitFor(() => run.alarms.flatMap((m) => m.payload.raised).find((a) => a.code === 'CHARGER_OFFLINE'), 'the CHARGER_OFFLINE alarm', 30_000);
    assert.equal(offline.subject.label.length > 0, true);
    assertNoFlashWrites();
  });

  it('a second charge limit on a charger already limited refuses to start: red badge, VE_CONFLICT', async () => {
    const run = await deploy({}, [{ id: 'l2', type: 've-charge-limit', name: 'second', chargers: ['p2'], wires: [[], []] }]);
    const l2 = helper.getNode('l2');
    const spy = Object.getPrototypeOf(l2).status as { getCalls(): Array<{ thisValue: { id: string }; args: NodeStatus[] }> };
    const badge = spy.getCalls().filter((c) => c.thisValue.id === 'l2').at(-1)?.args[0];
    assert.deepEqual([badge?.fill, badge?.shape, badge?.text], ['red', 'ring', 'already limited: 250/70']);
    l2.receive({ payload: 10 });
    const err = await waitFor(() => run.errors.find((e) => e.error.source.id === 'l2'), 'the error of l2');
    assert.equal(err.error.code, 'VE_CONFLICT');
    // The first one works.
    await send(run, 40);
    assert.deepEqual([held(SMALL), held(BIG)], [12, 28]);
  });

  it('redeploy: the release reaches every charger before its port closes', async () => {
    const closedAt = new Map<string, number>();
    await load([portNode, limitNode], []);
    for (const path of [SMALL, BIG]) {
      const device = getSimDevice(path);
      const connect = device.connect.bind(device);
      device.connect = (sink) => {
        const detach = connect(sink);
        return () => {
          if (!closedAt.has(path)) closedAt.set(path, systemClock.now());
          detach();
        };
      };
    }
    await helper.unload();
    const run = await deploy();
    await send(run, 40);
    await badgeText(run, '40 A → 12 + 28 A');
    const stopAt = systemClock.now();
    await helper.unload();
    for (const path of [SMALL, BIG]) {
      const closed = closedAt.get(path);
      assert.ok(closed !== undefined, `${path}: port closed`);
      const after = sets(path).filter((s) => s.at >= stopAt);
      assert.deepEqual(after.filter((s) => s.raw === 'FFFF' || s.register === 0x200e && s.raw === '00').map((s) => s.register), [0x2015, 0x200e], `${path}: released`);
      assert.ok(after.every((s) => s.at <= closed), `${path}: the release came before the close`);
      assert.equal(held(path), null);
    }
    assertNoFlashWrites();
  });
});

describe('ve-charge-limit dialog texts', () => {
  const ROOT = join(__dirname, '..', '..');
  const text = (type: string, key: string): unknown => {
    const catalogue = JSON.parse(readFileSync(join(ROOT, 'locales', 'en-US', `${type}.json`), 'utf8')) as Record<string, unknown>;
    return `${type}.${key}`.split('.').reduce<unknown>((at, part) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[part] : undefined), catalogue);
  };

  it('every text the dialog asks for is in the catalogue, and each device family has its name in both port-list dialogs', () => {
    const html = readFileSync(join(ROOT, 'nodes', 've-charge-limit.html'), 'utf8');
    const keys = [...html.matchAll(/\bt\('([\w.-]*[\w-])'\s*[,)]/g)].map((m) => m[1]!);
    for (const key of ['label.noPorts', 'label.none', 'label.unidentified', 'label.wrongFamily']) assert.ok(keys.includes(key), `the chargers list uses ${key}`);
    for (const key of keys) assert.equal(typeof text('ve-charge-limit', key), 'string', `catalogue has ${key}`);
    for (const m of html.matchAll(/data-i18n="(?:\[\w+\])?ve-charge-limit\.([^"]+)"/g)) assert.equal(typeof text('ve-charge-limit', m[1]!), 'string', `catalogue has ${m[1]}`);
    for (const type of ['ve-charge-limit', 've-bmv-to-mppt']) {
      for (const family of DEVICE_FAMILIES) assert.equal(typeof text(type, `family.${family}`), 'string', `${type}: family.${family}`);
    }
  });
});
