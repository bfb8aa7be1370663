// NVIDIA vendor error section (libcper `EFI_NVIDIA_ERROR_DATA`; NVIDIA's layout, not in UEFI).
// GUID 6D5244F2-2712-11EC-BEA7-CB3FDB95C786. Linux does not decode it (unknown section, hex
// dump).
// | 0 | 16 | Signature (ASCII, NUL padded) | 16 | 2 | Error Type | 18 | 2 | Error Instance |
// | 20 | 1 | Severity | 21 | 1 | Socket | 22 | 1 | Number of Registers | 23 | 1 | Reserved |
// | 24 | 8 | Instance Base | 32 | 16 × Number of Registers | Registers: address u64, value u64 |
//
// The register count is computed on encode from the list and checked against the bytes on
// decode. Bytes after the registers are kept in `trailing`.

import { ByteReader } from '../reader.js';
import { registerSection, type SectionCodec } from '../section.js';
import { ByteWriter } from '../writer.js';

export const NVIDIA_SECTION_GUID = '6d5244f2-2712-11ec-bea7-cb3fdb95c786';
export const NVIDIA_HEADER_SIZE = 32;
export const NVIDIA_SIGNATURE_SIZE = 16;

export interface NvidiaRegister {
  readonly address: bigint;
  readonly value: bigint;
}

export type NvidiaErrorSection = {
  readonly kind: 'nvidia';
  /** 16 bytes as stored (ASCII, NUL padded). */
  readonly signature: Uint8Array;
  readonly errorType: number;
  readonly errorInstance: number;
  readonly severity: number;
  readonly socket: number;
  readonly reserved: number;
  readonly instanceBase: bigint;
  readonly registers: readonly NvidiaRegister[];
  readonly trailing?: Uint8Array;
};

const STRUCTURE = 'NVIDIA error section';

export function readNvidiaErrorSection(r: ByteReader): NvidiaErrorSection {
  r.need(NVIDIA_HEADER_SIZE, 'NVIDIA error section');
  const signature = r.bytesCopy(NVIDIA_SIGNATURE_SIZE, 'signature');
  const errorType = r.u16('error type');
  const errorInstance = r.u16('error instance');
  const severity = r.u8('severity');
  const socket = r.u8('socket');
  const countAt = r.offset;
  const count = r.u8('number of registers');
  const reserved = r.u8('reserved');
  const instanceBase = r.u64('instance base');
  if (count * 16 > r.remaining) {
    r.lengthMismatch(
      'number of registers',
      `${count} registers need ${count * 16} bytes, ${r.remaining} remain`,
      countAt,
    );
  }
  const registers: NvidiaRegister[] = [];
  for (let i = 0; i < count; i++) {
    registers.push({
      address: r.u64(`register ${i} address`),
      value: r.u64(`register ${i} value`),
    });
  }
  const s: NvidiaErrorSection = {
    kind: 'nvidia',
    signature,
    errorType,
    errorInstance,
    severity,
    socket,
    reserved,
    instanceBase,
    registers,
  };
  return r.remaining === 0 ? s : { ...s, trailing: r.rest('trailing bytes') };
}

export function writeNvidiaErrorSection(w: ByteWriter, s: NvidiaErrorSection): void {
  w.bytes(s.signature, 'signature', NVIDIA_SIGNATURE_SIZE);
  w.u16(s.errorType, 'error type');
  w.u16(s.errorInstance, 'error instance');
  w.u8(s.severity, 'severity');
  w.u8(s.socket, 'socket');
  w.u8(s.registers.length, 'number of registers');
  w.u8(s.reserved, 'reserved');
  w.u64(s.instanceBase, 'instance base');
  s.registers.forEach((reg, i) => {
    w.u64(reg.address, `register ${i} address`);
    w.u64(reg.value, `register ${i} value`);
  });
  if (s.trailing !== undefined) w.bytes(s.trailing, 'trailing bytes');
}

export function decodeNvidiaErrorSection(bytes: Uint8Array): NvidiaErrorSection {
  return readNvidiaErrorSection(new ByteReader(bytes, STRUCTURE));
}

export function encodeNvidiaErrorSection(s: NvidiaErrorSection): Uint8Array {
  const w = new ByteWriter(STRUCTURE, NVIDIA_HEADER_SIZE + 16 * s.registers.length);
  writeNvidiaErrorSection(w, s);
  return w.toBytes();
}

export const nvidiaSectionCodec: SectionCodec<NvidiaErrorSection> = registerSection({
  kind: 'nvidia',
  guid: NVIDIA_SECTION_GUID,
  linuxName: undefined,
  minLength: NVIDIA_HEADER_SIZE,
  decode: readNvidiaErrorSection,
  encode: writeNvidiaErrorSection,
});
