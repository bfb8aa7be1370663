// `--format libcper`: a CPER record (or libcper's single-section form, a section descriptor
// followed by its section) in the JSON shape OpenBMC libcper's `cper-convert to-json` prints:
// `header` / `sectionDescriptors` / `sections`, `{"code","name"}` and `{"value","name"}` pairs,
// fields shown only when their validation bit is set, byte blocks as base64, u64 as JSON numbers.
//
// The converter works from the record's bytes, as libcper does, so that its rules about sizes
// carry over: a section libcper refuses (too short, inconsistent lengths) or does not know is
// printed as `{"Unknown": {"data": base64}}` without a message. Section rules follow libcper's
// sections/cper-section-*.c; where libcper is odd the code matches it and says so ("quirk").

import { type CperRecord, encodeCperRecord } from '../cper-record.js';
import { CodecError, CodecErrorCode } from '../errors.js';
import { guidFromBytes } from '../guid.js';
import { bytesToBase64 } from '../hex.js';
import {
  type CperSectionWithDescriptor,
  encodeSectionWithDescriptor,
} from '../section-with-descriptor.js';
import { ARM_REGISTER_NAMES } from './arm-registers.js';
import type { LibcperJson } from './json-text.js';

type Obj = Record<string, LibcperJson>;

/**
 * `o` as a fast object: past 16 properties V8 keeps an object filled by computed names as a
 * dictionary, which the JSON writer's for-in walks slowly; a spread copy has a shape.
 */
const shaped = (o: Obj): Obj => (Object.keys(o).length > 16 ? { ...o } : o);

/** Little-endian reads from a byte window; reads past the end are the caller's bug. */
class Le {
  constructor(
    readonly b: Uint8Array,
    readonly base = 0,
  ) {}
  u8(o: number): number {
    return this.b[this.base + o]!;
  }
  u16(o: number): number {
    return this.u8(o) | (this.u8(o + 1) << 8);
  }
  u32(o: number): number {
    return (this.u16(o) | (this.u16(o + 2) << 16)) >>> 0;
  }
  u64(o: number): bigint {
    return BigInt(this.u32(o)) | (BigInt(this.u32(o + 4)) << 32n);
  }
  /** `u64(this.u64(o))` without a bigint when the value is a safe integer. */
  u64n(o: number): number | bigint {
    const hi = this.u32(o + 4);
    // A value below 2^32 stays a small integer (as Number(bigint) gives it), not a double.
    if (hi === 0) return this.u32(o);
    return hi < 0x200000 ? hi * 0x100000000 + this.u32(o) : this.u64(o);
  }
  guid(o: number): string {
    return guidFromBytes(this.b, this.base + o);
  }
  bytes(o: number, n: number): Uint8Array {
    return this.b.subarray(this.base + o, this.base + o + n);
  }
}

/** A u64 as libcper prints it: an exact integer (a number when safe, else a bigint). */
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
function u64(v: bigint): number | bigint {
  return v <= MAX_SAFE ? Number(v) : v;
}

/** 1n << n for n < 64. */
const BIT = Array.from({ length: 64 }, (_, n) => 1n << BigInt(n));
const bit = (v: bigint | number, n: number): boolean =>
  typeof v === 'number' && n < 31
    ? ((v >>> n) & 1) === 1
    : typeof v === 'bigint' && n < 64 && v >= 0n
      ? (v & BIT[n]!) !== 0n
      : ((BigInt(v) >> BigInt(n)) & 1n) === 1n;
const hexUpper = (v: bigint | number, digits: number) =>
  `0x${v.toString(16).toUpperCase().padStart(digits, '0')}`;

/** `integer_to_readable_pair`: {value, name}, the name from the table or the default. */
function pair(value: number | bigint, names: Readonly<Record<number, string>>, fallback: string) {
  const name = names[Number(value)];
  return { value: typeof value === 'bigint' ? u64(value) : value, name: name ?? fallback };
}

const SEVERITY = ['Recoverable', 'Fatal', 'Corrected', 'Informational'];
const severity = (code: number) => ({ code, name: SEVERITY[code] ?? 'Unknown' });

/** `add_untrusted_string`: up to the first NUL; nothing at all when a byte is not printable. */
function untrustedString(bytes: Uint8Array): string | undefined {
  let n = 0;
  for (; n < bytes.length; n++) {
    const c = bytes[n]!;
    if (c === 0) break;
    // isprint() on a (signed) char: only 0x20..0x7e.
    if (c < 0x20 || c > 0x7e) return undefined;
  }
  // One flat string (the bytes are few: a descriptor's FRU text, a vendor's name).
  return n <= 4096
    ? String.fromCharCode.apply(null, bytes.subarray(0, n) as unknown as number[])
    : Array.from(bytes.subarray(0, n), (c) => String.fromCharCode(c)).join('');
}

const bcd = (v: number) => ((v & 0xf0) >> 4) * 10 + (v & 0x0f);
const two = (n: number) => String(n % 256).padStart(2, '0');

/** `timestamp_to_string`: undefined when libcper refuses the timestamp. */
function timestamp(t: Uint8Array): string | undefined {
  const [sec, min, hour, , day, month, year, century] = t as unknown as number[];
  const c = bcd(century!) % 100;
  const y = bcd(year!) % 100;
  const mo = bcd(month!);
  const d = bcd(day!);
  const h = bcd(hour!);
  const mi = bcd(min!);
  const s = bcd(sec!);
  if (mo > 12 || d > 31 || h > 24 || mi > 60 || s >= 60) return undefined;
  return `${two(c)}${two(y)}-${two(mo)}-${two(d)}T${two(h)}:${two(mi)}:${two(s)}+00:00`;
}

const NOTIFICATION_TYPES: Readonly<Record<string, string>> = {
  '2dce8bb1-bdd7-450e-b9ad-9cf4ebd4f890': 'CMC',
  '4e292f96-d843-4a55-a8c2-d481f27ebeee': 'CPE',
  'e8f56ffe-919c-4cc5-ba88-65abe14913bb': 'MCE',
  'cf93c01f-1a16-4dfc-b8bc-9c4daf67c104': 'PCIe',
  'cc5263e8-9308-454a-89d0-340bd39bc98e': 'INIT',
  '5bad89ff-b7e6-42c9-814a-cf2485d6e98a': 'NMI',
  '3d61a466-ab40-409a-a698-f362d464b38f': 'Boot',
  '667dd791-c6b3-4c27-8a6b-0f8e722deb41': 'DMAr',
  '9a78788a-bbe8-11e4-809e-67611e5d46b0': 'SEA',
  '5c284c81-b0ae-4e87-a322-b04c85624323': 'SEI',
  '09a9d5ac-5204-4214-96e5-94992e752bcd': 'PEI',
  '69293bc9-41df-49a3-b4bd-4fb0db3041f6': 'CXL Component',
};

const HEADER_FLAGS: Readonly<Record<number, string>> = {
  1: 'HW_ERROR_FLAGS_RECOVERED',
  2: 'HW_ERROR_FLAGS_PREVERR',
  4: 'HW_ERROR_FLAGS_SIMULATED',
};

const DESCRIPTOR_FLAGS = [
  'primary',
  'containmentWarning',
  'reset',
  'errorThresholdExceeded',
  'resourceNotAccessible',
  'latentError',
  'propagated',
  'overflow',
];

function bitfield(v: number | bigint, names: readonly string[]): Obj {
  const out: Obj = {};
  names.forEach((n, i) => {
    out[n] = bit(v, i);
  });
  return names.length > 16 ? shaped(out) : out;
}

function revision(v: number): Obj {
  return { major: v >> 8, minor: v & 0xff };
}

// ---------------------------------------------------------------------------------------------
// Header and descriptors (cper-parse.c).

export const CPER_HEADER_LENGTH = 128;
export const CPER_DESCRIPTOR_LENGTH = 72;

function headerToLibcper(h: Le): Obj {
  // EFI_COMMON_ERROR_RECORD_HEADER: revision 4, section count 10, severity 12, validation bits
  // 16, record length 20, timestamp 24, platform 32, partition 48, creator 64, notification 80,
  // record id 96, flags 104, persistence 108.
  const out: Obj = {
    revision: revision(h.u16(4)),
    sectionCount: h.u16(10),
    severity: severity(h.u32(12)),
    recordLength: h.u32(20),
  };
  const vb = h.u32(16);
  if (vb & 0x2) {
    const ts = timestamp(h.bytes(24, 8));
    if (ts !== undefined) {
      out.timestamp = ts;
      out.timestampIsPrecise = h.u8(27) !== 0;
    }
  }
  if (vb & 0x1) out.platformID = h.guid(32);
  if (vb & 0x4) out.partitionID = h.guid(48);
  out.creatorID = h.guid(64);
  const nt = h.guid(80);
  out.notificationType = { guid: nt, type: NOTIFICATION_TYPES[nt] ?? 'Unknown' };
  out.recordID = h.u64n(96);
  out.flags = pair(h.u32(104), HEADER_FLAGS, 'Unknown');
  out.persistenceInfo = h.u64n(108);
  return out;
}

