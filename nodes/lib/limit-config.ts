/**
 * The `ve-charge-limit` editor's saved fields, and their translation into the manager's
 * configuration: seconds become milliseconds, a blank field means the library's default, and
 * anything else goes to the library as given, which refuses what is out of bounds with
 * VE_BAD_INPUT naming the setting.
 */

import type { NodeDef } from 'node-red';
import type { ChargeLimitConfigInput } from '../../lib/bridge/charge-limit-types';

/** The editor's saved fields. */
export interface ChargeLimitNodeDef extends NodeDef {
  /** ve-direct-port node ids of the MPPT chargers, in the order the badge lists their shares. */
  chargers?: string[];
  split?: string;
  /** s; blank: 10. */
  refresh?: string | number;
  /** s; blank: 60. */
  timeout?: string | number;
}

/** A number field in seconds → ms; blank → undefined (the library's default); anything else is passed on for the library to refuse. */
function seconds(value: string | number | undefined): number | undefined {
  if (value === undefined || value === '' || value === null) return undefined;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  return Number.isFinite(n) ? Math.round(n * 1000) : Number.NaN;
}

export function limitConfig(def: ChargeLimitNodeDef): ChargeLimitConfigInput {
  const out: { -readonly [K in keyof ChargeLimitConfigInput]: ChargeLimitConfigInput[K] } = {};
  if (def.split !== undefined && def.split !== '') out.split = def.split as ChargeLimitConfigInput['split'];
  const refresh = seconds(def.refresh);
  if (refresh !== undefined) out.refreshMs = refresh;
  const timeout = seconds(def.timeout);
  if (timeout !== undefined) out.timeoutMs = timeout;
  return out;
}

