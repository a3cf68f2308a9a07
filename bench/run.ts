/**
 * `npm run bench`: every benchmark of the package, one after the other. Numbers are printed,
 * never asserted: speed is reported as ratios to a peer and to the VE.Direct wire rate.
 *
 *   framer   Text/HEX framing throughput and robustness vs @signalk/vedirect-serial-usb
 *   link     HEX Get transactions/s through the whole stack over a pty; memory per open port
 *   bridge   sense-sharing timing, write rates and line use for 1×1, 2×3 and 4×8
 * Name some of them to run only those: `npm run bench -- link bridge`.
 */

import { benchFramer } from './framer';
import { benchLink } from './link';
import { benchBridge } from './bridge';

const BENCHES: Record<string, () => Promise<unknown> | unknown> = {
  framer: () => benchFramer(),
  link: () => benchLink({ seconds: 10 }),
  bridge: () => benchBridge(10),
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  for (const name of wanted) if (!(name in BENCHES)) throw new Error(`unknown bench "${name}"; choose from ${Object.keys(BENCHES).join(', ')}`);
  for (const [name, run] of Object.entries(BENCHES)) {
    if (wanted.length > 0 && !wanted.includes(name)) continue;
    await run();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
