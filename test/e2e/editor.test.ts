/**
 * The editor in Chromium, with this package as a user installs it: `npm pack`, then installed
 * into an empty Node-RED user directory. The palette shows the node types with their
 * icons; every example comes from Import → Examples; each node's edit dialog shows its fields
 * and its help; after Deploy the nodes turn green on the simulated devices, and the bridges say
 * what they write. Screenshots go to test/e2e/artifacts; the README's come from here too.
 */

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium';
import { BRIDGE_BADGE, Editor, VE_TYPES, type EditorNode } from '../helpers/editor-page';
import { freePort, installPackage, packPackage, removeDir, ROOT, startNodeRed, tempDir, type NodeRedProcess } from '../helpers/node-red-process';

const MODULE = 'node-red-contrib-ve-direct';
const EXAMPLES = [
  '01-watch-a-battery-monitor',
  '02-get-and-set-mppt-registers',
  '03-bmv-to-mppt-one-to-one',
  '04-many-monitors-to-many-chargers',
  '05-dashboard-needs-dashboard-2',
  '06-charge-limit-needs-dashboard-2',
  '07-home-assistant-mqtt',
  '08-on-off-control',
];
const PALETTE: Record<string, string> = {
  've-direct-in': 'VE.Direct in',
  've-direct-get': 'VE.Direct get',
  've-direct-set': 'VE.Direct set',
  've-direct-control': 'VE control',
  've-bmv-to-mppt': 'BMV→MPPT',
  've-charge-limit': 'Charge limit',
  've-direct-ha': 'VE.Direct HA',
};

/** An example file as shipped: its tab and how many flow nodes (not config nodes) it holds. */
function example(name: string): { label: string; nodes: number; veNodes: number } {
  const flow = JSON.parse(readFileSync(join(ROOT, 'examples', `${name}.json`), 'utf8')) as { type: string; z?: string; label?: string }[];
  const tab = flow.find((n) => n.type === 'tab');
  assert.ok(tab?.label, `${name} has a tab`);
  return { label: tab.label, nodes: flow.filter((n) => n.z !== undefined).length, veNodes: flow.filter((n) => VE_TYPES.includes(n.type)).length };
}

function toReadme(artifact: string, name: string): void {
  const target = join(ROOT, 'docs', 'images', name);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(artifact, target);
}

const isGreen = (n: EditorNode) => n.status?.fill === 'green' && n.status.shape === 'dot';

/** The rows of a list that are shown, each with its lines' heights: one line each, nothing cut to the right. */
async function shownRows(editor: Editor, selector: string): Promise<Array<{ text: string; lines: number[]; fits: boolean }>> {
  return editor.page.locator(selector).evaluateAll((els) =>
    els
      .filter((el) => (el as HTMLElement).offsetParent !== null)
      .map((el) => ({
        text: (el as HTMLElement).innerText.replace(/\s+/g, ' ').trim(),
        lines: [...el.querySelectorAll('.ve-direct-checklist-line, .ve-direct-path, .ve-direct-port-device')].filter((l) => (l as HTMLElement).offsetParent !== null).map((l) => (l as HTMLElement).getBoundingClientRect().height),
        fits: el.scrollWidth <= el.clientWidth + 1,
      })),
  );
}

