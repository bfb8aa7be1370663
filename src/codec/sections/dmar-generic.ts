// DMAr Generic Error section (UEFI 2.10 Appendix N.2.11.1; EDK2 `EFI_DMAR_GENERIC_ERROR_DATA`,
// 32 bytes). GUID 5B51FEF7-C79D-4434-8F1B-AA62DE3E2C64. Linux does not decode it (unknown
// section, hex dump). Bytes after the structure are kept in `trailing`.
// | 0 | 2 | Requester Id | 2 | 2 | Segment Number | 4 | 1 | Fault Reason | 5 | 1 | Access Type |
// | 6 | 1 | Address Type | 7 | 1 | Architecture Type | 8 | 8 | Device Address | 16 | 16 | Reserved |

import { ByteReader } from '../reader.js';
import { registerSection, type SectionCodec } from '../section.js';
import { ByteWriter } from '../writer.js';
import { type FixedSection, fixedSectionParts } from './layout.js';

export const DMAR_GENERIC_SECTION_GUID = '5b51fef7-c79d-4434-8f1b-aa62de3e2c64';

/** Fault Reason (UEFI N.2.11.1). Other values decode to their number. */
export const DmarFaultReason = {
  DomainMappingTableEntryNotPresent: 0x01,
  DomainMappingTableEntryInvalid: 0x02,
  DomainMappingTableAccessError: 0x03,
  DomainMappingTableReservedBits: 0x04,
  AddressOutOfBounds: 0x05,
  InvalidAccess: 0x06,
  InvalidRequest: 0x07,
  TranslationTableAccessError: 0x08,
  TranslationTableReservedBits: 0x09,
  InvalidCommand: 0x0a,
  CommandBufferAccessError: 0x0b,
} as const;

export const DMAR_GENERIC_LAYOUT = [
  ['requesterId', 'u16', 'requester id'],
  ['segmentNumber', 'u16', 'segment number'],
  ['faultReason', 'u8', 'fault reason'],
  ['accessType', 'u8', 'access type'],
  ['addressType', 'u8', 'address type'],
  ['architectureType', 'u8', 'architecture type'],
  ['deviceAddress', 'u64', 'device address'],
  ['reserved', { bytes: 16 }],
] as const;

export type DmarGenericErrorSection = FixedSection<'dmar-generic', typeof DMAR_GENERIC_LAYOUT>;

const STRUCTURE = 'DMAr Generic Error section';
const parts = fixedSectionParts('dmar-generic', DMAR_GENERIC_LAYOUT, 'DMAr generic error section');
export const DMAR_GENERIC_SECTION_SIZE = parts.size;
export const readDmarGenericErrorSection = parts.read;
export const writeDmarGenericErrorSection = parts.write;
export const dmarGenericErrorSection = parts.make;

export function decodeDmarGenericErrorSection(bytes: Uint8Array): DmarGenericErrorSection {
  return parts.read(new ByteReader(bytes, STRUCTURE));
}

export function encodeDmarGenericErrorSection(s: DmarGenericErrorSection): Uint8Array {
  const w = new ByteWriter(STRUCTURE, parts.size);
  parts.write(w, s);
  return w.toBytes();
}

export const dmarGenericSectionCodec: SectionCodec<DmarGenericErrorSection> = registerSection({
  kind: 'dmar-generic',
  guid: DMAR_GENERIC_SECTION_GUID,
  linuxName: undefined,
  minLength: parts.size,
  decode: parts.read,
  encode: parts.write,
});
