// Public API of the scenario layer.
export * from './catalogue.js';
