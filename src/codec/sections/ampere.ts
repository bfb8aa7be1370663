// Ampere vendor error section (libcper `EFI_AMPERE_ERROR_DATA`; Ampere's own layout, not in
// UEFI). GUID 2826CC9F-448C-4C2B-86B6-A95394B7EF33. Linux does not decode it (unknown section,
// hex dump). The 8-byte header is decoded; the rest of the body stays as `trailing` bytes.
// | 0 | 2 | Type Id | 2 | 2 | Subtype Id | 4 | 4 | Instance Id |

import { ByteReader } from '../reader.js';
import { registerSection, type SectionCodec } from '../section.js';
import { ByteWriter } from '../writer.js';
import { type FixedSection, fixedSectionParts } from './layout.js';

export const AMPERE_SECTION_GUID = '2826cc9f-448c-4c2b-86b6-a95394b7ef33';

export const AMPERE_LAYOUT = [
  ['typeId', 'u16', 'type id'],
  ['subtypeId', 'u16', 'subtype id'],
  ['instanceId', 'u32', 'instance id'],
] as const;

export type AmpereErrorSection = FixedSection<'ampere', typeof AMPERE_LAYOUT>;

const STRUCTURE = 'Ampere error section';
const parts = fixedSectionParts('ampere', AMPERE_LAYOUT, 'Ampere error section');
export const AMPERE_SECTION_SIZE = parts.size;
export const readAmpereErrorSection = parts.read;
export const writeAmpereErrorSection = parts.write;
export const ampereErrorSection = parts.make;

export function decodeAmpereErrorSection(bytes: Uint8Array): AmpereErrorSection {
  return parts.read(new ByteReader(bytes, STRUCTURE));
}

export function encodeAmpereErrorSection(s: AmpereErrorSection): Uint8Array {
  const w = new ByteWriter(STRUCTURE, parts.size);
  parts.write(w, s);
  return w.toBytes();
}

export const ampereSectionCodec: SectionCodec<AmpereErrorSection> = registerSection({
  kind: 'ampere',
  guid: AMPERE_SECTION_GUID,
  linuxName: undefined,
  minLength: parts.size,
  decode: parts.read,
  encode: parts.write,
});
