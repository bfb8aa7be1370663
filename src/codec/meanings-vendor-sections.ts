// Table meanings for the section kinds whose fields meanings.ts left blank: Arm RAS node, Intel
// VT-d DMAr, NVIDIA, NVIDIA event. Each meaning comes from the section's own structure, with the
// names libcper's converters give (openbmc/libcper, the version that made the reference corpus)
// and the layouts of Arm DEN0085 (RAS node CPER) and the Intel VT-d specification (fault
// recording register). meanings.ts merges these tables into SECTION_MEANINGS.
//
// The IOMMU DMAr section's event log entry is read as the AMD IOMMU specification lays it out
// (event code in bits 63:60, device id in bits 15:0), named as Linux's amd/iommu.c prints it.
//
// Left without meanings, on purpose: the Ampere header (libcper names none of its ids), the
// other IOMMU fields (libcper prints the registers raw and the entries as base64), registers
// that are raw hardware values (ERR<n>*, page table entries, capability registers).

import { hex } from './hex.js';
import type { FieldTrace } from './reader.js';

type Value = FieldTrace['value'];
type SectionMeaningFn = (
  v: Value,
  row: FieldTrace,
  trace: readonly FieldTrace[],
) => string | undefined;

const num = (v: Value): number | undefined => (typeof v === 'number' ? v : undefined);

/** A name from a list indexed by value; values past the list are reserved. */
function listName(names: readonly string[]): (v: Value) => string | undefined {
  return (v) => {
    const n = num(v);
    if (n === undefined) return undefined;
    return names[n] ?? `reserved (${n})`;
  };
}

