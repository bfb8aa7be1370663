// What field values mean, for the annotated-table output (table.ts): severity and notification
// names, validation bits spelled out, GUIDs named, addresses as page frames. Keys are
// `Structure.field` (as the decoders name them in the trace) or bare field names.

import { CPER_SECTION_DESCRIPTOR_SIZE, CperNotificationType } from './cper-record.js';
import { GasAccessSize, gasAddressSpaceName } from './gas.js';
import { GenericErrorDataValid, SectionFlag } from './generic-error-data.js';
import { decodeBlockStatus } from './generic-error-status.js';
import { hestSourceTypeName } from './hest.js';
import { HestNotificationType, hestNotificationName } from './hest-notification.js';
import { hex } from './hex.js';
import { VENDOR_SECTION_MEANINGS } from './meanings-vendor-sections.js';
import type { FieldTrace } from './reader.js';
import { rtasErrorLogMeanings } from './rtas.js';
import { registeredSections } from './section.js';
import {
  ARM_ERROR_TYPE_MASK,
  ArmContextType,
  ArmInfoFlags,
  ArmInfoValid,
  ArmValid,
  CPER_PROC_ERROR_TYPE_STRS,
} from './sections/arm-processor.js';
import { CcixPerValid } from './sections/ccix-per.js';
import {
  CxlAgentType,
  CxlEventSectionGuid,
  CxlEventValid,
  CxlProtocolErrorValid,
} from './sections/cxl.js';
import { DmarFaultReason } from './sections/dmar-generic.js';
import { FirmwareErrorRecordType } from './sections/firmware-error-reference.js';
import {
  Ia32X64ErrorInfoValid,
  Ia32X64ErrorType,
  Ia32X64RegisterContextType,
  Ia32X64Valid,
} from './sections/ia32x64.js';
import { MemoryValid, memoryErrorStatusName, memoryErrorTypeName } from './sections/memory.js';
import { Memory2Valid } from './sections/memory2.js';
import { PciBusErrorType, PciBusValid } from './sections/pci-bus.js';
import { PciComponentValid } from './sections/pci-component.js';
import { PciePortType, PcieValid } from './sections/pcie.js';
import {
  ProcessorErrorTypeBit,
  ProcessorGenericValid,
  ProcessorIsa,
  ProcessorOperation,
  ProcessorType,
} from './sections/processor-generic.js';
import { cperSeverityName } from './severity.js';
import type { MeaningFn, Meanings } from './table.js';

type Value = FieldTrace['value'];

/**
 * The tables merged into one object without a prototype, later ones winning. V8 keeps such an
 * object as a hash table from the start: spreading ~2,000 keys into an object literal instead
 * grows its hidden class one key at a time, which took most of the ~17 ms the tables cost.
 */
function dictionary<T>(...tables: Readonly<Record<string, T>>[]): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const table of tables) for (const key of Object.keys(table)) out[key] = table[key]!;
  return out;
}

/**
 * A table built by `build` the first time anything reads it (a key, its keys, a spread): the
 * meaning tables are large and only the annotated table uses them, so a command that prints JSON
 * or Linux lines never pays for building them at start-up.
 */
function lazyRecord<T extends object>(build: () => T): T {
  let table: T | undefined;
  const get = (): T => {
    table ??= build();
    return table;
  };
  return new Proxy({} as T, {
    get: (_, key) => Reflect.get(get(), key),
    set: (_, key, value) => Reflect.set(get(), key, value),
    has: (_, key) => Reflect.has(get(), key),
    ownKeys: () => Reflect.ownKeys(get()),
    getOwnPropertyDescriptor: (_, key) => {
      const d = Reflect.getOwnPropertyDescriptor(get(), key);
      // The (empty) proxy target lacks the key, so the descriptor must say configurable.
      return d === undefined ? undefined : { ...d, configurable: true };
    },
    defineProperty: (_, key, d) => Reflect.defineProperty(get(), key, d),
    deleteProperty: (_, key) => Reflect.deleteProperty(get(), key),
  });
}

