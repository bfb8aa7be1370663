// The machine layout at boot: from a MachineConfig, the HEST (as the VMM puts it, unpatched, in
// `etc/acpi/tables`), the `etc/hardware_errors` blob and the GHES part of the linker/loader
// script, in QEMU's order (qemu-vmm.md §4.2; `build_ghes_error_table()`, `acpi_build_hest()`).
// Given QEMU's configuration the bytes equal QEMU's (qemu/captured/*).

import {
  addChecksumCommand,
  addPointerCommand,
  allocateCommand,
  encodeHest,
  ghesSource,
  ghesV2Source,
  type Hest,
  type HestErrorSource,
  type HestNotification,
  hestNotification,
  type LinkerLoaderAllocate,
  type LinkerLoaderCommand,
  LinkerLoaderZone,
  QEMU_HEST_HEADER,
  writePointerCommand,
} from '../codec/index.js';
import { type BlobLayout, blobLayout, buildHardwareErrorsBlob } from './blob-layout.js';
import {
  ACPI_TABLES_FILE,
  HARDWARE_ERRORS_ADDR_FILE,
  HARDWARE_ERRORS_FILE,
  HEST_ADDR_FILE,
  type MachineConfig,
  PointerLayout,
  type ResolvedSource,
  resolveSources,
} from './machine-config.js';

/** Offsets inside a GHES/GHESv2 entry of the two address fields (GAS + 4). */
export const GHES_STATUS_ADDRESS_FIELD = 24;
export const GHES_READ_ACK_ADDRESS_FIELD = 68;
/** Offset of the first error source entry in the HEST (36-byte header + Error Source Count). */
export const HEST_ENTRIES_OFFSET = 40;

export interface MachineLayout {
  readonly config: MachineConfig;
  readonly sources: readonly ResolvedSource[];
  readonly blob: BlobLayout;
  /** The HEST with blob offsets in its address fields and checksum 0 (QEMU's unpatched form). */
  readonly hest: Uint8Array;
  /** Offset of each source's entry inside the HEST. */
  readonly hestEntryOffsets: readonly number[];
  /** `etc/hardware_errors` as served to the firmware. */
  readonly hardwareErrors: Uint8Array;
  /** The writable fw_cfg file the firmware's WRITE_POINTER fills. */
  readonly writePointerFile: string;
}

function notificationOf(s: ResolvedSource): HestNotification {
  return { ...hestNotification(s.notification), vector: s.vector, pollInterval: s.pollIntervalMs };
}

/** HEST entries with addresses relative to `base` (0 for the unpatched table). */
export function hestSources(
  sources: readonly ResolvedSource[],
  blob: BlobLayout,
  base: bigint,
): HestErrorSource[] {
  return sources.map((s, i) => {
    const o = blob.sources[i]!;
    const common = {
      sourceId: s.id,
      notification: notificationOf(s),
      errorStatusAddress: base + BigInt(o.slot),
      recordsToPreallocate: s.recordsPerBlock,
      maxSectionsPerRecord: s.maxSectionsPerRecord,
      maxRawDataLength: s.maxRawDataLength,
      errorStatusBlockLength: s.blockLength,
    };
    return s.version === 2
      ? ghesV2Source({
          ...common,
          readAckAddress: base + BigInt(o.ack),
          readAckPreserve: s.readAckPreserve,
          readAckWrite: s.readAckWrite,
        })
      : ghesSource(common);
  });
}

export function buildHest(
  sources: readonly ResolvedSource[],
  blob: BlobLayout,
  base: bigint,
  checksum: 'compute' | 'keep',
): Uint8Array {
  const hest: Hest = {
    header: { ...QEMU_HEST_HEADER, checksum: 0 },
    sources: hestSources(sources, blob, base),
  };
  return encodeHest(hest, { checksum });
}

/**
 * What layouts of one configuration share: everything in a MachineLayout is a pure function of
 * the resolved sources, so it is built once per configuration, with the firmware files and the
 * linked HESTs derived from it.
 */
interface LayoutShared {
  readonly layout: MachineLayout;
  readonly firmware: Map<number, FirmwareFiles>;
  readonly linkedHests: Map<bigint, Uint8Array>;
}

const SHARED_LIMIT = 64;
const sharedByKey = new Map<string, LayoutShared>();
const sharedOf = new WeakMap<MachineLayout, LayoutShared>();

/** Every field of every resolved source and the layout, types kept apart (`1` vs `1n` vs `"1"`). */
function layoutKey(layout: string, sources: readonly ResolvedSource[]): string {
  let key = JSON.stringify(layout);
  for (const s of sources) {
    key += '|';
    for (const v of Object.values(s))
      key += typeof v === 'bigint' ? `${v}n,` : `${JSON.stringify(v)},`;
  }
  return key;
}

function layoutFrom(config: MachineConfig, sources: readonly ResolvedSource[]): MachineLayout {
  const blob = blobLayout(sources);
  const offsets: number[] = [];
  let at = HEST_ENTRIES_OFFSET;
  for (const s of sources) {
    offsets.push(at);
    at += s.version === 2 ? 92 : 64;
  }
  return {
    config,
    sources,
    blob,
    hest: buildHest(sources, blob, 0n, 'keep'),
    hestEntryOffsets: offsets,
    hardwareErrors: buildHardwareErrorsBlob(blob),
    writePointerFile:
      config.layout === PointerLayout.HestAddr ? HEST_ADDR_FILE : HARDWARE_ERRORS_ADDR_FILE,
  };
}

