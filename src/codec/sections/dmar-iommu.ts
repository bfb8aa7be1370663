// IOMMU specific DMAr Error section (UEFI 2.10 Appendix N.2.11.3; EDK2
// `EFI_IOMMU_DMAR_ERROR_DATA`, 144 bytes). GUID 036F84E1-7F37-428C-A79E-575FDFAA84EC. Linux
// does not decode it (unknown section, hex dump). Trailing bytes are kept.
// | 0 | 1 | Revision | 1 | 7 | Reserved | 8 | 8 | Control | 16 | 8 | Status | 24 | 8 | Reserved |
// | 32 | 16 | Event Log Entry | 48 | 16 | Reserved | 64 | 32 | Device Table Entry | 96 | 48 | PTE L6..L1 |

import { ByteReader } from '../reader.js';
import { registerSection, type SectionCodec } from '../section.js';
import { ByteWriter } from '../writer.js';
import { type FixedSection, fixedSectionParts } from './layout.js';

export const DMAR_IOMMU_SECTION_GUID = '036f84e1-7f37-428c-a79e-575fdfaa84ec';

export const DMAR_IOMMU_LAYOUT = [
  ['revision', 'u8'],
  ['reserved', { bytes: 7 }],
  ['control', 'u64', 'control register'],
  ['status', 'u64', 'status register'],
  ['reserved2', { bytes: 8 }, 'reserved'],
  ['eventLogEntry', { bytes: 16 }, 'event log entry'],
  ['reserved3', { bytes: 16 }, 'reserved'],
  ['deviceTableEntry', { bytes: 32 }, 'device table entry'],
  ['pteL6', 'u64', 'level 6 page table entry'],
  ['pteL5', 'u64', 'level 5 page table entry'],
  ['pteL4', 'u64', 'level 4 page table entry'],
  ['pteL3', 'u64', 'level 3 page table entry'],
  ['pteL2', 'u64', 'level 2 page table entry'],
  ['pteL1', 'u64', 'level 1 page table entry'],
] as const;

export type DmarIommuErrorSection = FixedSection<'dmar-iommu', typeof DMAR_IOMMU_LAYOUT>;

const STRUCTURE = 'IOMMU DMAr Error section';
const parts = fixedSectionParts('dmar-iommu', DMAR_IOMMU_LAYOUT, 'IOMMU DMAr error section');
export const DMAR_IOMMU_SECTION_SIZE = parts.size;
export const readDmarIommuErrorSection = parts.read;
export const writeDmarIommuErrorSection = parts.write;
export const dmarIommuErrorSection = parts.make;

export function decodeDmarIommuErrorSection(bytes: Uint8Array): DmarIommuErrorSection {
  return parts.read(new ByteReader(bytes, STRUCTURE));
}

export function encodeDmarIommuErrorSection(s: DmarIommuErrorSection): Uint8Array {
  const w = new ByteWriter(STRUCTURE, parts.size);
  parts.write(w, s);
  return w.toBytes();
}

export const dmarIommuSectionCodec: SectionCodec<DmarIommuErrorSection> = registerSection({
  kind: 'dmar-iommu',
  guid: DMAR_IOMMU_SECTION_GUID,
  linuxName: undefined,
  minLength: parts.size,
  decode: parts.read,
  encode: parts.write,
});
