/**
 * Who in this process writes what to which charger. A claim names a charger (the id its
 * adapter has: the port node's id under Node-RED, the port path in the CLI — either way one
 * device), a role and an owner. One owner per charger and role: a second charge-limit node on
 * a charger already limited by another is refused, rather than have two limits fight over
 * 0x2015 every few seconds.
 *
 * A claim also says whether its owner is in control right now (it has put the charger under
 * external control, 0x200E = 0x05, and not released it). The sense bridge asks this, so it
 * does not mistake the network mode the charge limit set for a GX or a BMS.
 */

export type ClaimRole = 'limit';

export interface ClaimHolder {
  readonly owner: string;
  /** What to show a user about the owner ("charge limit 3f2a…"). */
  readonly label: string;
  readonly controlling: boolean;
}

export type ClaimResult = { readonly ok: true } | { readonly ok: false; readonly holder: ClaimHolder };

export class ChargerClaims {
  private readonly held = new Map<string, { owner: string; label: string; controlling: boolean }>();

  private static key(charger: string, role: ClaimRole): string {
    return `${role}\u0000${charger}`;
  }

  /** Claim `charger` for `role`; refused while another owner holds it. Claiming again is fine. */
  claim(charger: string, role: ClaimRole, owner: string, label = owner): ClaimResult {
    const key = ChargerClaims.key(charger, role);
    const current = this.held.get(key);
    if (current !== undefined && current.owner !== owner) return { ok: false, holder: { ...current } };
    if (current === undefined) this.held.set(key, { owner, label, controlling: false });
    return { ok: true };
  }

  /** Let go (only the owner's own claim). */
  release(charger: string, role: ClaimRole, owner: string): void {
    const key = ChargerClaims.key(charger, role);
    if (this.held.get(key)?.owner === owner) this.held.delete(key);
  }

  /** The owner says whether it has the charger under its control now. */
  setControlling(charger: string, role: ClaimRole, owner: string, controlling: boolean): void {
    const current = this.held.get(ChargerClaims.key(charger, role));
    if (current?.owner === owner) current.controlling = controlling;
  }

  holder(charger: string, role: ClaimRole): ClaimHolder | null {
    const current = this.held.get(ChargerClaims.key(charger, role));
    return current === undefined ? null : { ...current };
  }

  /** Is `charger` under external control by an owner in this process? */
  controlledHere(charger: string, role: ClaimRole): boolean {
    return this.held.get(ChargerClaims.key(charger, role))?.controlling === true;
  }
}

/** The claims of this process: every node, the CLI and the bridge share it. */
export const chargerClaims = new ChargerClaims();
