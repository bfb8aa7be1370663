// CPER inside Redfish (DMTF LogEntry schema, v1.15+): a LogEntry whose `DiagnosticDataType` is
// `CPER` carries a whole CPER record in base64 `DiagnosticData`; `CPERSection` carries one
// section with its 72-byte descriptor in front (section-with-descriptor.ts). The LogEntry's
// `CPER` object (`NotificationType`, `SectionType`, `Oem`) names the notification type and the
// section type as GUID strings. A LogEntryCollection lists entries in `Members`. This file only
// pulls records out of parsed JSON; decoding them is the codec's usual work. Never throws.

import type { InputKind } from './detect.js';
import { CodecError } from './errors.js';
import { base64ToBytes } from './hex.js';

/** What a Redfish LogEntry says about the CPER it carries. */
export interface RedfishContext {
  readonly id?: string;
  readonly odataId?: string;
  readonly diagnosticDataType?: string;
  /** `CPER.NotificationType` (a GUID string), when given. */
  readonly notificationType?: string;
  /** `CPER.SectionType` (a GUID string), when given. */
  readonly sectionType?: string;
  readonly severity?: string;
  readonly created?: string;
  readonly message?: string;
}

/** One record found in a JSON value. */
export interface JsonRecord {
  /** Where in the JSON value: `` (the value itself), `Members[3]`, `[2]`. */
  readonly path: string;
  readonly bytes?: Uint8Array;
  /** Why no bytes could be taken (bad base64, no data field). */
  readonly error?: string;
  /** The structure the container says the bytes are (Redfish `DiagnosticDataType`). */
  readonly as?: InputKind;
  readonly redfish?: RedfishContext;
}

export interface JsonRecordOptions {
  /** The field holding the record in a plain JSON object (JSONL); default: the first of DATA_FIELDS. */
  readonly field?: string;
}

/** Fields tried, in order, for a plain object (not a LogEntry) holding a record as text. */
export const DATA_FIELDS = ['DiagnosticData', 'data', 'cper', 'record', 'base64', 'hex'] as const;

