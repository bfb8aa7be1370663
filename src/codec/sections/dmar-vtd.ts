// Intel VT for Directed I/O specific DMAr Error section (UEFI 2.10 Appendix N.2.11.2; EDK2
// `EFI_DIRECTED_IO_DMAR_ERROR_DATA`, 144 bytes). GUID 71761D37-32B2-45CD-A7D0-B0FEDD93E8CF.
// Linux does not decode it (unknown section, hex dump). The fault record, root entry and
// context entry are 128-bit registers kept as 16 bytes each; trailing bytes are kept.
// | 0 | 1 | Version | 1 | 1 | Revision | 2 | 6 | OEM Id | 8 | 8 | Capability | 16 | 8 | Extended Capability |
// | 24 | 4 | Global Command | 28 | 4 | Global Status | 32 | 4 | Fault Status | 36 | 12 | Reserved |
// | 48 | 16 | Fault Record | 64 | 16 | Root Entry | 80 | 16 | Context Entry | 96 | 48 | PTE L6..L1 |

import { ByteReader } from '../reader.js';
import { registerSection, type SectionCodec } from '../section.js';
import { ByteWriter } from '../writer.js';
import { type FixedSection, fixedSectionParts } from './layout.js';

export const DMAR_VTD_SECTION_GUID = '71761d37-32b2-45cd-a7d0-b0fedd93e8cf';

export const DMAR_VTD_LAYOUT = [
  ['version', 'u8'],
  ['revision', 'u8'],
  ['oemId', { bytes: 6 }, 'OEM id'],
  ['capability', 'u64', 'capability register'],
  ['extendedCapability', 'u64', 'extended capability register'],
  ['globalCommand', 'u32', 'global command register'],
  ['globalStatus', 'u32', 'global status register'],
  ['faultStatus', 'u32', 'fault status register'],
  ['reserved', { bytes: 12 }],
  ['faultRecord', { bytes: 16 }, 'fault record'],
  ['rootEntry', { bytes: 16 }, 'root entry'],
  ['contextEntry', { bytes: 16 }, 'context entry'],
  ['pteL6', 'u64', 'level 6 page table entry'],
  ['pteL5', 'u64', 'level 5 page table entry'],
  ['pteL4', 'u64', 'level 4 page table entry'],
  ['pteL3', 'u64', 'level 3 page table entry'],
  ['pteL2', 'u64', 'level 2 page table entry'],
  ['pteL1', 'u64', 'level 1 page table entry'],
] as const;

export type DmarVtdErrorSection = FixedSection<'dmar-vtd', typeof DMAR_VTD_LAYOUT>;

const STRUCTURE = 'VT-d DMAr Error section';
const parts = fixedSectionParts('dmar-vtd', DMAR_VTD_LAYOUT, 'VT-d DMAr error section');
export const DMAR_VTD_SECTION_SIZE = parts.size;
export const readDmarVtdErrorSection = parts.read;
export const writeDmarVtdErrorSection = parts.write;
export const dmarVtdErrorSection = parts.make;

export function decodeDmarVtdErrorSection(bytes: Uint8Array): DmarVtdErrorSection {
  return parts.read(new ByteReader(bytes, STRUCTURE));
}

export function encodeDmarVtdErrorSection(s: DmarVtdErrorSection): Uint8Array {
  const w = new ByteWriter(STRUCTURE, parts.size);
  parts.write(w, s);
  return w.toBytes();
}

export const dmarVtdSectionCodec: SectionCodec<DmarVtdErrorSection> = registerSection({
  kind: 'dmar-vtd',
  guid: DMAR_VTD_SECTION_GUID,
  linuxName: undefined,
  minLength: parts.size,
  decode: parts.read,
  encode: parts.write,
});
