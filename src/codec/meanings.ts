// What field values mean, for the annotated-table output (table.ts): severity and notification
// names, validation bits spelled out, GUIDs named, addresses as page frames. Keys are
// `Structure.field` (as the decoders name them in the trace) or bare field names.

import { CperNotificationType } from './cper-record.js';
import { GasAccessSize, gasAddressSpaceName } from './gas.js';
import { GenericErrorDataValid, SectionFlag } from './generic-error-data.js';
import { decodeBlockStatus } from './generic-error-status.js';
import { hestSourceTypeName } from './hest.js';
import { HestNotificationType, hestNotificationName } from './hest-notification.js';
import { hex } from './hex.js';
import type { FieldTrace } from './reader.js';
import { rtasErrorLogMeanings } from './rtas.js';
import { registeredSections } from './section.js';
import {
  ArmContextType,
  ArmInfoFlags,
  ArmInfoValid,
  ArmValid,
  armErrorKinds,
} from './sections/arm-processor.js';
import { MemoryValid, memoryErrorStatusName, memoryErrorTypeName } from './sections/memory.js';
import { cperSeverityName } from './severity.js';
import type { Meanings } from './table.js';

type Value = FieldTrace['value'];

/** Names of the set bits of `value` from a `{ Name: bit }` table; unknown bits as hex. */
export function bitNames(
  value: number | bigint,
  table: Readonly<Record<string, number | bigint>>,
): string {
  const v = BigInt(value);
  if (v === 0n) return 'none';
  const names: string[] = [];
  let known = 0n;
  for (const [name, bit] of Object.entries(table)) {
    known |= BigInt(bit);
    if ((v & BigInt(bit)) !== 0n) names.push(name);
  }
  const rest = v & ~known;
  if (rest !== 0n) names.push(`unknown ${hex(rest)}`);
  return names.join(' | ');
}

/** Names for GUIDs vras knows (section types, notification types), from formats.md §6. */
const GUID_NAMES: Readonly<Record<string, string>> = {
  '9876ccad-47b4-4bdb-b65e-16f193c4f3db': 'Processor Generic',
  'dc3ea0b0-a144-4797-b95b-53fa242b6e1d': 'IA32/X64 Processor',
  'e429faf1-3cb7-11d4-bca7-0080c73c8881': 'IPF Processor',
  'e19e3d16-bc11-11e4-9caa-c2051d5d46b0': 'ARM Processor',
  'a5bc1114-6f64-4ede-b863-3e83ed7c83b1': 'Platform Memory',
  '61ec04fc-48e6-d813-25c9-8daa44750b12': 'Platform Memory 2',
  'd995e954-bbc1-430f-ad91-b44dcb3c6f35': 'PCI Express',
  'c5753963-3b84-4095-bf78-eddad3f9c9dd': 'PCI/PCI-X Bus',
  'eb5e4685-ca66-4769-b6a2-26068b001326': 'PCI/PCI-X Component',
  '81212a96-09ed-4996-9471-8d729c8e69ed': 'Firmware Error Record Reference',
  '5b51fef7-c79d-4434-8f1b-aa62de3e2c64': 'DMAr Generic',
  '71761d37-32b2-45cd-a7d0-b0fedd93e8cf': 'Intel VT-d DMAr',
  '036f84e1-7f37-428c-a79e-575fdfaa84ec': 'IOMMU DMAr',
  '91335ef6-ebfb-4478-a6a6-88b728cf75d7': 'CCIX PER Log',
  '80b9efb4-52b5-4de3-a777-68784b771048': 'CXL Protocol Error',
  'fbcd0a77-c260-417f-85a9-088b1621eba6': 'CXL General Media Event',
  '601dcbb3-9c06-4eab-b8af-4e9bfb5c9624': 'CXL DRAM Event',
  'fe927475-dd59-4339-a586-79bab113b774': 'CXL Memory Module Event',
  'e71f3a40-2d29-4092-8a39-4d1c966c7c65': 'CXL Memory Sparing Event',
  '77cf9271-9c02-470b-9fe4-bc7b75f2da97': 'CXL Physical Switch Event',
  '40d26425-3396-4c4d-a5da-3d47263af425': 'CXL Virtual Switch Event',
  '8dc44363-0c96-4710-b7bf-04bb99534c3f': 'CXL MLD Port Event',
  'ca95afa7-f183-4018-8c2f-95268e101a2a': 'CXL Dynamic Capacity Event',
  '5e4706c1-5356-48c6-930b-52f2120a4458': 'AMD FRU Memory Poison',
  'bf32d4d5-b427-4025-8495-8a9e5d4030e4': 'Arm RAS Node',
  '00000000-0000-0000-0000-000000000000': 'nil',
  ...Object.fromEntries(
    Object.entries(CperNotificationType).map(([name, guid]) => [guid, `${name} notification`]),
  ),
};

export function guidName(value: Value): string | undefined {
  if (typeof value !== 'string') return undefined;
  const known = GUID_NAMES[value];
  if (known !== undefined) return known;
  const codec = registeredSections().find((c) => c.guid === value);
  return codec === undefined ? 'unknown GUID' : `${codec.kind} section`;
}

