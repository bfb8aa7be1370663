// CXL sections (UEFI 2.10 Appendix N.2.13 and N.2.14; Linux `struct cper_sec_prot_err` in
// drivers/firmware/efi/cper_cxl.h and `struct cxl_cper_event_rec` in include/linux/cxl-event.h).
// GUIDs: formats.md §6.1.
//
// Protocol Error (116-byte header, then DVSEC Length bytes of the CXL DVSEC and Error Log Length
// bytes of the error log, then anything else as `trailing`):
// | 0 | 8 | Validation Bits | 8 | 1 | Agent Type | 9 | 7 | Reserved |
// | 16 | 8 | Agent Address (RCRB base, or function, device, bus, segment u16, 3 reserved) |
// | 24 | 16 | Device Id: vendor u16, device u16, subsystem vendor u16, subsystem u16, class code 2, slot u16, reserved 4 |
// | 40 | 8 | Device Serial Number (lower u32, upper u32) | 48 | 60 | Capability Structure |
// | 108 | 2 | CXL DVSEC Length | 110 | 2 | CXL Error Log Length | 112 | 4 | Reserved |
//
// Component events (32-byte CPER header, then the CXL event record: its 48-byte Common Event
// Record header (CXL 3.1 §8.2.9.2.1) decoded when the body holds one, the event-specific data
// after it kept as bytes):
// | 0 | 4 | Length | 4 | 8 | Validation Bits |
// | 12 | 12 | Device Id: vendor u16, device u16, function u8, device u8, bus u8, segment u16, slot u16, reserved u8 |
// | 24 | 8 | Device Serial Number (lower u32, upper u32) | 32 | … | CXL event record |
//
// What Linux prints (checked in drivers/firmware/efi/cper.c `cper_estatus_print_section` and
// cper_cxl.c, upstream up to v7.x):
// - 6.1 knows none of these GUIDs: all print as unknown sections (`section type: unknown, %pUl`,
//   length, hex dump).
// - From 6.2 the CXL Protocol Error section prints `section_type: CXL Protocol Error` and, when at
//   least 116 bytes long, `cper_print_prot_err()` (renamed `cxl_cper_print_prot_err()` when the
//   structs moved to include/cxl/event.h; the text is the same in 6.12 and 7.x). The CXL Error Log
//   lines were added in 6.3 (`efi/cper, cxl: Decode CXL Error Log`), so 6.12 and 7.3 print them.
//   The printer lives here (`printCxlProtocolErrorSectionLinux`); linux-format.ts decides per
//   kernel whether it runs, so `linuxName` stays undefined (it is kernel-dependent).
// - No kernel names the component event sections (General Media, DRAM, Memory Module, …):
//   `cper_estatus_print_section()` has no branch for them in any release up to 7.x, so they print
//   as unknown sections with a hex dump. ghes.c (6.9+) only forwards General Media, DRAM and
//   Memory Module to the CXL driver (`cxl_cper_post_event`), which prints nothing in the record.
//   (A 2022 RFC added `cper_print_gen_media()` with a `section_type:` line; it was not merged.)

import { CodecError, CodecErrorCode } from '../errors.js';
import type { Guid } from '../guid.js';
import { ByteReader } from '../reader.js';
import { registerSection, type SectionCodec, type SectionPrintContext } from '../section.js';
import { ByteWriter } from '../writer.js';
import { linuxHexDumpLines } from './arm-processor.js';
import { type LayoutValue, readLayout, writeLayout } from './layout.js';

export const CXL_PROTOCOL_ERROR_SECTION_GUID = '80b9efb4-52b5-4de3-a777-68784b771048';
export const CXL_PROTOCOL_ERROR_SECTION_SIZE = 116;
export const CXL_CAPABILITY_SIZE = 60;
export const CXL_EVENT_HEADER_SIZE = 32;

