// Every section codec, imported so that it registers itself (src/codec/section.ts). Containers
// import this file; add one line per section module.
export * from './ampere.js';
export * from './arm-processor.js';
export * from './arm-ras.js';
export * from './ccix-per.js';
export * from './cxl.js';
export * from './dmar-generic.js';
export * from './dmar-iommu.js';
export * from './dmar-vtd.js';
export * from './firmware-error-reference.js';
export * from './ia32x64.js';
export * from './layout.js';
export * from './memory.js';
export * from './memory2.js';
export * from './nvidia.js';
export * from './nvidia-event.js';
export * from './opaque.js';
export * from './pci-bus.js';
export * from './pci-component.js';
export * from './pcie.js';
export * from './processor-generic.js';
