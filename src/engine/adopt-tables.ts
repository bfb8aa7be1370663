// Adopting error-source tables that are already in guest RAM: a VMM (or a tool beside it) that
// did not lay them out itself — QEMU's own `virt,ras=on` HEST, or a HEST the engine laid out
// in another process — finds the HEST, and the engine is configured from it and linked the way
// the firmware's WRITE_POINTER would have linked it (qemu-vmm.md §3, §5, §6).
//
// The configuration is read from the HEST (one GHES/GHESv2 source per entry), then the engine's
// own layout for that configuration must reproduce the table byte for byte (all but the
// checksum) with `etc/hardware_errors` at the address source 0's error status address implies;
// anything else is refused as a hostile pointer. So the engine never writes through an address
// it would not have laid out itself.

import { decodeHest, HestNotificationType } from '../codec/index.js';
import { EngineError, EngineErrorCode } from './errors.js';
import type { GuestMemory } from './guest-memory.js';
import {
  BusyPolicy,
  HARDWARE_ERRORS_ADDR_FILE,
  HEST_ADDR_FILE,
  type MachineConfig,
  PointerLayout,
} from './machine-config.js';
import { buildHest, buildMachineLayout } from './machine-layout.js';
import type { Platform } from './platform.js';
import { type HypervisorCapabilities, RasEngine } from './ras-engine.js';

const hx = (v: bigint) => `0x${v.toString(16)}`;

/** ACPI table header length field and the HEST's own size limit for adoption. */
const MAX_HEST_LENGTH = 1 << 16;

export interface MachineFromHestOptions {
  /** Busy policy of every source (default `queue`). */
  readonly policy?: BusyPolicy;
  /** Backlog per source under `queue` (default: the engine's). */
  readonly backlogLimit?: number;
  /**
   * Which WRITE_POINTER the tables came with. Default: `hardware-errors-addr` for a single SEA
   * source (QEMU ≤ 10.1 machine types, qemu-vmm.md §3), `hest-addr` otherwise.
   */
  readonly layout?: PointerLayout;
}

/** The machine configuration a HEST describes (GHES and GHESv2 sources only). */
export function machineConfigFromHest(
  hest: Uint8Array,
  options: MachineFromHestOptions = {},
): MachineConfig {
  let decoded: ReturnType<typeof decodeHest>;
  try {
    decoded = decodeHest(hest);
  } catch (cause) {
    throw new EngineError(
      EngineErrorCode.InvalidConfig,
      `Cannot adopt the HEST: ${(cause as Error).message}`,
      { cause },
    );
  }
  const policy = options.policy ?? BusyPolicy.Queue;
  const sources = decoded.sources.map((s, i) => {
    if (s.type !== 9 && s.type !== 10) {
      throw new EngineError(
        EngineErrorCode.InvalidConfig,
        `Cannot adopt the HEST: entry ${i} is of type ${s.type}, the engine serves only GHES (9) and GHESv2 (10) sources`,
        { sourceId: s.sourceId },
      );
    }
    return {
      id: s.sourceId,
      notification: s.notification.type,
      vector: s.notification.vector,
      pollIntervalMs: s.notification.pollInterval,
      blockLength: s.errorStatusBlockLength,
      maxRawDataLength: s.maxRawDataLength,
      recordsPerBlock: s.recordsToPreallocate,
      maxSectionsPerRecord: s.maxSectionsPerRecord,
      version: s.type === 10 ? (2 as const) : (1 as const),
      ...(s.type === 10
        ? { readAckPreserve: s.readAckPreserve, readAckWrite: s.readAckWrite }
        : {}),
      policy,
      ...(options.backlogLimit === undefined ? {} : { backlogLimit: options.backlogLimit }),
    };
  });
  const layout =
    options.layout ??
    (sources.length === 1 && sources[0]!.notification === HestNotificationType.ArmSea
      ? PointerLayout.HardwareErrorsAddr
      : PointerLayout.HestAddr);
  return { layout, sources };
}