const HEX_ONLY = /^(?:0x)?[\s0-9a-fA-F]*$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Whether a JSON object is a Redfish LogEntry (by @odata.type or its DiagnosticData fields). */
export function isRedfishLogEntry(v: Record<string, unknown>): boolean {
  const type = str(v['@odata.type']);
  if (type !== undefined && /#LogEntry\./.test(type)) return true;
  return 'DiagnosticDataType' in v || 'EntryType' in v;
}

/** Whether a JSON object is a Redfish LogEntryCollection (or any collection with Members). */
export function isRedfishCollection(v: Record<string, unknown>): boolean {
  return Array.isArray(v.Members);
}

function textBytes(text: string, field: string): { bytes: Uint8Array } | { error: string } {
  const hexText = field === 'hex' || (field !== 'DiagnosticData' && HEX_ONLY.test(text));
  try {
    return {
      bytes: hexText ? hexBytes(text) : base64ToBytes(text, `${field} (base64)`),
    };
  } catch (e) {
    if (e instanceof CodecError) {
      return {
        error: `${e.message}${e.offset === undefined ? '' : ` (character ${e.offset}, spacing ignored)`}`,
      };
    }
    throw e;
  }
}

function hexBytes(text: string): Uint8Array {
  const clean = text.replace(/0x/gi, '').replace(/[\s:,]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    throw new CodecError(`Cannot parse hex text: ${clean.length} characters, not whole hex bytes`, {
      code: 'invalid',
      structure: 'hex text',
      offset: clean.length,
    });
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  }
  return out;
}

function logEntryRecord(v: Record<string, unknown>, path: string): JsonRecord | undefined {
  const cper = isObject(v.CPER) ? v.CPER : undefined;
  const type = str(v.DiagnosticDataType);
  const redfish: { -readonly [K in keyof RedfishContext]: RedfishContext[K] } = {};
  const id = str(v.Id);
  if (id !== undefined) redfish.id = id;
  const odataId = str(v['@odata.id']);
  if (odataId !== undefined) redfish.odataId = odataId;
  if (type !== undefined) redfish.diagnosticDataType = type;
  const nt = str(cper?.NotificationType);
  if (nt !== undefined) redfish.notificationType = nt.toLowerCase();
  const st = str(cper?.SectionType);
  if (st !== undefined) redfish.sectionType = st.toLowerCase();
  const sev = str(v.Severity);
  if (sev !== undefined) redfish.severity = sev;
  const created = str(v.Created);
  if (created !== undefined) redfish.created = created;
  const message = str(v.Message);
  if (message !== undefined) redfish.message = message;
  const data = v.DiagnosticData;
  // Entries of other kinds (SEL, OEM, …) in a collection carry no CPER: not records.
  if (type !== undefined && type !== 'CPER' && type !== 'CPERSection') return undefined;
  if (typeof data !== 'string') {
    if (type === undefined) return undefined;
    return {
      path,
      redfish,
      error: `LogEntry${id === undefined ? '' : ` ${id}`} has DiagnosticDataType ${type} but no DiagnosticData string (an AdditionalDataURI download is not followed)`,
    };
  }
  const as: InputKind | undefined =
    type === 'CPER'
      ? 'cper-record'
      : type === 'CPERSection'
        ? 'section-with-descriptor'
        : undefined;
  const got = textBytes(data, 'DiagnosticData');
  return {
    path,
    redfish,
    ...(as === undefined ? {} : { as }),
    ...('bytes' in got ? { bytes: got.bytes } : { error: `DiagnosticData: ${got.error}` }),
  };
}

/**
 * The records a parsed JSON value holds: a Redfish LogEntry's DiagnosticData, each member of a
 * LogEntryCollection, each element of an array, a string of hex or base64, or a plain object's
 * data field (`options.field`, else the first of DATA_FIELDS present).
 */
export function jsonRecords(
  value: unknown,
  options: JsonRecordOptions = {},
  path = '',
): JsonRecord[] {
  if (typeof value === 'string') {
    const got = textBytes(value, 'record');
    return ['bytes' in got ? { path, bytes: got.bytes } : { path, error: got.error }];
  }
  if (Array.isArray(value)) {
    return value.flatMap((v, i) => jsonRecords(v, options, `${path}[${i}]`));
  }
  if (!isObject(value)) {
    return [{ path, error: `a JSON ${value === null ? 'null' : typeof value} holds no record` }];
  }
  if (isRedfishCollection(value)) {
    const members = value.Members as unknown[];
    return members.flatMap((m, i) => {
      const p = `${path}${path === '' ? '' : '.'}Members[${i}]`;
      if (!isObject(m)) return [{ path: p, error: 'a member that is not an object' }];
      // A collection's members are LogEntries: one without CPER data is no record.
      if (options.field === undefined) {
        const r = logEntryRecord(m, p);
        return r === undefined ? [] : [r];
      }
      return jsonRecords(m, options, p);
    });
  }
  if (options.field === undefined && isRedfishLogEntry(value)) {
    const r = logEntryRecord(value, path);
    return [
      r ?? {
        path,
        error: `a Redfish LogEntry with DiagnosticDataType ${String(value.DiagnosticDataType)}: no CPER`,
      },
    ];
  }
  const field = options.field ?? DATA_FIELDS.find((f) => typeof value[f] === 'string');
  if (field === undefined || typeof value[field] !== 'string') {
    return [
      {
        path,
        error:
          options.field === undefined
            ? `an object with none of the fields ${DATA_FIELDS.join(', ')} as a string (name one with --field)`
            : `an object without a string field ${JSON.stringify(options.field)}`,
      },
    ];
  }
  const got = textBytes(value[field] as string, field);
  const p = `${path}${path === '' ? '' : '.'}${field}`;
  return ['bytes' in got ? { path: p, bytes: got.bytes } : { path: p, error: got.error }];
}
