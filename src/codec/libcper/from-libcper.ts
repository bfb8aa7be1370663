// libcper JSON → CPER bytes, as libcper's `cper-convert to-cper` does it (ir-parse.c and the
// sections' ir_section_*_to_cper): the header and section descriptors as the JSON gives them
// (Record Length, Section Offset and Section Length included), validation bits rebuilt from the
// fields present, and the section bodies written one after another behind the descriptors.
// Fields libcper leaves out of its JSON come back as zeros, as they do from libcper; what
// libcper's JSON carries comes back exactly.
//
// Section types whose reverse conversion vras does not model raise Unrecognised.

import { CodecError, CodecErrorCode } from '../errors.js';
import { type Guid, guidToBytes, isGuid } from '../guid.js';
import { base64ToBytes } from '../hex.js';
import { ByteWriter } from '../writer.js';
import { ARM_REGISTER_NAMES } from './arm-registers.js';
import type { LibcperJson } from './json-text.js';

type Obj = { readonly [key: string]: LibcperJson };
const STRUCTURE = 'libcper JSON';

function invalid(field: string, message: string): CodecError {
  return new CodecError(`Cannot encode ${STRUCTURE}: ${field} ${message}`, {
    code: CodecErrorCode.Invalid,
    structure: STRUCTURE,
    field,
  });
}

const isObj = (v: LibcperJson | undefined): v is Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: LibcperJson | undefined): Obj => (isObj(v) ? v : {});
const has = (o: Obj, k: string) => Object.hasOwn(o, k) && o[k] !== null;

/** json_object_get_uint64: a number or bigint; anything else 0. Wrapped to `bits`. */
function uint(v: LibcperJson | undefined, bits: number): bigint {
  let n = 0n;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number' && Number.isFinite(v)) n = BigInt(Math.trunc(v));
  else if (typeof v === 'boolean') n = v ? 1n : 0n;
  return BigInt.asUintN(bits, n);
}
const n8 = (v: LibcperJson | undefined) => Number(uint(v, 8));
const n16 = (v: LibcperJson | undefined) => Number(uint(v, 16));
const n32 = (v: LibcperJson | undefined) => Number(uint(v, 32));
const n64 = (v: LibcperJson | undefined) => uint(v, 64);
const bool = (v: LibcperJson | undefined) => v === true || (typeof v === 'number' && v !== 0);
/** readable_pair_to_integer: the pair's "value". */
const pairValue = (v: LibcperJson | undefined, bits: number) => uint(obj(v).value, bits);

function guid(v: LibcperJson | undefined): Guid {
  return typeof v === 'string' && isGuid(v.toLowerCase())
    ? (v.toLowerCase() as Guid)
    : '00000000-0000-0000-0000-000000000000';
}

function b64(v: LibcperJson | undefined, field: string): Uint8Array {
  if (typeof v !== 'string') return new Uint8Array(0);
  return base64ToBytes(v, `${STRUCTURE} ${field}`);
}

/** A fixed-size little-endian buffer written by offset (calloc + field stores in libcper). */
class Buf {
  readonly b: Uint8Array;
  constructor(size: number) {
    this.b = new Uint8Array(size);
  }
  u8(at: number, v: number) {
    this.b[at] = v & 0xff;
  }
  u16(at: number, v: number) {
    this.u8(at, v);
    this.u8(at + 1, v >>> 8);
  }
  u32(at: number, v: number) {
    this.u16(at, v & 0xffff);
    this.u16(at + 2, v >>> 16);
  }
  u64(at: number, v: bigint) {
    this.u32(at, Number(v & 0xffffffffn));
    this.u32(at + 4, Number((v >> 32n) & 0xffffffffn));
  }
  guid(at: number, g: Guid) {
    guidToBytes(g, this.b, at);
  }
  bytes(at: number, src: Uint8Array, max: number) {
    this.b.set(src.subarray(0, max), at);
  }
  /** strncpy of `max` bytes (no terminator added beyond what fits). */
  text(at: number, v: LibcperJson | undefined, max: number) {
    if (typeof v !== 'string') return;
    for (let i = 0; i < v.length && i < max; i++) this.b[at + i] = v.charCodeAt(i) & 0xff;
  }
}

const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** ir_generic_error_status_to_cper. */
function errorStatus(v: LibcperJson | undefined): bigint {
  const s = obj(v);
  let out = pairValue(s.errorType, 8) << 8n;
  const flags = [
    'addressSignal',
    'controlSignal',
    'dataSignal',
    'detectedByResponder',
    'detectedByRequester',
    'firstError',
    'overflowDroppedLogs',
  ];
  flags.forEach((f, i) => {
    if (bool(s[f])) out |= 1n << BigInt(16 + i);
  });
  return out;
}

function bitsFrom(o: LibcperJson | undefined, names: readonly string[]): number {
  const x = obj(o);
  let out = 0;
  names.forEach((n, i) => {
    if (bool(x[n])) out |= 1 << i;
  });
  return out >>> 0;
}

type Reverse = (ir: Obj) => Uint8Array;

const generic: Reverse = (ir) => {
  const b = new Buf(192);
  let v = 0n;
  const set = (bit: number) => {
    v |= 1n << BigInt(bit);
  };
  if (has(ir, 'processorType')) {
    b.u8(8, Number(pairValue(ir.processorType, 8)));
    set(0);
  }
  if (has(ir, 'processorISA')) {
    b.u8(9, Number(pairValue(ir.processorISA, 8)));
    set(1);
  }
  if (has(ir, 'errorType')) {
    b.u8(10, Number(pairValue(ir.errorType, 8)));
    set(2);
  }
  if (has(ir, 'operation')) {
    b.u8(11, Number(pairValue(ir.operation, 8)));
    set(3);
  }
  if (has(ir, 'flags')) {
    b.u8(12, bitsFrom(ir.flags, ['restartable', 'preciseIP', 'overflow', 'corrected']));
    set(4);
  }
  if (has(ir, 'level')) {
    b.u8(13, n8(ir.level));
    set(5);
  }
  if (has(ir, 'cpuVersionInfo')) {
    b.u64(16, n64(ir.cpuVersionInfo));
    set(6);
  }
  if (has(ir, 'processorID')) {
    b.u64(152, n64(ir.processorID));
    set(8);
  }
  if (has(ir, 'targetAddress')) {
    b.u64(160, n64(ir.targetAddress));
    set(9);
  }
  if (has(ir, 'requestorID')) {
    b.u64(168, n64(ir.requestorID));
    set(10);
  }
  if (has(ir, 'responderID')) {
    b.u64(176, n64(ir.responderID));
    set(11);
  }
  if (has(ir, 'instructionIP')) {
    b.u64(184, n64(ir.instructionIP));
    set(12);
  }
  if (has(ir, 'cpuBrandString')) {
    b.text(24, ir.cpuBrandString, 127);
    set(7);
  }
  b.u64(0, v);
  return b.b;
};