describe('the editor with the packed package', { timeout: 300_000 }, () => {
  let userDir: string;
  let tarball: string;
  let red: NodeRedProcess;
  let browser: Browser;
  let editor: Editor;

  /**
   * The bridge dialog open: Monitors shows battery monitors (and ports not identified yet),
   * Chargers shows MPPTs, each row on its lines, none wrapped or cut.
   */
  async function assertByFamily(): Promise<void> {
    const monitors = await shownRows(editor, '#ve-bmv-to-mppt-sources li.ve-direct-checklist-port');
    const chargers = await shownRows(editor, '#ve-bmv-to-mppt-targets li.ve-direct-checklist-port');
    assert.ok(monitors.length > 0 && chargers.length > 0, 'both lists have ports');
    for (const row of monitors) assert.match(row.text, /SmartShunt|BMV|not identified/, `a monitor: ${row.text}`);
    for (const row of chargers) assert.match(row.text, /MPPT|not identified/, `a charger: ${row.text}`);
    for (const row of [...monitors, ...chargers]) {
      assert.ok(row.fits, `nothing cut to the right: ${row.text}`);
      for (const h of row.lines) assert.ok(h > 0 && h < 24, `one line (${h} px): ${row.text}`);
    }
  }

  before(async () => {
    userDir = tempDir('ve-editor-');
    tarball = packPackage();
    installPackage(tarball, userDir);
    red = await startNodeRed(userDir, await freePort());
    browser = await launchChromium();
    editor = await Editor.open(browser, red.url);
  });

  after(async () => {
    await editor?.close();
    await browser?.close();
    await red?.stop();
    removeDir(userDir);
    if (tarball) removeDir(dirname(tarball));
  });

  it('shows the node types in the palette, with their icons, and knows the port configuration node', async () => {
    const page = editor.page;
    const category = page.locator('#red-ui-palette-container-Victron_VE_Direct');
    await category.scrollIntoViewIfNeeded();
    // Node-RED makes an id of the category (the dot becomes "_"); the label keeps the dot.
    assert.equal((await category.locator('.red-ui-palette-header span').innerText()).trim(), 'Victron VE.Direct');
    for (const [type, label] of Object.entries(PALETTE)) {
      const entry = category.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
      assert.equal(await entry.count(), 1, `${type} in the Victron VE.Direct category`);
      assert.equal((await entry.locator('.red-ui-palette-label').innerText()).replace(/\s+/g, ' ').trim(), label);
      // One line: Node-RED breaks a label wider than its 82 px at spaces, onto a taller node.
      assert.equal(await entry.locator('.red-ui-palette-label').evaluate((el) => el.innerHTML.includes('<br')), false, `${type}: "${label}" on one line`);
      // The icon is a CSS background: it must load and decode as an image.
      const icon = await entry.locator('.red-ui-palette-icon').evaluate(async (el) => {
        const url = /url\("?([^")]+)"?\)/.exec(getComputedStyle(el).backgroundImage)?.[1] ?? '';
        const response = await fetch(url);
        const image = new Image();
        image.src = url;
        const decoded = await image.decode().then(
          () => true,
          () => false,
        );
        return { url, status: response.status, type: response.headers.get('content-type') ?? '', decoded, width: image.naturalWidth };
      });
      assert.match(icon.url, new RegExp(`icons/${MODULE}/${type}\\.svg$`));
      assert.equal(icon.status, 200, `${icon.url} loads`);
      assert.match(icon.type, /image\/svg\+xml/);
      assert.ok(icon.decoded && icon.width > 0, `${icon.url} is an image`);
    }
    const port = await page.evaluate(() => {
      const RED = (globalThis as unknown as { RED: { nodes: { getType(t: string): { category?: string } | undefined }; utils: { getPaletteLabel(t: string, d: unknown): string } } }).RED;
      const def = RED.nodes.getType('ve-direct-port');
      return { category: def?.category, label: RED.utils.getPaletteLabel('ve-direct-port', def) };
    });
    assert.deepEqual(port, { category: 'config', label: 'VE.Direct port' });
    await editor.screenshot('palette');
    assert.deepEqual(editor.pageErrors, []);
  });

  it('lists the examples under Import → Examples', async () => {
    assert.deepEqual(await editor.exampleNames(MODULE), EXAMPLES);
    const picture = await editor.screenshot('import-examples');
    await editor.page.locator('.ui-dialog').filter({ visible: true }).locator('button', { hasText: 'Cancel' }).click();
    toReadme(picture, 'import-examples.png');
  });

  it('imports examples 1–3; after Deploy their nodes are green and the one-to-one bridge writes to its charger', async () => {
    for (const name of EXAMPLES.slice(0, 3)) {
      const before = (await editor.nodes()).length;
      await editor.importExample(MODULE, name);
      const expected = example(name);
      const tab = await editor.tabByLabel(expected.label);
      // The editor shows the example, not the tab that was open before the import.
      await editor.page.waitForFunction((id) => (globalThis as unknown as { RED: { workspaces: { active(): string } } }).RED.workspaces.active() === id, tab.id);
      const nodes = await editor.nodes();
      assert.equal(nodes.filter((n) => n.z === tab.id).length, expected.nodes, `${name}: its nodes on its tab`);
      assert.equal(nodes.length - before, expected.nodes, `${name}: nothing else added`);
    }
    // Port nodes shared by examples are imported once.
    const ports = (await editor.configNodes()).filter((n) => n.type === 've-direct-port');
    assert.deepEqual(ports.map((p) => p.path).sort(), ['sim:smartshunt-temp', 'sim:smartsolar-100-30']);

    await editor.deploy();
    const imported = EXAMPLES.slice(0, 3).reduce((sum, name) => sum + example(name).veNodes, 0);
    const nodes = await editor.waitForNodes(
      (all) => {
        const ve = all.filter((n) => VE_TYPES.includes(n.type));
        const bridge = ve.find((n) => n.type === 've-bmv-to-mppt');
        return ve.length === imported && ve.every(isGreen) && /→ 1\/1 MPPT$/.test(bridge?.status?.text ?? '') && ve;
      },
      60_000,
      'examples 1–3 green, the bridge writing to 1/1 charger',
    );
    assert.match(nodes.find((n) => n.type === 've-bmv-to-mppt')?.status?.text ?? '', BRIDGE_BADGE);
    // Values where users look: the in node shows the monitor's headline values, the get node
    // what it read, each with its unit.
    const valued = await editor.waitForNodes(
      (all) => {
        const inNode = all.find((n) => n.id === 've-ex1-in');
        const getNode = all.find((n) => n.id === 've-ex2-get');
        return /^\d+\.\d\d V \d+(\.\d)? % -?\d+\.\d+ A$/.test(inNode?.status?.text ?? '') && /^\d+ W \d+\.\d\d kWh \d+\.\d\d V/.test(getNode?.status?.text ?? '') && all;
      },
      30_000,
      'the in and get badges showing values',
    );
    for (const id of ['ve-ex1-in', 've-ex2-get']) assert.ok(isGreen(valued.find((n) => n.id === id)!), `${id} green`);
    await editor.showTab('ve-ex1');
    await editor.page.locator('[id="ve-ex1-in"] .red-ui-flow-node-status-dot-green').waitFor();
    await editor.screenshot('example-1-badges');
    await editor.showTab('ve-ex2');
    await editor.page.locator('[id="ve-ex2-get"] .red-ui-flow-node-status-dot-green').waitFor();
    await editor.screenshot('example-2-badges');
    await editor.showTab((await editor.tabByLabel(example(EXAMPLES[2]!).label)).id);
    await editor.page.locator('.red-ui-flow-node-status-dot-green').first().waitFor();
    await editor.screenshot('example-3-deployed');
  });

  it("opens each node's edit dialog with its fields, and its help", async () => {
    const bridge = (await editor.nodes()).find((n) => n.type === 've-bmv-to-mppt');
    assert.ok(bridge?.z);
    const dialogs: { id: string; z: string; fields: string[]; headings: string[]; check?: () => Promise<void> }[] = [
      {
        id: 've-ex1-in',
        z: 've-ex1',
        fields: ['#node-input-port', '#node-input-mode', '#node-input-interval', '#node-input-staleMessage', '#node-input-asyncUpdates', '#node-input-counters', '#node-input-name'],
        headings: ['Outputs', 'Details', 'References'],
      },
      {
        id: 've-ex2-get',
        z: 've-ex2',
        fields: ['#node-input-port', '#node-input-read', '#node-input-registers', '#ve-direct-get-search', '#node-input-cacheMaxAge', '#node-input-name'],
        headings: ['Inputs', 'Outputs', 'Details', 'References'],
        // The register list shows the registers of the device behind the deployed port: the
        // common live values first, the chosen ones marked, every row in full.
        check: async () => {
          const page = editor.page;
          await page.locator('#ve-direct-get-note', { hasText: 'SmartSolar MPPT 100|30' }).waitFor();
          const rows = page.locator('#ve-direct-get-list .ve-direct-register');
          assert.ok((await rows.count()) > 10);
          const order = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-register')));
          assert.deepEqual(order.slice(0, 5), ['chargerVoltage', 'chargerCurrent', 'deviceState', 'panelPower', 'yieldToday']);
          assert.equal(await page.locator('#ve-direct-get-list .ve-direct-register-group').first().innerText(), 'COMMON VALUES');
          const chosen = () => page.locator('#ve-direct-get-list .ve-direct-register-chosen').evaluateAll((els) => els.map((e) => e.getAttribute('data-register')).sort());
          assert.deepEqual(await chosen(), ['chargerCurrent', 'chargerVoltage', 'panelPower', 'yieldToday']);
          // Not one cut line: a tall list as wide as the dialog, each row with its description.
          const box = await page.locator('#ve-direct-get-list').boundingBox();
          assert.ok(box && box.height >= 200 && box.width >= 400, `list box ${JSON.stringify(box)}`);
          const first = rows.first();
          assert.ok(await first.locator('.ve-direct-register-desc').isVisible());
          assert.equal(await first.evaluate((e) => e.scrollWidth <= e.clientWidth), true, 'nothing cut off to the right');
          // A click on a chosen register takes it out, another puts it back.
          await page.locator('#ve-direct-get-list .ve-direct-register[data-register="panelPower"]').click();
          assert.equal(await page.locator('#node-input-registers').inputValue(), 'yieldToday, chargerVoltage, chargerCurrent');
          assert.deepEqual(await chosen(), ['chargerCurrent', 'chargerVoltage', 'yieldToday']);
          await page.locator('#ve-direct-get-list .ve-direct-register[data-register="panelPower"]').click();
          assert.equal(await page.locator('#node-input-registers').inputValue(), 'yieldToday, chargerVoltage, chargerCurrent, panelPower');
        },
      },
      {
        id: 've-ex2-set-flash',
        z: 've-ex2',
        fields: ['#node-input-port', '#node-input-register', '#node-input-value', '#node-input-allowFlash', '#node-input-readBack', '#node-input-name'],
        headings: ['Inputs', 'Outputs', 'Details', 'References'],
        // batteryMaxCurrent is flash-backed and the node does not allow it: the dialog says so,
        // with the product's range. Device commands are listed only on request, at the end.
        check: async () => {
          const page = editor.page;
          assert.equal(await page.locator('#node-input-register').inputValue(), 'batteryMaxCurrent');
          assert.equal(await page.locator('#node-input-allowFlash').isChecked(), false);
          assert.equal(await page.locator('#node-input-allowCommands').isChecked(), false);
          const optIn = page.locator('#ve-direct-set-optin');
          await optIn.filter({ hasText: 'Stored in flash: needs "Allow flash writes". Not ticked' }).waitFor();
          assert.match(await page.locator('#ve-direct-set-range').innerText(), /^Range: 0 … 30 A \(rated charge current of the SmartSolar MPPT 100\|30\)/);
          assert.equal(await page.locator('#ve-direct-set-list .ve-direct-register-chosen').getAttribute('data-register'), 'batteryMaxCurrent');
          await page.locator('#node-input-port').scrollIntoViewIfNeeded();
          toReadme(await editor.screenshot('edit-ve-direct-set-optin'), 'set-dialog.png');
          await page.locator('#node-input-allowFlash').check();
          await optIn.filter({ hasText: 'Allowed in this node' }).waitFor();
          const names = () => page.locator('#ve-direct-set-list .ve-direct-register').evaluateAll((els) => els.map((e) => e.getAttribute('data-register')));
          const without = await names();
          assert.ok(!without.includes('restoreDefault') && !without.includes('clearHistory'), 'no device command while the toggle is off');
          assert.equal(await page.locator('#ve-direct-set-commands').isChecked(), false);
          await editor.screenshot('edit-ve-direct-set-picker');
          await page.locator('#ve-direct-set-commands').check();
          const withCommands = await names();
          assert.deepEqual(withCommands.slice(0, without.length), without, 'the commands come after everything else');
          assert.deepEqual(withCommands.slice(without.length).sort(), ['clearHistory', 'remoteCommand', 'restoreDefault']);
          await page.locator('#ve-direct-set-list .ve-direct-register[data-register="restoreDefault"]').click();
          await optIn.filter({ hasText: 'Device command: needs "Allow device commands". Not ticked' }).waitFor();
          await page.locator('#node-input-register').fill('panelVoltage');
          await page.locator('#node-input-register').dispatchEvent('change');
          await optIn.filter({ hasText: 'Read-only' }).waitFor();
          // A register whose value decides where it lands says so: 0x200E's BMS bit.
          await page.locator('#node-input-register').fill('networkMode');
          await page.locator('#node-input-register').dispatchEvent('change');
          await page.locator('#ve-direct-set-register-note', { hasText: 'Bit 3 (BMS)' }).waitFor();
          await page.locator('#node-input-register').fill('0x2211');
          await page.locator('#node-input-register').dispatchEvent('change');
          await optIn.filter({ hasText: "Not in the list of this device's writable registers" }).waitFor();
        },
      },
      {
        id: bridge.id,
        z: bridge.z,
        fields: ['#node-input-name', '#node-input-sourcesAll', '#node-input-targetsAll', '#node-input-share', '#node-input-chemistry', '#node-input-voltageStrategy', '#node-input-voltageInterval', '#node-input-enabled'],
        headings: ['Inputs', 'Outputs', 'Details', 'References'],
        // The ports it reads and writes, ticked, with the devices found behind them.
        check: async () => {
          const sources = editor.page.locator('#ve-bmv-to-mppt-sources li:has(input:checked)');
          const targets = editor.page.locator('#ve-bmv-to-mppt-targets li:has(input:checked)');
          await sources.locator('.ve-direct-checklist-device', { hasText: 'SmartShunt' }).waitFor();
          await targets.locator('.ve-direct-checklist-device', { hasText: 'SmartSolar MPPT 100|30' }).waitFor();
          assert.equal(await sources.count(), 1);
          assert.equal(await targets.count(), 1);
          await assertByFamily();
        },
      },
    ];
    for (const dialog of dialogs) {
      await editor.showTab(dialog.z);
      await editor.editNode(dialog.id);
      const tray = editor.page.locator('.red-ui-tray').last();
      for (const field of dialog.fields) assert.equal(await tray.locator(field).count(), 1, `${dialog.id}: ${field}`);
      assert.ok((await tray.locator('.form-row').filter({ visible: true }).count()) >= 4, `${dialog.id}: form rows`);
      await dialog.check?.();
      const help = await editor.showHelp();
      for (const heading of dialog.headings) assert.ok(help.headings.includes(heading), `${dialog.id} help has ${heading}: ${help.headings.join(', ')}`);
      const type = (await editor.nodes()).find((n) => n.id === dialog.id)?.type ?? dialog.id;
      await editor.screenshot(`edit-${type}`);
      await editor.cancelTray();
    }

    // The port node: in the Configuration nodes sidebar, and its own dialog and help.
    await editor.showSidebar('config');
    const entry = editor.page.locator('.red-ui-palette-node-config', { hasText: 'Monitor 1 (SmartShunt)' });
    await entry.waitFor();
    assert.equal(await editor.page.locator('.red-ui-palette-node-config', { hasText: 'MPPT 1 (100/30)' }).count(), 1);
    await editor.screenshot('config-sidebar');
    await entry.dblclick();
    await editor.waitForTray();
    assert.equal(await editor.page.locator('#node-config-input-path').inputValue(), 'sim:smartshunt-temp');
    for (const field of ['#node-config-input-name', '#node-config-input-expectedSerial', '#node-config-input-requestTimeout', '#node-config-input-staleAfter']) {
      assert.equal(await editor.page.locator(field).count(), 1, field);
    }
    // A deployed port shows what it found and its counters.
    await editor.page.locator('#node-config-ve-direct-port-diagnostics', { hasText: 'SmartShunt 500A/50mV' }).waitFor();
    assert.match(await editor.page.locator('.red-ui-tray').last().locator('.red-ui-tray-titlebar').innerText(), /VE\.Direct port/);
    const help = await editor.showHelp();
    for (const heading of ['Properties', 'Details']) assert.ok(help.headings.includes(heading), `ve-direct-port help has ${heading}`);
    await editor.screenshot('edit-ve-direct-port');

    // The pick-list: the search button lists the ports; simulated devices only when asked for.
    const page = editor.page;
    const simToggle = page.locator('#node-config-ve-direct-port-show-sim');
    await page.locator('#node-config-ve-direct-port-list-btn').click();
    await page.locator('#node-config-ve-direct-port-list li').first().waitFor();
    assert.equal(await simToggle.isChecked(), true, 'a simulated port shows the simulated devices');
    await simToggle.uncheck();
    const real = await shownRows(editor, '#node-config-ve-direct-port-list li');
    assert.ok(real.every((r) => !/sim:/.test(r.text)), 'no simulated device while the toggle is off');
    // The note says how many are hidden, and how to show them.
    await page.locator('#node-config-ve-direct-port-list-note', { hasText: /\d+ simulated devices.*"show simulated devices"/ }).waitFor();
    await simToggle.check();
    const all = await shownRows(editor, '#node-config-ve-direct-port-list li');
    assert.ok(all.filter((r) => /sim:/.test(r.text)).length >= 6, `the simulated devices: ${all.length} rows`);
    for (const row of all) {
      assert.ok(row.fits, `nothing cut to the right: ${row.text}`);
      for (const h of row.lines) assert.ok(h > 0 && h < 24, `one line (${h} px): ${row.text}`);
    }
    const box = await page.locator('#node-config-ve-direct-port-list').boundingBox();
    assert.ok(box && box.width >= 400 && box.height >= 200, `a list as wide as the dialog: ${JSON.stringify(box)}`);
    await page.locator('#node-config-ve-direct-port-list li[data-path="sim:bmv712"]').click();
    assert.equal(await page.locator('#node-config-input-path').inputValue(), 'sim:bmv712');
    await page.locator('#node-config-ve-direct-port-list li[data-path="sim:bmv712"]').scrollIntoViewIfNeeded();
    await page.mouse.move(700, 450);
    toReadme(await editor.screenshot('edit-ve-direct-port-picklist'), 'port-dialog.png');
    // The field stays free text: a network relay is typed.
    await page.locator('#node-config-input-path').fill('tcp://192.168.1.50:4001');
    assert.equal(await page.locator('#node-config-input-path').inputValue(), 'tcp://192.168.1.50:4001');
    await editor.cancelTray();
    assert.deepEqual(editor.pageErrors, []);
  });

  it('imports examples 4 to 7 next to them; with examples 2 and 3 disabled, Deploy turns every node green and the bridge writes to 2/2 chargers', async () => {
    // One writer per charger: example 4 writes to MPPT 1 as well; example 6 limits its charge current as example 2 does.
    await editor.disableTab((await editor.tabByLabel(example(EXAMPLES[2]!).label)).id);
    await editor.disableTab((await editor.tabByLabel(example(EXAMPLES[1]!).label)).id);
    for (const name of EXAMPLES.slice(3)) {
      await editor.importExample(MODULE, name, `import-${name}`);
      const expected = example(name);
      const tab = await editor.tabByLabel(expected.label);
      assert.equal((await editor.nodes()).filter((n) => n.z === tab.id).length, expected.nodes, `${name}: its nodes on its tab`);
    }
    // Each simulated device once, whatever the order of the imports.
    const ports = (await editor.configNodes()).filter((n) => n.type === 've-direct-port');
    assert.deepEqual(ports.map((p) => p.path).sort(), [
      'sim:bluesmart-charger-hex',
      'sim:bmv712',
      'sim:phoenix-inverter-hex',
      'sim:smartshunt-temp',
      'sim:smartsolar-100-30',
      'sim:smartsolar-250-70',
    ]);
    // The bridge of example 4 names port nodes that exist: imported as a copy, its lists follow the new ids.
    const manyTab = await editor.tabByLabel(example(EXAMPLES[3]!).label);
    const valid = await editor.page.evaluate((z) => {
      const out: boolean[] = [];
      (globalThis as unknown as { RED: { nodes: { eachNode(cb: (n: { type: string; z?: string; valid?: boolean }) => void): void } } }).RED.nodes.eachNode((n) => {
        if (n.z === z && n.type === 've-bmv-to-mppt') out.push(n.valid === true);
      });
      return out;
    }, manyTab.id);
    assert.deepEqual(valid, [true]);

    await editor.deploy();
    const disabled = new Set((await editor.tabs()).filter((t) => t.disabled).map((t) => t.id));
    const enabled = EXAMPLES.filter((_, i) => i !== 1 && i !== 2).reduce((sum, name) => sum + example(name).veNodes, 0);
    const nodes = await editor.waitForNodes(
      (all) => {
        const ve = all.filter((n) => VE_TYPES.includes(n.type) && !disabled.has(n.z ?? ''));
        const bridge = ve.find((n) => n.type === 've-bmv-to-mppt');
        return ve.length === enabled && ve.every(isGreen) && /→ 2\/2 MPPT$/.test(bridge?.status?.text ?? '') && ve;
      },
      60_000,
      'every VE.Direct node green, the many-to-many bridge writing to 2/2 chargers',
    );
    assert.match(nodes.find((n) => n.type === 've-bmv-to-mppt')?.status?.text ?? '', BRIDGE_BADGE);
    await editor.showTab(manyTab.id);
    await editor.page.locator('.red-ui-flow-node-status-dot-green').first().waitFor();
    await editor.screenshot('example-4-deployed');

    // The README's picture of the bridge's dialog: two monitors, two chargers, the devices found.
    const bridge = nodes.find((n) => n.type === 've-bmv-to-mppt' && n.z === manyTab.id);
    assert.ok(bridge);
    await editor.editNode(bridge.id);
    await editor.page.locator('#ve-bmv-to-mppt-targets li:has(input:checked) .ve-direct-checklist-device', { hasText: 'SmartSolar MPPT 250|70' }).waitFor();
    assert.equal(await editor.page.locator('#ve-bmv-to-mppt-sources li:has(input:checked)').count(), 2);
    assert.equal(await editor.page.locator('#ve-bmv-to-mppt-targets li:has(input:checked)').count(), 2);
    await assertByFamily();
    await editor.showHelp();
    const picture = await editor.screenshot('edit-ve-bmv-to-mppt-many');
    await editor.cancelTray();
    assert.deepEqual(editor.pageErrors, []);
    toReadme(picture, 'bridge-dialog.png');
  });

  it("the charge limit's chargers list offers MPPTs and ports not identified yet; a ticked monitor stays, marked", async () => {
    const limit = (await editor.nodes()).find((n) => n.type === 've-charge-limit');
    assert.ok(limit?.z);
    const ports = (await editor.configNodes()).filter((n) => n.type === 've-direct-port');
    const bmv = ports.find((p) => p.path === 'sim:bmv712');
    assert.ok(bmv);
    // A port not deployed, on no device the runtime knows: not identified yet. And a battery
    // monitor ticked as a charger, as a flow written by hand may have it.
    const before = await editor.page.evaluate(
      ({ id, monitor }) => {
        const RED = (globalThis as unknown as { RED: { nodes: { add(n: unknown): void; getType(t: string): unknown; node(id: string): { chargers: string[] } } } }).RED;
        RED.nodes.add({ id: 've-spare-port', type: 've-direct-port', name: 'Spare port', path: '/dev/ttyVE-spare', users: [], _def: RED.nodes.getType('ve-direct-port') });
        const node = RED.nodes.node(id);
        const chargers = node.chargers;
        node.chargers = [...chargers, monitor];
        return chargers;
      },
      { id: limit.id, monitor: bmv.id },
    );
    try {
      await editor.showTab(limit.z);
      await editor.editNode(limit.id);
      const list = '#ve-charge-limit-chargers';
      // Shown once the runtime has said what is behind each port: four rows are left.
      const rows = `${list} li.ve-direct-checklist-port`;
      await editor.page.waitForFunction((sel) => [...document.querySelectorAll(sel)].filter((el) => (el as HTMLElement).offsetParent !== null).length === 4, rows);
      const shownIds = await editor.page.locator(rows).evaluateAll((els) => els.filter((el) => (el as HTMLElement).offsetParent !== null).map((el) => el.getAttribute('data-id')));
      assert.deepEqual(shownIds, [...before, bmv.id, 've-spare-port'], 'the chosen chargers in their order, the ticked monitor, the port not identified; no other');
      const shown = await shownRows(editor, rows);
      assert.match(shown[0]!.text, /^MPPT 1 \(100\/30\) SmartSolar MPPT 100\|30\b/);
      assert.match(shown[1]!.text, /^MPPT 2 \(250\/70\) SmartSolar MPPT 250\|70\b/);
      assert.equal(shown[3]!.text, 'Spare port not identified yet (deploy) /dev/ttyVE-spare');
      for (const row of shown) {
        assert.ok(row.fits, `nothing cut to the right: ${row.text}`);
        for (const h of row.lines) assert.ok(h > 0 && h < 24, `one line (${h} px): ${row.text}`);
      }
      const marked = editor.page.locator(`${list} li[data-id="${bmv.id}"]`);
      assert.match(await marked.innerText(), /BMV/);
      assert.equal(await marked.getAttribute('title'), 'not an MPPT solar charger: untick it');
      assert.equal(await marked.evaluate((el) => el.classList.contains('ve-direct-checklist-wrong')), true);
      // The other devices that are no MPPT are not offered.
      const hidden = await editor.page.locator(`${list} li.ve-direct-checklist-port`).evaluateAll((els) => els.filter((el) => (el as HTMLElement).offsetParent === null).map((el) => el.getAttribute('data-id')));
      const notMppt = ports.filter((p) => !/smartsolar/.test(p.path ?? '') && p.id !== bmv.id).map((p) => p.id);
      assert.deepEqual(hidden.sort(), notMppt.sort());
      await editor.screenshot('edit-ve-charge-limit');
      await editor.cancelTray();
    } finally {
      await editor.page.evaluate(
        ({ id, chargers }) => {
          const RED = (globalThis as unknown as { RED: { nodes: { remove(id: string): void; node(id: string): { chargers: string[] } } } }).RED;
          RED.nodes.node(id).chargers = chargers;
          RED.nodes.remove('ve-spare-port');
        },
        { id: limit.id, chargers: before },
      );
    }
    assert.deepEqual(editor.pageErrors, []);
  });
});
