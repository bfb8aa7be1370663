// Public API of the codec layer. Zero runtime dependencies; runs in a browser.
export * from './checksum.js';
export * from './errors.js';
export * from './esr.js';
export * from './finding.js';
export * from './guid.js';
export * from './hex.js';
export * from './json.js';
export * from './linker-loader.js';
export * from './reader.js';
export * from './section.js';
export * from './writer.js';