/** Protocol Error validation bits (Linux `PROT_ERR_VALID_*`). */
export const CxlProtocolErrorValid = {
  AgentType: 0x1n,
  AgentAddress: 0x2n,
  DeviceId: 0x4n,
  SerialNumber: 0x8n,
  Capability: 0x10n,
  DvsecLog: 0x20n,
  ErrorLog: 0x40n,
} as const;

/** Agent types (Linux `enum cper_sec_prot_err_agent_type` in cper_cxl.c). */
export const CxlAgentType = {
  RcdDevice: 0,
  RchDownstreamPort: 1,
  Device: 2,
  LogicalDevice: 3,
  FabricManagedDevice: 4,
  RootPort: 5,
  DownstreamSwitchPort: 6,
  UpstreamSwitchPort: 7,
} as const;

export type CxlProtocolErrorSection = {
  readonly kind: 'cxl-protocol-error';
  readonly validationBits: bigint;
  readonly agentType: number;
  readonly reserved: Uint8Array;
  /** The 8-byte union as a u64 (RCRB base address, or function/device/bus/segment). */
  readonly agentAddress: bigint;
  readonly vendorId: number;
  readonly deviceId: number;
  readonly subsystemVendorId: number;
  readonly subsystemId: number;
  readonly classCode: Uint8Array;
  readonly slot: number;
  readonly deviceIdReserved: Uint8Array;
  readonly serialNumberLower: number;
  readonly serialNumberUpper: number;
  readonly capability: Uint8Array;
  readonly reserved2: Uint8Array;
  /** CXL DVSEC bytes; DVSEC Length is their length, computed on encode. */
  readonly dvsec: Uint8Array;
  /** CXL error log bytes; Error Log Length is their length, computed on encode. */
  readonly errorLog: Uint8Array;
  readonly trailing?: Uint8Array;
};

const PROT_STRUCTURE = 'CXL Protocol Error section';

export function readCxlProtocolErrorSection(r: ByteReader): CxlProtocolErrorSection {
  r.need(CXL_PROTOCOL_ERROR_SECTION_SIZE, 'CXL protocol error section');
  const validationBits = r.u64('validation bits');
  const agentType = r.u8('agent type');
  const reserved = r.bytesCopy(7, 'reserved');
  const agentAddress = r.u64('agent address');
  const vendorId = r.u16('vendor id');
  const deviceId = r.u16('device id');
  const subsystemVendorId = r.u16('subsystem vendor id');
  const subsystemId = r.u16('subsystem id');
  const classCode = r.bytesCopy(2, 'class code');
  const slot = r.u16('slot');
  const deviceIdReserved = r.bytesCopy(4, 'device id reserved');
  const serialNumberLower = r.u32('serial number lower');
  const serialNumberUpper = r.u32('serial number upper');
  const capability = r.bytesCopy(CXL_CAPABILITY_SIZE, 'capability structure');
  const dvsecLength = r.u16('CXL DVSEC length');
  const errorLogLength = r.u16('CXL error log length');
  const reserved2 = r.bytesCopy(4, 'reserved');
  const dvsec = r.bytesCopy(dvsecLength, 'CXL DVSEC');
  const errorLog = r.bytesCopy(errorLogLength, 'CXL error log');
  const s: CxlProtocolErrorSection = {
    kind: 'cxl-protocol-error',
    validationBits,
    agentType,
    reserved,
    agentAddress,
    vendorId,
    deviceId,
    subsystemVendorId,
    subsystemId,
    classCode,
    slot,
    deviceIdReserved,
    serialNumberLower,
    serialNumberUpper,
    capability,
    reserved2,
    dvsec,
    errorLog,
  };
  return r.remaining === 0 ? s : { ...s, trailing: r.rest('trailing bytes') };
}

