/**
 * The Node-RED editor in a real browser, driven the way a user drives it: the palette, the
 * Import menu, double-clicks on nodes, the sidebar, Deploy. Node states (badges) are read from
 * the editor itself, which receives them from the runtime. Waits are on selectors and on what
 * the page reports, never fixed sleeps.
 */

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const ARTIFACTS = join(__dirname, '..', 'e2e', 'artifacts');

/** A node as the editor holds it; `status` is its badge as last sent by the runtime. */
export interface EditorNode {
  id: string;
  type: string;
  z?: string;
  d?: boolean;
  name?: string;
  status?: { fill?: string; shape?: string; text?: string };
}

export interface EditorTab {
  id: string;
  label: string;
  disabled: boolean;
}

/** The few parts of the editor's RED object the tests read (page side). */
interface EditorRed {
  nodes: {
    eachNode(cb: (n: EditorNode) => void): void;
    eachConfig(cb: (n: EditorNode & { path?: string }) => void): void;
    eachWorkspace(cb: (w: EditorTab) => void): void;
  };
  actions: { invoke(name: string, ...args: unknown[]): void };
}

// Functions passed to page.evaluate run in the page: they reach RED through globalThis and can
// use nothing else of this module.
type PageGlobal = { RED: EditorRed };

export class Editor {
  /** Errors the page threw: a broken editor script shows up here. */
  readonly pageErrors: string[] = [];
  private lastTabClick = 0;

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    page.on('pageerror', (error) => this.pageErrors.push(error.message));
  }

  /** Open the editor and wait until the palette shows this package's nodes. */
  static async open(browser: Browser, url: string): Promise<Editor> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const editor = new Editor(context, page);
    await page.goto(url);
    await page.waitForSelector('.red-ui-palette-node[data-palette-type="ve-direct-get"]');
    await page.waitForFunction(() => typeof (globalThis as unknown as Partial<PageGlobal>).RED?.nodes?.eachNode === 'function');
    // The rotating tips under the info sidebar: off, so screenshots show the sidebar itself.
    await page.evaluate(() => (globalThis as unknown as PageGlobal).RED.actions.invoke('core:toggle-show-tips', false));
    return editor;
  }

  async close(): Promise<void> {
    await this.context.close();
  }

  nodes(): Promise<EditorNode[]> {
    return this.page.evaluate(() => {
      const out: EditorNode[] = [];
      (globalThis as unknown as PageGlobal).RED.nodes.eachNode((n) => out.push({ id: n.id, type: n.type, z: n.z, d: n.d, name: n.name, status: n.status }));
      return out;
    });
  }

  configNodes(): Promise<(EditorNode & { path?: string })[]> {
    return this.page.evaluate(() => {
      const out: (EditorNode & { path?: string })[] = [];
      (globalThis as unknown as PageGlobal).RED.nodes.eachConfig((n) => out.push({ id: n.id, type: n.type, name: n.name, path: n.path }));
      return out;
    });
  }

  tabs(): Promise<EditorTab[]> {
    return this.page.evaluate(() => {
      const out: EditorTab[] = [];
      (globalThis as unknown as PageGlobal).RED.nodes.eachWorkspace((w) => out.push({ id: w.id, label: w.label, disabled: Boolean(w.disabled) }));
      return out;
    });
  }

  async tabByLabel(label: string): Promise<EditorTab> {
    const tab = (await this.tabs()).find((t) => t.label === label);
    if (!tab) throw new Error(`no tab "${label}"`);
    return tab;
  }

  /** Poll the editor's nodes until `check` returns a value (not undefined/false). */
  async waitForNodes<T>(check: (nodes: EditorNode[]) => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const last = await this.nodes();
      const result = check(last);
      if (result !== undefined && result !== false) return result;
      if (Date.now() > deadline) {
        const badges = last.filter((n) => n.status).map((n) => `${n.id} (${n.type}): ${JSON.stringify(n.status)}`);
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; badges:\n${badges.join('\n')}`);
      }
      await this.page.waitForTimeout(250);
    }
  }

  /**
   * Close the notifications (imported, deployed): they cover the flow tabs. A user clicks them
   * away; this asks each to close the way that click does.
   */
  async dismissNotifications(): Promise<void> {
    await this.page.evaluate(() =>
      document.querySelectorAll('.red-ui-notification').forEach((n) => (n as HTMLElement & { close?: () => void }).close?.()),
    );
    await this.page.waitForFunction(() => ![...document.querySelectorAll('.red-ui-notification')].some((n) => n instanceof HTMLElement && n.offsetParent !== null));
  }

  async showTab(id: string): Promise<void> {
    if ((await this.page.locator(`#red-ui-tab-${id}.active`).count()) === 1) return;
    await this.dismissNotifications();
    // The tab bar takes two clicks within 400 ms, on any tabs, for a double-click (which opens
    // the flow's properties): leave the gap a person leaves.
    await this.page.waitForTimeout(Math.max(0, this.lastTabClick + 450 - Date.now()));
    await this.page.click(`#red-ui-tab-${id} a`);
    this.lastTabClick = Date.now();
    await this.page.waitForSelector(`#red-ui-tab-${id}.active`);
  }

  /** Import → Examples → node-red-contrib-ve-direct: the names listed there. */
  async exampleNames(module: string): Promise<string[]> {
    const examples = await this.openExamples(module);
    const names = await examples.locator('.red-ui-treeList-label-text').allInnerTexts();
    return names.slice(names.indexOf(module) + 1);
  }

  private async openExamples(module: string) {
    await this.page.click('#red-ui-header-button-sidemenu');
    await this.page.click('#menu-item-import');
    await this.page.click('#red-ui-clipboard-dialog-import-tab-library-examples, #red-ui-clipboard-dialog-import-tabs a:has-text("Examples")');
    const examples = this.page.locator('#red-ui-clipboard-dialog-import-tab-examples');
    const folder = examples.locator('.red-ui-treeList-label', { hasText: module });
    await folder.waitFor();
    // A click on the folder opens it (a second click would close it again).
    if ((await examples.locator('.red-ui-treeList-label-text', { hasText: /^0\d-/ }).count()) === 0) await folder.click();
    await examples.locator('.red-ui-treeList-label-text', { hasText: /^0\d-/ }).first().waitFor();
    return examples;
  }

  /**
   * Import an example from the Import menu. When some of its nodes exist already (the port nodes
   * another example brought), Node-RED asks; "View nodes…" then "Import selected" keeps the
   * existing port nodes and imports the rest as it is, so the example's nodes keep naming them.
   */
  async importExample(module: string, name: string, screenshot?: string): Promise<void> {
    const examples = await this.openExamples(module);
    await examples.locator('.red-ui-treeList-label', { hasText: name }).click();
    if (screenshot) await this.screenshot(screenshot);
    const before = await this.nodeCount();
    await this.page.click('#red-ui-clipboard-dialog-ok');
    const outcome = await this.page.waitForFunction((count) => {
      let now = 0;
      (globalThis as unknown as PageGlobal).RED.nodes.eachNode(() => now++);
      if (now > count) return 'imported';
      const asks = [...document.querySelectorAll('.red-ui-notification')].some((n) => n instanceof HTMLElement && n.offsetParent !== null && /already exist/.test(n.textContent ?? ''));
      return asks ? 'conflict' : false;
    }, before);
    if ((await outcome.jsonValue()) === 'conflict') {
      await this.page.locator('.red-ui-notification', { hasText: 'already exist' }).filter({ visible: true }).locator('button', { hasText: 'View nodes' }).click();
      await this.page.locator('#red-ui-clipboard-dialog-import-conflicts-list').waitFor();
      if (screenshot) await this.screenshot(`${screenshot}-conflicts`);
      await this.page.click('#red-ui-clipboard-dialog-import-conflict');
      await this.page.waitForFunction((count) => {
        let now = 0;
        (globalThis as unknown as PageGlobal).RED.nodes.eachNode(() => now++);
        return now > count;
      }, before);
    }
  }

  private nodeCount(): Promise<number> {
    return this.page.evaluate(() => {
      let count = 0;
      (globalThis as unknown as PageGlobal).RED.nodes.eachNode(() => count++);
      return count;
    });
  }

  /** Notifications shown so far are old news to newNotification. */
  private async markNotificationsSeen(): Promise<void> {
    await this.page.evaluate(() => document.querySelectorAll('.red-ui-notification').forEach((n) => n.setAttribute('data-e2e-seen', '')));
  }

  private newNotification(text: RegExp) {
    return this.page.locator('.red-ui-notification:not([data-e2e-seen])', { hasText: text }).last();
  }

  /** Deploy and wait for the editor to say so. */
  async deploy(): Promise<void> {
    await this.markNotificationsSeen();
    await this.page.click('#red-ui-header-button-deploy');
    await this.newNotification(/Successfully deployed/).waitFor();
    await this.page.waitForSelector('#red-ui-header-button-deploy.disabled');
  }

  /** Right-click a tab → Disable flow. */
  async disableTab(id: string): Promise<void> {
    await this.dismissNotifications();
    await this.page.waitForTimeout(Math.max(0, this.lastTabClick + 450 - Date.now()));
    await this.page.click(`#red-ui-tab-${id}`, { button: 'right' });
    this.lastTabClick = Date.now();
    await this.page.locator('.red-ui-menu-dropdown li a', { hasText: 'Disable flow' }).filter({ visible: true }).click();
    await this.page.waitForFunction((tabId) => {
      let disabled = false;
      (globalThis as unknown as PageGlobal).RED.nodes.eachWorkspace((w) => {
        if (w.id === tabId) disabled = Boolean(w.disabled);
      });
      return disabled;
    }, id);
  }

  /** Double-click a node of the current tab and wait for its edit tray to finish sliding in. */
  async editNode(id: string): Promise<void> {
    await this.page.locator(`[id="${id}"]`).dblclick();
    await this.waitForTray();
  }

  /** Wait until the topmost edit tray has stopped moving (it slides in with a CSS transition). */
  async waitForTray(): Promise<void> {
    await this.page.waitForFunction(() => {
      const trays = document.querySelectorAll('.red-ui-tray');
      const tray = trays[trays.length - 1];
      return tray instanceof HTMLElement && getComputedStyle(tray).right === '0px' && tray.querySelector('.red-ui-tray-footer') !== null;
    });
  }

  /** Open the help of the node in the topmost tray; resolves with the help's section headings. */
  async showHelp(): Promise<{ title: string; headings: string[] }> {
    await this.page.locator('.red-ui-tray').last().locator('.red-ui-tray-footer button:has(i.fa-book)').click();
    const help = this.page.locator('.red-ui-help').filter({ visible: true }).last();
    await help.locator('h3').first().waitFor();
    await this.page.mouse.move(700, 450); // no tooltip over the screenshot
    return {
      title: (await help.locator('h1').allInnerTexts()).join(' ').trim(),
      headings: (await help.locator('h3').allInnerTexts()).map((h) => h.trim()),
    };
  }

  /** Close the topmost tray with Cancel and wait until it is gone. */
  async cancelTray(): Promise<void> {
    const before = await this.page.locator('.red-ui-tray').count();
    await this.page.locator('.red-ui-tray').last().locator('button', { hasText: 'Cancel' }).click();
    await this.page.waitForFunction((n) => document.querySelectorAll('.red-ui-tray').length < n, before);
  }

  /** Show a sidebar tab: info, help, debug, config, context. */
  async showSidebar(name: string): Promise<void> {
    await this.page.click(`#red-ui-tab-${name}-link-button`);
    await this.page.waitForSelector(`#red-ui-tab-${name}.active`);
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, `${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }
}

/** The VE.Direct nodes with a badge of their port's device: green once their simulated device answered. */
export const VE_TYPES = ['ve-direct-in', 've-direct-get', 've-direct-set', 've-bmv-to-mppt'];

/** The bridge's badge when it shares: "13.28 V 24.0 °C → 2/2 MPPT". */
export const BRIDGE_BADGE = /V .* → \d+\/\d+ MPPT/;
