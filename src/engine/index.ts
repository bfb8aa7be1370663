// Public API of the VMM RAS engine. Browser-safe: no node:*, no clock, no Math.random. The
// file-backed guest memory for the real-guest harness is in ./node/file-memory.ts, exported
// separately.
export * from './blob-layout.js';
export * from './errors.js';
export * from './firmware.js';
export * from './guest-memory.js';
export * from './machine-config.js';
export * from './machine-layout.js';