export function writeCxlProtocolErrorSection(w: ByteWriter, s: CxlProtocolErrorSection): void {
  w.u64(s.validationBits, 'validation bits');
  w.u8(s.agentType, 'agent type');
  w.bytes(s.reserved, 'reserved', 7);
  w.u64(s.agentAddress, 'agent address');
  w.u16(s.vendorId, 'vendor id');
  w.u16(s.deviceId, 'device id');
  w.u16(s.subsystemVendorId, 'subsystem vendor id');
  w.u16(s.subsystemId, 'subsystem id');
  w.bytes(s.classCode, 'class code', 2);
  w.u16(s.slot, 'slot');
  w.bytes(s.deviceIdReserved, 'device id reserved', 4);
  w.u32(s.serialNumberLower, 'serial number lower');
  w.u32(s.serialNumberUpper, 'serial number upper');
  w.bytes(s.capability, 'capability structure', CXL_CAPABILITY_SIZE);
  w.u16(s.dvsec.length, 'CXL DVSEC length');
  w.u16(s.errorLog.length, 'CXL error log length');
  w.bytes(s.reserved2, 'reserved', 4);
  w.bytes(s.dvsec, 'CXL DVSEC');
  w.bytes(s.errorLog, 'CXL error log');
  if (s.trailing !== undefined) w.bytes(s.trailing, 'trailing bytes');
}

export function decodeCxlProtocolErrorSection(bytes: Uint8Array): CxlProtocolErrorSection {
  return readCxlProtocolErrorSection(new ByteReader(bytes, PROT_STRUCTURE));
}

export function encodeCxlProtocolErrorSection(s: CxlProtocolErrorSection): Uint8Array {
  const w = new ByteWriter(PROT_STRUCTURE, CXL_PROTOCOL_ERROR_SECTION_SIZE);
  writeCxlProtocolErrorSection(w, s);
  return w.toBytes();
}

/** Linux `prot_err_agent_type_strs` (cper_cxl.c), indexed by agent type. */
const AGENT_TYPE_NAMES = [
  'Restricted CXL Device',
  'Restricted CXL Host Downstream Port',
  'CXL Device',
  'CXL Logical Device',
  'CXL Fabric Manager managed Logical Device',
  'CXL Root Port',
  'CXL Downstream Switch Port',
  'CXL Upstream Switch Port',
] as const;

/** CXL RAS Capability Structure (CXL 3.0 §8.2.4.16) as the kernel reads it: six u32, 64-byte header log. */
export const CXL_RAS_CAPABILITY_SIZE = 88;

const hex = (v: number, width: number): string => v.toString(16).padStart(width, '0');

/**
 * The body lines `cper_print_prot_err()` prints (Linux 6.3+; cper_cxl.c). `ctx.pfx` is the
 * section body prefix; the kernel adds one more space to its own lines, hex dumps use `pfx` as
 * is (offset prefix, 4-byte groups, no ASCII). Agent address, device id, capability and serial
 * lines print only for the agent types the kernel's switches list (serial: devices only).
 *
 * The kernel reads the CXL RAS capability registers after the DVSEC without checking Error Log
 * Length or the section length. Lines whose bytes lie past the section end depend on memory vras
 * cannot see: they are left out (a register line needs all 4 bytes, a header-log dump row all 16).
 * `cxl_ras_uncor_status` and `cxl_ras_cor_status` are printed without a newline but each is its
 * own printk record (the next one carries a level), so each is one console line.
 */
