// The command table. Each command lives in its own module, loaded only when it runs.

export interface CommandModule {
  /** Runs the command with the arguments after its name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

export interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<CommandModule>;
}

export const commands: Record<string, CommandEntry> = {
  // Entries are added by each command's module, one line each, in alphabetical order.
  campaign: {
    summary: 'many simulated VMs under field-study DRAM error rates',
    load: () => import('./campaign.js'),
  },
  decode: {
    summary: 'show a HEST, status block, CPER record or section (table, JSON, Linux)',
    load: () => import('./decode.js'),
  },
  encode: {
    summary: 'build bytes from a vras/v1 JSON document',
    load: () => import('./encode.js'),
  },
  demo: {
    summary: 'run the default simulated scenario end to end (the main job)',
    load: () => import('./demo.js'),
  },
  esr: { summary: 'decode or build an ARMv8 ESR_ELx value', load: () => import('./esr.js') },
  guest: {
    summary: 'real arm64 Linux guest under QEMU: setup, run the conformance scenarios',
    load: () => import('./guest.js'),
  },
  hest: {
    summary: "build a HEST: QEMU's virt tables or any error sources",
    load: () => import('./hest.js'),
  },
  inject: {
    summary: 'hand a running VM a hardware error record (QMP on QEMU >= 10.2, or shared memory)',
    load: () => import('./inject.js'),
  },
  lint: {
    summary: 'what a Linux guest does with a HEST, status block or CPER record',
    load: () => import('./lint.js'),
  },
  mce: {
    summary: 'decode or build an x86 machine check (MCi_STATUS…) with Linux’s grading',
    load: () => import('./mce.js'),
  },
  simulate: {
    summary: 'run a scenario in the deterministic full-stack simulator',
    load: () => import('./simulate.js'),
  },
  soak: {
    summary: 'storm the RAS engine with records against a guest that acks late (JSON summary)',
    load: () => import('./soak.js'),
  },
  ui: {
    summary: 'the vras page on 127.0.0.1 (decode, build, watch), or --out DIR as static files',
    load: () => import('./ui.js'),
  },
};