/** Names of the set bits of `value` from a `{ Name: bit }` table; unknown bits as hex. */
export function bitNames(
  value: number | bigint,
  table: Readonly<Record<string, number | bigint>>,
): string {
  const v = BigInt(value);
  if (v === 0n) return 'none';
  const names: string[] = [];
  let known = 0n;
  for (const [name, bit] of Object.entries(table)) {
    known |= BigInt(bit);
    if ((v & BigInt(bit)) !== 0n) names.push(name);
  }
  const rest = v & ~known;
  if (rest !== 0n) names.push(`unknown ${hex(rest)}`);
  return names.join(' | ');
}

/** Names for GUIDs vras knows (section types, notification types), from formats.md §6. */
const GUID_NAMES: Readonly<Record<string, string>> = {
  '9876ccad-47b4-4bdb-b65e-16f193c4f3db': 'Processor Generic',
  'dc3ea0b0-a144-4797-b95b-53fa242b6e1d': 'IA32/X64 Processor',
  'e429faf1-3cb7-11d4-bca7-0080c73c8881': 'IPF Processor',
  'e19e3d16-bc11-11e4-9caa-c2051d5d46b0': 'ARM Processor',
  'a5bc1114-6f64-4ede-b863-3e83ed7c83b1': 'Platform Memory',
  '61ec04fc-48e6-d813-25c9-8daa44750b12': 'Platform Memory 2',
  'd995e954-bbc1-430f-ad91-b44dcb3c6f35': 'PCI Express',
  'c5753963-3b84-4095-bf78-eddad3f9c9dd': 'PCI/PCI-X Bus',
  'eb5e4685-ca66-4769-b6a2-26068b001326': 'PCI/PCI-X Component',
  '81212a96-09ed-4996-9471-8d729c8e69ed': 'Firmware Error Record Reference',
  '5b51fef7-c79d-4434-8f1b-aa62de3e2c64': 'DMAr Generic',
  '71761d37-32b2-45cd-a7d0-b0fedd93e8cf': 'Intel VT-d DMAr',
  '036f84e1-7f37-428c-a79e-575fdfaa84ec': 'IOMMU DMAr',
  '91335ef6-ebfb-4478-a6a6-88b728cf75d7': 'CCIX PER Log',
  '80b9efb4-52b5-4de3-a777-68784b771048': 'CXL Protocol Error',
  'fbcd0a77-c260-417f-85a9-088b1621eba6': 'CXL General Media Event',
  '601dcbb3-9c06-4eab-b8af-4e9bfb5c9624': 'CXL DRAM Event',
  'fe927475-dd59-4339-a586-79bab113b774': 'CXL Memory Module Event',
  'e71f3a40-2d29-4092-8a39-4d1c966c7c65': 'CXL Memory Sparing Event',
  '77cf9271-9c02-470b-9fe4-bc7b75f2da97': 'CXL Physical Switch Event',
  '40d26425-3396-4c4d-a5da-3d47263af425': 'CXL Virtual Switch Event',
  '8dc44363-0c96-4710-b7bf-04bb99534c3f': 'CXL MLD Port Event',
  'ca95afa7-f183-4018-8c2f-95268e101a2a': 'CXL Dynamic Capacity Event',
  '5e4706c1-5356-48c6-930b-52f2120a4458': 'AMD FRU Memory Poison',
  'bf32d4d5-b427-4025-8495-8a9e5d4030e4': 'Arm RAS Node',
  '00000000-0000-0000-0000-000000000000': 'nil',
  ...Object.fromEntries(
    Object.entries(CperNotificationType).map(([name, guid]) => [guid, `${name} notification`]),
  ),
};

export function guidName(value: Value): string | undefined {
  if (typeof value !== 'string') return undefined;
  const known = GUID_NAMES[value];
  if (known !== undefined) return known;
  const codec = registeredSections().find((c) => c.guid === value);
  return codec === undefined ? 'unknown GUID' : `${codec.kind} section`;
}

const num = (v: Value): number | undefined => (typeof v === 'number' ? v : undefined);
const big = (v: Value): bigint | undefined =>
  typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : undefined;

const severity = (v: Value) => (num(v) === undefined ? undefined : cperSeverityName(num(v)!));
const bits =
  (table: Readonly<Record<string, number | bigint>>) =>
  (v: Value): string | undefined => {
    const b = big(v);
    return b === undefined ? undefined : bitNames(b, table);
  };
