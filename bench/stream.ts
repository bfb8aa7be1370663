// Records per second through ONE `bin/vras decode` process over a 1000-record stream of mixed
// records (QEMU's 172-byte status block, libcper corpus CPER records of every section type, a
// descriptor-plus-section blob), one base64 record per line on stdin, JSON Lines out. The wall
// time includes the process's start-up, as a user running the command would see it.
//
//   import { streamDecodeBench } from './stream.js';
//   const f = await streamDecodeBench(sharedRoot);   // { records, seconds, recordsPerSecond, … }

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../..');

export interface StreamBenchFigures {
  readonly records: number;
  /** Wall time from spawn to exit. */
  readonly seconds: number;
  readonly recordsPerSecond: number;
  /** JSON lines that were errors (should be 0). */
  readonly errors: number;
  readonly inputBytes: number;
  readonly outputBytes: number;
}

/** The mixed records, one base64 line each, `count` lines in all. */
export function mixedStream(sharedRoot: string, count = 1000): string {
  const corpus = join(sharedRoot, 'reference', 'libcper-corpus');
  const records: Uint8Array[] = [
    readFileSync(
      join(sharedRoot, 'reference/qemu/captured/qemu-10.2.50-ece408818d/virt/qmp_cper_payload.bin'),
    ),
    ...readdirSync(corpus)
      .filter((f) => f.endsWith('.cper'))
      .sort()
      .map((f) => readFileSync(join(corpus, f))),
  ];
  const lines = records.map((r) => Buffer.from(r).toString('base64'));
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(lines[i % lines.length]!);
  return `${out.join('\n')}\n`;
}

/** Runs one `bin/vras decode - --format json` over the stream and times it. */
export async function streamDecodeBench(
  sharedRoot: string,
  count = 1000,
): Promise<StreamBenchFigures> {
  const input = mixedStream(sharedRoot, count);
  const start = process.hrtime.bigint();
  const child = spawn(join(repoRoot, 'bin/vras'), ['decode', '-', '--format', 'json'], {
    env: { ...process.env, VRAS_DEBUG: '', VRAS_TSX: '' },
  });
  let lines = 0;
  let errors = 0;
  let outputBytes = 0;
  let tail = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    outputBytes += d.length;
    const parts = (tail + d).split('\n');
    tail = parts.pop()!;
    for (const p of parts) {
      lines++;
      if (p.startsWith('{"schema":"vras/v1","kind":"error"')) errors++;
    }
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const code = await new Promise<number | null>((resolveExit, reject) => {
    child.on('error', reject);
    child.on('close', resolveExit);
    child.stdin.end(input);
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (code !== 0 && code !== 1) throw new Error(`vras decode exited ${code}: ${stderr}`);
  if (lines !== count) throw new Error(`vras decode printed ${lines} lines for ${count} records`);
  return {
    records: lines,
    seconds,
    recordsPerSecond: lines / seconds,
    errors,
    inputBytes: input.length,
    outputBytes,
  };
}

// `npx tsx bench/stream.ts`: print the figures.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const shared = process.env.VRAS_SHARED ?? resolve(repoRoot, '../shared');
  const f = await streamDecodeBench(shared);
  console.log(
    `decode stream: ${f.records} records (${f.errors} errors) in ${f.seconds.toFixed(3)} s through one bin/vras process = ${f.recordsPerSecond.toFixed(0)} records/s`,
  );
}
