// Public API of the scenario layer (browser-safe; the JSON files are read by node/files.ts).
export * from './catalogue.js';
export * from './harness.js';
export * from './json-scenario.js';