const num = (v: Value): number | undefined => (typeof v === 'number' ? v : undefined);
const big = (v: Value): bigint | undefined =>
  typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : undefined;

const severity = (v: Value) => (num(v) === undefined ? undefined : cperSeverityName(num(v)!));
const bits =
  (table: Readonly<Record<string, number | bigint>>) =>
  (v: Value): string | undefined => {
    const b = big(v);
    return b === undefined ? undefined : bitNames(b, table);
  };
const pageFrame = (v: Value) => {
  const b = big(v);
  return b === undefined || b === 0n ? undefined : `pfn ${hex(b >> 12n)}`;
};
const ACCESS_SIZE_NAMES = Object.fromEntries(Object.entries(GasAccessSize).map(([k, v]) => [v, k]));
const CONTEXT_NAMES = Object.fromEntries(Object.entries(ArmContextType).map(([k, v]) => [v, k]));

/** Meanings for every structure the codec decodes. */
export const CODEC_MEANINGS: Meanings = {
  ...rtasErrorLogMeanings,
  // GHES status block and entries (formats.md §4).
  'GHES status block.block status': (v) => {
    const n = num(v);
    if (n === undefined) return undefined;
    if (n === 0) return 'no record present (Linux ignores the block, never acks)';
    const f = decodeBlockStatus(n);
    const names = [
      f.uncorrectable && 'uncorrectable',
      f.correctable && 'correctable',
      f.multipleUncorrectable && 'multiple uncorrectable',
      f.multipleCorrectable && 'multiple correctable',
    ].filter(Boolean);
    return `${names.join(', ') || 'no valid bit'}; ${f.entryCount} entries${f.reserved ? `; reserved ${hex(f.reserved)}` : ''}`;
  },
  'GHES status block.error severity': severity,
  'Generic Error Data Entry.error severity': severity,
  'Generic Error Data Entry.section type': guidName,
  'Generic Error Data Entry.FRU id': guidName,
  'Generic Error Data Entry.revision': (v) =>
    num(v) === undefined
      ? undefined
      : num(v)! >> 8 >= 3
        ? '72-byte header with timestamp'
        : '64-byte header',
  'Generic Error Data Entry.validation bits': bits(GenericErrorDataValid),
  'Generic Error Data Entry.flags': bits(SectionFlag),
  'Generic Error Data Entry.timestamp flags': (v) => (num(v)! & 1 ? 'precise' : 'imprecise'),
  // CPER record (formats.md §5).
  'CPER record.error severity': severity,
  'CPER record.notification type': guidName,
  'CPER record.section type': guidName,
  'CPER record.section severity': severity,
  // Platform Memory (formats.md §7).
  'memory section.validation bits': bits(MemoryValid),
  'memory section.error status': (v) =>
    typeof v === 'bigint' ? memoryErrorStatusName(v) : undefined,
  'memory section.physical address': pageFrame,
  'memory section.memory error type': (v) =>
    num(v) === undefined ? undefined : memoryErrorTypeName(num(v)!),
  // ARM processor (formats.md §8).
  'arm section.validation bits': bits(ArmValid),
  'arm section.error information validation bits': bits(ArmInfoValid),
  'arm section.flags': bits(ArmInfoFlags),
  'arm section.error type': (v) => {
    const n = num(v);
    if (n === undefined) return undefined;
    const kinds = (style: 'bitmask' | 'enumerated') => {
      const k = armErrorKinds(n, style);
      return `${k.kinds.join('|') || 'none'}${k.reserved ? ' + reserved' : ''}`;
    };
    return `bitmask (6.1.192, 7.x): ${kinds('bitmask')}; enumerated (older): ${kinds('enumerated')}`;
  },
  'arm section.physical fault address': pageFrame,
  'arm section.register context type': (v) => CONTEXT_NAMES[num(v) ?? -1],
  'arm section.multiple error': (v) => (num(v) === undefined ? undefined : `${num(v)! + 1} errors`),
  // HEST (formats.md §3) and its embedded structures.
  'HEST.signature': (v) => (v === 'HEST' ? 'Hardware Error Source Table' : 'not a HEST'),
  type: (v) => (num(v) === undefined ? undefined : hestSourceTypeName(num(v)!)),
  'Notification.type': (v) => (num(v) === undefined ? undefined : hestNotificationName(num(v)!)),
  'Notification.pollInterval': (v, row, trace) => {
    const type = trace.find(
      (t) => t.structure === 'Notification' && t.field === 'type' && t.offset === row.offset - 4,
    );
    return type?.value === HestNotificationType.Polled ? `${String(v)} ms` : undefined;
  },
  relatedSourceId: (v) => (v === 0xffff ? 'none' : undefined),
  enabled: (v) => (v === 0 ? 'disabled (Linux skips the source)' : v === 1 ? 'enabled' : undefined),
  addressSpaceId: (v) => (num(v) === undefined ? undefined : gasAddressSpaceName(num(v)!)),
  accessSize: (v) => ACCESS_SIZE_NAMES[num(v) ?? -1],
  'Error Status Address.address': () => 'register holding the status block address',
  'Read Ack Register.address': () => 'register the guest acknowledges through',
  errorStatusBlockLength: (v) => (num(v)! < 20 ? 'below 20: Linux refuses the source' : undefined),
};