const pageFrame = (v: Value) => {
  const b = big(v);
  return b === undefined || b === 0n ? undefined : `pfn ${hex(b >> 12n)}`;
};
const ACCESS_SIZE_NAMES = Object.fromEntries(Object.entries(GasAccessSize).map(([k, v]) => [v, k]));
const CONTEXT_NAMES = Object.fromEntries(Object.entries(ArmContextType).map(([k, v]) => [v, k]));

// ---------------------------------------------------------------------------------------------
// Section bodies. Every section codec reads its fields into a sub-reader named `section body`
// (or, for a bare section, the `section <GUID>` reader), so a field's meaning depends on the
// section's type: the row's section kind is found from the trace (the entry or descriptor that
// carries the body) and the meaning comes only from that kind's own table, never from a field
// of the same name in another structure (an ARM error type is not an RTAS one).

/** UEFI 2.10 Table N-5 Section Descriptor flags. */
const SECTION_DESCRIPTOR_FLAGS = {
  Primary: 0x1,
  ContainmentWarning: 0x2,
  Reset: 0x4,
  ErrorThresholdExceeded: 0x8,
  ResourceNotAccessible: 0x10,
  LatentError: 0x20,
  Propagated: 0x40,
  Overflow: 0x80,
} as const;

const rtasMeanings = (): Meanings =>
  Object.fromEntries(
    Object.entries(rtasErrorLogMeanings).flatMap(([field, fn]) =>
      ['RTAS error log', 'RTAS v6 header', 'RTAS MC section'].map((structure) => [
        `${structure}.${field}`,
        (v: Value, row: FieldTrace, trace: readonly FieldTrace[]) =>
          (fn as (v: unknown, row: FieldTrace, trace: readonly FieldTrace[]) => string)(
            v,
            row,
            trace,
          ) || undefined,
      ]),
    ),
  );

/** Names of an enumeration `{ Name: value }`, by value. */
function enumName(table: Readonly<Record<string, number>>): (v: Value) => string | undefined {
  const byValue = new Map(Object.entries(table).map(([k, n]) => [n, k]));
  return (v) => {
    const n = num(v);
    return n === undefined ? undefined : (byValue.get(n) ?? `reserved (${n})`);
  };
}

/** The validation bits of the section the row is in: its nearest `validation bits` field. */
function sectionValid(row: FieldTrace, trace: readonly FieldTrace[]): bigint | undefined {
  let vb: FieldTrace | undefined;
  for (const t of trace) {
    if (
      t.structure === row.structure &&
      t.field === 'validation bits' &&
      t.offset <= row.offset &&
      (vb === undefined || t.offset > vb.offset)
    ) {
      vb = t;
    }
  }
  return vb === undefined ? undefined : big(vb.value);
}

/** "valid" or "not valid" for a field governed by validation bit `bit` of its section. */
function validity(bit: bigint | number) {
  return (_v: Value, row: FieldTrace, trace: readonly FieldTrace[]) => {
    const valid = sectionValid(row, trace);
    if (valid === undefined) return undefined;
    return (valid & BigInt(bit)) !== 0n
      ? `valid (validation bit ${hex(BigInt(bit))})`
      : `not valid: validation bit ${hex(BigInt(bit))} is clear`;
  };
}

type SectionMeaningFn = (
  v: Value,
  row: FieldTrace,
  trace: readonly FieldTrace[],
) => string | undefined;

/** Adds the validity text to a field's own meaning. */
function also(bit: bigint | number, own?: (v: Value) => string | undefined): SectionMeaningFn {
  const val = validity(bit);
  return (v, row, trace) => {
    const o = own?.(v);
    const w = val(v, row, trace);
    return [o, w].filter((x) => x !== undefined && x !== '').join('; ') || undefined;
  };
}

const armErrorType = (v: Value): string | undefined => {
  const n = num(v);
  if (n === undefined) return undefined;
  // UEFI 2.9A/2.10 Table N-17: bit 1 cache, bit 2 TLB, bit 3 bus, bit 4 micro-architectural;
  // the names are Linux's cper_proc_error_type_strs.
  const names = CPER_PROC_ERROR_TYPE_STRS.filter((_, i) => (n & (2 << i)) !== 0);
  const reserved = n & ~ARM_ERROR_TYPE_MASK;
  return `${names.join(' | ') || 'no type bit'}${reserved ? ` (reserved bits ${hex(reserved, 2)})` : ''}`;
};

