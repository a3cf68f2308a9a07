/**
 * `npm run bench`: every benchmark of the package, one after the other. Numbers are printed,
 * never asserted: speed is reported as ratios to a peer and to the VE.Direct wire rate.
 */

import { benchFramer } from './framer';

async function main(): Promise<void> {
  benchFramer();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
