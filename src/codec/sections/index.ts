// Every section codec, imported so that it registers itself (src/codec/section.ts). Containers
// import this file; add one line per section module.
export * from './arm-processor.js';
export * from './cxl.js';
export * from './firmware-error-reference.js';
export * from './memory.js';
export * from './memory2.js';
export * from './opaque.js';
export * from './pcie.js';
export * from './processor-generic.js';
