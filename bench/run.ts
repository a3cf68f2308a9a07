/**
 * `npm run bench`: every benchmark of the package, one after the other. Numbers are printed,
 * never asserted: CPU time beside wall time (on a shared machine CPU time is the figure that
 * counts), best and median of several runs, ratios to a peer and to the VE.Direct wire rate
 * (1920 bytes/s).
 *
 *   framer   Text/HEX framing on a mixed stream vs @signalk/vedirect-serial-usb's serial path
 *   decode   `ve-direct decode` as a whole process on 20 MB; peak RSS into a slow reader
 *   link     HEX Get transactions/s through the whole stack over a pty, against the pty's bound
 *   bridge   sense-sharing timing, write rates and line use for 1×1, 2×3 and 4×8
 * Name some of them to run only those: `npm run bench -- framer decode`.
 */

import { benchFramer } from './framer';
import { benchDecode } from './decode';
import { benchLink } from './link';
import { benchBridge } from './bridge';

const BENCHES: Record<string, () => Promise<unknown> | unknown> = {
  framer: () => benchFramer(),
  decode: () => benchDecode(),
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