export function printCxlProtocolErrorSectionLinux(
  s: CxlProtocolErrorSection,
  ctx: SectionPrintContext,
): string[] {
  const p = ctx.pfx;
  const v = s.validationBits;
  const t = s.agentType;
  const lines: string[] = [];
  const isDevice =
    t === CxlAgentType.RcdDevice ||
    (t >= CxlAgentType.Device && t <= CxlAgentType.FabricManagedDevice);
  const isPortOrDevice =
    isDevice || (t >= CxlAgentType.RootPort && t <= CxlAgentType.UpstreamSwitchPort);
  if (v & CxlProtocolErrorValid.AgentType) {
    lines.push(`${p} agent_type: ${t}, ${AGENT_TYPE_NAMES[t] ?? 'unknown'}`);
  }
  if (v & CxlProtocolErrorValid.AgentAddress) {
    const a = s.agentAddress;
    if (isPortOrDevice) {
      const fn = Number(a & 0xffn);
      const dev = Number((a >> 8n) & 0xffn);
      const bus = Number((a >> 16n) & 0xffn);
      const seg = Number((a >> 24n) & 0xffffn);
      lines.push(
        `${p} agent_address: ${hex(seg, 4)}:${hex(bus, 2)}:${hex(dev, 2)}.${fn.toString(16)}`,
      );
    } else if (t === CxlAgentType.RchDownstreamPort) {
      lines.push(`${p} rcrb_base_address: 0x${a.toString(16).padStart(16, '0')}`);
    }
  }
  if (v & CxlProtocolErrorValid.DeviceId && isPortOrDevice) {
    // CPER_PCIE_SLOT_SHIFT: the slot number is in bits 15:3.
    lines.push(`${p} slot: ${s.slot >> 3}`);
    lines.push(`${p} vendor_id: 0x${hex(s.vendorId, 4)}, device_id: 0x${hex(s.deviceId, 4)}`);
    lines.push(
      `${p} sub_vendor_id: 0x${hex(s.subsystemVendorId, 4)}, sub_device_id: 0x${hex(s.subsystemId, 4)}`,
    );
    lines.push(`${p} class_code: ${hex(s.classCode[1] ?? 0, 2)}${hex(s.classCode[0] ?? 0, 2)}`);
  }
  if (v & CxlProtocolErrorValid.SerialNumber && isDevice) {
    lines.push(
      `${p} lower_dw: 0x${hex(s.serialNumberLower, 8)}, upper_dw: 0x${hex(s.serialNumberUpper, 8)}`,
    );
  }
  if (v & CxlProtocolErrorValid.Capability && isPortOrDevice) {
    lines.push(...linuxHexDumpLines(p, s.capability, false));
  }
  if (v & CxlProtocolErrorValid.DvsecLog) {
    lines.push(`${p} DVSEC length: 0x${hex(s.dvsec.length, 4)}`);
    lines.push(`${p} CXL DVSEC:`);
    lines.push(...linuxHexDumpLines(p, s.dvsec, false));
  }
  if (v & CxlProtocolErrorValid.ErrorLog) {
    // What follows the DVSEC in the section: the error log, then any trailing bytes.
    const trailing = s.trailing ?? new Uint8Array(0);
    const ras = new Uint8Array(s.errorLog.length + trailing.length);
    ras.set(s.errorLog);
    ras.set(trailing, s.errorLog.length);
    const view = new DataView(ras.buffer);
    lines.push(`${p} Error log length: 0x${hex(s.errorLog.length, 4)}`);
    lines.push(`${p} CXL Error Log:`);
    const registers = [
      'cxl_ras_uncor_status',
      'cxl_ras_uncor_mask',
      'cxl_ras_uncor_severity',
      'cxl_ras_cor_status',
      'cxl_ras_cor_mask',
      'cap_control',
    ];
    for (const [i, name] of registers.entries()) {
      if (4 * i + 4 > ras.length) return lines;
      lines.push(`${p} ${name}: 0x${hex(view.getUint32(4 * i, true), 8)}`);
    }
    lines.push(`${p} Header Log Registers:`);
    const headerLog = ras.subarray(
      24,
      Math.min(CXL_RAS_CAPABILITY_SIZE, 24 + Math.floor((ras.length - 24) / 16) * 16),
    );
    lines.push(...linuxHexDumpLines(p, headerLog, false));
  }
  return lines;
}

