// How `vras decode` and `vras lint` print many records: JSON Lines (one vras/v1 document per
// record, with the input's name, the record's index and byte offset beside `kind`), or text
// with one header line per record. Output is written in pieces and waits for the pipe to drain,
// so a slow reader never makes the process hold more than a few pieces.

import { JSON_SCHEMA, toJson } from '../codec/index.js';
import type { InputRecord } from './record-stream.js';

const FLUSH_AT = 1 << 16;

/** Buffered standard output that respects back-pressure. */
export class Output {
  private parts: string[] = [];
  private size = 0;

  async write(text: string): Promise<void> {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= FLUSH_AT) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!process.stdout.write(text)) {
      await new Promise<void>((resolve) => {
        process.stdout.once('drain', resolve);
        process.stdout.once('error', () => resolve());
      });
    }
  }
}

/** The stream fields of a record: input, index, offset, and line and path when known. */
function meta(r: InputRecord): Record<string, unknown> {
  return {
    input: r.input,
    index: r.index,
    offset: r.offset,
    ...(r.line === undefined ? {} : { line: r.line }),
    ...(r.path === undefined ? {} : { path: r.path }),
    ...(r.redfish === undefined ? {} : { redfish: r.redfish }),
  };
}

/** One JSON line: the vras/v1 document for `value`, with the record's stream fields. */
export function jsonLine(r: InputRecord, kind: string, value: unknown): string {
  const doc = toJson(kind, value, 0);
  const at = doc.indexOf(',"value":');
  const m = JSON.stringify(meta(r));
  return `${doc.slice(0, at)},${m.slice(1, -1)}${doc.slice(at)}\n`;
}

/** One JSON line for a record that failed. */
export function jsonErrorLine(r: InputRecord, message: string): string {
  return `${JSON.stringify({ schema: JSON_SCHEMA, kind: 'error', ...meta(r), error: message })}\n`;
}

/** The header line printed before each record's text. */
export function textHeader(r: InputRecord, kind?: string): string {
  const where = [
    `offset 0x${r.offset.toString(16)}`,
    ...(r.line === undefined ? [] : [`line ${r.line}`]),
    ...(r.path === undefined ? [] : [r.path]),
  ].join(', ');
  const id = r.redfish?.id === undefined ? '' : ` LogEntry ${r.redfish.id}`;
  return `==> ${r.input}: record ${r.index} (${where})${id}${kind === undefined ? '' : `: ${kind}`} <==\n`;
}