function descriptorToLibcper(d: Le): Obj {
  const type = d.guid(16);
  const out: Obj = {
    sectionOffset: d.u32(0),
    sectionLength: d.u32(4),
    revision: revision(d.u16(8)),
    flags: bitfield(d.u32(12), DESCRIPTOR_FLAGS),
    sectionType: { data: type, type: SECTION_DEFINITIONS[type]?.[0] ?? 'Unknown' },
  };
  const valid = d.u8(10);
  if (valid & 0x1) out.fruID = d.guid(32);
  if (valid & 0x2) {
    const text = untrustedString(d.bytes(52, 20));
    if (text !== undefined) out.fruText = text;
  }
  out.severity = severity(d.u32(48));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sections. Each converter gets the section bytes and returns [message, ir], or undefined when
// libcper returns NULL (the section is then printed as Unknown).

type SectionResult = readonly [message: string | undefined, ir: Obj] | undefined;
type SectionConverter = (s: Le, size: number) => SectionResult;

const GENERIC_ERROR_STATUS_TYPES: Readonly<Record<number, [string, string]>> = {
  1: ['ERR_INTERNAL', 'Error detected internal to the component.'],
  16: ['ERR_BUS', 'Error detected in the bus.'],
  4: ['ERR_MEM', 'Storage error in memory (DRAM).'],
  5: ['ERR_TLB', 'Storage error in TLB.'],
  6: ['ERR_CACHE', 'Storage error in cache.'],
  7: ['ERR_FUNCTION', 'Error in one or more functional units.'],
  8: ['ERR_SELFTEST', 'Component failed self test.'],
  9: ['ERR_FLOW', 'Overflow or underflow of internal queue.'],
  17: ['ERR_MAP', 'Virtual address not found on IO-TLB or IO-PDIR.'],
  18: ['ERR_IMPROPER', 'Improper access error.'],
  19: ['ERR_UNIMPL', 'Access to a memory address which is not mapped to any component.'],
  20: ['ERR_LOL', 'Loss of Lockstep error.'],
  21: ['ERR_RESPONSE', 'Response not associated with a request.'],
  22: ['ERR_PARITY', 'Bus parity error (must also set the A, C, or D bits).'],
  23: ['ERR_PROTOCOL', 'Detection of a protocol error.'],
  24: ['ERR_ERROR', 'Detection of a PATH_ERROR.'],
  25: ['ERR_TIMEOUT', 'Bus operation timeout.'],
  26: ['ERR_POISONED', 'A read was issued to data that has been poisoned.'],
};

/** `integer_to_readable_pair_with_desc`: the description only for a known value. */
function pairWithDesc(
  value: number,
  table: Readonly<Record<number, [string, string]>>,
  fallback: string,
): Obj {
  const e = table[value];
  return e === undefined ? { value, name: fallback } : { value, description: e[1], name: e[0] };
}

/** `cper_generic_error_status_to_ir`. */
function errorStatus(v: bigint): Obj {
  return {
    errorType: pairWithDesc(
      Number((v >> 8n) & 0xffn),
      GENERIC_ERROR_STATUS_TYPES,
      'Unknown (Reserved)',
    ),
    addressSignal: bit(v, 16),
    controlSignal: bit(v, 17),
    dataSignal: bit(v, 18),
    detectedByResponder: bit(v, 19),
    detectedByRequester: bit(v, 20),
    firstError: bit(v, 21),
    overflowDroppedLogs: bit(v, 22),
  };
}

const genericProcessor: SectionConverter = (s, size) => {
  if (size < 192) return undefined;
  const v = s.u64(0);
  const ir: Obj = {};
  if (bit(v, 0))
    ir.processorType = pair(s.u8(8), { 0: 'IA32/X64', 1: 'IA64', 2: 'ARM' }, 'Unknown (Reserved)');
  if (bit(v, 1)) {
    ir.processorISA = pair(
      s.u8(9),
      { 0: 'IA32', 1: 'IA64', 2: 'X64', 3: 'ARM A32/T32', 4: 'ARM A64' },
      'Unknown (Reserved)',
    );
  }
  if (bit(v, 2)) {
    ir.errorType = pair(
      s.u8(10),
      {
        0: 'Unknown',
        1: 'Cache Error',
        2: 'TLB Error',
        4: 'Bus Error',
        8: 'Micro-Architectural Error',
      },
      'Unknown (Reserved)',
    );
  }
  if (bit(v, 3)) {
    ir.operation = pair(
      s.u8(11),
      { 0: 'Unknown or Generic', 1: 'Data Read', 2: 'Data Write', 3: 'Instruction Execution' },
      'Unknown (Reserved)',
    );
  }
  if (bit(v, 4))
    ir.flags = bitfield(s.u8(12), ['restartable', 'preciseIP', 'overflow', 'corrected']);
  if (bit(v, 5)) ir.level = s.u8(13);
  if (bit(v, 6)) ir.cpuVersionInfo = s.u64n(16);
  if (bit(v, 7)) {
    const brand = untrustedString(s.bytes(24, 128));
    if (brand !== undefined) ir.cpuBrandString = brand;
  }
  if (bit(v, 8)) ir.processorID = s.u64n(152);
  if (bit(v, 9)) ir.targetAddress = s.u64n(160);
  if (bit(v, 10)) ir.requestorID = s.u64n(168);
  if (bit(v, 11)) ir.responderID = s.u64n(176);
  if (bit(v, 12)) ir.instructionIP = s.u64n(184);
  return ['A Generic Processor Error occurred', ir];
};

const MEMORY_ERROR_TYPES: Readonly<Record<number, string>> = {
  0: 'Unknown',
  1: 'No Error',
  2: 'Single-bit ECC',
  3: 'Multi-bit ECC',
  4: 'Single-symbol ChipKill ECC',
  5: 'Multi-symbol ChipKill ECC',
  6: 'Master Abort',
  7: 'Target Abort',
  8: 'Parity Error',
  9: 'Watchdog Timeout',
  10: 'Invalid Address',
  11: 'Mirror Broken',
  12: 'Memory Sparing',
  13: 'Scrub Corrected Error',
  14: 'Scrub Uncorrected Error',
  15: 'Physical Memory Map-out Event',
};

function memoryMessage(
  v: bigint,
  type: number,
  address: bigint,
  typeBit: number,
  addrBit: number,
  node: number | undefined,
  nodeWord: 'at' | 'on',
): string {
  let m = bit(v, typeBit)
    ? `A ${MEMORY_ERROR_TYPES[type] ?? 'Unknown (Reserved)'} Memory Error occurred`
    : 'An Unknown Memory Error occurred';
  if (bit(v, addrBit)) m += ` at address ${hexUpper(address, 16)}`;
  // libcper says "at node" for memory sections and "on node" for memory 2 sections.
  if (node !== undefined) m += ` ${nodeWord} node ${node}`;
  return m;
}

// EFI_PLATFORM_MEMORY_ERROR_DATA: status 8, address 16, mask 24, node 32, card 34, module 36,
// bank 38, device 40, row 42, column 44, bit position 46, requestor 48, responder 56, target 64,
// type 72, extended 73, rank 74, card handle 76, module handle 78.
const memory: SectionConverter = (s, size) => {
  if (size < 80) return undefined;
  const v = s.u64(0);
  const ir: Obj = {};
  if (bit(v, 0)) ir.errorStatus = errorStatus(s.u64(8));
  const bank = s.u16(38);
  ir.bank = bit(v, 6) ? { value: bank } : { address: bank & 0xff, group: bank >> 8 };
  if (bit(v, 14)) ir.memoryErrorType = pair(s.u8(72), MEMORY_ERROR_TYPES, 'Unknown (Reserved)');
  if (bit(v, 18)) {
    const ext = s.u8(73);
    const e: Obj = { rowBit16: (ext & 1) !== 0, rowBit17: (ext & 2) !== 0 };
    if (bit(v, 21)) e.chipIdentification = ext >> 5;
    ir.extended = e;
  }
  if (bit(v, 16)) ir.cardSmbiosHandle = s.u16(76);
  if (bit(v, 17)) ir.moduleSmbiosHandle = s.u16(78);
  const pa = s.u64(16);
  if (bit(v, 1)) {
    ir.physicalAddress = u64(pa);
    ir.physicalAddressHex = hexUpper(pa, 16);
  }
  if (bit(v, 2)) ir.physicalAddressMask = s.u64n(24);
  if (bit(v, 3)) ir.node = s.u16(32);
  if (bit(v, 4)) ir.card = s.u16(34);
  if (bit(v, 5)) ir.moduleRank = s.u16(36);
  if (bit(v, 7)) ir.device = s.u16(40);
  if (bit(v, 8)) ir.row = s.u16(42);
  if (bit(v, 9)) ir.column = s.u16(44);
  if (bit(v, 10)) ir.bitPosition = s.u16(46);
  if (bit(v, 11)) ir.requestorID = s.u64n(48);
  if (bit(v, 12)) ir.responderID = s.u64n(56);
  if (bit(v, 13)) ir.targetID = s.u64n(64);
  if (bit(v, 15)) ir.rankNumber = s.u16(74);
  return [memoryMessage(v, s.u8(72), pa, 14, 1, bit(v, 3) ? s.u16(32) : undefined, 'at'), ir];
};

// EFI_PLATFORM_MEMORY2_ERROR_DATA: status 8, address 16, mask 24, node 32, card 34, module 36,
// bank 38, device 40, row 44, column 48, rank 52, bit position 56, chip 60, type 61, status 62,
// requestor 64, responder 72, target 80, card handle 88, module handle 92.
const memory2: SectionConverter = (s, size) => {
  if (size < 96) return undefined;
  const v = s.u64(0);
  const ir: Obj = {};
  if (bit(v, 0)) ir.errorStatus = errorStatus(s.u64(8));
  const bank = s.u16(38);
  ir.bank = bit(v, 6) ? { value: bank } : { address: bank & 0xff, group: bank >> 8 };
  if (bit(v, 13)) ir.memoryErrorType = pair(s.u8(61), MEMORY_ERROR_TYPES, 'Unknown (Reserved)');
  if (bit(v, 14)) {
    const st = s.u8(62);
    ir.status = { value: st, state: (st & 1) === 0 ? 'Corrected' : 'Uncorrected' };
  }
  const pa = s.u64(16);
  // Quirk: libcper gates the physical address on bit 0 (error status), not bit 1, and always
  // prints physicalAddressHex.
  if (bit(v, 0)) ir.physicalAddress = u64(pa);
  ir.physicalAddressHex = hexUpper(pa, 16);
  if (bit(v, 2)) ir.physicalAddressMask = s.u64n(24);
  if (bit(v, 3)) ir.node = s.u16(32);
  if (bit(v, 4)) ir.card = s.u16(34);
  if (bit(v, 5)) ir.module = s.u16(36);
  if (bit(v, 7)) ir.device = s.u32(40);
  if (bit(v, 8)) ir.row = s.u32(44);
  if (bit(v, 9)) ir.column = s.u32(48);
  if (bit(v, 10)) ir.rank = s.u32(52);
  if (bit(v, 11)) ir.bitPosition = s.u32(56);
  if (bit(v, 12)) ir.chipID = s.u8(60);
  if (bit(v, 15)) ir.requestorID = s.u64n(64);
  if (bit(v, 16)) ir.responderID = s.u64n(72);
  if (bit(v, 17)) ir.targetID = s.u64n(80);
  if (bit(v, 18)) ir.cardSmbiosHandle = s.u32(88);
  if (bit(v, 19)) ir.moduleSmbiosHandle = s.u32(92);
  return [memoryMessage(v, s.u8(61), pa, 13, 0, bit(v, 3) ? s.u16(32) : undefined, 'on'), ir];
};

const firmware: SectionConverter = (s, size) => {
  if (size < 32) return undefined;
  const ir: Obj = {
    errorRecordType: pair(
      s.u8(0),
      {
        0: 'IPF SAL Error Record',
        1: 'SOC Firmware Error Record (Type1 Legacy)',
        2: 'SOC Firmware Error Record (Type2)',
      },
      'Unknown (Reserved)',
    ),
    revision: s.u8(1),
    recordID: s.u64n(8),
    recordIDGUID: s.guid(16),
  };
  return ['A Firmware Error occurred', ir];
};

const PCI_BUS_ERROR_TYPES: Readonly<Record<number, string>> = {
  0: 'Unknown/OEM Specific Error',
  1: 'Data Parity Error',
  2: 'System Error',
  3: 'Master Abort',
  4: 'Bus Timeout/No Device Present (No DEVSEL#)',
  5: 'Master Data Parity Error',
  6: 'Address Parity Error',
  7: 'Command Parity Error',
};

const pciBus: SectionConverter = (s, size) => {
  if (size < 72) return undefined;
  const v = s.u64(0);
  const ir: Obj = {};
  if (bit(v, 0)) ir.errorStatus = errorStatus(s.u64(8));
  if (bit(v, 1)) ir.errorType = pair(s.u16(16), PCI_BUS_ERROR_TYPES, 'Unknown (Reserved)');
  if (bit(v, 2)) ir.busID = { busNumber: s.u8(18), segmentNumber: s.u8(19) };
  if (bit(v, 3)) ir.busAddress = s.u64n(24);
  if (bit(v, 4)) ir.busData = s.u64n(32);
  if (bit(v, 5)) ir.busCommandType = (s.u8(40 + 7) & 1) === 0 ? 'PCI' : 'PCI-X';
  if (bit(v, 6)) {
    ir.busRequestorID = s.u64n(48);
    ir.busRequestorIDHex = hexUpper(s.u64(48), 16);
  }
  if (bit(v, 7)) {
    ir.busCompleterID = s.u64n(56);
    ir.busCompleterIDHex = hexUpper(s.u64(56), 16);
  }
  if (bit(v, 8)) ir.targetID = s.u64n(64);
  return ['A PCI/PCI-X Bus Error occurred', ir];
};

const pciComponent: SectionConverter = (s, size) => {
  if (size < 40) return undefined;
  const mem = s.u32(32);
  const io = s.u32(36);
  if (size < 40 + (mem + io) * 16) return undefined;
  const v = s.u64(0);
  const ir: Obj = {};
  if (bit(v, 0)) ir.errorStatus = errorStatus(s.u64(8));
  if (bit(v, 1)) {
    ir.idInfo = {
      vendorID: s.u16(16),
      deviceID: s.u16(18),
      classCode: s.u8(20) | (s.u8(21) << 8) | (s.u8(22) << 16),
      functionNumber: s.u8(23),
      deviceNumber: s.u8(24),
      busNumber: s.u8(25),
      segmentNumber: s.u8(26),
    };
  }
  if (bit(v, 2)) ir.memoryNumber = mem;
  if (bit(v, 3)) ir.ioNumber = io;
  if (bit(v, 4)) {
    const pairs: Obj[] = [];
    for (let i = 0; i < mem + io; i++) {
      pairs.push({ firstHalf: s.u64n(40 + 16 * i), secondHalf: s.u64n(48 + 16 * i) });
    }
    ir.registerDataPairs = pairs;
  }
  return ['A PCI/PCI-X Device Error occurred', ir];
};

const DMAR_FAULT_REASONS: Readonly<Record<number, [string, string]>> = {
  1: ['DMT Entry Missing', 'Domain mapping table entry is not present.'],
  2: ['DMT Entry Invalid', 'Invalid domain mapping table entry.'],
  3: [
    'DMT Access Error',
    "DMAr unit's attempt to access the domain mapping table resulted in an error.",
  ],
  4: [
    'DMT Reserved Bit Invalid',
    'Reserved bit set to non-zero value in the domain mapping table.',
  ],
  5: [
    'DMA Address Out of Bounds',
    'DMA request to access an address beyond the device address width.',
  ],
  6: ['Invalid Read/Write', 'Invalid read or write access.'],
  7: ['Invalid Device Request', 'Invalid device request.'],
  8: [
    'ATT Access Error',
    "DMAr unit's attempt to access the address translation table resulted in an error.",
  ],
  9: [
    'ATT Reserved Bit Invalid',
    'Reserved bit set to non-zero value in the address translation table.',
  ],
  10: ['Illegal Command', 'Illegal command error.'],
  11: [
    'Command Buffer Access Error',
    "DMAr unit's attempt to access the command buffer resulted in an error.",
  ],
};

const dmarGeneric: SectionConverter = (s, size) => {
  if (size < 32) return undefined;
  const ir: Obj = {
    requesterID: s.u16(0),
    segmentNumber: s.u16(2),
    faultReason: pairWithDesc(s.u8(4), DMAR_FAULT_REASONS, 'Unknown (Reserved)'),
    accessType: pair(s.u8(5), { 0: 'DMA Write', 1: 'DMA Read' }, 'Unknown (Reserved)'),
    addressType: pair(
      s.u8(6),
      { 0: 'Untranslated Request', 1: 'Translation Request' },
      'Unknown (Reserved)',
    ),
    architectureType: pair(s.u8(7), { 0: 'VT-d', 1: 'IOMMU' }, 'Unknown (Reserved)'),
    deviceAddress: s.u64n(8),
  };
  return ['A DMAr Generic Error occurred', ir];
};

const dmarVtd: SectionConverter = (s, size) => {
  if (size < 144) return undefined;
  let oem = 0n;
  for (let i = 0; i < 6; i++) oem |= BigInt(s.u8(2 + i)) << BigInt(8 * i);
  // EFI_VTD_FAULT_RECORD bit fields over the 128-bit fault record at offset 48.
  const lo = s.u64(48);
  const hi = s.u64(56);
  const f = (w: bigint, at: number, n: number) => (w >> BigInt(at)) & ((1n << BigInt(n)) - 1n);
  const ir: Obj = {
    version: s.u8(0),
    revision: s.u8(1),
    oemID: u64(oem),
    capabilityRegister: s.u64n(8),
    extendedCapabilityRegister: s.u64n(16),
    globalCommandRegister: s.u32(24),
    globalStatusRegister: s.u32(28),
    faultStatusRegister: s.u32(32),
    faultRecord: {
      faultInformation: u64(f(lo, 12, 52)),
      sourceIdentifier: Number(f(hi, 0, 16)),
      privelegeModeRequested: f(hi, 29, 1) === 1n,
      executePermissionRequested: f(hi, 30, 1) === 1n,
      pasidPresent: f(hi, 31, 1) === 1n,
      faultReason: Number(f(hi, 32, 8)),
      pasidValue: Number(f(hi, 40, 20)),
      addressType: Number(f(hi, 60, 2)),
      type: pair(Number(f(hi, 62, 1)), { 0: 'Write Request', 1: 'Read Request' }, 'Unknown'),
    },
    rootEntry: bytesToBase64(s.bytes(64, 16)),
    contextEntry: bytesToBase64(s.bytes(80, 16)),
    pageTableEntry_Level6: s.u64n(96),
    pageTableEntry_Level5: s.u64n(104),
    pageTableEntry_Level4: s.u64n(112),
    pageTableEntry_Level3: s.u64n(120),
    pageTableEntry_Level2: s.u64n(128),
    pageTableEntry_Level1: s.u64n(136),
  };
  return ['A VT-d DMAr Error occurred', ir];
};

const dmarIommu: SectionConverter = (s, size) => {
  if (size < 144) return undefined;
  const ir: Obj = {
    revision: s.u8(0),
    controlRegister: s.u64n(8),
    statusRegister: s.u64n(16),
    eventLogEntry: bytesToBase64(s.bytes(32, 16)),
    deviceTableEntry: bytesToBase64(s.bytes(64, 32)),
    pageTableEntry_Level6: s.u64n(96),
    pageTableEntry_Level5: s.u64n(104),
    pageTableEntry_Level4: s.u64n(112),
    pageTableEntry_Level3: s.u64n(120),
    pageTableEntry_Level2: s.u64n(128),
    pageTableEntry_Level1: s.u64n(136),
  };
  return ['A IOMMU Specific DMAr Error occurred', ir];
};

const ccixPer: SectionConverter = (s, size) => {
  if (size < 16) return undefined;
  const length = s.u32(0);
  if (size < length) return undefined;
  const v = s.u64(4);
  const ir: Obj = { length };
  if (bit(v, 0)) ir.ccixSourceID = s.u8(12);
  if (bit(v, 1)) ir.ccixPortID = s.u8(13);
  if (bit(v, 2) && length > 16) ir.ccixPERLog = bytesToBase64(s.bytes(16, length - 16));
  return ['A CCIX PER Log Error occurred', ir];
};

const cxlProtocol: SectionConverter = (s, size) => {
  if (size < 116) return undefined;
  const dvsecLength = s.u16(108);
  const logLength = s.u16(110);
  if (size < 116 + dvsecLength + logLength) return undefined;
  const v = s.u64(0);
  const agent = s.u8(8);
  const ir: Obj = {};
  if (bit(v, 0)) {
    ir.agentType = pair(
      agent,
      { 0: 'CXL 1.1 Device', 1: 'CXL 1.1 Host Downstream Port' },
      'Unknown (Reserved)',
    );
  }
  if (bit(v, 1)) {
    if (agent === 0) {
      ir.cxlAgentAddress = {
        functionNumber: s.u8(16),
        deviceNumber: s.u8(17),
        busNumber: s.u8(18),
        segmentNumber: s.u16(19),
      };
    } else if (agent === 1) {
      ir.cxlAgentAddress = { value: s.u64n(16) };
    }
  }
  const deviceId: Obj = { vendorID: s.u16(24) };
  if (bit(v, 2)) {
    deviceId.deviceID = s.u16(26);
    deviceId.subsystemVendorID = s.u16(28);
    deviceId.subsystemDeviceID = s.u16(30);
    deviceId.classCode = s.u16(32);
    deviceId.slotNumber = s.u16(34) >> 3; // slot number in bits 15:3
  }
  // Quirk: the device id object (with the vendor id) is printed whatever the validation bits.
  ir.deviceID = deviceId;
  if (bit(v, 3) && agent === 0) ir.deviceSerial = s.u64n(40);
  if (bit(v, 4)) ir.capabilityStructure = bytesToBase64(s.bytes(48, 60));
  if (bit(v, 5)) {
    ir.dvsecLength = dvsecLength;
    ir.cxlDVSEC = bytesToBase64(s.bytes(116, dvsecLength));
  }
  if (bit(v, 6)) {
    ir.errorLogLength = logLength;
    ir.cxlErrorLog = bytesToBase64(s.bytes(116 + dvsecLength, logLength));
  }
  return ['A CXL Protocol Error occurred', ir];
};

const cxlComponent: SectionConverter = (s, size) => {
  if (size < 32) return undefined;
  const length = s.u32(0);
  if (size < length) return undefined;
  const v = s.u64(4);
  const ir: Obj = { length };
  if (bit(v, 0)) {
    ir.deviceID = {
      vendorID: s.u16(12),
      deviceID: s.u16(14),
      functionNumber: s.u8(16),
      deviceNumber: s.u8(17),
      busNumber: s.u8(18),
      segmentNumber: s.u16(19),
      slotNumber: s.u16(21) >> 3, // slot number in bits 15:3
    };
  }
  if (bit(v, 1)) ir.deviceSerial = s.u64n(24);
  if (bit(v, 2) && length > 32) {
    ir.cxlComponentEventLog = { data: bytesToBase64(s.bytes(32, length - 32)) };
  }
  return ['A CXL Component Error occurred', ir];
};

const ampere: SectionConverter = (s, size) => {
  if (size < 8) return undefined;
  return [
    'An Ampere Error occurred',
    { typeId: s.u16(0), subTypeId: s.u16(2), instanceId: s.u32(4) },
  ];
};

const nvidia: SectionConverter = (s, size) => {
  if (size < 32) return undefined;
  const count = s.u8(22);
  if (size < 32 + 16 * count) return undefined;
  let sig = '';
  for (let i = 0; i < 16 && s.u8(i) !== 0; i++) sig += String.fromCharCode(s.u8(i));
  const sev = s.u8(20);
  const registers: Obj[] = [];
  for (let i = 0; i < count; i++) {
    registers.push({ address: s.u64n(32 + 16 * i), value: s.u64n(40 + 16 * i) });
  }
  const ir: Obj = {
    signature: sig,
    severity: severity(sev),
    errorType: s.u16(16),
    errorInstance: s.u16(18),
    socket: s.u8(21),
    registerCount: count,
    instanceBase: s.u64n(24),
    registers,
  };
  return [`A ${SEVERITY[sev] ?? 'Unknown'} ${sig} NVIDIA Error occurred on CPU ${s.u8(21)}`, ir];
};

/** `add_dict`: {raw, value} with the value only for a named entry. */
function dict(raw: number, names: Readonly<Record<number, string>>): Obj {
  const name = names[raw];
  return name === undefined ? { raw } : { raw, value: name };
}

/** `add_int_hex_*`: "0x" and at least `digits` upper-case digits (16 for add_int_hex_64). */
const hexMin = (v: number | bigint, digits: number) =>
  `0x${v.toString(16).toUpperCase().padStart(digits, '0')}`;

// ARM RAS (libcper cper-section-arm-ras.c; Arm DEN0085). Names of component types and IP formats
// other than those the corpus shows follow DEN0085's order (ARM_RAS_* tables in libcper).
const ARM_RAS_COMPONENT_TYPES: Readonly<Record<number, string>> = {
  0: 'ProcessorErrorNode',
  1: 'MemoryErrorNode',
  2: 'SMMUErrorNode',
  3: 'VendorDefinedErrorNode',
  4: 'GICErrorNode',
  5: 'PCIeRootComplexErrorNode',
  6: 'ProxyErrorNode',
};
const ARM_RAS_IP_INSTANCE_FORMATS: Readonly<Record<number, string>> = {
  0: 'PE',
  1: 'SystemPhysicalAddress',
  2: 'LocalAddressIdentifier',
};
const ARM_RAS_IP_TYPE_FORMATS: Readonly<Record<number, string>> = { 0: 'PE', 1: 'SMMU', 2: 'GIC' };
const ARM_RAS_MPAM_KEY = 'ebb45182-fb03-4bf9-9aca-8613709fd789';

const armRas: SectionConverter = (s, size) => {
  const empty = (reason: string): SectionResult => [`ARM RAS (empty): ${reason}`, {}];
  if (size < 80) return empty(`invalid/too small ${size} < 80`);
  const count = s.u16(8);
  const synOffset = s.u16(12);
  const auxOffset = s.u16(14);
  const descBytes = count * 72;
  // Quirk: `size - offset` is unsigned in libcper, so an offset past the end does not fail here.
  if (synOffset <= size && descBytes > size - synOffset)
    return empty('descriptor array out of range');
  const revision = s.u32(0);
  if (revision !== 1) return empty(`unsupported ARM RAS revision: ${revision}`);
  if (synOffset < 80 || synOffset >= size || (auxOffset !== 0 && auxOffset >= size)) {
    return empty('invalid ARM RAS offsets');
  }
  const hex16 = (v: bigint) => hexUpper(v, 16);
  const ir: Obj = {
    revision,
    componentType: dict(s.u32(4), ARM_RAS_COMPONENT_TYPES),
    errorSyndromeArrayNumEntries: count,
    ipInstanceFormat: dict(s.u8(16), ARM_RAS_IP_INSTANCE_FORMATS),
  };
  const inst = s.u8(16);
  ir.ipInstance =
    inst === 0
      ? { mpidrEl1: hex16(s.u64(24)) }
      : inst === 1
        ? { systemPhysicalAddress: hex16(s.u64(24)) }
        : inst === 2
          ? { localAddressIdentifier: hex16(s.u64(24)), baseAddress: hex16(s.u64(32)) }
          : {};
  const type = s.u8(17);
  ir.ipTypeFormat = dict(type, ARM_RAS_IP_TYPE_FORMATS);
  ir.ipType =
    type === 0
      ? { midrEl1: hex16(s.u64(40)), revidrEl1: hex16(s.u64(48)), aidrEl1: hex16(s.u64(56)) }
      : type === 1 || type === 2
        ? { iidr: hex16(s.u64(40)), aidr: hex16(s.u64(48)) }
        : {};
  // User data: up to the first NUL, at most 15 characters when there is none.
  let ud = 0;
  while (ud < 16 && s.u8(64 + ud) !== 0) ud++;
  const userData = untrustedString(s.bytes(64, ud === 16 ? 15 : ud));
  if (userData !== undefined) ir.userData = userData;
  const syndromes: Obj[] = [];
  for (let i = 0; i < count; i++) {
    const at = synOffset + 72 * i;
    const rev = s.u8(at + 4);
    const e: Obj = {
      errorRecordIndex: s.u32(at),
      rasExtensionRevisionField: rev >> 4,
      rasExtensionArchVersion: rev & 0xf,
      errorRecordFeatureRegister: hex16(s.u64(at + 8)),
      errorRecordControlRegister: hex16(s.u64(at + 16)),
      errorRecordPrimaryStatusRegister: hex16(s.u64(at + 24)),
      errorRecordAddressRegister: hex16(s.u64(at + 32)),
      errorRecordMiscRegister0: hex16(s.u64(at + 40)),
      errorRecordMiscRegister1: hex16(s.u64(at + 48)),
    };
    if (rev !== 0) {
      e.errorRecordMiscRegister2 = hex16(s.u64(at + 56));
      e.errorRecordMiscRegister3 = hex16(s.u64(at + 64));
    }
    syndromes.push(e);
  }
  ir.errorSyndromes = syndromes;
  const aux = armRasAux(s, size, auxOffset, synOffset + descBytes);
  if (aux !== undefined) ir.auxData = aux;
  return ['ARM RAS error occured', ir]; // sic: libcper's spelling
};

function armRasAux(s: Le, size: number, auxOffset: number, syndromesEnd: number): Obj | undefined {
  if (auxOffset === 0 || auxOffset < syndromesEnd) return undefined;
  const auxLen = size - auxOffset;
  if (auxLen < 16) return undefined;
  const version = s.u16(auxOffset);
  const nCtx = s.u16(auxOffset + 2);
  const auxSize = s.u32(auxOffset + 4);
  const kvOffset = s.u32(auxOffset + 8);
  const kvCount = s.u32(auxOffset + 12);
  const kvOffsetValid = (kvCount === 0 && kvOffset === auxSize) || kvOffset < auxSize;
  if (version !== 1 || auxSize > auxLen || auxSize < 16 || !kvOffsetValid || kvOffset < 16) {
    return undefined;
  }
  const out: Obj = { version };
  const contexts: Obj[] = [];
  let at = 16;
  let remaining = auxSize - 16;
  for (let i = 0; i < nCtx; i++) {
    if (remaining < 16) return out;
    const length = s.u32(auxOffset + at);
    const flags = s.u16(auxOffset + at + 4);
    const regs = s.u16(auxOffset + at + 6);
    const needed = 16 + 16 * regs;
    if (length < 16 || length < needed || needed > remaining || at + length > kvOffset) return out;
    const c: Obj = {
      flags: {
        addressSpaceIdentifierScope: flags & 1 ? 'LocalAddressSpace' : 'SystemPhysicalAddressSpace',
      },
    };
    if (flags & 1) c.addressSpaceIdentifier = s.u64n(auxOffset + at + 8);
    const registers: Obj[] = [];
    for (let k = 0; k < regs; k++) {
      const r = auxOffset + at + 16 + 16 * k;
      registers.push({ address: hexUpper(s.u64(r), 16), value: hexUpper(s.u64(r + 8), 16) });
    }
    c.registers = registers;
    contexts.push(c);
    at += length;
    remaining -= length;
  }
  out.contexts = contexts;
  if (kvCount * 24 > auxSize - kvOffset) return out;
  const pairs: Obj[] = [];
  for (let i = 0; i < kvCount; i++) {
    const k = auxOffset + kvOffset + 24 * i;
    const key = s.guid(k);
    const value = s.u64(k + 16);
    pairs.push(
      key === ARM_RAS_MPAM_KEY
        ? { key, mpamPartId: Number(value & 0xffffn) }
        : { key, value: hexUpper(value, 16) },
    );
  }
  out.keyValuePairs = pairs;
  return out;
}

// NVIDIA event (libcper cper-section-nvidia-events.c at the corpus's commit).
const NV_SOURCE_DEVICES = ['CPU', 'GPU', 'DPU', 'NIC', 'SWX', 'BMC'];
const NV_ORIGINATORS = ['Invalid', 'Reserved1', 'PF_GSP_FW', 'VF_GSP_FW', 'PF_DRIVER', 'VF_DRIVER'];
const NV_GPU_ARCHITECTURES: Readonly<Record<number, string>> = {
  22: 'Turing',
  23: 'Ampere',
  24: 'Hopper',
  25: 'Ada',
  26: 'Blackwell',
  27: 'Blackwell2',
  28: 'Rubin',
};

/** `cper_printable_string_length`: printable characters before the first NUL (0 if any is not). */
function printableLength(b: Uint8Array): number {
  let n = 0;
  for (const c of b) {
    if (c === 0) break;
    if (c < 0x20 || c > 0x7e) return 0;
    n++;
  }
  return n;
}

const pdi = (s: Le, at: number) => {
  const parts: string[] = [];
  for (let i = 7; i >= 0; i--)
    parts.push(
      s
        .u8(at + i)
        .toString(16)
        .toUpperCase()
        .padStart(2, '0'),
    );
  return parts.join(':');
};

const hexLower = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

const nvidiaEvent: SectionConverter = (s, size) => {
  if (size < 35) return undefined; // libcper reads the headers unchecked; vras refuses
  if (s.u8(0) !== 1) return undefined; // header version must be 1
  const sigBytes = s.bytes(16, 16);
  const sigLen = printableLength(sigBytes);
  const sig = String.fromCharCode(...sigBytes.subarray(0, sigLen));
  const header: Obj = {};
  const sigText = untrustedString(sigBytes);
  if (sigLen > 0 && sigText !== undefined) header.signature = sigText;
  header.version = s.u8(0);
  const dev = s.u8(2);
  header.sourceDeviceType = NV_SOURCE_DEVICES[dev] ?? 'Unknown';
  header.type = hexMin(s.u16(4), 4);
  header.subtype = hexMin(s.u16(6), 4);
  if (s.u64(8) !== 0n) header.linkId = hexMin(s.u64(8), 16);
  const infoVersion = s.u16(32);
  const infoSize = s.u8(34);
  const major = infoVersion >> 8;
  const minor = infoVersion & 0xff;
  const info: Obj = { version: `${major}.${minor}` };
  if (dev === 0 && major === 0) {
    const cpu: Obj = {};
    if (infoSize >= 3 + 29) {
      const arch = s.u32(36);
      cpu.SocketNum = s.u8(35);
      cpu.Architecture = {
        hidFam: hexMin(arch & 0xf, 2),
        revision: `${(arch >>> 4) & 0xf}.${(arch >>> 16) & 0xf}`,
        chipId: hexMin((arch >>> 8) & 0xff, 2),
        preSiPlatform: ((arch >>> 20) & 0x1f) === 0 ? 'Silicon' : 'PreSilicon',
        errorInjection: arch >>> 31 === 1,
      };
      for (let i = 0; i < 4; i++) cpu[`Ecid${i + 1}`] = hexMin(s.u32(40 + 4 * i), 8);
      cpu.InstanceBase = hexMin(s.u64(56), 16);
    }
    info.cpu = cpu;
  } else if (dev === 1 && major === 1) {
    const gpu: Obj = {};
    if (infoSize >= 3 + 13) {
      gpu.EventOriginator = NV_ORIGINATORS[s.u8(35)] ?? 'Unknown';
      gpu.SourcePartition = s.u16(36);
      gpu.SourceSubPartition = s.u16(38);
      gpu.Pdi = pdi(s, 40);
    }
    info.gpu = gpu;
  }
  const contexts: Obj[] = [];
  const count = s.u8(1);
  // get_event_context_n: walk Context Size from the start each time, with bounds checks.
  const contextAt = (n: number): number | undefined => {
    let at = 32;
    if (at + 3 > size || at + infoSize > size) return undefined;
    at += infoSize;
    for (let i = 0; i < n; i++) {
      if (at + 16 > size) return undefined;
      const ctxSize = s.u32(at);
      if (at + ctxSize > size) return undefined;
      at += ctxSize;
    }
    return at + 16 > size ? undefined : at;
  };
  for (let i = 0; i < count; i++) {
    const at = contextAt(i);
    if (at === undefined) continue;
    const type = s.u16(at + 8);
    const dataSize = s.u32(at + 12);
    const ctx: Obj = {
      version: s.u16(at + 4),
      dataFormatType: hexMin(type, 4),
      dataFormatVersion: s.u16(at + 10),
      dataSize,
    };
    const fits = at + 16 + dataSize <= size;
    const data: Obj = {};
    const opaqueInto = (target: Obj) => {
      if (fits && dataSize > 0) target.opaque = hexLower(s.bytes(at + 16, dataSize));
    };
    if (type === 0) opaqueInto(data);
    else {
      const gpuVariant =
        dev === 1
          ? { 32768: 'gpuInitMetadata', 32769: 'gpuLegacyXid', 32770: 'gpuRecommendedActions' }[
              type
            ]
          : undefined;
      const variant =
        gpuVariant ?? { 1: 'type1', 2: 'type2', 3: 'type3', 4: 'type4' }[type] ?? 'opaque';
      const inner: Obj = {};
      data[variant] = inner;
      const d = at + 16;
      // Quirk: element counts are kept in a UINT8.
      const n = (w: number) => Math.floor(dataSize / w) & 0xff;
      if (gpuVariant !== undefined) nvidiaGpuContext(s, type, d, dataSize, fits, inner);
      else if (type >= 1 && type <= 4) {
        if (fits) {
          if (type === 1) {
            inner.keyValArray64 = Array.from({ length: n(16) }, (_, k) => ({
              key64: hexMin(s.u64(d + 16 * k), 16),
              val64: hexMin(s.u64(d + 16 * k + 8), 16),
            }));
          } else if (type === 2) {
            inner.keyValArray32 = Array.from({ length: n(8) }, (_, k) => ({
              key32: hexMin(s.u32(d + 8 * k), 8),
              val32: hexMin(s.u32(d + 8 * k + 4), 8),
            }));
          } else if (type === 3) {
            inner.valArray64 = Array.from({ length: n(8) }, (_, k) => ({
              val64: hexMin(s.u64(d + 8 * k), 16),
            }));
          } else {
            inner.valArray32 = Array.from({ length: n(4) }, (_, k) => ({
              val32: hexMin(s.u32(d + 4 * k), 8),
            }));
          }
        }
      } else {
        // Quirk: an unknown format adds an empty "opaque" object, which the opaque parser then
        // replaces with the hex string (json-c replaces a key added twice) when there is data.
        opaqueInto(data);
      }
    }
    ctx.data = data;
    contexts.push(ctx);
  }
  return [
    `A ${sig} Nvidia Event occurred`,
    { eventHeader: header, eventInfo: info, eventContexts: contexts },
  ];
};

function nvidiaGpuContext(
  s: Le,
  type: number,
  d: number,
  dataSize: number,
  fits: boolean,
  out: Obj,
): void {
  if (!fits) return;
  if (type === 0x8000) {
    if (dataSize < 192) return;
    const str = (at: number, n: number) => untrustedString(s.bytes(d + at, n)) ?? '';
    out.deviceName = str(0, 48);
    out.firmwareVersion = str(48, 16);
    out.pfDriverMicrocodeVersion = str(64, 16);
    out.pfDriverVersion = str(80, 16);
    out.vfDriverVersion = str(96, 16);
    out.configuration = hexMin(s.u64(d + 112), 16);
    out.pdi = pdi(s, d + 120);
    const arch = s.u32(d + 128);
    out.architectureId = {
      raw: hexMin(arch, 8),
      architecture: NV_GPU_ARCHITECTURES[(arch >>> 24) & 0x3f] ?? 'Unknown',
    };
    const hw = s.u8(d + 132);
    out.hardwareInfoType = hw;
    if (hw === 0) {
      const p = d + 133;
      out.pciInfo = {
        class: hexMin(s.u8(p), 2),
        subclass: hexMin(s.u8(p + 1), 2),
        rev: hexMin(s.u8(p + 2), 2),
        vendorId: hexMin(s.u16(p + 3), 4),
        deviceId: hexMin(s.u16(p + 5), 4),
        subsystemVendorId: hexMin(s.u16(p + 7), 4),
        subsystemId: hexMin(s.u16(p + 9), 4),
        bar0Start: hexMin(s.u64(p + 11), 16),
        bar0Size: hexMin(s.u64(p + 19), 16),
        bar1Start: hexMin(s.u64(p + 27), 16),
        bar1Size: hexMin(s.u64(p + 35), 16),
        bar2Start: hexMin(s.u64(p + 43), 16),
        bar2Size: hexMin(s.u64(p + 51), 16),
      };
    }
  } else if (type === 0x8001) {
    if (dataSize < 4) return;
    out.xidCode = s.u32(d);
    out.message = untrustedString(s.bytes(d + 4, Math.min(dataSize - 4, 236))) ?? '';
  } else if (type === 0x8002) {
    if (dataSize < 16) return;
    out.flags = hexMin(s.u8(d), 2);
    out.recoveryAction = s.u16(d + 4);
    out.diagnosticFlow = s.u16(d + 6);
  }
}

// ARM processor (libcper cper-section-arm.c; UEFI 2.10 N.2.4.4, error types as the 2.9A
// bitmask).
const ARM_TRANSACTION_TYPES: Readonly<Record<number, string>> = {
  0: 'Instruction',
  1: 'Data Access',
  2: 'Generic',
};
const ARM_ERROR_TYPES: Readonly<Record<number, string>> = {
  1: 'Cache Error',
  2: 'TLB Error',
  4: 'Bus Error',
  8: 'Micro-Architectural Error',
};
const ARM_CACHE_BUS_OPERATIONS = [
  'Generic Error',
  'Generic Read',
  'Generic Write',
  'Data Read',
  'Data Write',
  'Instruction Fetch',
  'Prefetch',
  'Eviction',
  'Snooping',
  'Snooped',
  'Management',
];
const ARM_TLB_OPERATIONS = [
  'Generic Error',
  'Generic Read',
  'Generic Write',
  'Data Read',
  'Data Write',
  'Instruction Fetch',
  'Prefetch',
  'Local Management Operation',
  'External Management Operation',
];
const ARM_PARTICIPATION: Readonly<Record<number, string>> = {
  0: 'Local Processor Originated Request',
  1: 'Local Processor Responded to Request',
  2: 'Local Processor Observed',
  3: 'Generic',
};
const ARM_ADDRESS_SPACES: Readonly<Record<number, string>> = {
  0: 'External Memory Access',
  1: 'Internal Memory Access',
  3: 'Device Memory Access',
};
const ARM_CONTEXT_TYPES = [
  'AArch32 General Purpose Registers',
  'AArch32 EL1 Context Registers',
  'AArch32 EL2 Context Registers',
  'AArch32 Secure Context Registers',
  'AArch64 General Purpose Registers',
  'AArch64 EL1 Context Registers',
  'AArch64 EL2 Context Registers',
  'AArch64 EL3 Context Registers',
  'Miscellaneous System Register Structure',
];
const firstN = (names: readonly string[], n: number) =>
  Object.fromEntries(names.slice(0, n).map((v, i) => [i, v])) as Record<number, string>;
const ARM_CACHE_OPS = firstN(ARM_CACHE_BUS_OPERATIONS, 11);
const ARM_TLB_OPS = firstN(ARM_TLB_OPERATIONS, 9);
// libcper passes 7 as the table length for bus operations: 7..10 print as unknown.
const ARM_BUS_OPS = firstN(ARM_CACHE_BUS_OPERATIONS, 7);
const ARM_CONTEXT_TYPE_NAMES = firstN(ARM_CONTEXT_TYPES, 9);
/** The packed miscellaneous register structure: 16 bits of MRS encoding, then the value. */
const ARM_MISC_SIZE = 10;

function armCacheTlb(info: bigint, type: number): Obj {
  const f = (at: number, n: number) => Number((info >> BigInt(at)) & ((1n << BigInt(n)) - 1n));
  const valid = f(0, 16);
  const out: Obj = {};
  if (valid & 0x1)
    out.transactionType = pair(f(16, 2), ARM_TRANSACTION_TYPES, 'Unknown (Reserved)');
  if (valid & 0x2) {
    out.operation = pair(f(18, 4), type === 1 ? ARM_CACHE_OPS : ARM_TLB_OPS, 'Unknown (Reserved)');
  }
  if (valid & 0x4) out.level = f(22, 3);
  if (valid & 0x8) out.processorContextCorrupt = bit(info, 25);
  if (valid & 0x10) out.corrected = bit(info, 26);
  if (valid & 0x20) out.precisePC = bit(info, 27);
  if (valid & 0x40) out.restartablePC = bit(info, 28);
  return { [type === 1 ? 'cacheError' : 'tlbError']: out };
}

function armBus(info: bigint): Obj {
  const f = (at: number, n: number) => Number((info >> BigInt(at)) & ((1n << BigInt(n)) - 1n));
  const valid = f(0, 16);
  const out: Obj = {};
  if (valid & 0x1)
    out.transactionType = pair(f(16, 2), ARM_TRANSACTION_TYPES, 'Unknown (Reserved)');
  if (valid & 0x2) out.operation = pair(f(18, 4), ARM_BUS_OPS, 'Unknown (Reserved)');
  if (valid & 0x4) out.level = f(22, 3);
  if (valid & 0x8) out.processorContextCorrupt = bit(info, 25);
  if (valid & 0x10) out.corrected = bit(info, 26);
  if (valid & 0x20) out.precisePC = bit(info, 27);
  if (valid & 0x40) out.restartablePC = bit(info, 28);
  if (valid & 0x80) out.participationType = pair(f(29, 2), ARM_PARTICIPATION, 'Unknown');
  if (valid & 0x100) out.timedOut = bit(info, 31);
  if (valid & 0x200) out.addressSpace = pair(f(32, 2), ARM_ADDRESS_SPACES, 'Unknown');
  if (valid & 0x400) out.memoryAttributes = f(34, 9);
  // Quirk: libcper tests validation bit 8 (timed out), not 11, for the access mode.
  if (valid & 0x100)
    out.accessMode = { value: f(43, 1), name: f(43, 1) === 0 ? 'Secure' : 'Normal' };
  return { busError: out };
}

const armProcessor: SectionConverter = (s, size) => {
  if (size < 40) return undefined;
  const v = s.u32(0);
  const nInfo = s.u16(4);
  const nCtx = s.u16(6);
  const sectionLength = s.u32(8);
  let remaining = size - 40;
  let message = 'An ARM Processor Error occurred';
  const ir: Obj = { errorInfoNum: nInfo, contextInfoNum: nCtx, sectionLength };
  if (v & 0x2) {
    const level = s.u32(12);
    ir.errorAffinity = { value: level, type: level < 4 ? 'Vendor Defined' : 'Reserved' };
  }
  if (v & 0x1) {
    const mpidr = s.u64(16);
    ir.mpidrEl1 = u64(mpidr);
    const sock = (mpidr & 0xff00000000n) >> 32n;
    ir.affinity3 = u64(sock);
    message += ` on CPU ${sock}`;
  }
  ir.midrEl1 = s.u64n(24);
  const running = s.u32(32);
  if (v & 0x4) ir.running = (running & 1) === 1;
  // Bit 31 clear: the PSCI state field is present.
  if (running >>> 31 === 0) ir.psciState = s.u32(36);
  if (remaining < nInfo * 32) return undefined;
  const descs: string[] = [];
  const infos: Obj[] = [];
  for (let i = 0; i < nInfo; i++) {
    const at = 40 + 32 * i;
    const iv = s.u16(at + 2);
    const type = s.u8(at + 4);
    const e: Obj = {
      version: s.u8(at),
      length: s.u8(at + 1),
      errorType: pair(type, ARM_ERROR_TYPES, 'Unknown (Reserved)'),
    };
    if (iv & 0x1) {
      const me = s.u16(at + 5);
      e.multipleError = { value: me, type: me < 1 ? 'Single Error' : 'Multiple Errors' };
    }
    if (iv & 0x2) {
      e.flags = bitfield(s.u8(at + 7), [
        'firstErrorCaptured',
        'lastErrorCaptured',
        'propagated',
        'overflow',
      ]);
    }
    let desc = 'Unknown Error';
    if (iv & 0x4) {
      const info = s.u64(at + 8);
      if (type === 1 || type === 2) {
        e.errorInformation = armCacheTlb(info, type);
        desc = type === 1 ? 'Cache Error' : 'TLB Error';
      } else if (type === 4) {
        e.errorInformation = armBus(info);
        desc = 'Bus Error';
      }
    }
    if (iv & 0x8) {
      const va = s.u64(at + 16);
      desc += ` at Virtual Addr=0x${va.toString(16).toUpperCase()}`;
      e.virtualFaultAddress = u64(va);
    }
    if (iv & 0x10) {
      const pa = s.u64(at + 24);
      desc += ` Physical Addr=0x${pa.toString(16).toUpperCase()}`;
      e.physicalFaultAddress = u64(pa);
    }
    descs.push(desc);
    infos.push(e);
  }
  if (nInfo > 0) message += `; Error Type(s): {${descs.join(', ')}}`;
  else message += '; Error Type(s): {';
  remaining -= 32 * nInfo;
  ir.errorInfo = infos;
  let at = 40 + 32 * nInfo;
  const contexts: Obj[] = [];
  for (let i = 0; i < nCtx; i++) {
    if (remaining < 8) return undefined;
    const version = s.u16(at);
    const type = s.u16(at + 2);
    const arraySize = s.u32(at + 4);
    at += 8;
    remaining -= 8;
    if (arraySize > remaining) return undefined;
    const c: Obj = {
      version,
      registerContextType: pair(type, ARM_CONTEXT_TYPE_NAMES, 'Unknown (Reserved)'),
      registerArraySize: arraySize,
    };
    const regs = ARM_REGISTER_NAMES[type];
    if (regs !== undefined) {
      const [w, names] = regs;
      const need = w * names.length;
      if (remaining < need || arraySize < need) return undefined;
      const out: Obj = {};
      names.forEach((n, k) => {
        out[n] = w === 4 ? s.u32(at + 4 * k) : s.u64n(at + 8 * k);
      });
      c.registerArray = shaped(out);
    } else if (type === 8) {
      if (remaining < ARM_MISC_SIZE || arraySize < ARM_MISC_SIZE) return undefined;
      const enc = s.u16(at);
      c.registerArray = {
        mrsEncoding: {
          op2: enc & 0x7,
          crm: (enc >> 3) & 0xf,
          crn: (enc >> 7) & 0xf,
          op1: (enc >> 11) & 0x7,
          o0: (enc >> 14) & 0x3,
        },
        value: s.u64n(at + 2),
      };
    } else {
      c.registerArray = { data: bytesToBase64(s.bytes(at, arraySize)) };
    }
    at += arraySize;
    remaining -= arraySize;
    contexts.push(c);
  }
  ir.contextInfo = contexts;
  if (v & 0x8 && at < sectionLength) {
    const n = sectionLength - at;
    if (remaining < n) return undefined;
    ir.vendorSpecificInfo = { data: bytesToBase64(s.bytes(at, n)) };
  }
  return [message, ir];
};

// PCIe (libcper cper-section-pcie.c with its register bitfield decoding, the version the corpus
// was made with). Registers are read at their PCIe Base offsets, bit fields LSB first.
const PCIE_PORT_TYPES: Readonly<Record<number, string>> = {
  0: 'PCI Express End Point',
  1: 'Legacy PCI End Point Device',
  4: 'Root Port',
  5: 'Upstream Switch Port',
  6: 'Downstream Switch Port',
  7: 'PCI Express to PCI/PCI-X Bridge',
  8: 'PCI/PCI-X Bridge to PCI Express Bridge',
  9: 'Root Complex Integrated Endpoint Device',
  10: 'Root Complex Event Collector',
};
// Quirk: libcper indexes this compacted list by the raw Device/Port Type, so 4 reads "DOWNSTREAM".
const PCIE_DEVICE_PORT_TYPE_DICT = [
  'PCIE',
  'PCI',
  'ROOT_PORT',
  'UPSTREAM',
  'DOWNSTREAM',
  'PCIE_PCI_BRIDGE',
  'PCI_PCIE_BRIDGE',
  'RCiEP',
  'RCEC',
];
const PCIE_PORT_TYPE_DICT_BY_VALUE: Readonly<Record<number, string>> = Object.fromEntries(
  PCIE_DEVICE_PORT_TYPE_DICT.map((n, i) => [i, n]),
);
const SUPPORTED = ['NotSupported', 'Supported'] as const;
const ENABLED = ['Disabled', 'Enabled'] as const;
const PASSING = ['Failed', 'Passing'] as const;
const FATALITY = ['NonFatal', 'Fatal'] as const;

/** One register's bit fields, printed the way libcper's add_* helpers print them. */
type FieldKind = 'int' | 'bool' | 'raw' | readonly [string, string] | 'port';
function register(
  value: number,
  fields: readonly (readonly [string, number, number, FieldKind])[],
): Obj {
  const out: Obj = {};
  for (const [name, lo, width, kind] of fields) {
    const v = Math.floor(value / 2 ** lo) % 2 ** width;
    if (kind === 'int') out[name] = v;
    else if (kind === 'bool') out[name] = v !== 0;
    else if (kind === 'raw') out[name] = { raw: v };
    else if (kind === 'port') out[name] = dict(v, PCIE_PORT_TYPE_DICT_BY_VALUE);
    else out[name] = v > 0 ? kind[1] : kind[0];
  }
  return fields.length > 16 ? shaped(out) : out;
}

function pcieCapability(s: Le, at: number): Obj {
  const u16 = (o: number) => s.u16(at + o);
  const u32 = (o: number) => s.u32(at + o);
  const out: Obj = { data: bytesToBase64(s.bytes(at, 60)) };
  out.pcie_capability_header = register(u16(0), [
    ['capability_id', 0, 8, 'raw'],
    ['next_capability_pointer', 8, 8, 'int'],
  ]);
  const version = u16(2) & 0xf;
  out.pcie_capabilities = register(u16(2), [
    ['capability_version', 0, 4, 'int'],
    ['device_port_type', 4, 4, 'port'],
    ['slot_implemented', 8, 1, 'bool'],
    ['interrupt_message_number', 9, 5, 'int'],
    ['flit_mode_supported', 15, 1, SUPPORTED],
  ]);
  out.device_capabilities = register(u32(4), [
    ['max_payload_size_supported', 0, 3, 'int'],
    ['phantom_functions_supported', 3, 2, SUPPORTED],
    ['extended_tag_field_supported', 5, 1, SUPPORTED],
    ['endpoint_l0s_acceptable_latency', 6, 3, 'raw'],
    ['endpoint_l1_acceptable_latency', 9, 3, 'raw'],
    ['role_based_error_reporting', 15, 1, 'bool'],
    ['err_cor_subclass_capable', 16, 1, 'bool'],
    ['rx_mps_fixed', 17, 1, 'int'],
    ['captured_slot_power_limit_value', 18, 8, 'int'],
    ['captured_slot_power_limit_scale', 26, 2, 'int'],
    ['function_level_reset_capability_supported', 28, 1, SUPPORTED],
    ['mixed_mps_supported', 29, 1, SUPPORTED],
    ['tee_io_supported', 30, 1, SUPPORTED],
  ]);
  out.device_control = register(u16(8), [
    ['correctable_error_reporting_enable', 0, 1, ENABLED],
    ['non_fatal_error_reporting_enable', 1, 1, ENABLED],
    ['fatal_error_reporting_enable', 2, 1, ENABLED],
    ['unsupported_request_reporting_enabled', 3, 1, ENABLED],
    ['relaxed_ordering_enable', 4, 1, ENABLED],
    ['max_payload_size', 5, 3, 'int'],
    ['extended_tag_field_enable', 8, 1, ENABLED],
    ['phantom_functions_enable', 9, 1, ENABLED],
    ['aux_power_pm_enable', 10, 1, ENABLED],
    ['enable_no_snoop', 11, 1, 'int'],
    ['max_read_request_size', 12, 3, 'int'],
    ['function_level_reset', 15, 1, 'bool'],
  ]);
  out.device_status = register(u16(10), [
    ['correctable_error_detected', 0, 1, 'bool'],
    ['non_fatal_error_detected', 1, 1, 'bool'],
    ['fatal_error_detected', 2, 1, 'bool'],
    ['unsupported_request_detected', 3, 1, 'bool'],
    ['aux_power_detected', 4, 1, 'bool'],
    ['transactions_pending', 5, 1, 'bool'],
    ['emergency_power_reduction', 6, 2, 'int'],
  ]);
  out.link_capabilities = register(u32(12), [
    ['max_link_speed', 0, 4, 'int'],
    ['maximum_link_width', 4, 6, 'int'],
    ['aspm_support', 10, 2, 'int'],
    ['l0s_exit_latency', 12, 3, 'int'],
    ['l1_exit_latency', 15, 3, 'int'],
    ['clock_power_management', 18, 1, 'bool'],
    ['surprise_down_error_reporting_capable', 19, 1, 'bool'],
    ['data_link_layer_link_active_reporting_capable', 20, 1, 'bool'],
    ['link_bandwidth_notification_capability', 21, 1, 'bool'],
    ['aspm_optionality_compliance', 22, 1, 'bool'],
    ['port_number', 24, 8, 'int'],
  ]);
  out.link_control = register(u16(16), [
    ['aspm_control', 0, 2, 'int'],
    ['ptm_prop_delay_adaptation_interpretation', 2, 1, 'bool'],
    ['link_disable', 4, 1, 'int'],
    ['retrain_link', 5, 1, 'int'],
    ['extended_synch', 7, 1, 'int'],
    ['sris_clocking', 12, 1, 'int'],
    ['flit_mode_disable', 13, 1, 'int'],
  ]);
  out.link_status = register(u16(18), [
    ['current_link_speed', 0, 4, 'int'],
    ['negotiated_link_width', 4, 6, 'int'],
    ['link_training', 11, 1, 'int'],
  ]);
  out.slot_capabilities = register(u32(20), [
    ['slot_power_limit_value', 7, 8, 'raw'],
    ['slot_power_limit_scale', 15, 2, 'int'],
    ['physical_slot_number', 19, 13, 'int'],
  ]);
  out.slot_control = register(u16(24), [
    ['attention_indicator_control', 6, 2, 'int'],
    ['power_indicator_control', 8, 2, 'int'],
    ['rsvdp', 15, 1, 'int'],
  ]);
  out.slot_status = register(u16(26), [
    ['mrl_sensor_changed', 2, 1, 'int'],
    ['command_completed', 4, 1, 'int'],
    ['mrl_sensor_state', 5, 1, 'int'],
  ]);
  out.root_status = register(u32(32), [
    ['pme_requester_id', 0, 16, 'int'],
    ['pme_status', 16, 1, 'int'],
    ['pme_pending', 17, 1, 'int'],
  ]);
  if (version < 2) return out;
  out.device_capabilities2 = register(u32(36), [
    ['completion_timeout_ranges_supported', 0, 4, 'int'],
    ['completion_timeout_disable_supported', 4, 1, SUPPORTED],
    ['ari_forwarding_supported', 5, 1, SUPPORTED],
    ['atomic_op_routing_supported', 6, 1, SUPPORTED],
    ['_32_bit_atomicop_completer_supported', 7, 1, SUPPORTED],
    ['_64_bit_atomicop_completer_supported', 8, 1, SUPPORTED],
    ['_128_bit_cas_completer_supported', 9, 1, SUPPORTED],
    ['no_ro_enabled_pr_pr_passing', 10, 1, PASSING],
    ['ltr_mechanism_supported', 11, 1, SUPPORTED],
    ['tph_completer_supported', 12, 2, SUPPORTED],
    ['obff_supported', 18, 2, SUPPORTED],
    ['max_end_end_tlp_prefixes', 22, 2, 'raw'],
    ['emergency_power_reduction_supported', 24, 2, SUPPORTED],
    ['dmwr_lengths_supported', 29, 2, 'int'],
  ]);
  out.device_control2 = register(u16(40), [
    ['completion_timeout_value', 0, 4, 'int'],
    ['ari_forwarding_enable', 5, 1, 'bool'],
    ['atomicop_requester_enable', 6, 1, 'bool'],
    ['atomicop_egress_blocking', 7, 1, 'bool'],
    ['ido_request_enable', 8, 1, 'bool'],
    ['ido_completion_enable', 9, 1, 'bool'],
    ['ltr_mechanism_enable', 10, 1, 'bool'],
    ['emergency_power_reduction_request', 11, 1, 'bool'],
    ['bit_tag_requester_10_enable', 12, 1, 'bool'],
    ['obff_enable', 13, 2, 'int'],
  ]);
  // Quirk: libcper's link_capabilities2_t puts Supported Link Speeds in a union that GCC lays
  // out as 4 bytes after the first byte, so the structure is 8 bytes long: the fields after it
  // sit one 32-bit word later than in the spec, and Link Control 2 and Link Status 2 follow at
  // 0x34 and 0x36 instead of 0x30 and 0x32.
  out.link_capabilities2 = {
    supported_link_speeds: (u32(44) >>> 8) & 0x7f,
    ...register(u32(48), [
      ['crosslink_supported', 8, 1, SUPPORTED],
      ['lower_skp_os_generation_supported', 9, 7, 'int'],
      ['lower_skp_os_reception_supported', 16, 7, 'int'],
      ['retimer_presence_detect_supported', 23, 1, SUPPORTED],
      ['two_retimers_presence_detect_supported', 24, 1, SUPPORTED],
      ['drs_supported', 31, 1, SUPPORTED],
    ]),
  };
  out.link_control2 = register(u16(52), [
    ['target_link_speed', 0, 4, 'raw'],
    ['enter_compliance', 4, 1, SUPPORTED],
    ['hardware_autonomous_speed_disable', 5, 1, 'raw'],
    ['selectable_de_emphasis', 6, 1, 'bool'],
    ['transmit_margin', 7, 3, 'int'],
    ['enter_modified_compliance', 10, 1, 'bool'],
    ['compliance_sos', 11, 1, 'bool'],
    ['compliance_preset_de_emphasis', 12, 4, 'int'],
  ]);
  out.link_status2 = register(u16(54), [
    ['current_de_emphasis_level', 0, 1, 'int'],
    ['equalization_8gts_complete', 1, 1, 'bool'],
    ['equalization_8gts_phase1_successful', 2, 1, 'bool'],
    ['equalization_8gts_phase2_successful', 3, 1, 'bool'],
    ['equalization_8gts_phase3_successful', 4, 1, 'bool'],
    ['link_equalization_request_8gts', 5, 1, 'bool'],
    ['retimer_presence_detected', 6, 1, 'bool'],
    ['two_retimers_presence_detected', 7, 1, 'bool'],
    ['crosslink_resolution', 8, 2, 'int'],
    ['flit_mode_status', 10, 1, 'int'],
    ['downstream_component_presence', 12, 3, 'int'],
    ['drs_message_received', 15, 1, 'bool'],
  ]);
  return out;
}

const AER_UNCORRECTABLE = [
  ['data_link_protocol_error', 4],
  ['surprise_down_error', 5],
  ['poisoned_tlp_received', 12],
  ['flow_control_protocol_error', 13],
  ['completion_timeout', 14],
  ['completer_abort', 15],
  ['unexpected_completion', 16],
  ['receiver_overflow', 17],
  ['malformed_tlp', 18],
  ['ecrc_error', 19],
  ['unsupported_request_error', 20],
  ['acs_violation', 21],
  ['uncorrectable_internal_error', 22],
  ['mc_blocked_tlp', 23],
  ['atomicop_egress_blocked', 24],
  ['tlp_prefix_blocked_error', 25],
  ['poisoned_tlp_egress_blocked', 26],
  ['dmwr_request_egress_blocked', 27],
  ['ide_check_failed', 28],
  ['misrouted_ide_tlp', 29],
  ['pcrc_check_failed', 30],
  ['tlp_translation_egress_blocked', 31],
] as const;
const AER_CORRECTABLE = [
  ['receiver_error', 0],
  ['bad_tlp', 6],
  ['bad_dllp', 7],
  ['replay_num_rollover', 8],
  ['replay_timer_timeout', 12],
  ['advisory_non_fatal_error', 13],
  ['corrected_internal_error', 14],
  ['header_log_overflow', 15],
] as const;

function pcieAer(s: Le, at: number): Obj {
  const u32 = (o: number) => s.u32(at + o);
  const out: Obj = { data: bytesToBase64(s.bytes(at, 96)) };
  out.capability_header = register(u32(0), [
    ['capability_id', 0, 16, 'int'],
    ['capability_version', 16, 4, 'int'],
    ['next_capability_offset', 20, 12, 'int'],
  ]);
  // Quirk: the status bit "poisoned_tlp_received" has no "_status" suffix in libcper.
  out.uncorrectable_error_status = register(
    u32(4),
    AER_UNCORRECTABLE.map(
      ([n, b]) => [n === 'poisoned_tlp_received' ? n : `${n}_status`, b, 1, 'bool'] as const,
    ),
  );
  out.uncorrectable_error_mask = register(
    u32(8),
    AER_UNCORRECTABLE.map(([n, b]) => [`${n}_mask`, b, 1, 'int'] as const),
  );
  out.uncorrectable_error_severity = register(
    u32(12),
    AER_UNCORRECTABLE.map(([n, b]) => [`${n}_severity`, b, 1, FATALITY] as const),
  );
  out.correctable_error_status = register(
    u32(16),
    AER_CORRECTABLE.map(([n, b]) => [`${n}_status`, b, 1, 'bool'] as const),
  );
  out.correctable_error_mask = register(
    u32(20),
    AER_CORRECTABLE.map(([n, b]) => [`${n}_mask`, b, 1, 'int'] as const),
  );
  out.advanced_error_capabilities_and_control = register(u32(24), [
    ['first_error_pointer', 0, 5, 'int'],
    ['header_log_size', 13, 5, 'int'],
    ['logged_tlp_size', 19, 5, 'int'],
  ]);
  out.root_error_status = register(u32(48), [
    ['err_cor_subclass', 7, 2, 'int'],
    // Quirk: libcper's 16-bit reserved field ends at bit 24, so it reads bits 29:25.
    ['advanced_error_interrupt_message_number', 25, 5, 'int'],
  ]);
  out.error_source_id = register(u32(52), [
    ['err_cor_source_identification', 0, 16, 'int'],
    ['err_fatal_nonfatal_source_identification', 16, 16, 'int'],
  ]);
  return out;
}

const pcie: SectionConverter = (s, size) => {
  if (size < 208) return undefined;
  const v = s.u64(0);
  const ir: Obj = {};
  if (bit(v, 0)) ir.portType = pair(s.u32(8), PCIE_PORT_TYPES, 'Unknown');
  if (bit(v, 1)) ir.version = { minor: bcd(s.u8(12)), major: bcd(s.u8(13)) };
  if (bit(v, 2)) ir.commandStatus = { commandRegister: s.u16(16), statusRegister: s.u16(18) };
  if (bit(v, 3)) {
    const cc = [s.u8(28), s.u8(29), s.u8(30)] as const;
    const classId = (cc[2] << 16) + (cc[1] << 8) + cc[0];
    const slot = s.u16(37) >> 3;
    // libcper also prints "class" for codes in its PCI class-code name table; vras does not
    // carry that table, so a device with a listed class code differs by that one field.
    ir.deviceID = {
      deviceID_Hex: hexMin(s.u16(26), 4),
      vendorID_Hex: hexMin(s.u16(24), 4),
      classCode_Hex: hexMin(classId, 6),
      functionNumber_Hex: hexMin(s.u8(31), 2),
      deviceNumber_Hex: hexMin(s.u8(32), 2),
      // Quirk: the segment and slot go through add_int_hex_8, which keeps their low byte.
      segmentNumber_Hex: hexMin(s.u16(33) & 0xff, 2),
      primaryOrDeviceBusNumber_Hex: hexMin(s.u8(35), 2),
      secondaryBusNumber_Hex: hexMin(s.u8(36), 2),
      slotNumber_Hex: hexMin(slot & 0xff, 2),
      deviceID: s.u16(26),
      vendorID: s.u16(24),
      classCode: classId,
      functionNumber: s.u8(31),
      deviceNumber: s.u8(32),
      segmentNumber: s.u16(33),
      primaryOrDeviceBusNumber: s.u8(35),
      secondaryBusNumber: s.u8(36),
      slotNumber: slot,
    };
  }
  if (bit(v, 4)) ir.deviceSerialNumber = s.u64n(40);
  if (bit(v, 5)) {
    ir.bridgeControlStatus = { secondaryStatusRegister: s.u16(48), controlRegister: s.u16(50) };
  }
  if (bit(v, 6)) ir.capabilityStructure = pcieCapability(s, 52);
  if (bit(v, 7)) ir.aerInfo = pcieAer(s, 112);
  return ['A PCIe Error occurred', ir];
};

const IA32_ERROR_TYPES: readonly string[] = [
  'a55701f5-e3ef-43de-ac72-249b573fad2c',
  'fc06b535-5e1f-4562-9f25-0a3b9adb63c3',
  '1cf3f8b3-c5b1-49a2-aa59-5eef92ffa63c',
  '48ab7f57-dc34-4f6c-a7d3-b0b5b0a74314',
];
const IA32_ERROR_TYPE_NAMES = [
  'Cache Check Error',
  'TLB Check Error',
  'Bus Check Error',
  'MS Check Error',
];

const IA32_TRANSACTION_TYPES: Readonly<Record<number, string>> = {
  0: 'Instruction',
  1: 'Data Access',
  2: 'Generic',
};
const IA32_OPERATIONS: Readonly<Record<number, string>> = {
  0: 'Generic Error',
  1: 'Generic Read',
  2: 'Generic Write',
  3: 'Data Read',
  4: 'Data Write',
  5: 'Instruction Fetch',
  6: 'Prefetch',
  7: 'Eviction',
  8: 'Snoop',
};
const IA32_PARTICIPATION: Readonly<Record<number, string>> = {
  0: 'Local processor originated request',
  1: 'Local processor responded to request',
  2: 'Local processor observed',
  3: 'Generic',
};
const IA32_ADDRESS_SPACE: Readonly<Record<number, string>> = {
  0: 'Memory Access',
  1: 'Reserved',
  2: 'I/O',
  3: 'Other Transaction',
};
// Quirk: libcper passes a table length of 4, so MS error types 4 and 5 print as unknown.
const IA32_MS_ERROR_TYPES: Readonly<Record<number, string>> = {
  0: 'No Error',
  1: 'Unclassified',
  2: 'Microcode ROM Parity Error',
  3: 'External Error',
};
const IA32_CONTEXT_TYPES: Readonly<Record<number, string>> = {
  0: 'Unclassified Data',
  1: 'MSR Registers',
  2: '32-bit Mode Execution Context',
  3: '64-bit Mode Execution Context',
  4: 'FXSave Context',
  5: '32-bit Mode Debug Registers',
  6: '64-bit Mode Debug Registers',
  7: 'Memory Mapper Registers', // sic
};

function ia32Check(type: number, c: bigint): Obj {
  const f = (at: number, n: number) => Number((c >> BigInt(at)) & ((1n << BigInt(n)) - 1n));
  const valid = f(0, 16);
  const out: Obj = {};
  if (type === 3) {
    if (valid & 0x1)
      out.errorType = pair(f(16, 3), IA32_MS_ERROR_TYPES, 'Unknown (Processor Specific)');
    if (valid & 0x2) out.processorContextCorrupt = bit(c, 19);
    if (valid & 0x4) out.uncorrected = bit(c, 20);
    if (valid & 0x8) out.preciseIP = bit(c, 21);
    if (valid & 0x10) out.restartableIP = bit(c, 22);
    if (valid & 0x20) out.overflow = bit(c, 23);
    return out;
  }
  if (valid & 0x1)
    out.transactionType = pair(f(16, 2), IA32_TRANSACTION_TYPES, 'Unknown (Reserved)');
  if (valid & 0x2) out.operation = pair(f(18, 4), IA32_OPERATIONS, 'Unknown (Reserved)');
  if (valid & 0x4) out.level = f(22, 3);
  if (valid & 0x8) out.processorContextCorrupt = bit(c, 25);
  if (valid & 0x10) out.uncorrected = bit(c, 26);
  if (valid & 0x20) out.preciseIP = bit(c, 27);
  if (valid & 0x40) out.restartableIP = bit(c, 28);
  if (valid & 0x80) out.overflow = bit(c, 29);
  if (type === 2) {
    if (valid & 0x200) out.timedOut = bit(c, 32);
    if (valid & 0x100) out.participationType = pair(f(30, 2), IA32_PARTICIPATION, 'Unknown');
    if (valid & 0x400) out.addressSpace = pair(f(33, 2), IA32_ADDRESS_SPACE, 'Unknown');
  }
  return out;
}

const IA32_STATE_SIZE = 92;
const X64_STATE_SIZE = 244;

function ia32Registers(s: Le, at: number): Obj {
  const names32 = ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp'];
  const out: Obj = {};
  names32.forEach((n, i) => {
    out[n] = s.u32(at + 4 * i);
  });
  ['cs', 'ds', 'ss', 'es', 'fs', 'gs'].forEach((n, i) => {
    out[n] = s.u16(at + 32 + 2 * i);
  });
  out.eflags = s.u32(at + 44);
  out.eip = s.u32(at + 48);
  ['cr0', 'cr1', 'cr2', 'cr3', 'cr4'].forEach((n, i) => {
    out[n] = s.u32(at + 52 + 4 * i);
  });
  out.gdtr = u64(BigInt(s.u32(at + 72)) + (BigInt(s.u32(at + 76)) << 32n));
  out.idtr = u64(BigInt(s.u32(at + 80)) + (BigInt(s.u32(at + 84)) << 32n));
  out.ldtr = s.u16(at + 88);
  out.tr = s.u16(at + 90);
  return shaped(out);
}

function x64Registers(s: Le, at: number): Obj {
  const out: Obj = {};
  const gprs = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp'];
  for (let i = 0; i < 16; i++) out[i < 8 ? gprs[i]! : `r${i}`] = s.u64n(at + 8 * i);
  ['cs', 'ds', 'ss', 'es', 'fs', 'gs'].forEach((n, i) => {
    out[n] = s.u16(at + 128 + 2 * i);
  });
  out.rflags = s.u64n(at + 144);
  out.eip = s.u64n(at + 152); // sic: libcper names RIP "eip"
  ['cr0', 'cr1', 'cr2', 'cr3', 'cr4', 'cr8'].forEach((n, i) => {
    out[n] = s.u64n(at + 160 + 8 * i);
  });
  out.gdtr_0 = s.u64n(at + 208);
  out.gdtr_1 = s.u64n(at + 216);
  out.idtr_0 = s.u64n(at + 224);
  out.idtr_1 = s.u64n(at + 232);
  out.ldtr = s.u16(at + 240);
  out.tr = s.u16(at + 242);
  return shaped(out);
}

const ia32x64: SectionConverter = (s, size) => {
  if (size < 64) return undefined;
  const v = s.u64(0);
  const nInfo = Number((v >> 2n) & 0x3fn);
  const nCtx = Number((v >> 8n) & 0x3fn);
  let remaining = size - 64;
  const ir: Obj = { processorErrorInfoNum: nInfo, processorContextInfoNum: nCtx };
  if (bit(v, 0)) ir.localAPICID = s.u64n(8);
  if (bit(v, 1)) {
    ir.cpuidInfo = {
      eax: s.u64n(16),
      ebx: s.u64n(24),
      ecx: s.u64n(32),
      edx: s.u64n(40),
    };
  }
  if (remaining < nInfo * 64) return undefined;
  const infos: Obj[] = [];
  for (let i = 0; i < nInfo; i++) {
    const at = 64 + 64 * i;
    const g = s.guid(at);
    const index = IA32_ERROR_TYPES.indexOf(g);
    const e: Obj = { type: { guid: g, name: IA32_ERROR_TYPE_NAMES[index] ?? 'Unknown' } };
    const iv = s.u64(at + 16);
    // Quirk: an unknown structure type still adds "checkInfo", as null.
    if (bit(iv, 0))
      e.checkInfo = index < 0 ? null : ia32Check(index === 1 ? 0 : index, s.u64(at + 24));
    if (bit(iv, 1)) e.targetAddressID = s.u64n(at + 32);
    if (bit(iv, 2)) e.requestorID = s.u64n(at + 40);
    if (bit(iv, 3)) e.responderID = s.u64n(at + 48);
    if (bit(iv, 4)) e.instructionPointer = s.u64n(at + 56);
    infos.push(e);
  }
  remaining -= nInfo * 64;
  ir.processorErrorInfo = infos;
  if (remaining < nCtx * 16) return undefined;
  const contexts: (Obj | null)[] = [];
  let at = 64 + 64 * nInfo;
  for (let i = 0; i < nCtx; i++) {
    // Quirk: a context that does not fit is null, and the next one is read from the same place.
    if (remaining < 16) {
      contexts.push(null);
      continue;
    }
    const type = s.u16(at);
    const arraySize = s.u16(at + 2);
    const c: Obj = {
      registerContextType: pair(type, IA32_CONTEXT_TYPES, 'Unknown (Reserved)'),
      registerArraySize: arraySize,
      msrAddress: s.u32(at + 4),
      mmRegisterAddress: s.u64n(at + 8),
    };
    // Quirk: 32- and 64-bit execution contexts are read as the fixed register structure
    // whatever Register Array Size says, and the next context starts after that structure.
    const body = type === 2 ? IA32_STATE_SIZE : type === 3 ? X64_STATE_SIZE : arraySize;
    if (remaining - 16 < body) {
      remaining -= 16;
      contexts.push(null);
      continue;
    }
    remaining -= 16 + body;
    if (type === 2) c.registerArray = ia32Registers(s, at + 16);
    else if (type === 3) c.registerArray = x64Registers(s, at + 16);
    else c.registerArray = { data: bytesToBase64(s.bytes(at + 16, arraySize)) };
    contexts.push(c);
    at += 16 + body;
  }
  ir.processorContextInfo = contexts;
  return ['An IA32/x64 Processor Error occurred', ir];
};

/**
 * libcper's section table (sections/cper-section.c): readable name, JSON key, converter.
 * IPF has an entry without a converter: libcper names the type "IPF" in the descriptor and prints
 * the body as `Unknown` base64.
 */
const SECTION_DEFINITIONS: Readonly<
  Record<string, readonly [string, string, SectionConverter | undefined]>
> = {
  '9876ccad-47b4-4bdb-b65e-16f193c4f3db': [
    'Processor Generic',
    'GenericProcessor',
    genericProcessor,
  ],
  'dc3ea0b0-a144-4797-b95b-53fa242b6e1d': ['IA32/X64', 'Ia32x64Processor', ia32x64],
  'e429faf1-3cb7-11d4-bca7-0080c73c8881': ['IPF', 'IPF', undefined],
  'e19e3d16-bc11-11e4-9caa-c2051d5d46b0': ['ARM', 'ArmProcessor', armProcessor],
  'bf32d4d5-b427-4025-8495-8a9e5d4030e4': ['ARM RAS', 'ArmRas', armRas],
  'a5bc1114-6f64-4ede-b863-3e83ed7c83b1': ['Platform Memory', 'Memory', memory],
  '61ec04fc-48e6-d813-25c9-8daa44750b12': ['Platform Memory 2', 'Memory2', memory2],
  'd995e954-bbc1-430f-ad91-b44dcb3c6f35': ['PCIe', 'Pcie', pcie],
  '81212a96-09ed-4996-9471-8d729c8e69ed': ['Firmware Error Record Reference', 'Firmware', firmware],
  'c5753963-3b84-4095-bf78-eddad3f9c9dd': ['PCI/PCI-X Bus', 'PciBus', pciBus],
  'eb5e4685-ca66-4769-b6a2-26068b001326': ['PCI Component/Device', 'PciComponent', pciComponent],
  '5b51fef7-c79d-4434-8f1b-aa62de3e2c64': ['DMAr Generic', 'GenericDmar', dmarGeneric],
  '71761d37-32b2-45cd-a7d0-b0fedd93e8cf': [
    'Intel VT for Directed I/O Specific DMAr',
    'VtdDmar',
    dmarVtd,
  ],
  '036f84e1-7f37-428c-a79e-575fdfaa84ec': ['IOMMU Specific DMAr', 'IommuDmar', dmarIommu],
  '91335ef6-ebfb-4478-a6a6-88b728cf75d7': ['CCIX PER Log Error', 'CcixPer', ccixPer],
  '80b9efb4-52b5-4de3-a777-68784b771048': ['CXL Protocol Error', 'CxlProtocol', cxlProtocol],
  'fbcd0a77-c260-417f-85a9-088b1621eba6': [
    'CXL General Media Component Error',
    'CxlComponent',
    cxlComponent,
  ],
  '601dcbb3-9c06-4eab-b8af-4e9bfb5c9624': [
    'CXL DRAM Component Error',
    'CxlComponent',
    cxlComponent,
  ],
  'fe927475-dd59-4339-a586-79bab113b774': [
    'CXL Memory Module Component Error',
    'CxlComponent',
    cxlComponent,
  ],
  '77cf9271-9c02-470b-9fe4-bc7b75f2da97': [
    'CXL Physical Switch Component Error',
    'CxlComponent',
    cxlComponent,
  ],
  '40d26425-3396-4c4d-a5da-3d47263af425': [
    'CXL Virtual Switch Component Error',
    'CxlComponent',
    cxlComponent,
  ],
  '8dc44363-0c96-4710-b7bf-04bb99534c3f': [
    'CXL MLD Port Component Error',
    'CxlComponent',
    cxlComponent,
  ],
  '6d5244f2-2712-11ec-bea7-cb3fdb95c786': ['NVIDIA', 'Nvidia', nvidia],
  '9068e568-6ca0-11f0-aeaf-159343591eac': ['NvidiaEvent', 'NvidiaEvent', nvidiaEvent],
  '2826cc9f-448c-4c2b-86b6-a95394b7ef33': ['Ampere', 'Ampere', ampere],
};

/** `cper_buf_section_to_ir`: the section object for `bytes` of section type `guid`. */
export function sectionToLibcper(guid: string, bytes: Uint8Array): Obj {
  const def = SECTION_DEFINITIONS[guid];
  const result = def?.[2]?.(new Le(bytes), bytes.length);
  if (result === undefined) return { Unknown: { data: bytesToBase64(bytes) } };
  const out: Obj = {};
  if (result[0] !== undefined) out.message = result[0];
  out[def![1]] = result[1];
  return out;
}

function invalid(message: string, offset: number): CodecError {
  return new CodecError(`Cannot convert to libcper JSON: ${message}`, {
    code: CodecErrorCode.Invalid,
    structure: 'CPER record',
    offset,
  });
}

/**
 * libcper's JSON for a whole CPER record (`cper_buf_to_ir`): the same checks on signatures,
 * section count and descriptor bounds, then the header, every descriptor and every section.
 */
export function cperRecordBytesToLibcper(bytes: Uint8Array): Obj {
  if (bytes.length < CPER_HEADER_LENGTH)
    throw invalid(`a record needs ${CPER_HEADER_LENGTH} bytes, got ${bytes.length}`, 0);
  const h = new Le(bytes);
  if (h.u32(0) !== 0x52455043) throw invalid('signature is not "CPER"', 0);
  if (h.u32(6) !== 0xffffffff) throw invalid('signature end is not 0xffffffff', 6);
  const count = h.u16(10);
  if (count === 0) throw invalid('section count is 0', 10);
  const descriptors: Obj[] = [];
  const sections: Obj[] = [];
  for (let i = 0; i < count; i++) {
    const at = CPER_HEADER_LENGTH + CPER_DESCRIPTOR_LENGTH * i;
    if (at + CPER_DESCRIPTOR_LENGTH > bytes.length)
      throw invalid(`section descriptor ${i} is past the end`, at);
    const d = new Le(bytes, at);
    const offset = d.u32(0);
    const length = d.u32(4);
    if (length === 0) throw invalid(`section ${i} length is 0`, at + 4);
    if (offset + length > bytes.length)
      throw invalid(`section ${i} (offset + length) is past the end`, at);
    descriptors.push(descriptorToLibcper(d));
    sections.push(sectionToLibcper(d.guid(16), bytes.subarray(offset, offset + length)));
  }
  return { header: headerToLibcper(h), sectionDescriptors: descriptors, sections };
}

/**
 * libcper's single-section form (`cper_buf_single_section_to_ir`): a section descriptor whose
 * offset is counted from the descriptor itself, then the section.
 */
export function sectionWithDescriptorBytesToLibcper(bytes: Uint8Array): Obj {
  if (bytes.length < CPER_DESCRIPTOR_LENGTH) {
    throw invalid(
      `a section descriptor needs ${CPER_DESCRIPTOR_LENGTH} bytes, got ${bytes.length}`,
      0,
    );
  }
  const d = new Le(bytes);
  const offset = d.u32(0);
  const length = d.u32(4);
  // cper_buf_single_section_to_ir refuses a section that ends exactly at the end of the buffer
  // (`>=`); cper_single_section_to_ir, which `cper-convert` uses on files, reads it. The latter is
  // followed: a Redfish CPERSection is exactly descriptor + section.
  if (offset + length > bytes.length)
    throw invalid('the section ends past the end of the input', 0);
  return {
    sectionDescriptor: descriptorToLibcper(d),
    section: sectionToLibcper(d.guid(16), bytes.subarray(offset, offset + length)),
  };
}

/** libcper's JSON for a decoded CPER record (its bytes, encoded exactly, then read as libcper). */
export function cperRecordToLibcper(record: CperRecord): Obj {
  return cperRecordBytesToLibcper(encodeCperRecord(record));
}

/** libcper's JSON for a decoded section with its descriptor (the single-section form). */
export function sectionWithDescriptorToLibcper(value: CperSectionWithDescriptor): Obj {
  return sectionWithDescriptorBytesToLibcper(encodeSectionWithDescriptor(value));
}
