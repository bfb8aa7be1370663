// Sample inputs for the Decode view, built by the codec when clicked (nothing is stored): a
// recoverable memory error as a status block (hex), the same as a CPER record (base64), QEMU
// 10.2's HEST, a Redfish LogEntry, a log of three records and an input that fails at an offset.

import {
  bytesToBase64,
  bytesToHex,
  encodeCperRecord,
  QEMU_HEST_PROFILES,
  qemuHestBytes,
  statusBlockToCperRecord,
} from '../codec/index.js';
import { blockFromForm, buildRecord, DEFAULT_RECORD_FORM } from './model/build.js';

export interface Sample {
  readonly id: string;
  readonly label: string;
  readonly text: () => string;
}

function record(address: string, severity: string): Uint8Array {
  return encodeCperRecord(
    statusBlockToCperRecord(
      blockFromForm({ ...DEFAULT_RECORD_FORM, physicalAddress: address, severity }),
    ),
  );
}

export const SAMPLES: readonly Sample[] = [
  {
    id: 'block',
    label: 'status block (hex)',
    text: () => bytesToHex(buildRecord(DEFAULT_RECORD_FORM).bytes!),
  },
  {
    id: 'cper',
    label: 'CPER record (base64)',
    text: () => bytesToBase64(record('0x7c3c7000', '0')),
  },
  {
    id: 'hest',
    label: 'HEST',
    text: () => bytesToHex(qemuHestBytes(QEMU_HEST_PROFILES['qemu-10.2-virt'], 0x7c410000n)),
  },
  {
    id: 'redfish',
    label: 'Redfish LogEntry',
    text: () =>
      JSON.stringify(
        {
          '@odata.type': '#LogEntry.v1_16_0.LogEntry',
          Id: '1',
          EntryType: 'CPER',
          DiagnosticDataType: 'CPER',
          DiagnosticData: bytesToBase64(record('0x7c3c7000', '0')),
        },
        null,
        2,
      ),
  },
  {
    id: 'log',
    label: 'log of 3 records',
    text: () =>
      [record('0x7c3c7000', '0'), record('0x40001000', '2'), record('0x7c3c8000', '1')]
        .map(bytesToBase64)
        .join('\n'),
  },
  {
    id: 'bad',
    label: 'truncated block',
    text: () => bytesToHex(buildRecord(DEFAULT_RECORD_FORM).bytes!.subarray(0, 100)),
  },
];
