/**
 * The control node in the editor, in Chromium, with the packed package installed into an empty
 * Node-RED: example 8 imports and deploys; its control nodes show the position their simulated
 * devices read back; the dialog offers the four controls, explains the chosen one and shows the
 * relay's opt-in only for the relay; a picked control deploys and switches its device. The
 * README's picture of the dialog comes from here.
 */

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium';
import { Editor, type EditorNode } from '../helpers/editor-page';
import { freePort, installPackage, packPackage, removeDir, ROOT, startNodeRed, tempDir, type NodeRedProcess } from '../helpers/node-red-process';

const MODULE = 'node-red-contrib-ve-direct';
const EXAMPLE = '08-on-off-control';

function toReadme(artifact: string, name: string): void {
  const target = join(ROOT, 'docs', 'images', name);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(artifact, target);
}

const badge = (nodes: EditorNode[], id: string): string | undefined => nodes.find((n) => n.id === id)?.status?.text;

describe('the control node in the editor', { timeout: 300_000 }, () => {
  let userDir: string;
  let tarball: string;
  let red: NodeRedProcess;
  let browser: Browser;
  let editor: Editor;

  before(async () => {
    userDir = tempDir('ve-control-');
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

  it('is in the palette as "VE control"', async () => {
    const entry = editor.page.locator('#red-ui-palette-container-Victron_VE_Direct .red-ui-palette-node[data-palette-type="ve-direct-control"]');
    await entry.scrollIntoViewIfNeeded();
    assert.equal((await entry.locator('.red-ui-palette-label').innerText()).replace(/\s+/g, ' ').trim(), 'VE control');
  });

  it('example 8 deploys; each control shows the position read back, nothing written', async () => {
    await editor.importExample(MODULE, EXAMPLE);
    await editor.deploy();
    const nodes = await editor.waitForNodes(
      (all) => badge(all, 've-ex8-inverter') === 'on' && badge(all, 've-ex8-charger') === 'on' && badge(all, 've-ex8-mppt') === 'on' && badge(all, 've-ex8-relay') === 'off' && all,
      60_000,
      'the control nodes showing their positions',
    );
    for (const id of ['ve-ex8-inverter', 've-ex8-charger', 've-ex8-mppt', 've-ex8-relay']) {
      const status = nodes.find((n) => n.id === id)?.status;
      assert.equal(status?.fill, 'green', `${id}: ${JSON.stringify(status)}`);
    }
    assert.deepEqual(editor.pageErrors, []);
  });

  it('switches the inverter to eco from an inject; the badge follows the device', async () => {
    // The inject button, as a user presses it.
    await editor.page.locator('[id="ve-ex8-inv-eco"] .red-ui-flow-node-button').click();
    await editor.waitForNodes((all) => badge(all, 've-ex8-inverter') === 'eco', 30_000, 'the inverter in eco');
    // The relay: refused, its badge red, the error caught.
    await editor.page.locator('[id="ve-ex8-relay-on"] .red-ui-flow-node-button').click();
    const nodes = await editor.waitForNodes((all) => /VE_CONFLICT/.test(badge(all, 've-ex8-relay') ?? '') && all, 30_000, 'the relay refused');
    assert.equal(nodes.find((n) => n.id === 've-ex8-relay')?.status?.fill, 'red');
    await editor.dismissNotifications();
    await editor.page.mouse.move(1300, 850);
    toReadme(await editor.screenshot('example-8-deployed'), 'control-example.png');
  });

  it('opens its dialog: the four controls, a tip for the chosen one, the relay opt-in only for the relay, and its help', async () => {
    await editor.editNode('ve-ex8-charger');
    const page = editor.page;
    const select = page.locator('#node-input-control');
    const options = await select.locator('option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
    assert.deepEqual(options, ['', 'loadOutput', 'inverterMode', 'relay', 'chargerMode']);
    assert.equal(await select.inputValue(), 'chargerMode');
    assert.match(await page.locator('#ve-direct-control-tip').innerText(), /0x0200: true = on \(1\), false = off \(4\)/);
    assert.equal(await page.locator('#node-input-takeRelayControl').isVisible(), false);
    await select.selectOption('relay');
    assert.match(await page.locator('#ve-direct-control-tip').innerText(), /only in relay mode "Remote"/);
    assert.equal(await page.locator('#node-input-takeRelayControl').isVisible(), true);
    assert.equal(await page.locator('#node-input-takeRelayControl').isChecked(), false, 'off by default');
    await select.selectOption('chargerMode');
    assert.equal(await page.locator('#node-input-poll').inputValue(), '10');
    assert.equal(await page.locator('#node-input-minInterval').inputValue(), '60');
    await editor.dismissNotifications();
    await page.mouse.move(700, 450);
    toReadme(await editor.screenshot('edit-ve-direct-control'), 'control-dialog.png');
    const help = await editor.showHelp();
    for (const heading of ['Inputs', 'Outputs', 'Details', 'References']) assert.ok(help.headings.includes(heading), `help has ${heading}: ${help.headings.join(', ')}`);
    await editor.cancelTray();
  });

  it('a control picked in the dialog deploys and switches its device', async () => {
    // The MPPT node switches MPPT 1's charging; pick the inverter instead, on the inverter's port.
    await editor.editNode('ve-ex8-mppt');
    const page = editor.page;
    await page.locator('#node-input-control').selectOption('inverterMode');
    await page.locator('#node-input-port').selectOption('ve-port-inverter-1');
    // The inverter's mode was written a moment ago (eco): a one-second interval lets this node
    // switch it again soon, as a user who wants that would set it.
    await page.locator('#node-input-minInterval').fill('1');
    await page.locator('.red-ui-tray').last().locator('button', { hasText: 'Done' }).click();
    await editor.deploy();
    // The inverter is in eco (switched above): the node reads that back after the redeploy.
    await editor.waitForNodes((all) => badge(all, 've-ex8-mppt') === 'eco', 30_000, 'the re-picked control reading the inverter');
    await page.waitForTimeout(1500);
    await editor.page.locator('[id="ve-ex8-mppt-off"] .red-ui-flow-node-button').click();
    await editor.waitForNodes((all) => badge(all, 've-ex8-mppt') === 'off', 30_000, 'the inverter switched off by the re-picked control');
    await editor.screenshot('example-8-repicked');
    assert.deepEqual(editor.pageErrors, []);
  });
});
