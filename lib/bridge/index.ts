/**
 * The bridge layer's public surface: SenseBridge, its configuration, adapter and report types;
 * the charge-limit manager, its split, claims and charger adapter.
 */

export { SenseBridge, MIN_WRITE_SPACING_MS, STARTUP_GRACE_MS, type SenseBridgeOptions, type BridgeEvents } from './sense-bridge';
export { DEFAULT_CONFIG, CONFIG_BOUNDS, resolveConfig } from './config';
export { encodeSense, type EncodedSense } from './encoding';
export * from './types';
export { PortAdapter, portAdapter, type PortAdapterOptions } from './port-adapters';
// The charge-limit manager (DVCC's charge current limit without a GX).
export { ChargeLimitManager, MIN_CYCLE_SPACING_MS, type ChargeLimitOptions, type ChargeLimitEvents } from './charge-limit';
export * from './charge-limit-types';
export { DEFAULT_LIMIT_CONFIG, LIMIT_CONFIG_BOUNDS, resolveLimitConfig } from './charge-limit-config';
export { splitCurrent, SPLIT_MODES, type SplitMode, type SplitCharger } from './charge-split';
export { ChargerClaims, chargerClaims, type ClaimRole, type ClaimHolder, type ClaimResult } from './charger-claims';
export { PortLimitTarget } from './limit-target';