/**
 * The layout of `config`. Layouts of equal configurations share their sources and byte arrays
 * (built once): treat them as read-only.
 */
export function buildMachineLayout(config: MachineConfig): MachineLayout {
  const sources = resolveSources(config);
  const key = layoutKey(config.layout, sources);
  let shared = sharedByKey.get(key);
  if (shared === undefined) {
    shared = { layout: layoutFrom(config, sources), firmware: new Map(), linkedHests: new Map() };
    if (sharedByKey.size >= SHARED_LIMIT) sharedByKey.clear();
    sharedByKey.set(key, shared);
    sharedOf.set(shared.layout, shared);
  }
  if (shared.layout.config === config) return shared.layout;
  const layout = { ...shared.layout, config };
  sharedOf.set(layout, shared);
  return layout;
}

/**
 * The HEST as the firmware leaves it for `etc/hardware_errors` at `base`: addresses patched and
 * the checksum computed (what the engine compares a HEST it is pointed at with).
 */
export function linkedHest(layout: MachineLayout, base: bigint): Uint8Array {
  const shared = sharedOf.get(layout);
  let hest = shared?.linkedHests.get(base);
  if (hest === undefined) {
    hest = buildHest(layout.sources, layout.blob, base, 'compute');
    if (shared !== undefined) {
      if (shared.linkedHests.size >= SHARED_LIMIT) shared.linkedHests.clear();
      shared.linkedHests.set(base, hest);
    }
  }
  return hest;
}

export interface GhesLoaderCommands {
  /** `ALLOCATE etc/hardware_errors align=8 zone=HIGH`: QEMU prepends it with the other ALLOCATEs. */
  readonly allocate: LinkerLoaderAllocate;
  /** The rest, in QEMU's order, for a HEST at `hestOffset` in `etc/acpi/tables`. */
  readonly commands: readonly LinkerLoaderCommand[];
}

export function ghesLoaderCommands(layout: MachineLayout, hestOffset: number): GhesLoaderCommands {
  const cmds: LinkerLoaderCommand[] = [];
  for (const s of layout.blob.sources) {
    cmds.push(addPointerCommand(HARDWARE_ERRORS_FILE, HARDWARE_ERRORS_FILE, s.slot, 8));
  }
  if (layout.config.layout === PointerLayout.HardwareErrorsAddr) {
    cmds.push(writePointerCommand(HARDWARE_ERRORS_ADDR_FILE, HARDWARE_ERRORS_FILE, 0, 0, 8));
  }
  layout.sources.forEach((s, i) => {
    const entry = hestOffset + layout.hestEntryOffsets[i]!;
    cmds.push(
      addPointerCommand(
        ACPI_TABLES_FILE,
        HARDWARE_ERRORS_FILE,
        entry + GHES_STATUS_ADDRESS_FIELD,
        8,
      ),
    );
    if (s.version === 2) {
      cmds.push(
        addPointerCommand(
          ACPI_TABLES_FILE,
          HARDWARE_ERRORS_FILE,
          entry + GHES_READ_ACK_ADDRESS_FIELD,
          8,
        ),
      );
    }
  });
  cmds.push(addChecksumCommand(ACPI_TABLES_FILE, hestOffset + 9, hestOffset, layout.hest.length));
  if (layout.config.layout === PointerLayout.HestAddr) {
    cmds.push(writePointerCommand(HEST_ADDR_FILE, ACPI_TABLES_FILE, 0, hestOffset, 8));
  }
  return {
    allocate: allocateCommand(HARDWARE_ERRORS_FILE, 8, LinkerLoaderZone.High),
    commands: cmds,
  };
}

/** The fw_cfg files a firmware needs for a machine whose only ACPI table is the HEST. */
export interface FirmwareFiles {
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly script: readonly LinkerLoaderCommand[];
}

/**
 * A minimal, self-contained boot: `etc/acpi/tables` holding just the HEST at `hestOffset`
 * (default 0), `etc/hardware_errors`, and the script ALLOCATE tables, ALLOCATE blob, then the
 * GHES commands. The simulator uses this; QEMU's own script has the other tables around it.
 * Built once per configuration and offset: the files and script are shared, treat them as
 * read-only (the firmware copies the files into guest memory).
 */
export function minimalFirmwareFiles(layout: MachineLayout, hestOffset = 0): FirmwareFiles {
  const shared = sharedOf.get(layout);
  let fw = shared?.firmware.get(hestOffset);
  if (fw === undefined) {
    fw = firmwareFilesOf(layout, hestOffset);
    if (shared !== undefined) {
      if (shared.firmware.size >= SHARED_LIMIT) shared.firmware.clear();
      shared.firmware.set(hestOffset, fw);
    }
  }
  return fw;
}

function firmwareFilesOf(layout: MachineLayout, hestOffset: number): FirmwareFiles {
  const tables = new Uint8Array(hestOffset + layout.hest.length);
  tables.set(layout.hest, hestOffset);
  const ghes = ghesLoaderCommands(layout, hestOffset);
  return {
    files: new Map([
      [ACPI_TABLES_FILE, tables],
      [HARDWARE_ERRORS_FILE, layout.hardwareErrors.slice()],
    ]),
    script: [
      ghes.allocate,
      allocateCommand(ACPI_TABLES_FILE, 64, LinkerLoaderZone.High),
      ...ghes.commands,
    ],
  };
}
