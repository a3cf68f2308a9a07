/**
 * The system's Chromium (Debian's `chromium` package), driven by playwright-core: no browser
 * download. Each launch gets a fresh temporary profile.
 */

import { spawnSync } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** Path of the Chromium binary: $CHROMIUM_PATH, else `chromium` on the PATH. */
export function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  const found = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error('the e2e tests need Chromium, which is not installed (Debian/Raspberry Pi OS: sudo apt-get install -y chromium)');
  return found;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: ARGS });
}
