// PCI/PCI-X Component Error section (UEFI 2.10 Appendix N.2.9; EDK2
// `EFI_PCI_PCIX_DEVICE_ERROR_DATA`). GUID EB5E4685-CA66-4769-B6A2-26068B001326. Linux does not
// decode it (unknown section, hex dump).
// | 0 | 8 | Validation Bits | 8 | 8 | Error Status | 16 | 16 | Id Info: vendor u16, device u16,
//   class code 3, function u8, device u8, bus u8, segment u8, reserved u8, reserved u32 |
// | 32 | 4 | Memory Number | 36 | 4 | IO Number | 40 | 16 × (Memory Number + IO Number) |
//   Register Data Pairs: address u64, value u64 |
//
// The two counts are data the pairs are read by: the pair count is their sum, checked against
// the bytes that remain before anything is read. Encoding writes the counts as given and checks
// that the list has their sum. Bytes after the pairs are kept in `trailing`.

import { CodecError, CodecErrorCode } from '../errors.js';
import { ByteReader } from '../reader.js';
import { registerSection, type SectionCodec } from '../section.js';
import { ByteWriter } from '../writer.js';
import { type LayoutValue, layoutSize, readLayout, writeLayout } from './layout.js';

export const PCI_COMPONENT_SECTION_GUID = 'eb5e4685-ca66-4769-b6a2-26068b001326';

/** Validation bits (UEFI N.2.9). */
export const PciComponentValid = {
  ErrorStatus: 0x1n,
  IdInfo: 0x2n,
  MemoryNumber: 0x4n,
  IoNumber: 0x8n,
  RegisterDataPair: 0x10n,
} as const;

export const PCI_COMPONENT_LAYOUT = [
  ['validationBits', 'u64', 'validation bits'],
  ['errorStatus', 'u64', 'error status'],
  ['vendorId', 'u16', 'vendor id'],
  ['deviceId', 'u16', 'device id'],
  ['classCode', { bytes: 3 }, 'class code'],
  ['functionNumber', 'u8', 'function number'],
  ['deviceNumber', 'u8', 'device number'],
  ['busNumber', 'u8', 'bus number'],
  ['segmentNumber', 'u8', 'segment number'],
  ['idReserved', 'u8', 'id info reserved'],
  ['idReserved2', 'u32', 'id info reserved'],
  ['memoryNumber', 'u32', 'memory number'],
  ['ioNumber', 'u32', 'IO number'],
] as const;
export const PCI_COMPONENT_HEADER_SIZE = layoutSize(PCI_COMPONENT_LAYOUT);
export const PCI_REGISTER_PAIR_SIZE = 16;

export interface PciRegisterPair {
  readonly address: bigint;
  readonly value: bigint;
}

export type PciComponentErrorSection = { readonly kind: 'pci-component' } & LayoutValue<
  typeof PCI_COMPONENT_LAYOUT
> & {
    readonly registerPairs: readonly PciRegisterPair[];
    readonly trailing?: Uint8Array;
  };

const STRUCTURE = 'PCI/PCI-X Component Error section';

export function readPciComponentErrorSection(r: ByteReader): PciComponentErrorSection {
  r.need(PCI_COMPONENT_HEADER_SIZE, 'PCI component error section');
  const head = readLayout(r, PCI_COMPONENT_LAYOUT);
  const count = head.memoryNumber + head.ioNumber;
  const at = r.offset;
  if (count * PCI_REGISTER_PAIR_SIZE > r.remaining) {
    r.lengthMismatch(
      'register data pairs',
      `(memory number ${head.memoryNumber} + IO number ${head.ioNumber}) × 16 bytes exceed the ${r.remaining} bytes that remain`,
      at,
    );
  }
  const registerPairs: PciRegisterPair[] = [];
  for (let i = 0; i < count; i++) {
    registerPairs.push({
      address: r.u64(`register pair ${i} address`),
      value: r.u64(`register pair ${i} value`),
    });
  }
  const s: PciComponentErrorSection = { kind: 'pci-component', ...head, registerPairs };
  return r.remaining === 0 ? s : { ...s, trailing: r.rest('trailing bytes') };
}

export function writePciComponentErrorSection(w: ByteWriter, s: PciComponentErrorSection): void {
  // The counts are written first (the writer names a missing one), then checked against the list.
  writeLayout(w, PCI_COMPONENT_LAYOUT, s);
  const count = s.memoryNumber + s.ioNumber;
  if (s.registerPairs.length !== count) {
    throw new CodecError(
      `Cannot encode ${w.structure}: ${s.registerPairs.length} register data pairs, memory number + IO number is ${count}`,
      {
        code: CodecErrorCode.LengthMismatch,
        structure: w.structure,
        field: 'register data pairs',
        offset: w.offset,
      },
    );
  }
  s.registerPairs.forEach((p, i) => {
    w.u64(p.address, `register pair ${i} address`);
    w.u64(p.value, `register pair ${i} value`);
  });
  if (s.trailing !== undefined) w.bytes(s.trailing, 'trailing bytes');
}

export function decodePciComponentErrorSection(bytes: Uint8Array): PciComponentErrorSection {
  return readPciComponentErrorSection(new ByteReader(bytes, STRUCTURE));
}

export function encodePciComponentErrorSection(s: PciComponentErrorSection): Uint8Array {
  const w = new ByteWriter(STRUCTURE, PCI_COMPONENT_HEADER_SIZE + 16 * s.registerPairs.length);
  writePciComponentErrorSection(w, s);
  return w.toBytes();
}

export const pciComponentSectionCodec: SectionCodec<PciComponentErrorSection> = registerSection({
  kind: 'pci-component',
  guid: PCI_COMPONENT_SECTION_GUID,
  linuxName: undefined,
  minLength: PCI_COMPONENT_HEADER_SIZE,
  decode: readPciComponentErrorSection,
  encode: writePciComponentErrorSection,
});