export const cxlProtocolErrorSectionCodec: SectionCodec<CxlProtocolErrorSection> = registerSection({
  kind: 'cxl-protocol-error',
  guid: CXL_PROTOCOL_ERROR_SECTION_GUID,
  // Kernel-dependent (6.2+): linux-format.ts `linuxSectionName(guid, kernel)` names it.
  linuxName: undefined,
  minLength: CXL_PROTOCOL_ERROR_SECTION_SIZE,
  decode: readCxlProtocolErrorSection,
  encode: writeCxlProtocolErrorSection,
  printLinux: printCxlProtocolErrorSectionLinux,
});

// ---------------------------------------------------------------------------------------------
// Component event sections (N.2.14): one codec per event GUID, same layout.

/** Event kinds and their section GUIDs (the CXL event record UUIDs, formats.md §6.1). */
export const CxlEventSectionGuid = {
  'cxl-general-media': 'fbcd0a77-c260-417f-85a9-088b1621eba6',
  'cxl-dram': '601dcbb3-9c06-4eab-b8af-4e9bfb5c9624',
  'cxl-memory-module': 'fe927475-dd59-4339-a586-79bab113b774',
  'cxl-memory-sparing': 'e71f3a40-2d29-4092-8a39-4d1c966c7c65',
  'cxl-physical-switch': '77cf9271-9c02-470b-9fe4-bc7b75f2da97',
  'cxl-virtual-switch': '40d26425-3396-4c4d-a5da-3d47263af425',
  'cxl-mld-port': '8dc44363-0c96-4710-b7bf-04bb99534c3f',
  'cxl-dynamic-capacity': 'ca95afa7-f183-4018-8c2f-95268e101a2a',
} as const satisfies Record<string, Guid>;
export type CxlEventKind = keyof typeof CxlEventSectionGuid;

/** CXL Common Event Record header (CXL 3.1 §8.2.9.2.1, Table 8-42), 48 bytes. */
export const CXL_COMMON_EVENT_HEADER_LAYOUT = [
  ['eventType', 'guid', 'event record identifier'],
  ['length', 'u8', 'event record length'],
  ['flags', { bytes: 3 }, 'event record flags'],
  ['handle', 'u16', 'event record handle'],
  ['relatedHandle', 'u16', 'related event record handle'],
  ['timestamp', 'u64', 'event record timestamp'],
  ['maintenanceOperationClass', 'u8', 'maintenance operation class'],
  ['maintenanceOperationSubclass', 'u8', 'maintenance operation subclass'],
  ['reserved', { bytes: 14 }, 'event record reserved'],
] as const;
export type CxlCommonEventHeader = LayoutValue<typeof CXL_COMMON_EVENT_HEADER_LAYOUT>;
export const CXL_COMMON_EVENT_HEADER_SIZE = 48;

/** Component event header validation bits (Linux `CPER_SEC_CXL_*_VALID`). */
export const CxlEventValid = {
  DeviceId: 0x1n,
  SerialNumber: 0x2n,
  EventLog: 0x4n,
} as const;

export type CxlEventSection = {
  readonly kind: CxlEventKind;
  /** Length field as stored (data; Linux's CXL driver checks it, the codec does not). */
  readonly length: number;
  readonly validationBits: bigint;
  readonly vendorId: number;
  readonly deviceId: number;
  readonly functionNumber: number;
  readonly deviceNumber: number;
  readonly busNumber: number;
  readonly segmentNumber: number;
  readonly slotNumber: number;
  readonly deviceIdReserved: number;
  readonly serialNumberLower: number;
  readonly serialNumberUpper: number;
} & (
  | {
      /** The event record's common header (present when the body holds its 48 bytes). */
      readonly eventHeader: CxlCommonEventHeader;
      /** The event-specific data after the common header (General Media, DRAM, …), as bytes. */
      readonly eventData: Uint8Array;
    }
  | {
      /** An event record shorter than its 48-byte common header, kept as bytes. */
      readonly eventRecord: Uint8Array;
    }
);

