/**
 * The runtime's write policy: one per Node-RED runtime, shared by every ve-direct-port node,
 * so a flash setting is counted per device whichever node writes it. Flash writes are
 * remembered in `<userDir>/ve-direct-flash-writes.json` (written atomically), so the interval
 * between two writes of a setting also holds across a restart or a redeploy. Without a user
 * directory (an embedded runtime) the record lives in memory.
 */

import { join } from 'node:path';
import type { NodeAPI } from 'node-red';
import { JsonFileFlashWriteStore, MemoryFlashWriteStore, type FlashWriteStore } from '../../lib/link/flash-write-store';
import { WritePolicy } from '../../lib/link/write-policy';

/** The file, in Node-RED's user directory. */
export const FLASH_WRITES_FILE = 've-direct-flash-writes.json';

/** The policy for this runtime: call once when the node module loads. */
export function runtimeWritePolicy(RED: NodeAPI): WritePolicy {
  const userDir = (RED.settings as { userDir?: unknown }).userDir;
  const store: FlashWriteStore =
    typeof userDir === 'string' && userDir !== ''
      ? new JsonFileFlashWriteStore(join(userDir, FLASH_WRITES_FILE), { onError: (message) => RED.log.warn(`ve-direct: ${message}`) })
      : new MemoryFlashWriteStore();
  return new WritePolicy({ store });
}
