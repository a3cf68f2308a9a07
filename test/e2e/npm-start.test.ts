/**
 * `npm start` as a newcomer runs it, with no hardware: it prints the editor's URL, deploys the
 * five examples against simulated devices (one tab each, one port node per device, one bridge
 * per charger), and within a minute every VE.Direct node in the editor is green and the bridge
 * says what it writes. The dashboard shows the monitors and what the chargers are sent. The
 * README's pictures of the editor and the dashboard are taken here.
 */

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium';
import { BRIDGE_BADGE, Editor, VE_TYPES, type EditorNode } from '../helpers/editor-page';
import { freePort, removeDir, ROOT, startNpmStart, tempDir, type NodeRedProcess } from '../helpers/node-red-process';

/** What /flows returns for a node: only the fields these checks read. */
interface FlowNode {
  id: string;
  type: string;
  z?: string;
  label?: string;
  disabled?: boolean;
  name?: string;
  path?: string;
  targets?: string[];
  d?: boolean;
}

const README_IMAGES = join(ROOT, 'docs', 'images');
const PORTS: Record<string, string> = {
  've-port-monitor-1': 'sim:smartshunt-temp',
  've-port-monitor-2': 'sim:bmv712',
  've-port-mppt-1': 'sim:smartsolar-100-30',
  've-port-mppt-2': 'sim:smartsolar-250-70',
  've-port-inverter-1': 'sim:phoenix-inverter-hex',
  've-port-charger-1': 'sim:bluesmart-charger-hex',
};

/** Keep an artifact as one of the README's pictures (only reached when its test passed). */
function toReadme(artifact: string, name: string): void {
  mkdirSync(README_IMAGES, { recursive: true });
  copyFileSync(artifact, join(README_IMAGES, name));
}