function readCxlEvent(kind: CxlEventKind, r: ByteReader): CxlEventSection {
  r.need(CXL_EVENT_HEADER_SIZE, 'CXL event section header');
  return {
    kind,
    length: r.u32('length'),
    validationBits: r.u64('validation bits'),
    vendorId: r.u16('vendor id'),
    deviceId: r.u16('device id'),
    functionNumber: r.u8('function number'),
    deviceNumber: r.u8('device number'),
    busNumber: r.u8('bus number'),
    segmentNumber: r.u16('segment number'),
    slotNumber: r.u16('slot number'),
    deviceIdReserved: r.u8('device id reserved'),
    serialNumberLower: r.u32('serial number lower'),
    serialNumberUpper: r.u32('serial number upper'),
    ...(r.remaining >= CXL_COMMON_EVENT_HEADER_SIZE
      ? {
          eventHeader: readLayout(r, CXL_COMMON_EVENT_HEADER_LAYOUT),
          eventData: r.rest('CXL event data'),
        }
      : { eventRecord: r.rest('CXL event record') }),
  };
}

export function readCxlEventSection(r: ByteReader, kind: CxlEventKind): CxlEventSection {
  return readCxlEvent(kind, r);
}

export function writeCxlEventSection(w: ByteWriter, s: CxlEventSection): void {
  w.u32(s.length, 'length');
  w.u64(s.validationBits, 'validation bits');
  w.u16(s.vendorId, 'vendor id');
  w.u16(s.deviceId, 'device id');
  w.u8(s.functionNumber, 'function number');
  w.u8(s.deviceNumber, 'device number');
  w.u8(s.busNumber, 'bus number');
  w.u16(s.segmentNumber, 'segment number');
  w.u16(s.slotNumber, 'slot number');
  w.u8(s.deviceIdReserved, 'device id reserved');
  w.u32(s.serialNumberLower, 'serial number lower');
  w.u32(s.serialNumberUpper, 'serial number upper');
  if ('eventHeader' in s) {
    writeLayout(w, CXL_COMMON_EVENT_HEADER_LAYOUT, s.eventHeader);
    w.bytes(s.eventData, 'CXL event data');
  } else {
    if (s.eventRecord.length >= CXL_COMMON_EVENT_HEADER_SIZE) {
      throw new CodecError(
        `Cannot encode ${w.structure}: an event record of ${s.eventRecord.length} bytes holds a common header; give eventHeader and eventData`,
        {
          code: CodecErrorCode.Invalid,
          structure: w.structure,
          field: 'eventRecord',
          offset: w.offset,
        },
      );
    }
    w.bytes(s.eventRecord, 'CXL event record');
  }
}

/** Decodes a component event body; `kind` names the GUID it came with (default General Media). */
export function decodeCxlEventSection(
  bytes: Uint8Array,
  kind: CxlEventKind = 'cxl-general-media',
): CxlEventSection {
  return readCxlEvent(kind, new ByteReader(bytes, 'CXL component event section'));
}

export function encodeCxlEventSection(s: CxlEventSection): Uint8Array {
  const w = new ByteWriter(
    'CXL component event section',
    CXL_EVENT_HEADER_SIZE + ('eventHeader' in s ? 48 + s.eventData.length : s.eventRecord.length),
  );
  writeCxlEventSection(w, s);
  return w.toBytes();
}

export const cxlEventSectionCodecs: readonly SectionCodec<CxlEventSection>[] = (
  Object.entries(CxlEventSectionGuid) as [CxlEventKind, Guid][]
).map(([kind, guid]) =>
  registerSection<CxlEventSection>({
    kind,
    guid,
    linuxName: undefined,
    minLength: CXL_EVENT_HEADER_SIZE,
    decode: (r) => readCxlEvent(kind, r),
    encode: writeCxlEventSection,
  }),
);
