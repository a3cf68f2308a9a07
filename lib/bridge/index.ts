/**
 * The sense bridge's public surface: SenseBridge, its configuration, adapter and report types.
 */

export { SenseBridge, MIN_WRITE_SPACING_MS, STARTUP_GRACE_MS, type SenseBridgeOptions, type BridgeEvents } from './sense-bridge';
export { DEFAULT_CONFIG, CONFIG_BOUNDS, resolveConfig } from './config';
export { encodeSense, type EncodedSense } from './encoding';
export * from './types';
export { PortAdapter, portAdapter, type PortAdapterOptions } from './port-adapters';