const memory: Reverse = (ir) => {
  const b = new Buf(80);
  let v = 0n;
  const set = (bit: number) => {
    v |= 1n << BigInt(bit);
  };
  if (has(ir, 'errorStatus')) {
    b.u64(8, errorStatus(ir.errorStatus));
    set(0);
  }
  if (has(ir, 'bank')) {
    const bank = obj(ir.bank);
    if (has(bank, 'value')) {
      b.u16(38, n16(bank.value));
      set(6);
    } else {
      b.u16(38, n8(bank.address) + (n8(bank.group) << 8));
      set(19);
      set(20);
    }
  }
  if (has(ir, 'extended')) {
    const e = obj(ir.extended);
    let x = (bool(e.rowBit16) ? 1 : 0) | (bool(e.rowBit17) ? 2 : 0);
    if (has(e, 'chipIdentification')) {
      x |= n32(e.chipIdentification) << 5;
      set(21);
    }
    b.u8(73, x);
    set(18);
  }
  if (has(ir, 'memoryErrorType')) {
    b.u8(72, Number(pairValue(ir.memoryErrorType, 8)));
    set(14);
  }
  if (has(ir, 'physicalAddress')) {
    b.u64(16, n64(ir.physicalAddress));
    set(1);
  }
  if (has(ir, 'physicalAddressMask')) {
    b.u64(24, n64(ir.physicalAddressMask));
    set(2);
  }
  if (has(ir, 'node')) {
    b.u16(32, n16(ir.node));
    set(3);
  }
  if (has(ir, 'card')) {
    b.u16(34, n16(ir.card));
    set(4);
  }
  if (has(ir, 'moduleRank')) {
    b.u16(36, n16(ir.moduleRank));
    set(5);
  }
  if (has(ir, 'device')) {
    b.u16(40, n16(ir.device));
    set(7);
  }
  if (has(ir, 'row')) {
    b.u16(42, n16(ir.row));
    set(8);
  }
  if (has(ir, 'column')) {
    b.u16(44, n16(ir.column));
    set(9);
  }
  if (has(ir, 'bitPosition')) {
    b.u16(46, n16(ir.bitPosition));
    set(10);
  }
  if (has(ir, 'requestorID')) {
    b.u64(48, n64(ir.requestorID));
    set(11);
  }
  if (has(ir, 'responderID')) {
    b.u64(56, n64(ir.responderID));
    set(12);
  }
  if (has(ir, 'targetID')) {
    b.u64(64, n64(ir.targetID));
    set(13);
  }
  if (has(ir, 'rankNumber')) {
    b.u16(74, n16(ir.rankNumber));
    set(15);
  }
  if (has(ir, 'cardSmbiosHandle')) {
    b.u16(76, n16(ir.cardSmbiosHandle));
    set(16);
  }
  if (has(ir, 'moduleSmbiosHandle')) {
    b.u16(78, n16(ir.moduleSmbiosHandle));
    set(17);
  }
  b.u64(0, v);
  return b.b;
};

const memory2: Reverse = (ir) => {
  const b = new Buf(96);
  let v = 0n;
  const set = (bit: number) => {
    v |= 1n << BigInt(bit);
  };
  if (has(ir, 'errorStatus')) {
    b.u64(8, errorStatus(ir.errorStatus));
    set(0);
  }
  const bank = obj(ir.bank);
  if (has(bank, 'value')) {
    b.u16(38, n16(bank.value));
    set(6);
  } else {
    b.u16(38, n8(bank.address) + (n8(bank.group) << 8));
    set(20);
    set(21);
  }
  if (has(ir, 'memoryErrorType')) {
    b.u8(61, Number(pairValue(ir.memoryErrorType, 8)));
    set(13);
  }
  if (has(ir, 'status')) {
    b.u8(62, n8(obj(ir.status).value));
    set(14);
  }
  if (has(ir, 'physicalAddress')) {
    b.u64(16, n64(ir.physicalAddress));
    set(1);
  }
  if (has(ir, 'physicalAddressMask')) {
    b.u64(24, n64(ir.physicalAddressMask));
    set(2);
  }
  if (has(ir, 'node')) {
    b.u16(32, n16(ir.node));
    set(3);
  }
  if (has(ir, 'card')) {
    b.u16(34, n16(ir.card));
    set(4);
  }
  if (has(ir, 'module')) {
    b.u16(36, n16(ir.module));
    set(5);
  }
  if (has(ir, 'device')) {
    b.u32(40, n32(ir.device));
    set(7);
  }
  if (has(ir, 'row')) {
    b.u32(44, n32(ir.row));
    set(8);
  }
  if (has(ir, 'column')) {
    b.u32(48, n32(ir.column));
    set(9);
  }
  if (has(ir, 'rank')) {
    b.u32(52, n32(ir.rank));
    set(10);
  }
  if (has(ir, 'bitPosition')) {
    b.u32(56, n32(ir.bitPosition));
    set(11);
  }
  if (has(ir, 'chipID')) {
    b.u8(60, n8(ir.chipID));
    set(12);
  }
  if (has(ir, 'requestorID')) {
    b.u64(64, n64(ir.requestorID));
    set(15);
  }
  if (has(ir, 'responderID')) {
    b.u64(72, n64(ir.responderID));
    set(16);
  }
  if (has(ir, 'targetID')) {
    b.u64(80, n64(ir.targetID));
    set(17);
  }
  if (has(ir, 'cardSmbiosHandle')) {
    b.u32(88, n32(ir.cardSmbiosHandle));
    set(18);
  }
  if (has(ir, 'moduleSmbiosHandle')) {
    b.u32(92, n32(ir.moduleSmbiosHandle));
    set(19);
  }
  b.u64(0, v);
  return b.b;
};

const firmware: Reverse = (ir) => {
  const b = new Buf(32);
  b.u8(0, Number(pairValue(ir.errorRecordType, 8)));
  b.u8(1, n8(ir.revision));
  b.u64(8, n64(ir.recordID));
  b.guid(16, guid(ir.recordIDGUID));
  return b.b;
};

const pciBus: Reverse = (ir) => {
  const b = new Buf(72);
  let v = 0n;
  const set = (bit: number) => {
    v |= 1n << BigInt(bit);
  };
  if (has(ir, 'errorStatus')) {
    b.u64(8, errorStatus(ir.errorStatus));
    set(0);
  }
  if (has(ir, 'busID')) {
    const id = obj(ir.busID);
    b.u16(18, n8(id.busNumber) + (n8(id.segmentNumber) << 8));
    set(2);
  }
  if (has(ir, 'errorType')) {
    b.u16(16, Number(pairValue(ir.errorType, 16)));
    set(1);
  }
  if (has(ir, 'busAddress')) {
    b.u64(24, n64(ir.busAddress));
    set(3);
  }
  if (has(ir, 'busData')) {
    b.u64(32, n64(ir.busData));
    set(4);
  }
  if (has(ir, 'busCommandType')) {
    b.u64(40, ir.busCommandType === 'PCI' ? 0n : 1n << 56n);
    set(5);
  }
  if (has(ir, 'busRequestorID')) {
    b.u64(48, n64(ir.busRequestorID));
    set(6);
  }
  if (has(ir, 'busCompleterID')) {
    b.u64(56, n64(ir.busCompleterID));
    set(7);
  }
  if (has(ir, 'targetID')) {
    b.u64(64, n64(ir.targetID));
    set(8);
  }
  b.u64(0, v);
  return b.b;
};