describe('npm start', { timeout: 240_000 }, () => {
  let userDir: string;
  let red: NodeRedProcess;
  let browser: Browser;
  let editor: Editor | undefined;
  let dashboard: Page | undefined;
  let flows: FlowNode[] = [];

  before(async () => {
    userDir = tempDir('ve-npm-start-');
    red = await startNpmStart(userDir, await freePort());
    browser = await launchChromium();
  });

  after(async () => {
    await dashboard?.close();
    await editor?.close();
    await browser?.close();
    await red?.stop();
    removeDir(userDir);
  });

  it('prints the editor URL, on 127.0.0.1', () => {
    assert.match(red.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.match(red.output(), /The example flows are deployed/);
  });

  it('deploys the examples on simulated devices, one port node per device, one bridge per charger', async () => {
    const response = await fetch(`${red.url}flows`);
    assert.equal(response.status, 200);
    flows = (await response.json()) as FlowNode[];

    const tabs = flows.filter((n) => n.type === 'tab');
    assert.deepEqual(
      tabs.map((t) => t.label),
      ['1 · Watch a monitor', '2 · MPPT get and set', '3 · BMV → MPPT', '4 · Many → many', '5 · Dashboard (needs Dashboard 2)', '6 · Charge limit (needs Dashboard 2)', '7 · Home Assistant over MQTT', '8 · On/off control'],
    );
    const ports = flows.filter((n) => n.type === 've-direct-port');
    assert.deepEqual(Object.fromEntries(ports.map((p) => [p.id, p.path])), PORTS);
    // Port paths live in the port nodes only: a user changes them in one place.
    assert.deepEqual(
      flows.filter((n) => n.type !== 've-direct-port' && typeof n.path === 'string' && n.path.startsWith('sim:')).map((n) => n.id),
      [],
    );
    for (const type of VE_TYPES) assert.ok(flows.some((n) => n.type === type), `an example uses ${type}`);

    // Examples 3 and 4 both write to MPPT 1: the earlier tab is deployed disabled, and says why.
    const oneToOne = tabs.find((t) => t.label === '3 · BMV → MPPT');
    assert.equal(oneToOne?.disabled, true);
    const note = flows.find((n) => n.type === 'comment' && n.z === oneToOne?.id && /^Disabled: "4 · Many → many" writes to the same charger/.test(n.name ?? ''));
    assert.ok(note, 'a comment on the disabled tab says how to switch');
    // Examples 2 and 6 both limit MPPT 1's charge current: the earlier tab is disabled too.
    const getAndSet = tabs.find((t) => t.label === '2 · MPPT get and set');
    assert.equal(getAndSet?.disabled, true);
    assert.ok(flows.some((n) => n.type === 'comment' && n.z === getAndSet?.id && /^Disabled: "6 · Charge limit/.test(n.name ?? '')));
    const writers = new Map<string, string>();
    for (const bridge of flows.filter((n) => n.type === 've-bmv-to-mppt' && !tabs.find((t) => t.id === n.z)?.disabled)) {
      for (const charger of bridge.targets ?? []) {
        assert.equal(writers.get(charger), undefined, `${charger} has one writer`);
        writers.set(charger, bridge.id);
      }
    }
    assert.deepEqual([...writers.keys()].sort(), ['ve-port-mppt-1', 've-port-mppt-2']);
  });

  it('turns every VE.Direct node green within 60 s of npm start, and the bridge badge shows what it writes', async (t) => {
    editor = await Editor.open(browser, red.url);
    const disabledTabs = new Set((await editor.tabs()).filter((t) => t.disabled).map((t) => t.id));
    const live = (nodes: EditorNode[]) => nodes.filter((n) => VE_TYPES.includes(n.type) && !disabledTabs.has(n.z ?? ''));
    const budget = 60_000 - (Date.now() - red.spawnedAt);
    const nodes = await editor.waitForNodes(
      (all) => {
        const ve = live(all);
        const green = ve.every((n) => n.status?.fill === 'green' && n.status.shape === 'dot');
        const bridge = ve.find((n) => n.type === 've-bmv-to-mppt');
        return ve.length > 0 && green && bridge?.status?.text?.endsWith('→ 2/2 MPPT') && ve;
      },
      budget,
      'every VE.Direct node green and the bridge writing to 2/2 chargers',
    );
    const elapsed = Date.now() - red.spawnedAt;
    assert.ok(elapsed < 60_000, `green ${elapsed} ms after npm start`);
    const deployed = flows.filter((n) => VE_TYPES.includes(n.type) && !disabledTabs.has(n.z ?? '')).length;
    assert.equal(nodes.length, deployed, 'the in, get, set and bridge nodes of the enabled examples');
    const bridge = nodes.find((n) => n.type === 've-bmv-to-mppt');
    assert.match(bridge?.status?.text ?? '', BRIDGE_BADGE);
    assert.match(bridge?.status?.text ?? '', /^\d+\.\d\d V \d+\.\d °C → 2\/2 MPPT$/);
    t.diagnostic(`npm start: editor URL after ${red.readyAt - red.spawnedAt} ms, all green after ${elapsed} ms; bridge: ${bridge?.status?.text}`);

    // The README's picture of the editor: the many-to-many example, the bridge's help beside it.
    await editor.showTab('ve-ex4');
    await editor.page.locator('[id="ve-ex4-bridge"]').click();
    await editor.showSidebar('help');
    await editor.page.locator('.red-ui-help h1, .red-ui-help').filter({ hasText: 'BMV → MPPT' }).first().waitFor();
    await editor.page.locator('[id="ve-ex4-bridge"] .red-ui-flow-node-status-dot-green').waitFor();
    await editor.page.locator('#red-ui-palette-container-Victron_VE_Direct').evaluate((el) => el.scrollIntoView());
    await editor.page.mouse.move(700, 700);
    const picture = await editor.screenshot('npm-start-editor');
    assert.deepEqual(editor.pageErrors, []);
    toReadme(picture, 'editor.png');
  });

  it('serves the dashboard: state of charge, battery and solar values, and the last minutes as charts', async () => {
    dashboard = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await dashboard.goto(`${red.url}dashboard/ve-direct`);
    await dashboard.getByText('State of charge').first().waitFor();
    // Each text widget fills in from the devices: its label, then a number with its unit.
    const texts = [
      ['Voltage', 'V'],
      ['Current (+ charging)', 'A'],
      ['Power', 'W'],
      ['PV power, all chargers', 'W'],
      ['Yield today, all chargers', 'kWh'],
    ].map(([label, unit]) => `^${label!.replace(/[()+]/g, '\\$&')}\\s+-?\\d+(\\.\\d+)? ${unit}$`);
    await dashboard.waitForFunction(
      (patterns) => {
        const shown = [...document.querySelectorAll('.nrdb-ui-text')].map((el) => (el as HTMLElement).innerText.replace(/\s+/g, ' ').trim());
        return patterns.every((p) => shown.some((text) => new RegExp(p).test(text)));
      },
      texts,
      { timeout: 60_000 },
    );
    // One row per charger, with its charge state in words.
    const rows = dashboard.locator('table tbody tr');
    await rows.nth(1).waitFor({ timeout: 60_000 });
    assert.equal(await rows.count(), 2);
    for (const row of await rows.allInnerTexts()) assert.match(row, /^MPPT \S+.*\b(Off|Bulk|Absorption|Float|Fault|Storage|Equalize|External control)\b/s);
    assert.ok((await dashboard.locator('canvas').count()) >= 3, 'three charts');
    // A few points per series before the picture: one comes every 5 s.
    await dashboard.waitForTimeout(Math.max(0, red.readyAt + 35_000 - Date.now()));
    const everyday = join(ROOT, 'test', 'e2e', 'artifacts', 'npm-start-dashboard.png');
    await dashboard.screenshot({ path: everyday, fullPage: true });
    toReadme(everyday, 'dashboard.png');
  });

  it('serves the sharing page: battery voltage from the monitors, and both chargers using it', async () => {
    assert.ok(dashboard, 'the dashboard page is open');
    await dashboard.goto(`${red.url}dashboard/ve-direct-sharing`);
    await dashboard.getByText('Chargers using the battery voltage').waitFor();
    await dashboard.getByText('2 of 2').waitFor({ timeout: 60_000 });
    const rows = dashboard.locator('table tbody tr');
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2);
    for (const row of await rows.allInnerTexts()) assert.match(row, /^MPPT \S+.*\b1\d\.\d+\b.*yes\s+yes$/s);
    assert.ok((await dashboard.locator('canvas').count()) >= 2, 'two charts');
    await dashboard.waitForTimeout(Math.max(0, red.readyAt + 45_000 - Date.now()));
    const path = join(ROOT, 'test', 'e2e', 'artifacts', 'npm-start-dashboard-sharing.png');
    await dashboard.screenshot({ path, fullPage: true });
    toReadme(path, 'dashboard-sharing.png');
  });
});