/** ASCII text of NUL-padded bytes, up to the first NUL. */
function asciiz(v: Value): string | undefined {
  if (!(v instanceof Uint8Array)) return undefined;
  let s = '';
  for (const b of v) {
    if (b === 0) break;
    s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return `"${s}"`;
}

/** The nearest field named `field` before `row` in the same structure (the same section). */
function previous(
  row: FieldTrace,
  trace: readonly FieldTrace[],
  field: string,
): FieldTrace | undefined {
  let best: FieldTrace | undefined;
  for (const t of trace) {
    if (
      t.structure === row.structure &&
      t.field === field &&
      t.offset < row.offset &&
      (best === undefined || t.offset > best.offset)
    ) {
      best = t;
    }
  }
  return best;
}

/** Keys `${prefix(i)} ${suffix}` for the first `count` indexes. */
function indexed(
  count: number,
  make: (i: number) => Record<string, SectionMeaningFn>,
): Record<string, SectionMeaningFn> {
  const out: Record<string, SectionMeaningFn> = {};
  for (let i = 0; i < count; i++) Object.assign(out, make(i));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Arm RAS node (DEN0085 Tables 20–24; libcper cper-section-arm-ras.c names).

/** DEN0085 component types, libcper's `componentType` names. */
export const ARM_RAS_COMPONENT_TYPES = [
  'ProcessorErrorNode',
  'MemoryErrorNode',
  'SMMUErrorNode',
  'VendorDefinedErrorNode',
  'GICErrorNode',
  'PciExpressErrorNode',
  'ProxyErrorNode',
] as const;
/** DEN0085 IP instance formats, libcper's `ipInstanceFormat` names. */
export const ARM_RAS_IP_INSTANCE_FORMATS = [
  'PE',
  'SystemPhysicalAddress',
  'LocalAddressIdentifier',
  'SocSpecificIpIdentifier',
] as const;
/** DEN0085 IP type formats, libcper's `ipTypeFormat` names. */
export const ARM_RAS_IP_TYPE_FORMATS = ['PE', 'SMMU_IIDR', 'GIC_IIDR', 'PIDR'] as const;
/** Auxiliary context flags bit 0, libcper's `addressSpaceIdentifierScope` names. */
export const ARM_RAS_ADDRESS_SPACE_SCOPES = [
  'SystemPhysicalAddressSpace',
  'LocalAddressSpace',
] as const;
/** DEN0085's key for the MPAM PARTID key-value pair. */
const MPAM_PARTID_KEY = 'ebb45182-fb03-4bf9-9aca-8613709fd789';

/** Indexed rows past this many syndromes, contexts or pairs get no meaning. */
const MAX_INDEXED = 64;

const ARM_RAS: Record<string, SectionMeaningFn> = {
  revision: (v) =>
    v === 1 ? 'revision 1 (DEN0085)' : `unsupported revision ${String(v)} (DEN0085 defines 1)`,
  'component type': listName(ARM_RAS_COMPONENT_TYPES),
  'IP instance format': listName(ARM_RAS_IP_INSTANCE_FORMATS),
  'IP type format': listName(ARM_RAS_IP_TYPE_FORMATS),
  'user data': asciiz,
  ...indexed(MAX_INDEXED, (i) => ({
    // Bits 7:4 the RAS extension revision field, bits 3:0 the architecture version.
    [`error record ${i} RAS extension revision`]: (v) => {
      const n = num(v);
      return n === undefined
        ? undefined
        : `revision field ${n >> 4}, architecture version ${n & 0xf}`;
    },
    [`auxiliary context ${i} flags`]: (v) => {
      const n = num(v);
      if (n === undefined) return undefined;
      const scope = ARM_RAS_ADDRESS_SPACE_SCOPES[n & 1]!;
      return n & ~1 ? `${scope}; reserved bits ${hex(n & ~1, 4)}` : scope;
    },
    [`key-value pair ${i} key`]: (v) =>
      typeof v !== 'string' ? undefined : v === MPAM_PARTID_KEY ? 'MPAM PARTID' : 'vendor key',
    [`key-value pair ${i} value`]: (v, row, trace) => {
      const key = previous(row, trace, `key-value pair ${i} key`);
      if (key?.value !== MPAM_PARTID_KEY || typeof v !== 'bigint') return undefined;
      return `MPAM PARTID ${Number(v & 0xffffn)}`;
    },
  })),
};

// ---------------------------------------------------------------------------------------------
// Intel VT-d DMAr (VT-d spec §11.4.14 Fault Recording Registers; libcper EFI_VTD_FAULT_RECORD).

/** The fault recording register's fields, as libcper's `faultRecord` names them. */
export interface VtdFaultRecord {
  readonly faultInformation: bigint;
  readonly sourceIdentifier: number;
  readonly privilegeModeRequested: boolean;
  readonly executePermissionRequested: boolean;
  readonly pasidPresent: boolean;
  readonly faultReason: number;
  readonly pasidValue: number;
  readonly addressType: number;
  /** T1: 0 write request, 1 read or AtomicOp request. */
  readonly type: number;
}

/** libcper's names for T1 (VTD_FAULT_RECORD_TYPES). */
export const VTD_FAULT_TYPES = ['Write Request', 'Read/AtomicOp Request'] as const;

/** The 128-bit fault recording register (little-endian bytes) split into its fields. */
export function vtdFaultRecord(b: Uint8Array): VtdFaultRecord | undefined {
  if (b.length !== 16) return undefined;
  let lo = 0n;
  let hi = 0n;
  for (let i = 7; i >= 0; i--) lo = (lo << 8n) | BigInt(b[i]!);
  for (let i = 15; i >= 8; i--) hi = (hi << 8n) | BigInt(b[i]!);
  const bit = (n: number) => ((hi >> BigInt(n - 64)) & 1n) === 1n;
  const field = (from: number, width: number) =>
    Number((hi >> BigInt(from - 64)) & ((1n << BigInt(width)) - 1n));
  return {
    faultInformation: lo >> 12n,
    sourceIdentifier: field(64, 16),
    privilegeModeRequested: bit(93),
    executePermissionRequested: bit(94),
    pasidPresent: bit(95),
    faultReason: field(96, 8),
    pasidValue: field(104, 20),
    addressType: field(124, 2),
    type: field(126, 1),
  };
}

const DMAR_VTD: Record<string, SectionMeaningFn> = {
  'fault record': (v) => {
    if (!(v instanceof Uint8Array)) return undefined;
    const f = vtdFaultRecord(v);
    if (f === undefined) return undefined;
    const sid = f.sourceIdentifier;
    const bdf = `${hex(sid >> 8, 2).slice(2)}:${hex((sid >> 3) & 0x1f, 2).slice(2)}.${sid & 7}`;
    return [
      VTD_FAULT_TYPES[f.type],
      `source id ${hex(sid, 4)} (${bdf})`,
      `fault reason ${hex(f.faultReason, 2)}`,
      `address type ${f.addressType}`,
      f.pasidPresent ? `PASID ${hex(f.pasidValue, 5)}` : 'no PASID',
      f.privilegeModeRequested ? 'privileged' : undefined,
      f.executePermissionRequested ? 'execute' : undefined,
      `fault information ${hex(f.faultInformation << 12n)}`,
    ]
      .filter((x) => x !== undefined)
      .join(', ');
  },
};

// ---------------------------------------------------------------------------------------------
// IOMMU DMAr (AMD IOMMU specification, event log; Linux drivers/iommu/amd iommu_print_event).

/** Event codes 1–9 by the names Linux prints them with (`Event logged [NAME …]`). */
export const AMD_IOMMU_EVENT_NAMES: Readonly<Record<number, string>> = {
  1: 'ILLEGAL_DEV_TABLE_ENTRY',
  2: 'IO_PAGE_FAULT',
  3: 'DEV_TAB_HARDWARE_ERROR',
  4: 'PAGE_TAB_HARDWARE_ERROR',
  5: 'ILLEGAL_COMMAND_ERROR',
  6: 'COMMAND_HARDWARE_ERROR',
  7: 'IOTLB_INV_TIMEOUT',
  8: 'INVALID_DEVICE_REQUEST',
  9: 'INVALID_PPR_REQUEST',
};

const two = (n: number) => n.toString(16).padStart(2, '0');

const DMAR_IOMMU: Record<string, SectionMeaningFn> = {
  'event log entry': (v) => {
    if (!(v instanceof Uint8Array) || v.length !== 16) return undefined;
    const code = v[7]! >> 4; // event[1] bits 31:28
    const devid = v[0]! | (v[1]! << 8); // event[0] bits 15:0
    const name = AMD_IOMMU_EVENT_NAMES[code] ?? `event code ${code}`;
    return `${name} device=${two(devid >> 8)}:${two((devid >> 3) & 0x1f)}.${devid & 7}`;
  },
};

// ---------------------------------------------------------------------------------------------
// NVIDIA (libcper cper-section-nvidia.c) and NVIDIA event (cper-section-nvidia-events.c).

/** CPER severities as libcper names them (CPER_SEVERITY_TYPES); NVIDIA's severity uses them. */
export const LIBCPER_SEVERITY_NAMES = ['Recoverable', 'Fatal', 'Corrected', 'Informational'];
/** libcper's NVIDIA_EVENT_SRC_DEV names. */
export const NVIDIA_EVENT_SOURCE_DEVICES = ['CPU', 'GPU', 'DPU', 'NIC', 'SWX', 'BMC'] as const;

const NVIDIA: Record<string, SectionMeaningFn> = {
  signature: asciiz,
  severity: listName(LIBCPER_SEVERITY_NAMES),
};

const NVIDIA_EVENT: Record<string, SectionMeaningFn> = {
  signature: asciiz,
  'source device type': listName(NVIDIA_EVENT_SOURCE_DEVICES),
  // Major version in the high byte, minor in the low byte.
  'info version': (v) => {
    const n = num(v);
    return n === undefined ? undefined : `version ${n >> 8}.${n & 0xff}`;
  },
};

/** The tables by section kind (the codec's `kind`). */
export const VENDOR_SECTION_MEANINGS: Readonly<
  Record<string, Readonly<Record<string, SectionMeaningFn>>>
> = {
  'arm-ras': ARM_RAS,
  'dmar-vtd': DMAR_VTD,
  'dmar-iommu': DMAR_IOMMU,
  nvidia: NVIDIA,
  'nvidia-event': NVIDIA_EVENT,
};