const pciComponent: Reverse = (ir) => {
  const b = new Buf(40);
  let v = 0n;
  const set = (bit: number) => {
    v |= 1n << BigInt(bit);
  };
  if (has(ir, 'errorStatus')) {
    b.u64(8, errorStatus(ir.errorStatus));
    set(0);
  }
  if (has(ir, 'idInfo')) {
    const id = obj(ir.idInfo);
    b.u16(16, n16(id.vendorID));
    b.u16(18, n16(id.deviceID));
    const cc = n32(id.classCode);
    b.u8(20, cc);
    b.u8(21, cc >>> 8);
    b.u8(22, cc >>> 16);
    b.u8(23, n8(id.functionNumber));
    b.u8(24, n8(id.deviceNumber));
    b.u8(25, n8(id.busNumber));
    b.u8(26, n8(id.segmentNumber));
    set(1);
  }
  if (has(ir, 'memoryNumber')) {
    b.u32(32, n32(ir.memoryNumber));
    set(2);
  }
  if (has(ir, 'ioNumber')) {
    b.u32(36, n32(ir.ioNumber));
    set(3);
  }
  const pairs = Array.isArray(ir.registerDataPairs)
    ? (ir.registerDataPairs as LibcperJson[])
    : undefined;
  if (pairs !== undefined) set(4);
  b.u64(0, v);
  const tail = new Buf(16 * (pairs?.length ?? 0));
  pairs?.forEach((p, i) => {
    tail.u64(16 * i, n64(obj(p).firstHalf));
    tail.u64(16 * i + 8, n64(obj(p).secondHalf));
  });
  return cat(b.b, tail.b);
};

const dmarGeneric: Reverse = (ir) => {
  const b = new Buf(32);
  b.u16(0, n16(ir.requesterID));
  b.u16(2, n16(ir.segmentNumber));
  b.u8(4, Number(pairValue(ir.faultReason, 8)));
  b.u8(5, Number(pairValue(ir.accessType, 8)));
  b.u8(6, Number(pairValue(ir.addressType, 8)));
  b.u8(7, Number(pairValue(ir.architectureType, 8)));
  b.u64(8, n64(ir.deviceAddress));
  return b.b;
};

const ptes = (b: Buf, ir: Obj) => {
  for (let l = 6; l >= 1; l--) b.u64(96 + 8 * (6 - l), n64(ir[`pageTableEntry_Level${l}`]));
};

const dmarVtd: Reverse = (ir) => {
  const b = new Buf(144);
  b.u8(0, n8(ir.version));
  b.u8(1, n8(ir.revision));
  const oem = n64(ir.oemID);
  for (let i = 0; i < 6; i++) b.u8(2 + i, Number((oem >> BigInt(8 * i)) & 0xffn));
  b.u64(8, n64(ir.capabilityRegister));
  b.u64(16, n64(ir.extendedCapabilityRegister));
  b.u32(24, n32(ir.globalCommandRegister));
  b.u32(28, n32(ir.globalStatusRegister));
  b.u32(32, n32(ir.faultStatusRegister));
  const f = obj(ir.faultRecord);
  const lo = BigInt.asUintN(52, n64(f.faultInformation)) << 12n;
  const hi =
    BigInt(n16(f.sourceIdentifier)) |
    (bool(f.privelegeModeRequested) ? 1n << 29n : 0n) |
    (bool(f.executePermissionRequested) ? 1n << 30n : 0n) |
    (bool(f.pasidPresent) ? 1n << 31n : 0n) |
    (BigInt(n8(f.faultReason)) << 32n) |
    (BigInt.asUintN(20, n64(f.pasidValue)) << 40n) |
    (BigInt.asUintN(2, n64(f.addressType)) << 60n) |
    (BigInt.asUintN(1, pairValue(f.type, 64)) << 62n);
  b.u64(48, lo);
  b.u64(56, hi);
  b.bytes(64, b64(ir.rootEntry, 'rootEntry'), 16);
  b.bytes(80, b64(ir.contextEntry, 'contextEntry'), 16);
  ptes(b, ir);
  return b.b;
};

const dmarIommu: Reverse = (ir) => {
  const b = new Buf(144);
  b.u8(0, n8(ir.revision));
  b.u64(8, n64(ir.controlRegister));
  b.u64(16, n64(ir.statusRegister));
  b.bytes(32, b64(ir.eventLogEntry, 'eventLogEntry'), 16);
  b.bytes(64, b64(ir.deviceTableEntry, 'deviceTableEntry'), 32);
  ptes(b, ir);
  return b.b;
};

const ccixPer: Reverse = (ir) => {
  const b = new Buf(16);
  let v = 0n;
  b.u32(0, n32(ir.length));
  if (has(ir, 'ccixSourceID')) {
    b.u8(12, n8(ir.ccixSourceID));
    v |= 1n;
  }
  if (has(ir, 'ccixPortID')) {
    b.u8(13, n8(ir.ccixPortID));
    v |= 2n;
  }
  const log = has(ir, 'ccixPERLog') ? b64(ir.ccixPERLog, 'ccixPERLog') : new Uint8Array(0);
  if (has(ir, 'ccixPERLog')) v |= 4n;
  b.u64(4, v);
  return cat(b.b, log);
};

const cxlProtocol: Reverse = (ir) => {
  const b = new Buf(116);
  let v = 0n;
  const set = (bit: number) => {
    v |= 1n << BigInt(bit);
  };
  let agent = 0;
  if (has(ir, 'agentType')) {
    agent = Number(pairValue(ir.agentType, 8));
    b.u8(8, agent);
    set(0);
  }
  if (has(ir, 'cxlAgentAddress')) {
    const a = obj(ir.cxlAgentAddress);
    if (agent === 0) {
      b.u8(16, n8(a.functionNumber));
      b.u8(17, n8(a.deviceNumber));
      b.u8(18, n8(a.busNumber));
      b.u16(19, n16(a.segmentNumber));
    } else if (agent === 1) b.u64(16, n64(a.value));
    set(1);
  }
  if (has(ir, 'deviceID')) {
    const d = obj(ir.deviceID);
    b.u16(24, n16(d.vendorID));
    b.u16(26, n16(d.deviceID));
    b.u16(28, n16(d.subsystemVendorID));
    b.u16(30, n16(d.subsystemDeviceID));
    b.u16(32, n16(d.classCode));
    b.u16(34, n16(n16(d.slotNumber) << 3)); // slot number in bits 15:3
    set(2);
  }
  if (agent === 0) {
    if (has(ir, 'deviceSerial')) {
      b.u64(40, n64(ir.deviceSerial));
      set(3);
    }
    if (has(ir, 'capabilityStructure')) {
      b.bytes(48, b64(ir.capabilityStructure, 'capabilityStructure'), 60);
      set(4);
    }
  }
  b.u16(108, n16(ir.dvsecLength));
  b.u16(110, n16(ir.errorLogLength));
  let dvsec: Uint8Array = new Uint8Array(0);
  if (has(ir, 'cxlDVSEC')) {
    set(5);
    dvsec = b64(ir.cxlDVSEC, 'cxlDVSEC');
  }
  let log: Uint8Array = new Uint8Array(0);
  if (has(ir, 'cxlErrorLog')) {
    set(6);
    log = b64(ir.cxlErrorLog, 'cxlErrorLog');
  }
  b.u64(0, v);
  return cat(b.b, dvsec, log);
};

const cxlComponent: Reverse = (ir) => {
  const b = new Buf(32);
  let v = 0n;
  b.u32(0, n32(ir.length));
  if (has(ir, 'deviceID')) {
    const d = obj(ir.deviceID);
    b.u16(12, n16(d.vendorID));
    b.u16(14, n16(d.deviceID));
    b.u8(16, n8(d.functionNumber));
    b.u8(17, n8(d.deviceNumber));
    b.u8(18, n8(d.busNumber));
    b.u16(19, n16(d.segmentNumber));
    b.u16(21, n16(n16(d.slotNumber) << 3)); // slot number in bits 15:3
    v |= 1n;
  }
  if (has(ir, 'deviceSerial')) {
    b.u64(24, n64(ir.deviceSerial));
    v |= 2n;
  }
  let log: Uint8Array = new Uint8Array(0);
  if (has(ir, 'cxlComponentEventLog')) {
    v |= 4n;
    log = b64(obj(ir.cxlComponentEventLog).data, 'cxlComponentEventLog');
  }
  b.u64(4, v);
  return cat(b.b, log);
};

