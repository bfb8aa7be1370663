// PCI/PCI-X Bus Error section (UEFI 2.10 Appendix N.2.8; EDK2 `EFI_PCI_PCIX_BUS_ERROR_DATA`,
// 72 bytes). GUID C5753963-3B84-4095-BF78-EDDAD3F9C9DD. Linux (cper.c) does not decode it: it
// prints `section type: unknown` and a hex dump. Bytes after the structure are kept in
// `trailing`.
// | 0 | 8 | Validation Bits | 8 | 8 | Error Status | 16 | 2 | Error Type | 18 | 2 | Bus Id |
// | 20 | 4 | Reserved | 24 | 8 | Bus Address | 32 | 8 | Bus Data | 40 | 8 | Bus Command |
// | 48 | 8 | Bus Requestor Id | 56 | 8 | Bus Completer Id | 64 | 8 | Target Id |

import { ByteReader } from '../reader.js';
import { registerSection, type SectionCodec } from '../section.js';
import { ByteWriter } from '../writer.js';
import { type FixedSection, fixedSectionParts } from './layout.js';

export const PCI_BUS_SECTION_GUID = 'c5753963-3b84-4095-bf78-eddad3f9c9dd';

/** Validation bits (UEFI N.2.8). */
export const PciBusValid = {
  ErrorStatus: 0x1n,
  ErrorType: 0x2n,
  BusId: 0x4n,
  BusAddress: 0x8n,
  BusData: 0x10n,
  BusCommand: 0x20n,
  RequestorId: 0x40n,
  CompleterId: 0x80n,
  TargetId: 0x100n,
} as const;

/** PCI Bus Error Type (UEFI N.2.8). Other values decode to their number. */
export const PciBusErrorType = {
  Unknown: 0,
  DataParityError: 1,
  SystemError: 2,
  MasterAbort: 3,
  BusTimeout: 4,
  MasterDataParityError: 5,
  AddressParityError: 6,
  CommandParityError: 7,
} as const;

export const PCI_BUS_LAYOUT = [
  ['validationBits', 'u64', 'validation bits'],
  ['errorStatus', 'u64', 'error status'],
  ['errorType', 'u16', 'error type'],
  ['busId', 'u16', 'bus id'],
  ['reserved', 'u32'],
  ['busAddress', 'u64', 'bus address'],
  ['busData', 'u64', 'bus data'],
  ['busCommand', 'u64', 'bus command'],
  ['requestorId', 'u64', 'requestor id'],
  ['completerId', 'u64', 'completer id'],
  ['targetId', 'u64', 'target id'],
] as const;

export type PciBusErrorSection = FixedSection<'pci-bus', typeof PCI_BUS_LAYOUT>;

const STRUCTURE = 'PCI/PCI-X Bus Error section';
const parts = fixedSectionParts('pci-bus', PCI_BUS_LAYOUT, 'PCI/PCI-X bus error section');
export const PCI_BUS_SECTION_SIZE = parts.size;
export const readPciBusErrorSection = parts.read;
export const writePciBusErrorSection = parts.write;
export const pciBusErrorSection = parts.make;

export function decodePciBusErrorSection(bytes: Uint8Array): PciBusErrorSection {
  return parts.read(new ByteReader(bytes, STRUCTURE));
}

export function encodePciBusErrorSection(s: PciBusErrorSection): Uint8Array {
  const w = new ByteWriter(STRUCTURE, parts.size);
  parts.write(w, s);
  return w.toBytes();
}

export const pciBusSectionCodec: SectionCodec<PciBusErrorSection> = registerSection({
  kind: 'pci-bus',
  guid: PCI_BUS_SECTION_GUID,
  linuxName: undefined,
  minLength: parts.size,
  decode: parts.read,
  encode: parts.write,
});