const memoryRows = (valid: Readonly<Record<string, bigint>>) => {
  const byName = (name: string) => valid[name] ?? 0n;
  const rows: Record<string, SectionMeaningFn> = {
    'validation bits': (v) => bits(valid)(v),
    'error status': also(byName('ErrorStatus'), (v) =>
      typeof v === 'bigint' ? memoryErrorStatusName(v) : undefined,
    ),
    'physical address': also(byName('PhysicalAddress'), pageFrame),
    'physical address mask': also(byName('PhysicalAddressMask')),
    node: also(byName('Node')),
    card: also(byName('Card')),
    module: also(byName('Module')),
    bank: also(byName('Bank')),
    device: also(byName('Device')),
    row: also(byName('Row')),
    column: also(byName('Column')),
    'bit position': also(byName('BitPosition')),
    'requestor id': also(byName('RequestorId')),
    'responder id': also(byName('ResponderId')),
    'target id': also(byName('TargetId')),
    'memory error type': also(byName('ErrorType'), (v) =>
      num(v) === undefined ? undefined : memoryErrorTypeName(num(v)!),
    ),
    'card handle': also(byName('CardHandle')),
    'module handle': also(byName('ModuleHandle')),
  };
  return rows;
};

/**
 * Validity for a field of the `prefix N` sub-structure (IA32/X64 error information N) from that
 * sub-structure's own `prefix N validation bits`.
 */
function subValidity(prefix: (i: number) => string, bit: bigint): SectionMeaningFn {
  return (_v, row, trace) => {
    const m = /(\d+)/.exec(row.field);
    if (m === null) return undefined;
    const vb = trace.find(
      (t) => t.structure === row.structure && t.field === `${prefix(Number(m[1]))} validation bits`,
    );
    const valid = vb === undefined ? undefined : big(vb.value);
    if (valid === undefined) return undefined;
    return (valid & bit) !== 0n
      ? `valid (validation bit ${hex(bit)})`
      : `not valid: validation bit ${hex(bit)} is clear`;
  };
}

const IA32X64_ERROR_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(Ia32X64ErrorType).map(([k, g]) => [g, `${k} error (Table N-21)`]),
);

/** IA32/X64 error information and context structures carry their index in the field name. */
function ia32x64Indexed(): Record<string, SectionMeaningFn> {
  const out: Record<string, SectionMeaningFn> = {};
  const info = (i: number) => `error information ${i}`;
  for (let i = 0; i < 64; i++) {
    out[`${info(i)} validation bits`] = (v) => bits(Ia32X64ErrorInfoValid)(v);
    out[`${info(i)} error structure type`] = (v) =>
      typeof v === 'string' ? (IA32X64_ERROR_NAMES[v] ?? 'unknown error structure') : undefined;
    out[`${info(i)} check information`] = subValidity(info, Ia32X64ErrorInfoValid.CheckInfo);
    out[`${info(i)} target id`] = subValidity(info, Ia32X64ErrorInfoValid.TargetId);
    out[`${info(i)} requestor id`] = subValidity(info, Ia32X64ErrorInfoValid.RequestorId);
    out[`${info(i)} responder id`] = subValidity(info, Ia32X64ErrorInfoValid.ResponderId);
    out[`${info(i)} instruction pointer`] = subValidity(
      info,
      Ia32X64ErrorInfoValid.InstructionPointer,
    );
    out[`context information ${i} register context type`] = (v) =>
      enumName(Ia32X64RegisterContextType)(v);
  }
  return out;
}