const ampere: Reverse = (ir) => {
  const b = new Buf(8);
  b.u16(0, n16(ir.typeId));
  b.u16(2, n16(ir.subTypeId));
  b.u32(4, n32(ir.instanceId));
  return b.b;
};

const nvidia: Reverse = (ir) => {
  const regs = Array.isArray(ir.registers) ? (ir.registers as LibcperJson[]) : [];
  const b = new Buf(32 + 16 * regs.length);
  b.text(0, ir.signature, 16);
  b.u16(16, n16(ir.errorType));
  b.u16(18, n16(ir.errorInstance));
  b.u8(20, n8(obj(ir.severity).code));
  b.u8(21, n8(ir.socket));
  b.u8(22, n8(ir.registerCount));
  b.u64(24, n64(ir.instanceBase));
  regs.forEach((r, i) => {
    b.u64(32 + 16 * i, n64(obj(r).address));
    b.u64(40 + 16 * i, n64(obj(r).value));
  });
  return b.b;
};

const pcie: Reverse = (ir) => {
  const b = new Buf(208);
  let v = 0n;
  const set = (bit: number) => {
    v |= 1n << BigInt(bit);
  };
  const bcd = (n: number) => ((Math.trunc(n / 10) % 16) << 4) | (n % 10);
  if (has(ir, 'version')) {
    const ver = obj(ir.version);
    b.u8(12, bcd(n32(ver.minor)));
    b.u8(13, bcd(n32(ver.major)));
    set(1);
  }
  if (has(ir, 'commandStatus')) {
    const c = obj(ir.commandStatus);
    b.u16(16, n16(c.commandRegister));
    b.u16(18, n16(c.statusRegister));
    set(2);
  }
  if (has(ir, 'deviceID')) {
    const d = obj(ir.deviceID);
    const cc = n32(d.classCode);
    b.u16(24, n16(d.vendorID));
    b.u16(26, n16(d.deviceID));
    // Quirk: libcper's to-cper stores the class code bytes in the reverse of its to-json order.
    b.u8(28, cc >>> 16);
    b.u8(29, cc >>> 8);
    b.u8(30, cc);
    b.u8(31, n8(d.functionNumber));
    b.u8(32, n8(d.deviceNumber));
    b.u16(33, n16(d.segmentNumber));
    b.u8(35, n8(d.primaryOrDeviceBusNumber));
    b.u8(36, n8(d.secondaryBusNumber));
    b.u16(37, n16(n16(d.slotNumber) << 3)); // slot number in bits 15:3
    set(3);
  }
  if (has(ir, 'bridgeControlStatus')) {
    const c = obj(ir.bridgeControlStatus);
    b.u16(48, n16(c.secondaryStatusRegister));
    b.u16(50, n16(c.controlRegister));
    set(5);
  }
  if (has(ir, 'capabilityStructure')) {
    b.bytes(52, b64(obj(ir.capabilityStructure).data, 'capabilityStructure.data'), 60);
    set(6);
  }
  if (has(ir, 'aerInfo')) {
    b.bytes(112, b64(obj(ir.aerInfo).data, 'aerInfo.data'), 96);
    set(7);
  }
  if (has(ir, 'portType')) {
    b.u32(8, Number(pairValue(ir.portType, 32)));
    set(0);
  }
  if (has(ir, 'deviceSerialNumber')) {
    b.u64(40, n64(ir.deviceSerialNumber));
    set(4);
  }
  b.u64(0, v);
  return b.b;
};

function armErrorInformation(type: number, e: Obj): bigint {
  const info = obj(e.errorInformation);
  const inner = obj(info.cacheError ?? info.tlbError ?? info.busError);
  let v = 0n;
  let out = 0n;
  const put = (validBit: number, value: bigint, at: number) => {
    v |= 1n << BigInt(validBit);
    out |= value << BigInt(at);
  };
  const b1 = (x: LibcperJson | undefined) => (bool(x) ? 1n : 0n);
  if (has(inner, 'transactionType')) put(0, pairValue(inner.transactionType, 2), 16);
  if (has(inner, 'operation')) put(1, pairValue(inner.operation, 4), 18);
  if (has(inner, 'level')) put(2, BigInt.asUintN(3, n64(inner.level)), 22);
  if (has(inner, 'processorContextCorrupt')) put(3, b1(inner.processorContextCorrupt), 25);
  if (has(inner, 'corrected')) put(4, b1(inner.corrected), 26);
  if (has(inner, 'precisePC')) put(5, b1(inner.precisePC), 27);
  if (has(inner, 'restartablePC')) put(6, b1(inner.restartablePC), 28);
  if (type === 4) {
    if (has(inner, 'participationType')) put(7, pairValue(inner.participationType, 2), 29);
    if (has(inner, 'timedOut')) put(8, b1(inner.timedOut), 31);
    if (has(inner, 'addressSpace')) put(9, pairValue(inner.addressSpace, 2), 32);
    if (has(inner, 'memoryAttributes')) put(10, BigInt.asUintN(9, n64(inner.memoryAttributes)), 34);
    if (has(inner, 'accessMode')) put(11, pairValue(inner.accessMode, 1), 43);
  }
  return out | v;
}

const arm: Reverse = (ir) => {
  const infos = Array.isArray(ir.errorInfo) ? (ir.errorInfo as LibcperJson[]) : [];
  const contexts = Array.isArray(ir.contextInfo) ? (ir.contextInfo as LibcperJson[]) : [];
  const h = new Buf(40);
  let v = 0;
  h.u16(4, n16(ir.errorInfoNum));
  h.u16(6, n16(ir.contextInfoNum));
  h.u32(8, n32(ir.sectionLength));
  if (has(ir, 'mpidrEl1')) {
    h.u64(16, n64(ir.mpidrEl1));
    v |= 1;
  }
  if (has(ir, 'errorAffinity')) {
    h.u32(12, Number(pairValue(ir.errorAffinity, 32)));
    v |= 2;
  }
  h.u64(24, n64(ir.midrEl1));
  if (has(ir, 'running')) {
    h.u32(32, bool(ir.running) ? 1 : 0);
    v |= 4;
  }
  if (has(ir, 'psciState')) h.u32(36, n32(ir.psciState));
  const vendor = has(ir, 'vendorSpecificInfo')
    ? b64(obj(ir.vendorSpecificInfo).data, 'vendorSpecificInfo.data')
    : undefined;
  if (vendor !== undefined) v |= 8;
  h.u32(0, v);
  const parts = [h.b];
  for (const x of infos) {
    const e = obj(x);
    const b = new Buf(32);
    const type = Number(pairValue(e.errorType, 8));
    let iv = 0;
    b.u8(0, n8(e.version));
    b.u8(1, n8(e.length));
    b.u8(4, type);
    if (has(e, 'multipleError')) {
      b.u16(5, Number(pairValue(e.multipleError, 16)));
      iv |= 1;
    }
    if (has(e, 'flags')) {
      b.u8(
        7,
        bitsFrom(e.flags, ['firstErrorCaptured', 'lastErrorCaptured', 'propagated', 'overflow']),
      );
      iv |= 2;
    }
    if (has(e, 'errorInformation')) {
      b.u64(8, armErrorInformation(type, e));
      iv |= 4;
    }
    if (has(e, 'virtualFaultAddress')) {
      b.u64(16, n64(e.virtualFaultAddress));
      iv |= 8;
    }
    if (has(e, 'physicalFaultAddress')) {
      b.u64(24, n64(e.physicalFaultAddress));
      iv |= 16;
    }
    b.u16(2, iv);
    parts.push(b.b);
  }
  for (const x of contexts) {
    const c = obj(x);
    const type = Number(pairValue(c.registerContextType, 16));
    const head = new Buf(8);
    head.u16(0, n16(c.version));
    head.u16(2, type);
    head.u32(4, n32(c.registerArraySize));
    parts.push(head.b);
    const regs = obj(c.registerArray);
    const layout = ARM_REGISTER_NAMES[type];
    if (layout !== undefined) {
      const [w, names] = layout;
      const r = new Buf(w * names.length);
      names.forEach((n, k) => {
        if (w === 4) r.u32(4 * k, n32(regs[n]));
        else r.u64(8 * k, n64(regs[n]));
      });
      parts.push(r.b);
    } else if (type === 8) {
      const enc = obj(regs.mrsEncoding);
      const r = new Buf(10);
      r.u16(
        0,
        (n8(enc.op2) & 7) |
          ((n8(enc.crm) & 15) << 3) |
          ((n8(enc.crn) & 15) << 7) |
          ((n8(enc.op1) & 7) << 11) |
          ((n8(enc.o0) & 3) << 14),
      );
      r.u64(2, n64(regs.value));
      parts.push(r.b);
    } else {
      parts.push(b64(regs.data, 'registerArray.data'));
    }
  }
  if (vendor !== undefined) parts.push(vendor);
  return cat(...parts);
};

