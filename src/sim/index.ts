// Public API of the simulator layer: a deterministic full-stack model of firmware-first RAS
// (hardware, EL3 firmware, host kernel, KVM, the vras engine as VMM, guest firmware, guest
// kernel). Runs in a browser: no node:*, no clocks, no timers, no Math.random.

export * from './bench.js';
export * from './campaign.js';
export * from './codec-port.js';
export * from './errors.js';
export * from './firmware.js';
export * from './guest-firmware.js';
export * from './guest-kernel.js';
export * from './hardware.js';
export * from './host-kernel.js';
export * from './kvm.js';
export * from './ports.js';
export * from './ppc.js';
export * from './ppc-world.js';
export * from './random.js';
export * from './scheduler.js';
export * from './simulation.js';
export * from './trace.js';
export * from './vmm.js';
export * from './world.js';
export * from './x86-world.js';
