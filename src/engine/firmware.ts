// A guest-firmware model that executes a linker/loader script (formats.md §12) the way
// SeaBIOS/EDK2 do: ALLOCATE copies a fw_cfg file into guest RAM at an aligned address,
// ADD_POINTER adds a file's base address to a little-endian field, ADD_CHECKSUM fixes a byte so
// a range sums to 0, WRITE_POINTER hands an address back to the VMM (a fw_cfg DMA write into a
// writable file). Every access is bounds-checked; a bad command is an EngineError naming it.

import {
  describeLinkerLoaderCommand,
  type LinkerLoaderCommand,
  LinkerLoaderCommandType,
} from '../codec/index.js';
import { EngineError, EngineErrorCode } from './errors.js';
import type { GuestMemory } from './guest-memory.js';

/** Chooses the guest physical address of an ALLOCATEd file. */
export type FirmwareAllocator = (file: string, size: number, align: number, zone: number) => bigint;

/** One WRITE_POINTER as the VMM receives it: `bytes` written at `offset` of writable `file`. */
export interface WritePointerWrite {
  readonly file: string;
  readonly offset: number;
  readonly bytes: Uint8Array;
}

export interface FirmwareRun {
  /** Where each ALLOCATEd file landed. */
  readonly placements: ReadonlyMap<string, { readonly gpa: bigint; readonly size: number }>;
  readonly writePointers: readonly WritePointerWrite[];
}

/**
 * A bump allocator from `start` upwards, with fixed addresses for named files (the captures put
 * `etc/acpi/tables` at 0x43000000, `etc/hardware_errors` at 0x43DA0000, rsdp at 0x43F00000).
 */
export function bumpAllocator(
  start: bigint,
  fixed: Readonly<Record<string, bigint>> = {},
): FirmwareAllocator {
  let next = start;
  return (file, size, align) => {
    const at = fixed[file];
    if (at !== undefined) return at;
    const a = BigInt(align);
    const gpa = (next + a - 1n) & ~(a - 1n);
    next = gpa + BigInt(size);
    return gpa;
  };
}

const SIZES = new Set([1, 2, 4, 8]);

function readLe(bytes: Uint8Array, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

function writeLe(value: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let v = value;
  for (let i = 0; i < size; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

type Placements = Map<string, { gpa: bigint; size: number }>;

function loaderFailed(index: number, cmd: LinkerLoaderCommand, why: string): never {
  throw new EngineError(
    EngineErrorCode.LoaderFailed,
    `Cannot execute linker/loader command ${index} (${describeLinkerLoaderCommand(cmd)}): ${why}`,
  );
}

function placementOf(
  placed: Placements,
  file: string,
  index: number,
  cmd: LinkerLoaderCommand,
): { gpa: bigint; size: number } {
  return placed.get(file) ?? loaderFailed(index, cmd, `${file} is not allocated`);
}

function inFile(
  placed: Placements,
  file: string,
  offset: number,
  size: number,
  index: number,
  cmd: LinkerLoaderCommand,
): bigint {
  const p = placementOf(placed, file, index, cmd);
  if (offset < 0 || size < 0 || offset + size > p.size) {
    loaderFailed(
      index,
      cmd,
      `${size} bytes at offset ${offset} are outside ${file} (${p.size} bytes)`,
    );
  }
  return p.gpa + BigInt(offset);
}

/**
 * Runs `script` against `memory`. `files` are the fw_cfg files (read-only blobs); `onWritePointer`
 * receives each WRITE_POINTER (the VMM side of the fw_cfg DMA write). Returns where things went.
 */
export function runLinkerLoader(
  script: readonly LinkerLoaderCommand[],
  files: ReadonlyMap<string, Uint8Array>,
  memory: GuestMemory,
  allocate: FirmwareAllocator,
  onWritePointer: (write: WritePointerWrite) => void = () => {},
): FirmwareRun {
  const placed: Placements = new Map();
  const writes: WritePointerWrite[] = [];
  for (let index = 0; index < script.length; index++) {
    const cmd = script[index]!;
    try {
      switch (cmd.command) {
        case LinkerLoaderCommandType.Allocate: {
          const c = cmd as Extract<LinkerLoaderCommand, { command: 1 }>;
          const blob = files.get(c.file) ?? loaderFailed(index, cmd, `no fw_cfg file ${c.file}`);
          if (c.align === 0 || (c.align & (c.align - 1)) !== 0)
            loaderFailed(index, cmd, `align ${c.align} is not a power of 2`);
          if (placed.has(c.file)) loaderFailed(index, cmd, `${c.file} is already allocated`);
          const gpa = allocate(c.file, blob.length, c.align, c.zone);
          if (gpa % BigInt(c.align) !== 0n)
            loaderFailed(index, cmd, `allocator returned an unaligned address`);
          memory.write(gpa, blob);
          placed.set(c.file, { gpa, size: blob.length });
          break;
        }
        case LinkerLoaderCommandType.AddPointer: {
          const c = cmd as Extract<LinkerLoaderCommand, { command: 2 }>;
          if (!SIZES.has(c.size))
            loaderFailed(index, cmd, `pointer size ${c.size} is not 1, 2, 4 or 8`);
          const at = inFile(placed, c.destFile, c.offset, c.size, index, cmd);
          const base = placementOf(placed, c.srcFile, index, cmd).gpa;
          const value = readLe(memory.read(at, c.size), c.size) + base;
          if (value >= 1n << BigInt(8 * c.size))
            loaderFailed(index, cmd, `pointer overflows ${c.size} bytes`);
          memory.write(at, writeLe(value, c.size));
          break;
        }
        case LinkerLoaderCommandType.AddChecksum: {
          const c = cmd as Extract<LinkerLoaderCommand, { command: 3 }>;
          const start = inFile(placed, c.file, c.start, c.length, index, cmd);
          const at = inFile(placed, c.file, c.offset, 1, index, cmd);
          if (c.offset < c.start || c.offset >= c.start + c.length) {
            loaderFailed(index, cmd, 'checksum byte is outside the summed range');
          }
          const bytes = memory.read(start, c.length);
          let sum = 0;
          for (let i = 0; i < bytes.length; i++) sum += bytes[i]!;
          sum -= bytes[c.offset - c.start]!;
          memory.write(at, Uint8Array.of((0x100 - (sum & 0xff)) & 0xff));
          break;
        }
        case LinkerLoaderCommandType.WritePointer: {
          const c = cmd as Extract<LinkerLoaderCommand, { command: 4 }>;
          if (!SIZES.has(c.size))
            loaderFailed(index, cmd, `pointer size ${c.size} is not 1, 2, 4 or 8`);
          const value = placementOf(placed, c.srcFile, index, cmd).gpa + BigInt(c.srcOffset);
          if (value >= 1n << BigInt(8 * c.size))
            loaderFailed(index, cmd, `pointer overflows ${c.size} bytes`);
          const w = { file: c.destFile, offset: c.dstOffset, bytes: writeLe(value, c.size) };
          writes.push(w);
          onWritePointer(w);
          break;
        }
        default:
          // SeaBIOS and EDK2 skip commands they do not know.
          break;
      }
    } catch (cause) {
      if (cause instanceof EngineError && cause.code === EngineErrorCode.LoaderFailed) throw cause;
      loaderFailed(index, cmd, cause instanceof Error ? cause.message : String(cause));
    }
  }
  return { placements: placed, writePointers: writes };
}
