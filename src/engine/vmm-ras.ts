// The whole of a VMM's RAS state behind one object: the GHES engine (arm64/x86 firmware-first,
// ras-engine.ts) and the PowerPC FWNMI machine-check state (powerpc.ts), either or both. One
// snapshot() carries everything migration needs, one migrationBlockers() answers whether the VM
// may migrate now, one reset() handles a system reset.
//
// Migration policy (qemu-vmm.md §10, §16):
// - `allow` (ours): nothing blocks; the poison list, backlogs, pending SErrors, the FWNMI
//   registration, the log in flight and queued machine checks all travel in the snapshot.
// - `refuse-while-poisoned`: QEMU's blockers — any poisoned page (06152b89db, until reset) and,
//   on PowerPC, a machine check being handled (from delivery to ibm,nmi-interlock).

import { EngineError, EngineErrorCode } from './errors.js';
import type { GuestMemory } from './guest-memory.js';
import type { Platform } from './platform.js';
import { PowerPcMachineCheck, type PowerPcSnapshot } from './powerpc.js';
import {
  canMigrate,
  type EngineSnapshot,
  type MigrationBlocker,
  MigrationPolicy,
  migrationSnapshot,
  RasEngine,
  type RasEngineOptions,
} from './ras-engine.js';

/** QEMU's spapr FWNMI migration blocker (hw/ppc/spapr_events.c, qemu-vmm.md §16). */
export const QEMU_FWNMI_MIGRATION_MESSAGE =
  'A machine check is being handled during migration. The handler may run and log hardware error on the destination';

export interface VmmRasOptions {
  readonly memory: GuestMemory;
  readonly platform: Platform;
  /** Firmware-first GHES error sources (arm64, x86): a RasEngine with these options. */
  readonly ghes?: Omit<RasEngineOptions, 'memory' | 'platform' | 'migration'>;
  /** PowerPC pseries FWNMI machine checks. */
  readonly powerpc?: { readonly queueLimit?: number };
  /** Default `allow`. */
  readonly migration?: MigrationPolicy;
}

const SCHEMA = 'vras/vmm-ras-snapshot/v1';

/** Plain JSON (64-bit values as `0x…` strings). */
export interface VmmRasSnapshot {
  readonly schema: typeof SCHEMA;
  readonly ghes: EngineSnapshot | null;
  readonly powerpc: PowerPcSnapshot | null;
}

export class VmmRas {
  readonly ghes: RasEngine | null;
  readonly powerpc: PowerPcMachineCheck | null;
  readonly migrationPolicy: MigrationPolicy;

  constructor(options: VmmRasOptions) {
    if (options.ghes === undefined && options.powerpc === undefined) {
      throw new EngineError(
        EngineErrorCode.InvalidConfig,
        'Cannot configure VMM RAS: neither GHES error sources nor PowerPC machine checks',
      );
    }
    this.migrationPolicy = options.migration ?? MigrationPolicy.Allow;
    this.ghes =
      options.ghes === undefined
        ? null
        : new RasEngine({
            ...options.ghes,
            memory: options.memory,
            platform: options.platform,
            migration: this.migrationPolicy,
          });
    this.powerpc =
      options.powerpc === undefined
        ? null
        : new PowerPcMachineCheck(options.memory, options.platform, options.powerpc.queueLimit);
  }

  /** Why the VM cannot migrate now (empty: it can). */
  migrationBlockers(): MigrationBlocker[] {
    const blockers = this.ghes?.migrationBlockers() ?? [];
    if (
      this.migrationPolicy === MigrationPolicy.RefuseWhilePoisoned &&
      this.powerpc?.handling === true
    ) {
      blockers.push({ code: 'fwnmi-in-progress', message: QEMU_FWNMI_MIGRATION_MESSAGE });
    }
    return blockers;
  }

  canMigrate(): boolean {
    return canMigrate(this);
  }

  /** snapshot() for migration: throws `migration-blocked` (QEMU's messages) while blocked. */
  migrationSnapshot(): VmmRasSnapshot {
    return migrationSnapshot(this);
  }

  snapshot(): VmmRasSnapshot {
    return {
      schema: SCHEMA,
      ghes: this.ghes?.snapshot() ?? null,
      powerpc: this.powerpc?.snapshot() ?? null,
    };
  }

  /** Replaces the state with `snap`, taken from a VmmRas with the same configuration. */
  restore(snap: VmmRasSnapshot): void {
    const bad = (why: string): never => {
      throw new EngineError(EngineErrorCode.BadSnapshot, `Cannot restore VMM RAS: ${why}`);
    };
    if (snap === null || typeof snap !== 'object' || snap.schema !== SCHEMA)
      bad(`schema is not ${SCHEMA}`);
    const has = (x: unknown) => (x === null ? 'no' : 'a');
    if ((snap.ghes === null) !== (this.ghes === null))
      bad(`the snapshot has ${has(snap.ghes)} GHES state, this VMM ${has(this.ghes)} GHES engine`);
    if ((snap.powerpc === null) !== (this.powerpc === null))
      bad(
        `the snapshot has ${has(snap.powerpc)} PowerPC state, this VMM ${has(this.powerpc)} PowerPC machine-check handler`,
      );
    // Whole or nothing: if the PowerPC part is refused, the GHES part goes back as it was.
    const ghesBefore = this.ghes?.snapshot();
    if (snap.ghes !== null) this.ghes?.restore(snap.ghes);
    try {
      if (snap.powerpc !== null) this.powerpc?.restore(snap.powerpc);
    } catch (error) {
      if (ghesBefore !== undefined) this.ghes?.restore(ghesBefore);
      throw error;
    }
  }

  /** System reset: both parts (poisoned pages remapped, FWNMI registration forgotten). */
  reset(): void {
    this.ghes?.reset();
    this.powerpc?.reset();
  }
}