/** Builds SECTION_MEANINGS (on first use: only the annotated table needs it). */
function buildSectionMeanings(): Record<string, Readonly<Record<string, SectionMeaningFn>>> {
  const SECTION_MEANINGS: Record<string, Readonly<Record<string, SectionMeaningFn>>> = {
    // Platform Memory (formats.md §7, UEFI 2.10 §N.2.5).
    memory: {
      ...memoryRows(MemoryValid),
      'rank number': also(MemoryValid.RankNumber),
      extended: also(MemoryValid.RowExtension | MemoryValid.ChipId, (v) => {
        const n = num(v);
        return n === undefined
          ? undefined
          : `row bits 17:16 = ${n & 0x3}, chip id ${(n >> 5) & 0x7}`;
      }),
    },
    // Platform Memory 2 (UEFI 2.10 §N.2.6).
    memory2: {
      ...memoryRows(Memory2Valid),
      rank: also(Memory2Valid.Rank),
      'chip id': also(Memory2Valid.ChipId),
      status: also(Memory2Valid.Status),
    },
    // ARM processor (formats.md §8, UEFI 2.10 §N.2.4.4).
    arm: {
      'validation bits': (v) => bits(ArmValid)(v),
      'error information validation bits': (v) => bits(ArmInfoValid)(v),
      'error type': (v) => armErrorType(v),
      flags: (v) => bits(ArmInfoFlags)(v),
      'multiple error': (v) => (num(v) === undefined ? undefined : `${num(v)! + 1} errors`),
      'physical fault address': (v) => pageFrame(v),
      'register context type': (v) => CONTEXT_NAMES[num(v) ?? -1] ?? 'reserved',
      'error affinity level': (v) =>
        num(v) === undefined ? undefined : `affinity level ${num(v)}`,
      'running state': (v) =>
        num(v) === undefined ? undefined : num(v)! & 1 ? 'running' : 'not running',
    },
    // PCI Express (formats.md §10, UEFI 2.10 §N.2.7).
    pcie: {
      'validation bits': (v) => bits(PcieValid)(v),
      'port type': also(PcieValid.PortType, enumName(PciePortType)),
      'version major': also(PcieValid.Version),
      'version minor': also(PcieValid.Version),
      command: also(PcieValid.CommandStatus),
      status: also(PcieValid.CommandStatus),
      'vendor id': also(PcieValid.DeviceId),
      'device id': also(PcieValid.DeviceId),
      'class code': also(PcieValid.DeviceId),
      function: also(PcieValid.DeviceId),
      device: also(PcieValid.DeviceId),
      segment: also(PcieValid.DeviceId),
      bus: also(PcieValid.DeviceId),
      'secondary bus': also(PcieValid.DeviceId),
      slot: also(PcieValid.DeviceId),
      'serial number lower': also(PcieValid.SerialNumber),
      'serial number upper': also(PcieValid.SerialNumber),
      'bridge secondary status': also(PcieValid.BridgeControlStatus),
      'bridge control': also(PcieValid.BridgeControlStatus),
      'capability structure': also(PcieValid.Capability),
      'AER info': also(PcieValid.AerInfo),
    },
    // Processor Generic (UEFI 2.10 §N.2.4.1).
    'processor-generic': {
      'validation bits': (v) => bits(ProcessorGenericValid)(v),
      'processor type': also(ProcessorGenericValid.Type, enumName(ProcessorType)),
      'processor ISA': also(ProcessorGenericValid.Isa, enumName(ProcessorIsa)),
      'processor error type': also(ProcessorGenericValid.ErrorType, (v) =>
        bits(ProcessorErrorTypeBit)(v),
      ),
      operation: also(ProcessorGenericValid.Operation, enumName(ProcessorOperation)),
      flags: also(ProcessorGenericValid.Flags),
      level: also(ProcessorGenericValid.Level),
      'CPU version info': also(ProcessorGenericValid.Version),
      'CPU brand string': also(ProcessorGenericValid.BrandInfo),
      'processor id': also(ProcessorGenericValid.Id),
      'target address': also(ProcessorGenericValid.TargetAddress),
      'requestor id': also(ProcessorGenericValid.RequestorId),
      'responder id': also(ProcessorGenericValid.ResponderId),
      'instruction IP': also(ProcessorGenericValid.Ip),
    },
    // Firmware Error Record Reference (UEFI 2.10 §N.2.10).
    'firmware-error-reference': {
      'firmware error record type': (v) => enumName(FirmwareErrorRecordType)(v),
    },
  };
  Object.assign(SECTION_MEANINGS, {
    // IA32/X64 processor (UEFI 2.10 §N.2.4.2).
    ia32x64: {
      'validation bits': (v: Value) => bits(Ia32X64Valid)(v),
      'local APIC id': also(Ia32X64Valid.LocalApicId),
      'CPUID info': also(Ia32X64Valid.CpuidInfo),
      ...ia32x64Indexed(),
    },
    // PCI/PCI-X bus (UEFI 2.10 §N.2.8).
    'pci-bus': {
      'validation bits': (v: Value) => bits(PciBusValid)(v),
      'error status': also(PciBusValid.ErrorStatus),
      'error type': also(PciBusValid.ErrorType, enumName(PciBusErrorType)),
      'bus id': also(PciBusValid.BusId),
      'bus address': also(PciBusValid.BusAddress),
      'bus data': also(PciBusValid.BusData),
      'bus command': also(PciBusValid.BusCommand),
      'requestor id': also(PciBusValid.RequestorId),
      'completer id': also(PciBusValid.CompleterId),
      'target id': also(PciBusValid.TargetId),
    },
    // PCI/PCI-X component (UEFI 2.10 §N.2.9).
    'pci-component': {
      'validation bits': (v: Value) => bits(PciComponentValid)(v),
      'error status': also(PciComponentValid.ErrorStatus),
      'vendor id': also(PciComponentValid.IdInfo),
      'device id': also(PciComponentValid.IdInfo),
      'class code': also(PciComponentValid.IdInfo),
      'function number': also(PciComponentValid.IdInfo),
      'device number': also(PciComponentValid.IdInfo),
      'bus number': also(PciComponentValid.IdInfo),
      'segment number': also(PciComponentValid.IdInfo),
      'memory number': also(PciComponentValid.MemoryNumber),
      'IO number': also(PciComponentValid.IoNumber),
    },
    // DMAr generic (UEFI 2.10 §N.2.11.1).
    'dmar-generic': {
      'fault reason': (v: Value) => enumName(DmarFaultReason)(v),
      // Table N-40: 0 DMA write, 1 DMA read; 0 untranslated request, 1 translation request.
      'access type': (v: Value) => (v === 0 ? 'DMA write' : v === 1 ? 'DMA read' : 'reserved'),
      'address type': (v: Value) =>
        v === 0 ? 'untranslated request' : v === 1 ? 'translation request' : 'reserved',
    },
    // CXL protocol error (UEFI 2.10 §N.2.13).
    'cxl-protocol-error': {
      'validation bits': (v: Value) => bits(CxlProtocolErrorValid)(v),
      'agent type': also(CxlProtocolErrorValid.AgentType, enumName(CxlAgentType)),
      'agent address': also(CxlProtocolErrorValid.AgentAddress),
      'vendor id': also(CxlProtocolErrorValid.DeviceId),
      'device id': also(CxlProtocolErrorValid.DeviceId),
      'subsystem vendor id': also(CxlProtocolErrorValid.DeviceId),
      'subsystem id': also(CxlProtocolErrorValid.DeviceId),
      'class code': also(CxlProtocolErrorValid.DeviceId),
      slot: also(CxlProtocolErrorValid.DeviceId),
      'serial number lower': also(CxlProtocolErrorValid.SerialNumber),
      'serial number upper': also(CxlProtocolErrorValid.SerialNumber),
      'capability structure': also(CxlProtocolErrorValid.Capability),
      'CXL DVSEC': also(CxlProtocolErrorValid.DvsecLog),
      'CXL error log': also(CxlProtocolErrorValid.ErrorLog),
    },
  });

  /** CXL component event header (UEFI 2.10 §N.2.14), the same for every event kind. */
  const CXL_EVENT: Readonly<Record<string, SectionMeaningFn>> = {
    'validation bits': (v) => bits(CxlEventValid)(v),
    'vendor id': also(CxlEventValid.DeviceId),
    'device id': also(CxlEventValid.DeviceId),
    'function number': also(CxlEventValid.DeviceId),
    'device number': also(CxlEventValid.DeviceId),
    'bus number': also(CxlEventValid.DeviceId),
    'segment number': also(CxlEventValid.DeviceId),
    'slot number': also(CxlEventValid.DeviceId),
    'serial number lower': also(CxlEventValid.SerialNumber),
    'serial number upper': also(CxlEventValid.SerialNumber),
    'CXL event record': also(CxlEventValid.EventLog),
  };
  for (const kind of Object.keys(CxlEventSectionGuid)) SECTION_MEANINGS[kind] = CXL_EVENT;
  // CCIX PER log (UEFI 2.10 §N.2.12).
  SECTION_MEANINGS['ccix-per'] = {
    'validation bits': (v) => bits(CcixPerValid)(v),
    'CCIX source id': also(CcixPerValid.SourceId),
    'CCIX port id': also(CcixPerValid.PortId),
    'CCIX PER log': also(CcixPerValid.PerLog),
  };

  Object.assign(SECTION_MEANINGS, VENDOR_SECTION_MEANINGS);
  return SECTION_MEANINGS;
}