/** "0x…" register text (libcper prints ARM RAS registers as 0x%016llX) to a number. */
function hexValue(v: LibcperJson | undefined): bigint {
  if (typeof v === 'bigint' || typeof v === 'number') return n64(v);
  if (typeof v !== 'string') return 0n;
  const m = /^\s*0[xX]([0-9a-fA-F]{1,16})/.exec(v);
  return m === null ? 0n : BigInt(`0x${m[1]}`);
}

const ARM_RAS_MPAM_KEY: Guid = 'ebb45182-fb03-4bf9-9aca-8613709fd789';

const armRas: Reverse = (ir) => {
  const syndromes = Array.isArray(ir.errorSyndromes) ? (ir.errorSyndromes as LibcperJson[]) : [];
  const aux = isObj(ir.auxData) ? ir.auxData : undefined;
  const node = new Buf(80);
  node.u32(0, n32(ir.revision));
  node.u32(4, n32(obj(ir.componentType).raw));
  node.u16(8, syndromes.length);
  node.u16(12, 80);
  node.u16(14, aux === undefined ? 0 : 80 + 72 * syndromes.length);
  const inst = n8(obj(ir.ipInstanceFormat).raw);
  const type = n8(obj(ir.ipTypeFormat).raw);
  node.u8(16, inst);
  node.u8(17, type);
  const ii = obj(ir.ipInstance);
  if (inst === 0) node.u64(24, hexValue(ii.mpidrEl1));
  else if (inst === 1) node.u64(24, hexValue(ii.systemPhysicalAddress));
  else if (inst === 2) {
    node.u64(24, hexValue(ii.localAddressIdentifier));
    node.u64(32, hexValue(ii.baseAddress));
  }
  const it = obj(ir.ipType);
  if (type === 0) {
    node.u64(40, hexValue(it.midrEl1));
    node.u64(48, hexValue(it.revidrEl1));
    node.u64(56, hexValue(it.aidrEl1));
  } else if (type === 1 || type === 2) {
    node.u64(40, hexValue(it.iidr));
    node.u64(48, hexValue(it.aidr));
  }
  node.text(64, ir.userData, 15);
  const parts = [node.b];
  for (const x of syndromes) {
    const e = obj(x);
    const b = new Buf(72);
    b.u32(0, n32(e.errorRecordIndex));
    b.u8(4, ((n8(e.rasExtensionRevisionField) & 15) << 4) | (n8(e.rasExtensionArchVersion) & 15));
    const regs = [
      'Feature',
      'Control',
      'PrimaryStatus',
      'Address',
      'Misc0',
      'Misc1',
      'Misc2',
      'Misc3',
    ];
    regs.forEach((r, k) => {
      const name = r.startsWith('Misc')
        ? `errorRecordMiscRegister${r.slice(4)}`
        : `errorRecord${r}Register`;
      b.u64(8 + 8 * k, hexValue(e[name]));
    });
    parts.push(b.b);
  }
  if (aux !== undefined) {
    const contexts = Array.isArray(aux.contexts) ? (aux.contexts as LibcperJson[]) : [];
    const pairs = Array.isArray(aux.keyValuePairs) ? (aux.keyValuePairs as LibcperJson[]) : [];
    const ctxParts: Uint8Array[] = [];
    for (const x of contexts) {
      const c = obj(x);
      const regs = Array.isArray(c.registers) ? (c.registers as LibcperJson[]) : [];
      const b = new Buf(16 + 16 * regs.length);
      const local = obj(c.flags).addressSpaceIdentifierScope === 'LocalAddressSpace';
      b.u32(0, 16 + 16 * regs.length);
      b.u16(4, local ? 1 : 0);
      b.u16(6, regs.length);
      if (local) b.u64(8, n64(c.addressSpaceIdentifier));
      regs.forEach((r, k) => {
        b.u64(16 + 16 * k, hexValue(obj(r).address));
        b.u64(24 + 16 * k, hexValue(obj(r).value));
      });
      ctxParts.push(b.b);
    }
    const kvp = new Buf(24 * pairs.length);
    pairs.forEach((x, k) => {
      const p = obj(x);
      const key = guid(p.key);
      kvp.guid(24 * k, key);
      kvp.u64(
        24 * k + 16,
        key === ARM_RAS_MPAM_KEY && has(p, 'mpamPartId') ? n64(p.mpamPartId) : hexValue(p.value),
      );
    });
    const contextBytes = cat(...ctxParts);
    const head = new Buf(16);
    head.u16(0, n16(aux.version));
    head.u16(2, contexts.length);
    head.u32(4, 16 + contextBytes.length + kvp.b.length);
    head.u32(8, 16 + contextBytes.length);
    head.u32(12, pairs.length);
    parts.push(head.b, contextBytes, kvp.b);
  }
  return cat(...parts);
};

const NV_DEVICES = ['CPU', 'GPU', 'DPU', 'NIC', 'SWX', 'BMC'];
const NV_ORIGINATORS = ['Invalid', 'Reserved1', 'PF_GSP_FW', 'VF_GSP_FW', 'PF_DRIVER', 'VF_DRIVER'];

