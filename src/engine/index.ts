// Public API of the VMM RAS engine. Browser-safe: no node:*, no clock, no Math.random. The
// file-backed guest memory for the real-guest harness is in ./node/file-memory.ts, exported
// separately (`vras/engine/node`).
export * from './adopt-tables.js';
export * from './blob-layout.js';
export * from './boot.js';
export * from './errors.js';
export * from './firmware.js';
export * from './ghes-channel.js';
export * from './guest-memory.js';
export * from './guest-model.js';
export * from './machine-config.js';
export * from './machine-layout.js';
export * from './memory-record.js';
export * from './platform.js';
export * from './powerpc.js';
export * from './prng.js';
export * from './ras-engine.js';
export * from './soak.js';
export * from './vmm-ras.js';
export * from './x86-policy.js';
