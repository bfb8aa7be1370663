// A small adapter for Redfish LogEntry JSON (DMTF LogEntry: `DiagnosticDataType` "CPER" or
// "CPERSection" with base64 `DiagnosticData`, and the `CPER` object's `SectionType`), for a
// LogEntry, a LogEntryCollection's `Members`, an array of them, or JSON Lines objects with a
// base64 field. It stands in until the codec detects Redfish itself (issue 10, src/codec/
// redfish.ts); then this file should call that instead.
//
// A "CPERSection" payload is a 72-byte section descriptor followed by the section body
// (libcper's single-section form): the page decodes the body as a bare section whose type is the
// descriptor's section type (UEFI 2.10 §N.2.2, offset 16), or the `CPER.SectionType` given.

import { base64ToBytes, CodecError, guidFromBytes, hexToBytes } from '../../codec/index.js';
import type { InputProblem, InputRecord } from './input.js';

const SECTION_DESCRIPTOR_SIZE = 72;
const DESCRIPTOR_SECTION_TYPE = 16;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Base64 fields JSON Lines collectors use for a record, besides Redfish's DiagnosticData. */
const BASE64_FIELDS = ['DiagnosticData', 'data', 'cper', 'record', 'base64'] as const;

function one(entry: Json, origin: string, records: InputRecord[], problems: InputProblem[]): void {
  const field = BASE64_FIELDS.find((f) => typeof entry[f] === 'string');
  const hexField = typeof entry.hex === 'string' ? 'hex' : undefined;
  if (field === undefined && hexField === undefined) {
    problems.push({
      origin,
      message: `no record in it: expected a base64 "DiagnosticData" (Redfish LogEntry) or one of ${BASE64_FIELDS.slice(1).join(', ')}, hex`,
    });
    return;
  }
  let bytes: Uint8Array;
  try {
    bytes =
      field !== undefined
        ? base64ToBytes(entry[field] as string, `${origin}.${field}`)
        : hexToBytes(entry.hex as string, `${origin}.hex`);
  } catch (error) {
    const where =
      error instanceof CodecError && error.offset !== undefined
        ? ` (character ${error.offset})`
        : '';
    problems.push({ origin, message: `${(error as Error).message}${where}` });
    return;
  }
  const type = entry.DiagnosticDataType;
  if (type !== undefined && type !== 'CPER' && type !== 'CPERSection') {
    problems.push({
      origin,
      message: `DiagnosticDataType ${JSON.stringify(type)} is not CPER or CPERSection`,
    });
    return;
  }
  if (type === 'CPERSection') {
    if (bytes.length < SECTION_DESCRIPTOR_SIZE) {
      problems.push({
        origin,
        message: `a CPERSection needs its ${SECTION_DESCRIPTOR_SIZE}-byte section descriptor, DiagnosticData has ${bytes.length} bytes`,
      });
      return;
    }
    const cper = isObject(entry.CPER) ? entry.CPER : {};
    const given = typeof cper.SectionType === 'string' ? cper.SectionType.toLowerCase() : undefined;
    records.push({
      origin: `${origin} (CPERSection body at 0x48)`,
      bytes: bytes.subarray(SECTION_DESCRIPTOR_SIZE),
      encoding: 'redfish',
      sectionHint: given ?? guidFromBytes(bytes, DESCRIPTOR_SECTION_TYPE),
    });
    return;
  }
  records.push({ origin, bytes, encoding: 'redfish' });
}

/** The records in a parsed JSON document (or a list of JSON Lines documents). */
export function redfishRecords(doc: unknown): {
  form: string;
  records: InputRecord[];
  problems: InputProblem[];
} {
  const records: InputRecord[] = [];
  const problems: InputProblem[] = [];
  if (Array.isArray(doc)) {
    doc.forEach((d, i) => {
      if (isObject(d)) one(d, `[${i}]`, records, problems);
      else problems.push({ origin: `[${i}]`, message: 'not a JSON object' });
    });
    return { form: `${doc.length} JSON entries`, records, problems };
  }
  if (!isObject(doc)) {
    return { form: 'JSON', records, problems: [{ origin: 'input', message: 'not a JSON object' }] };
  }
  if (Array.isArray(doc.Members)) {
    doc.Members.forEach((m, i) => {
      if (isObject(m)) one(m, `Members[${i}]`, records, problems);
      else problems.push({ origin: `Members[${i}]`, message: 'not a JSON object' });
    });
    return {
      form: `Redfish LogEntryCollection (${doc.Members.length} members)`,
      records,
      problems,
    };
  }
  one(doc, 'LogEntry', records, problems);
  return { form: 'Redfish LogEntry', records, problems };
}
