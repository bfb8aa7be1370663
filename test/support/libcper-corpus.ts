// The libcper corpus (../shared/reference/libcper-corpus/): records made by libcper's own
// generator and the JSON libcper's `cper-convert to-json` printed for each. Section bodies are cut
// out of the record at the offset and length libcper reported, so tests that use them depend on
// libcper's reading of the bytes, not on vras's.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Resolved here rather than through shared.ts, which also builds the CLI: the codec tests that
// read the corpus need no CLI.
const sharedRoot =
  process.env.VRAS_SHARED ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared');

function sharedPath(...parts: string[]): string {
  const p = join(sharedRoot, ...parts);
  if (!existsSync(p)) {
    throw new Error(`Reference file missing: ${p} (set VRAS_SHARED to the shared/ directory)`);
  }
  return p;
}

export interface CorpusRecord {
  readonly name: string;
  readonly cper: Uint8Array;
  /** libcper's JSON text, as printed. */
  readonly jsonText: string;
  // biome-ignore lint/suspicious/noExplicitAny: libcper's JSON is read field by field in tests
  readonly json: any;
}

export interface CorpusSection {
  readonly record: string;
  readonly index: number;
  readonly guid: string;
  readonly body: Uint8Array;
  // biome-ignore lint/suspicious/noExplicitAny: libcper's JSON
  readonly descriptor: any;
  // biome-ignore lint/suspicious/noExplicitAny: libcper's JSON
  readonly section: any;
}

export function corpusDir(): string {
  return sharedPath('reference', 'libcper-corpus');
}

let cache: CorpusRecord[] | undefined;

export function corpusRecords(): readonly CorpusRecord[] {
  if (cache !== undefined) return cache;
  const dir = corpusDir();
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.cper'))
    .map((f) => f.slice(0, -'.cper'.length))
    .sort();
  cache = names.map((name) => {
    const data = readFileSync(join(dir, `${name}.cper`));
    const jsonText = readFileSync(join(dir, `${name}.libcper.json`), 'utf8');
    return {
      name,
      cper: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      jsonText,
      json: JSON.parse(jsonText),
    };
  });
  return cache;
}

/** Every section of every corpus record whose section type is `guid`. */
export function corpusSections(guid: string): CorpusSection[] {
  const out: CorpusSection[] = [];
  for (const r of corpusRecords()) {
    r.json.sectionDescriptors.forEach(
      (
        d: { sectionOffset: number; sectionLength: number; sectionType: { data: string } },
        index: number,
      ) => {
        if (d.sectionType.data !== guid) return;
        out.push({
          record: r.name,
          index,
          guid,
          body: r.cper.slice(d.sectionOffset, d.sectionOffset + d.sectionLength),
          descriptor: d,
          section: r.json.sections[index],
        });
      },
    );
  }
  return out;
}