function hexBytes(v: LibcperJson | undefined): Uint8Array {
  if (typeof v !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(v)) return new Uint8Array(0);
  const out = new Uint8Array(v.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(v.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function pdiBytes(b: Buf, at: number, v: LibcperJson | undefined): void {
  if (typeof v !== 'string') return;
  const m =
    /^([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})/.exec(
      v,
    );
  if (m === null) return;
  for (let k = 0; k < 8; k++) b.u8(at + k, Number.parseInt(m[8 - k]!, 16));
}

/** The data bytes of one NVIDIA event context from its "data" object. */
function nvidiaContextData(dev: number, type: number, data: Obj, dataSize: number): Uint8Array {
  const arr = (v: LibcperJson | undefined) => (Array.isArray(v) ? (v as LibcperJson[]) : []);
  const gpu = dev === 1;
  if (gpu && type === 0x8000) {
    const d = obj(data.gpuInitMetadata);
    const b = new Buf(192);
    b.text(0, d.deviceName, 48);
    b.text(48, d.firmwareVersion, 16);
    b.text(64, d.pfDriverMicrocodeVersion, 16);
    b.text(80, d.pfDriverVersion, 16);
    b.text(96, d.vfDriverVersion, 16);
    b.u64(112, hexValue(d.configuration));
    pdiBytes(b, 120, d.pdi);
    b.u32(128, Number(hexValue(obj(d.architectureId).raw) & 0xffffffffn));
    const hw = n8(d.hardwareInfoType);
    b.u8(132, hw);
    const p = obj(d.pciInfo);
    if (hw === 0 && isObj(d.pciInfo)) {
      b.u8(133, Number(hexValue(p.class)));
      b.u8(134, Number(hexValue(p.subclass)));
      b.u8(135, Number(hexValue(p.rev)));
      b.u16(136, Number(hexValue(p.vendorId)));
      b.u16(138, Number(hexValue(p.deviceId)));
      b.u16(140, Number(hexValue(p.subsystemVendorId)));
      b.u16(142, Number(hexValue(p.subsystemId)));
      ['bar0Start', 'bar0Size', 'bar1Start', 'bar1Size', 'bar2Start', 'bar2Size'].forEach(
        (k, i) => {
          b.u64(144 + 8 * i, hexValue(p[k]));
        },
      );
    }
    return b.b;
  }
  if (gpu && type === 0x8001) {
    const d = obj(data.gpuLegacyXid);
    const b = new Buf(240);
    b.u32(0, n32(d.xidCode));
    b.text(4, d.message, 236);
    return b.b.subarray(0, dataSize > 0 && dataSize <= 240 ? dataSize : 240);
  }
  if (gpu && type === 0x8002) {
    const d = obj(data.gpuRecommendedActions);
    const b = new Buf(16);
    b.u8(0, Number(hexValue(d.flags)));
    b.u16(4, n16(d.recoveryAction));
    b.u16(6, n16(d.diagnosticFlow));
    return b.b;
  }
  if (type >= 1 && type <= 4) {
    const d = obj(data[`type${type}`]);
    const list = arr(d[['', 'keyValArray64', 'keyValArray32', 'valArray64', 'valArray32'][type]!]);
    const width = [0, 16, 8, 8, 4][type]!;
    const b = new Buf(width * list.length);
    list.forEach((x, i) => {
      const e = obj(x);
      if (type === 1) {
        b.u64(16 * i, hexValue(e.key64));
        b.u64(16 * i + 8, hexValue(e.val64));
      } else if (type === 2) {
        b.u32(8 * i, Number(hexValue(e.key32) & 0xffffffffn));
        b.u32(8 * i + 4, Number(hexValue(e.val32) & 0xffffffffn));
      } else if (type === 3) b.u64(8 * i, hexValue(e.val64));
      else b.u32(4 * i, Number(hexValue(e.val32) & 0xffffffffn));
    });
    return b.b;
  }
  return hexBytes(data.opaque);
}

const pad16 = (n: number) => new Uint8Array((16 - (n % 16)) % 16);

const nvidiaEvent: Reverse = (ir) => {
  const h = obj(ir.eventHeader);
  const contexts = Array.isArray(ir.eventContexts) ? (ir.eventContexts as LibcperJson[]) : [];
  const head = new Buf(32);
  head.u8(0, n8(h.version));
  head.u8(1, contexts.length);
  const dev = Math.max(
    0,
    NV_DEVICES.indexOf(typeof h.sourceDeviceType === 'string' ? h.sourceDeviceType : ''),
  );
  head.u8(2, dev);
  head.u16(4, Number(hexValue(h.type) & 0xffffn));
  head.u16(6, Number(hexValue(h.subtype) & 0xffffn));
  head.u64(8, hexValue(h.linkId));
  head.text(16, h.signature, 16);
  const parts: Uint8Array[] = [head.b];
  const info = obj(ir.eventInfo);
  const m = typeof info.version === 'string' ? /^(\d+)\.(\d+)/.exec(info.version) : null;
  const major = m === null ? 0 : Number(m[1]) & 0xff;
  const minor = m === null ? 0 : Number(m[2]) & 0xff;
  // libcper writes the rest only for a device whose event info it knows (CPU 0.x, GPU 1.x).
  let infoBytes: Uint8Array;
  if (dev === 0 && major === 0) {
    const c = obj(info.cpu);
    const a = obj(c.Architecture);
    const b = new Buf(29);
    b.u8(0, n8(c.SocketNum));
    const rev = typeof a.revision === 'string' ? a.revision.split('.').map(Number) : [0, 0];
    const arch =
      (Number(hexValue(a.hidFam)) & 0xf) |
      ((rev[0]! & 0xf) << 4) |
      ((Number(hexValue(a.chipId)) & 0xff) << 8) |
      ((rev[1]! & 0xf) << 16) |
      ((a.preSiPlatform === 'Silicon' ? 0 : 1) << 20) |
      ((bool(a.errorInjection) ? 1 : 0) << 31);
    b.u32(1, arch >>> 0);
    for (let i = 0; i < 4; i++) b.u32(5 + 4 * i, Number(hexValue(c[`Ecid${i + 1}`]) & 0xffffffffn));
    b.u64(21, hexValue(c.InstanceBase));
    infoBytes = b.b;
  } else if (dev === 1 && major === 1) {
    const g = obj(info.gpu);
    const b = new Buf(13);
    b.u8(
      0,
      Math.max(
        0,
        NV_ORIGINATORS.indexOf(typeof g.EventOriginator === 'string' ? g.EventOriginator : ''),
      ),
    );
    b.u16(1, n16(g.SourcePartition));
    b.u16(3, n16(g.SourceSubPartition));
    pdiBytes(b, 5, g.Pdi);
    infoBytes = b.b;
  } else {
    return cat(...parts);
  }
  const ih = new Buf(3);
  ih.u16(0, (major << 8) | minor);
  ih.u8(2, 3 + infoBytes.length);
  parts.push(ih.b, infoBytes, pad16(32 + 3 + infoBytes.length));
  for (const x of contexts) {
    const c = obj(x);
    const type = Number(hexValue(c.dataFormatType) & 0xffffn);
    const data = nvidiaContextData(dev, type, obj(c.data), n32(c.dataSize));
    const padding = pad16(16 + data.length);
    const b = new Buf(16);
    b.u32(0, 16 + data.length + padding.length);
    b.u16(4, n16(c.version));
    b.u16(8, type);
    b.u16(10, n16(c.dataFormatVersion));
    b.u32(12, data.length);
    parts.push(b.b, data, padding);
  }
  return cat(...parts);
};

const IA32_TYPES: readonly Guid[] = [
  'a55701f5-e3ef-43de-ac72-249b573fad2c',
  'fc06b535-5e1f-4562-9f25-0a3b9adb63c3',
  '1cf3f8b3-c5b1-49a2-aa59-5eef92ffa63c',
  '48ab7f57-dc34-4f6c-a7d3-b0b5b0a74314',
];

function ia32Check(index: number, c: Obj): bigint {
  let v = 0n;
  let out = 0n;
  const put = (validBit: number, value: bigint, at: number) => {
    v |= 1n << BigInt(validBit);
    out |= value << BigInt(at);
  };
  const b1 = (x: LibcperJson | undefined) => (bool(x) ? 1n : 0n);
  if (index === 3) {
    if (has(c, 'errorType')) put(0, pairValue(c.errorType, 3), 16);
    if (has(c, 'processorContextCorrupt')) put(1, b1(c.processorContextCorrupt), 19);
    if (has(c, 'uncorrected')) put(2, b1(c.uncorrected), 20);
    if (has(c, 'preciseIP')) put(3, b1(c.preciseIP), 21);
    if (has(c, 'restartableIP')) put(4, b1(c.restartableIP), 22);
    if (has(c, 'overflow')) put(5, b1(c.overflow), 23);
    return out | v;
  }
  if (has(c, 'transactionType')) put(0, pairValue(c.transactionType, 2), 16);
  if (has(c, 'operation')) put(1, pairValue(c.operation, 4), 18);
  if (has(c, 'level')) put(2, BigInt.asUintN(3, n64(c.level)), 22);
  if (has(c, 'processorContextCorrupt')) put(3, b1(c.processorContextCorrupt), 25);
  if (has(c, 'uncorrected')) put(4, b1(c.uncorrected), 26);
  if (has(c, 'preciseIP')) put(5, b1(c.preciseIP), 27);
  if (has(c, 'restartableIP')) put(6, b1(c.restartableIP), 28);
  if (has(c, 'overflow')) put(7, b1(c.overflow), 29);
  if (index === 2) {
    if (has(c, 'participationType')) put(8, pairValue(c.participationType, 2), 30);
    if (has(c, 'timedOut')) put(9, b1(c.timedOut), 32);
    if (has(c, 'addressSpace')) put(10, pairValue(c.addressSpace, 2), 33);
  }
  return out | v;
}

const ia32x64: Reverse = (ir) => {
  const nInfo = Number(uint(ir.processorErrorInfoNum, 32) & 0x3fn);
  const nCtx = Number(uint(ir.processorContextInfoNum, 32) & 0x3fn);
  const b = new Buf(64);
  let v = (BigInt(nInfo) << 2n) | (BigInt(nCtx) << 8n);
  if (has(ir, 'localAPICID')) {
    b.u64(8, n64(ir.localAPICID));
    v |= 1n;
  }
  if (has(ir, 'cpuidInfo')) {
    const c = obj(ir.cpuidInfo);
    ['eax', 'ebx', 'ecx', 'edx'].forEach((k, i) => {
      b.u64(16 + 8 * i, n64(c[k]));
    });
    v |= 2n;
  }
  b.u64(0, v);
  const parts = [b.b];
  const infos = Array.isArray(ir.processorErrorInfo)
    ? (ir.processorErrorInfo as LibcperJson[])
    : [];
  for (let i = 0; i < nInfo; i++) {
    const e = obj(infos[i]);
    const x = new Buf(64);
    const g = guid(obj(e.type).guid);
    x.guid(0, g);
    let iv = 0n;
    if (has(e, 'checkInfo')) {
      const index = IA32_TYPES.indexOf(g);
      if (index >= 0) x.u64(24, ia32Check(index === 1 ? 0 : index, obj(e.checkInfo)));
      iv |= 1n;
    }
    if (has(e, 'targetAddressID')) {
      x.u64(32, n64(e.targetAddressID));
      iv |= 2n;
    }
    if (has(e, 'requestorID')) {
      x.u64(40, n64(e.requestorID));
      iv |= 4n;
    }
    if (has(e, 'responderID')) {
      x.u64(48, n64(e.responderID));
      iv |= 8n;
    }
    if (has(e, 'instructionPointer')) {
      x.u64(56, n64(e.instructionPointer));
      iv |= 16n;
    }
    x.u64(16, iv);
    parts.push(x.b);
  }
  const contexts = Array.isArray(ir.processorContextInfo)
    ? (ir.processorContextInfo as LibcperJson[])
    : [];
  for (let i = 0; i < nCtx; i++) {
    const c = obj(contexts[i]);
    const type = Number(pairValue(c.registerContextType, 16));
    const h = new Buf(16);
    h.u16(0, type);
    h.u16(2, n16(c.registerArraySize));
    h.u32(4, n32(c.msrAddress));
    h.u64(8, n64(c.mmRegisterAddress));
    parts.push(h.b);
    const regs = obj(c.registerArray);
    if (type === 2) {
      const r = new Buf(92);
      ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp'].forEach((k, j) => {
        r.u32(4 * j, n32(regs[k]));
      });
      ['cs', 'ds', 'ss', 'es', 'fs', 'gs'].forEach((k, j) => {
        r.u16(32 + 2 * j, n16(regs[k]));
      });
      r.u32(44, n32(regs.eflags));
      r.u32(48, n32(regs.eip));
      ['cr0', 'cr1', 'cr2', 'cr3', 'cr4'].forEach((k, j) => {
        r.u32(52 + 4 * j, n32(regs[k]));
      });
      r.u64(72, n64(regs.gdtr));
      r.u64(80, n64(regs.idtr));
      r.u16(88, n16(regs.ldtr));
      r.u16(90, n16(regs.tr));
      parts.push(r.b);
    } else if (type === 3) {
      const r = new Buf(244);
      const gprs = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp'];
      for (let j = 0; j < 16; j++) r.u64(8 * j, n64(regs[j < 8 ? gprs[j]! : `r${j}`]));
      ['cs', 'ds', 'ss', 'es', 'fs', 'gs'].forEach((k, j) => {
        r.u16(128 + 2 * j, n16(regs[k]));
      });
      r.u64(144, n64(regs.rflags));
      r.u64(152, n64(regs.eip));
      ['cr0', 'cr1', 'cr2', 'cr3', 'cr4', 'cr8'].forEach((k, j) => {
        r.u64(160 + 8 * j, n64(regs[k]));
      });
      r.u64(208, n64(regs.gdtr_0));
      r.u64(216, n64(regs.gdtr_1));
      r.u64(224, n64(regs.idtr_0));
      r.u64(232, n64(regs.idtr_1));
      r.u16(240, n16(regs.ldtr));
      r.u16(242, n16(regs.tr));
      parts.push(r.b);
    } else {
      parts.push(b64(regs.data, 'registerArray.data'));
    }
  }
  return cat(...parts);
};

/** Section type → [libcper JSON key, reverse converter]. */
const REVERSE: Readonly<Record<string, readonly [string, Reverse]>> = {
  '9876ccad-47b4-4bdb-b65e-16f193c4f3db': ['GenericProcessor', generic],
  'dc3ea0b0-a144-4797-b95b-53fa242b6e1d': ['Ia32x64Processor', ia32x64],
  'a5bc1114-6f64-4ede-b863-3e83ed7c83b1': ['Memory', memory],
  '61ec04fc-48e6-d813-25c9-8daa44750b12': ['Memory2', memory2],
  '81212a96-09ed-4996-9471-8d729c8e69ed': ['Firmware', firmware],
  'c5753963-3b84-4095-bf78-eddad3f9c9dd': ['PciBus', pciBus],
  'eb5e4685-ca66-4769-b6a2-26068b001326': ['PciComponent', pciComponent],
  '5b51fef7-c79d-4434-8f1b-aa62de3e2c64': ['GenericDmar', dmarGeneric],
  '71761d37-32b2-45cd-a7d0-b0fedd93e8cf': ['VtdDmar', dmarVtd],
  '036f84e1-7f37-428c-a79e-575fdfaa84ec': ['IommuDmar', dmarIommu],
  '91335ef6-ebfb-4478-a6a6-88b728cf75d7': ['CcixPer', ccixPer],
  '80b9efb4-52b5-4de3-a777-68784b771048': ['CxlProtocol', cxlProtocol],
  'fbcd0a77-c260-417f-85a9-088b1621eba6': ['CxlComponent', cxlComponent],
  '601dcbb3-9c06-4eab-b8af-4e9bfb5c9624': ['CxlComponent', cxlComponent],
  'fe927475-dd59-4339-a586-79bab113b774': ['CxlComponent', cxlComponent],
  '77cf9271-9c02-470b-9fe4-bc7b75f2da97': ['CxlComponent', cxlComponent],
  '40d26425-3396-4c4d-a5da-3d47263af425': ['CxlComponent', cxlComponent],
  '8dc44363-0c96-4710-b7bf-04bb99534c3f': ['CxlComponent', cxlComponent],
  '6d5244f2-2712-11ec-bea7-cb3fdb95c786': ['Nvidia', nvidia],
  '2826cc9f-448c-4c2b-86b6-a95394b7ef33': ['Ampere', ampere],
  'd995e954-bbc1-430f-ad91-b44dcb3c6f35': ['Pcie', pcie],
  'e19e3d16-bc11-11e4-9caa-c2051d5d46b0': ['ArmProcessor', arm],
  'bf32d4d5-b427-4025-8495-8a9e5d4030e4': ['ArmRas', armRas],
  '9068e568-6ca0-11f0-aeaf-159343591eac': ['NvidiaEvent', nvidiaEvent],
};

/** Types libcper decodes whose reverse conversion vras does not model yet. */
const NOT_MODELLED: Readonly<Record<string, string>> = {};

/** `ir_section_to_cper`: a section object's body bytes for section type `type`. */
export function libcperSectionToBytes(type: Guid, section: LibcperJson): Uint8Array {
  const s = obj(section);
  const known = REVERSE[type];
  if (known !== undefined) return known[1](obj(s[known[0]]));
  const name = NOT_MODELLED[type];
  if (name !== undefined) {
    throw new CodecError(
      `Cannot encode ${STRUCTURE}: converting ${name} sections back to bytes is not supported yet`,
      {
        code: CodecErrorCode.Unrecognised,
        structure: STRUCTURE,
        field: 'sections',
      },
    );
  }
  // Unknown types, and IPF: libcper's table lists IPF without a converter and its to-cper calls
  // the missing function; vras writes the Unknown data back, as to-json printed it.
  return b64(obj(s.Unknown).data, 'Unknown.data');
}

function descriptorBytes(d: Obj): { bytes: Uint8Array; type: Guid } {
  const b = new Buf(72);
  b.u32(0, n32(d.sectionOffset));
  b.u32(4, n32(d.sectionLength));
  const rev = obj(d.revision);
  b.u16(8, n16(n32(rev.minor) + (n32(rev.major) << 8)));
  let valid = 0;
  b.u32(
    12,
    bitsFrom(d.flags, [
      'primary',
      'containmentWarning',
      'reset',
      'errorThresholdExceeded',
      'resourceNotAccessible',
      'latentError',
      'propagated',
      'overflow',
    ]),
  );
  const type = guid(obj(d.sectionType).data);
  b.guid(16, type);
  if (has(d, 'fruID')) {
    b.guid(32, guid(d.fruID));
    valid |= 1;
  }
  b.u32(48, n32(obj(d.severity).code));
  // strncpy of 19 characters, the 20th byte always NUL.
  if (has(d, 'fruText')) {
    b.text(52, d.fruText, 19);
    valid |= 2;
  }
  b.u8(10, valid);
  return { bytes: b.b, type };
}

function bcd(n: number): number {
  return ((Math.trunc(n / 10) % 10) << 4) | (n % 10);
}

function headerBytes(h: Obj): Uint8Array {
  const b = new Buf(128);
  b.u32(0, 0x52455043);
  const rev = obj(h.revision);
  b.u16(4, n16(n32(rev.minor) + (n32(rev.major) << 8)));
  b.u32(6, 0xffffffff);
  b.u16(10, n16(h.sectionCount));
  b.u32(12, n32(obj(h.severity).code));
  let valid = 0;
  b.u32(20, n32(h.recordLength));
  if (has(h, 'timestamp')) {
    const m =
      typeof h.timestamp === 'string'
        ? /^(\d{2})(\d{2})-(\d+)-(\d+)T(\d+):(\d+):(\d+)/.exec(h.timestamp)
        : null;
    if (m !== null) {
      const [c, y, mo, d, hh, mi, ss] = m.slice(1).map(Number) as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      b.u8(24, bcd(ss));
      b.u8(25, bcd(mi));
      b.u8(26, bcd(hh));
      b.u8(27, bool(h.timestampIsPrecise) ? 1 : 0);
      b.u8(28, bcd(d));
      b.u8(29, bcd(mo));
      b.u8(30, bcd(y));
      b.u8(31, bcd(c));
    }
    valid |= 2;
  }
  if (has(h, 'platformID')) {
    b.guid(32, guid(h.platformID));
    valid |= 1;
  }
  if (has(h, 'partitionID')) {
    b.guid(48, guid(h.partitionID));
    valid |= 4;
  }
  b.guid(64, guid(h.creatorID));
  b.guid(80, guid(obj(h.notificationType).guid));
  b.u64(96, n64(h.recordID));
  b.u32(104, Number(pairValue(h.flags, 32)));
  b.u64(108, n64(h.persistenceInfo));
  b.u32(16, valid);
  return b.b;
}

/**
 * `ir_to_cper`: a whole record from libcper's JSON. Like libcper, the sections follow the
 * descriptors in order whatever Section Offset says, and are written only when there are as many
 * sections as descriptors.
 */
export function libcperToCperRecordBytes(json: LibcperJson): Uint8Array {
  if (!isObj(json) || !isObj(json.header)) throw invalid('header', 'is missing');
  const descriptors = json.sectionDescriptors;
  if (!Array.isArray(descriptors)) throw invalid('sectionDescriptors', 'is missing');
  const sections = Array.isArray(json.sections) ? (json.sections as LibcperJson[]) : undefined;
  if (sections === undefined) throw invalid('sections', 'is missing');
  const parts = [headerBytes(json.header)];
  const types: Guid[] = [];
  for (const d of descriptors as LibcperJson[]) {
    const x = descriptorBytes(obj(d));
    parts.push(x.bytes);
    types.push(x.type);
  }
  if (sections.length === types.length) {
    sections.forEach((s, i) => {
      parts.push(libcperSectionToBytes(types[i]!, s));
    });
  }
  const w = new ByteWriter(STRUCTURE, 1024);
  for (const p of parts) w.bytes(p, 'record');
  return w.toBytes();
}

/** `ir_single_section_to_cper`: a section descriptor and its section. */
export function libcperToSectionWithDescriptorBytes(json: LibcperJson): Uint8Array {
  if (!isObj(json) || !isObj(json.sectionDescriptor))
    throw invalid('sectionDescriptor', 'is missing');
  const d = descriptorBytes(json.sectionDescriptor);
  return cat(d.bytes, libcperSectionToBytes(d.type, json.section ?? null));
}

/** Whether a parsed JSON value has libcper's shape (a record, or the single-section form). */
export function isLibcperJson(json: unknown): boolean {
  if (!isObj(json as LibcperJson)) return false;
  const o = json as Obj;
  return (
    (isObj(o.header) && Array.isArray(o.sectionDescriptors) && Array.isArray(o.sections)) ||
    (isObj(o.sectionDescriptor) && Object.hasOwn(o, 'section'))
  );
}