/** Each section kind's own meanings, by field name as its codec traces it. */
export const SECTION_MEANINGS: Readonly<
  Record<string, Readonly<Record<string, SectionMeaningFn>>>
> = lazyRecord(buildSectionMeanings);

/** Every field name of every section kind's table. */
let sectionFieldNames: readonly string[] | undefined;
function sectionFields(): readonly string[] {
  sectionFieldNames ??= [
    ...new Set(Object.values(SECTION_MEANINGS).flatMap((t) => Object.keys(t))),
  ];
  return sectionFieldNames;
}

/** The section type GUID and body start for a `section body` row, from the trace. */
export function sectionOfRow(
  row: FieldTrace,
  trace: readonly FieldTrace[],
): { guid: string; start: number } | undefined {
  // A CPER record: descriptors say where each body is (offsets from the record's start, 0 here).
  const offsets = trace.filter(
    (t) => t.structure === 'CPER record' && t.field === 'section offset',
  );
  for (const o of offsets) {
    const len = trace.find(
      (t) =>
        t.structure === 'CPER record' && t.field === 'section length' && t.offset === o.offset + 4,
    );
    const type = trace.find(
      (t) =>
        t.structure === 'CPER record' && t.field === 'section type' && t.offset === o.offset + 16,
    );
    const start = num(o.value);
    const length = len === undefined ? undefined : num(len.value);
    if (start === undefined || length === undefined || typeof type?.value !== 'string') continue;
    if (row.offset >= start && row.offset < start + length) return { guid: type.value, start };
  }
  // A status block entry or a section with its descriptor: the nearest section type before it.
  let best: FieldTrace | undefined;
  for (const t of trace) {
    if (
      t.field === 'section type' &&
      (t.structure === 'Generic Error Data Entry' || t.structure === 'section descriptor') &&
      t.offset < row.offset &&
      (best === undefined || t.offset > best.offset)
    ) {
      best = t;
    }
  }
  if (best === undefined || typeof best.value !== 'string') return undefined;
  const first = trace
    .filter((t) => t.structure === row.structure && t.offset > best!.offset)
    .reduce((m, t) => Math.min(m, t.offset), Number.POSITIVE_INFINITY);
  return { guid: best.value, start: first };
}

