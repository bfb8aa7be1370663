// The `vras` package entry: the browser-safe layers as namespaces. Each is also its own entry
// point (`vras/codec`, `vras/engine`, `vras/sim`), which is what most callers import.
//
//   import { codec } from 'vras';
//   const block = codec.decodeGhesStatusBlock(bytes);

export * as codec from './codec/index.js';
export * as engine from './engine/index.js';
export * as sim from './sim/index.js';