export interface AdoptTablesOptions extends MachineFromHestOptions {
  /** Guest RAM holding the HEST and `etc/hardware_errors`. */
  readonly memory: GuestMemory;
  readonly platform: Platform;
  /** Guest physical address of the HEST (e.g. found by scanning guest RAM). */
  readonly hestGpa: bigint;
  readonly hypervisor?: HypervisorCapabilities;
  readonly guestPageShift?: number;
}

export interface AdoptedTables {
  readonly engine: RasEngine;
  readonly config: MachineConfig;
  readonly hestGpa: bigint;
  /** The HEST as found (absolute addresses, checksum as the firmware left it). */
  readonly hest: Uint8Array;
  /** Guest physical address of `etc/hardware_errors`. */
  readonly blobGpa: bigint;
}

function le64(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value, true);
  return out;
}

/**
 * An engine configured from the HEST at `hestGpa` and linked to the `etc/hardware_errors` it
 * points at. Throws EngineError `invalid-config` for a HEST the engine cannot serve and
 * `hostile-pointer` for one that is not the engine's layout for its blob address.
 */
export function adoptTables(options: AdoptTablesOptions): AdoptedTables {
  const { memory, hestGpa } = options;
  const head = memory.read(hestGpa, 8);
  const length = new DataView(head.buffer, head.byteOffset, 8).getUint32(4, true);
  const signature = String.fromCharCode(head[0]!, head[1]!, head[2]!, head[3]!);
  if (signature !== 'HEST' || length < 40 || length > MAX_HEST_LENGTH) {
    throw new EngineError(
      EngineErrorCode.HostilePointer,
      `Cannot adopt the HEST at ${hx(hestGpa)}: signature ${JSON.stringify(signature)}, length ${length}`,
      { gpa: hestGpa },
    );
  }
  const hest = memory.read(hestGpa, length);
  const config = machineConfigFromHest(hest, options);
  const refusals: string[] = [];
  const platform: Platform = {
    request: (r) => options.platform.request(r),
    report: (r) => {
      if (r.code === 'link-refused') refusals.push(r.message);
      options.platform.report(r);
    },
  };
  const engine = new RasEngine({
    machine: config,
    memory,
    platform,
    ...(options.hypervisor === undefined ? {} : { hypervisor: options.hypervisor }),
    ...(options.guestPageShift === undefined ? {} : { guestPageShift: options.guestPageShift }),
  });
  const layout = buildMachineLayout(config);
  const first = decodeHest(hest).sources[0]!;
  const slot0 = first.type === 9 || first.type === 10 ? first.errorStatusAddress.address : 0n;
  const blobGpa = slot0 - BigInt(layout.blob.sources[0]!.slot);
  if (config.layout === PointerLayout.HardwareErrorsAddr) {
    // The engine checks the HEST itself only when the pointer names the HEST: check it here.
    const expected = buildHest(layout.sources, layout.blob, blobGpa, 'compute');
    const at = expected.findIndex((b, i) => i !== 9 && b !== hest[i]);
    if (at >= 0 || expected.length !== hest.length) {
      throw new EngineError(
        EngineErrorCode.HostilePointer,
        `Cannot adopt the HEST at ${hx(hestGpa)}: it is not the engine's ${config.layout} layout for etc/hardware_errors at ${hx(blobGpa)} (byte ${at >= 0 ? at : Math.min(expected.length, hest.length)} differs, ${hest.length} vs ${expected.length} bytes)`,
        { gpa: hestGpa },
      );
    }
    engine.onWritePointer(HARDWARE_ERRORS_ADDR_FILE, 0, le64(blobGpa));
  } else {
    engine.onWritePointer(HEST_ADDR_FILE, 0, le64(hestGpa));
  }
  if (!engine.linked) {
    throw new EngineError(
      EngineErrorCode.HostilePointer,
      refusals.length > 0
        ? refusals.join('; ')
        : `Cannot adopt the HEST at ${hx(hestGpa)}: the engine did not link`,
      { gpa: hestGpa },
    );
  }
  return { engine, config, hestGpa, hest, blobGpa };
}