/** The meaning of a field of a section of type `guid` whose body starts at `start`. */
export function sectionMeaning(
  guid: string,
  field: string,
  v: Value,
  row: FieldTrace,
  trace: readonly FieldTrace[],
): string | undefined {
  const kind = registeredSections().find((c) => c.guid === guid)?.kind;
  const fn = kind === undefined ? undefined : SECTION_MEANINGS[kind]?.[field];
  return fn?.(v, row, trace);
}

function sectionBodyMeaning(field: string): MeaningFn {
  return (v, row, trace) => {
    const s = sectionOfRow(row, trace);
    return s === undefined ? undefined : sectionMeaning(s.guid, field, v, row, trace);
  };
}

/**
 * CODEC_MEANINGS plus the fields of a bare section read by a reader named `structure`
 * (`section <GUID>`, as `vras decode --as section` names it).
 */
export function meaningsForBareSection(structure: string, guid: string): Meanings {
  return dictionary(
    CODEC_MEANINGS,
    Object.fromEntries(
      sectionFields().map((f) => [
        `${structure}.${f}`,
        ((v, row, trace) => sectionMeaning(guid, f, v, row, trace)) satisfies MeaningFn,
      ]),
    ),
  );
}

/** Meanings for every structure the codec decodes (built on first use). */
export const CODEC_MEANINGS: Meanings = lazyRecord(
  (): Meanings =>
    dictionary(
      rtasMeanings(),
      {
        // GHES status block and entries (formats.md §4).
        'GHES status block.block status': (v) => {
          const n = num(v);
          if (n === undefined) return undefined;
          if (n === 0) return 'no record present (Linux ignores the block, never acks)';
          const f = decodeBlockStatus(n);
          const names = [
            f.uncorrectable && 'uncorrectable',
            f.correctable && 'correctable',
            f.multipleUncorrectable && 'multiple uncorrectable',
            f.multipleCorrectable && 'multiple correctable',
          ].filter(Boolean);
          return `${names.join(', ') || 'no valid bit'}; ${f.entryCount} entries${f.reserved ? `; reserved ${hex(f.reserved)}` : ''}`;
        },
        'GHES status block.error severity': severity,
        'Generic Error Data Entry.error severity': severity,
        'Generic Error Data Entry.section type': guidName,
        'Generic Error Data Entry.FRU id': guidName,
        'Generic Error Data Entry.revision': (v) =>
          num(v) === undefined
            ? undefined
            : num(v)! >> 8 >= 3
              ? '72-byte header with timestamp'
              : '64-byte header',
        'Generic Error Data Entry.validation bits': bits(GenericErrorDataValid),
        'Generic Error Data Entry.flags': bits(SectionFlag),
        'Generic Error Data Entry.timestamp flags': (v) => (num(v)! & 1 ? 'precise' : 'imprecise'),
        // CPER record (formats.md §5).
        'CPER record.error severity': severity,
        'CPER record.notification type': guidName,
        'CPER record.section type': guidName,
        'CPER record.section severity': severity,
        'CPER record.section flags': bits(SECTION_DESCRIPTOR_FLAGS),
        // A section with its own descriptor (section-with-descriptor.ts).
        'section descriptor.section type': guidName,
        'section descriptor.section severity': severity,
        'section descriptor.FRU id': guidName,
        'section descriptor.section flags': bits(SECTION_DESCRIPTOR_FLAGS),
        'section descriptor.section offset': (v) =>
          v === CPER_SECTION_DESCRIPTOR_SIZE ? 'the body follows the descriptor' : undefined,
      },
      // Section bodies: by the section's own kind (sectionMeaning below).
      Object.fromEntries(sectionFields().map((f) => [`section body.${f}`, sectionBodyMeaning(f)])),
      // In a status block a body's reader is named after its kind (`memory section`).
      Object.fromEntries(
        Object.entries(SECTION_MEANINGS).flatMap(([kind, table]) =>
          Object.entries(table).map(([f, fn]) => [`${kind} section.${f}`, fn satisfies MeaningFn]),
        ),
      ),
      {
        // HEST (formats.md §3) and its embedded structures.
        'HEST.signature': (v) => (v === 'HEST' ? 'Hardware Error Source Table' : 'not a HEST'),
        type: (v) => (num(v) === undefined ? undefined : hestSourceTypeName(num(v)!)),
        'Notification.type': (v) =>
          num(v) === undefined ? undefined : hestNotificationName(num(v)!),
        'Notification.pollInterval': (v, row, trace) => {
          const type = trace.find(
            (t) =>
              t.structure === 'Notification' && t.field === 'type' && t.offset === row.offset - 4,
          );
          return type?.value === HestNotificationType.Polled ? `${String(v)} ms` : undefined;
        },
        relatedSourceId: (v) => (v === 0xffff ? 'none' : undefined),
        enabled: (v) =>
          v === 0 ? 'disabled (Linux skips the source)' : v === 1 ? 'enabled' : undefined,
        addressSpaceId: (v) => (num(v) === undefined ? undefined : gasAddressSpaceName(num(v)!)),
        accessSize: (v) => ACCESS_SIZE_NAMES[num(v) ?? -1],
        'Error Status Address.address': () => 'register holding the status block address',
        'Read Ack Register.address': () => 'register the guest acknowledges through',
        errorStatusBlockLength: (v) =>
          num(v)! < 20 ? 'below 20: Linux refuses the source' : undefined,
      },
    ),
);
