// `--format libcper`: OpenBMC libcper's JSON shape for CPER records and sections.

export * from './from-libcper.js';
export * from './json-text.js';
export * from './to-libcper.js';
