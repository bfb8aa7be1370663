// Generic Address Structure, GAS (ACPI 6.5 §5.2.3.2): 12 bytes naming a register by address
// space, bit width, bit offset, access size and 64-bit address. GHES uses two of them: the
// Error Status Address (a register holding the status block's address) and, in GHESv2, the
// Read Ack Register.

import { ByteReader } from './reader.js';
import { ByteWriter } from './writer.js';

export const GAS_SIZE = 12;

/** Address Space ID (ACPI 6.5 Table 5.25). 0x80–0xFF are OEM defined. */
export const GasAddressSpace = {
  SystemMemory: 0x00,
  SystemIo: 0x01,
  PciConfiguration: 0x02,
  EmbeddedController: 0x03,
  SmBus: 0x04,
  SystemCmos: 0x05,
  PciBarTarget: 0x06,
  Ipmi: 0x07,
  GeneralPurposeIo: 0x08,
  GenericSerialBus: 0x09,
  PlatformCommunicationsChannel: 0x0a,
  PlatformRuntimeMechanism: 0x0b,
  FunctionalFixedHardware: 0x7f,
} as const;
export type GasAddressSpace = (typeof GasAddressSpace)[keyof typeof GasAddressSpace];

/** Access Size: 0 undefined (legacy), then byte, word, dword, qword. */
export const GasAccessSize = {
  Undefined: 0,
  Byte: 1,
  Word: 2,
  Dword: 3,
  Qword: 4,
} as const;
export type GasAccessSize = (typeof GasAccessSize)[keyof typeof GasAccessSize];

export interface Gas {
  /** A `GasAddressSpace` value, or any other u8 (kept as its number). */
  readonly addressSpaceId: number;
  readonly registerBitWidth: number;
  readonly registerBitOffset: number;
  /** A `GasAccessSize` value, or any other u8. */
  readonly accessSize: number;
  readonly address: bigint;
}

/** Name of an address space id (`SystemMemory`, `OEM 0x80`, `reserved 0x0c`). */
export function gasAddressSpaceName(id: number): string {
  for (const [name, value] of Object.entries(GasAddressSpace)) if (value === id) return name;
  return id >= 0x80 ? `OEM ${hexByte(id)}` : `reserved ${hexByte(id)}`;
}

function hexByte(v: number): string {
  return `0x${v.toString(16).padStart(2, '0')}`;
}

/** A SystemMemory, 64-bit, qword-access register at `address`: what QEMU uses for GHES. */
export function systemMemoryGas(address: bigint): Gas {
  return {
    addressSpaceId: GasAddressSpace.SystemMemory,
    registerBitWidth: 0x40,
    registerBitOffset: 0,
    accessSize: GasAccessSize.Qword,
    address,
  };
}

/** Reads a GAS; `name` is what the trace calls it (`Error Status Address`, `Read Ack Register`). */
export function readGas(r: ByteReader, name = 'GAS'): Gas {
  r.need(GAS_SIZE, 'GAS');
  return r.scoped(name, () => ({
    addressSpaceId: r.u8('addressSpaceId'),
    registerBitWidth: r.u8('registerBitWidth'),
    registerBitOffset: r.u8('registerBitOffset'),
    accessSize: r.u8('accessSize'),
    address: r.u64('address'),
  }));
}

export function writeGas(w: ByteWriter, value: Gas): void {
  w.u8(value.addressSpaceId, 'addressSpaceId');
  w.u8(value.registerBitWidth, 'registerBitWidth');
  w.u8(value.registerBitOffset, 'registerBitOffset');
  w.u8(value.accessSize, 'accessSize');
  w.u64(value.address, 'address');
}

export function decodeGas(bytes: Uint8Array): Gas {
  const r = new ByteReader(bytes, 'GAS');
  const gas = readGas(r);
  if (r.remaining !== 0) r.lengthMismatch('bytes', `${bytes.length} given, a GAS is ${GAS_SIZE}`);
  return gas;
}

export function encodeGas(value: Gas): Uint8Array {
  const w = new ByteWriter('GAS', GAS_SIZE);
  writeGas(w, value);
  return w.toBytes();
}
