// QEMU BIOS linker/loader commands: the fw_cfg file `etc/table-loader`, an array of packed
// 128-byte commands the guest firmware executes at boot (formats.md §12; QEMU
// `hw/acpi/bios-linker-loader.c`, `include/hw/acpi/bios-linker-loader.h`). All integers are
// little-endian. File names are `char[56]` (FW_CFG_MAX_FILE_PATH), NUL-terminated and
// NUL-padded. Bytes after each command's last field are kept as `reserved`, so decode → encode
// gives back the input byte for byte; a command number this codec does not know keeps its 124
// body bytes.

import { CodecError, CodecErrorCode, hexOffset } from './errors.js';
import { ByteReader } from './reader.js';
import { ByteWriter } from './writer.js';

export const LINKER_LOADER_COMMAND_SIZE = 128;
/** `FW_CFG_MAX_FILE_PATH`: every file-name field is this wide, NUL included. */
export const LINKER_LOADER_FILE_SIZE = 56;

export const LinkerLoaderCommandType = {
  Allocate: 1,
  AddPointer: 2,
  AddChecksum: 3,
  WritePointer: 4,
} as const;
export type LinkerLoaderCommandType =
  (typeof LinkerLoaderCommandType)[keyof typeof LinkerLoaderCommandType];

/** ALLOCATE zone: where the firmware places the file. */
export const LinkerLoaderZone = {
  /** Anywhere in 32-bit RAM. */
  High: 1,
  /** The F-segment (0xF0000–0xFFFFF) on PCs. */
  FSeg: 2,
} as const;
export type LinkerLoaderZone = (typeof LinkerLoaderZone)[keyof typeof LinkerLoaderZone];

/** Sizes of the reserved tails after each command's fields. */
const ALLOCATE_RESERVED = 128 - 65;
const ADD_POINTER_RESERVED = 128 - 121;
const ADD_CHECKSUM_RESERVED = 128 - 72;
const WRITE_POINTER_RESERVED = 128 - 125;
const UNKNOWN_BODY = 128 - 4;

export interface LinkerLoaderAllocate {
  readonly command: 1;
  readonly file: string;
  /** Power of two, in bytes. */
  readonly align: number;
  /** `LinkerLoaderZone`, or an unknown number. */
  readonly zone: LinkerLoaderZone | number;
  readonly reserved: Uint8Array;
}

export interface LinkerLoaderAddPointer {
  readonly command: 2;
  readonly destFile: string;
  readonly srcFile: string;
  /** Offset of the pointer field in `destFile`. */
  readonly offset: number;
  /** Width of the pointer field: 1, 2, 4 or 8 bytes. */
  readonly size: number;
  readonly reserved: Uint8Array;
}

export interface LinkerLoaderAddChecksum {
  readonly command: 3;
  readonly file: string;
  /** Offset of the checksum byte. */
  readonly offset: number;
  readonly start: number;
  readonly length: number;
  readonly reserved: Uint8Array;
}

export interface LinkerLoaderWritePointer {
  readonly command: 4;
  /** A writable fw_cfg file: the firmware writes the address back to the VMM. */
  readonly destFile: string;
  readonly srcFile: string;
  readonly dstOffset: number;
  readonly srcOffset: number;
  readonly size: number;
  readonly reserved: Uint8Array;
}

export interface LinkerLoaderUnknown {
  readonly command: number;
  /** The 124 bytes after the command number. */
  readonly body: Uint8Array;
}

export type LinkerLoaderCommand =
  | LinkerLoaderAllocate
  | LinkerLoaderAddPointer
  | LinkerLoaderAddChecksum
  | LinkerLoaderWritePointer
  | LinkerLoaderUnknown;

const STRUCTURE = 'linker/loader command';

// ---------------------------------------------------------------------------------------------
// Builders (QEMU's own commands always have zero reserved bytes).

export function allocateCommand(
  file: string,
  align: number,
  zone: LinkerLoaderZone,
): LinkerLoaderAllocate {
  return { command: 1, file, align, zone, reserved: new Uint8Array(ALLOCATE_RESERVED) };
}

export function addPointerCommand(
  destFile: string,
  srcFile: string,
  offset: number,
  size: number,
): LinkerLoaderAddPointer {
  return {
    command: 2,
    destFile,
    srcFile,
    offset,
    size,
    reserved: new Uint8Array(ADD_POINTER_RESERVED),
  };
}

export function addChecksumCommand(
  file: string,
  offset: number,
  start: number,
  length: number,
): LinkerLoaderAddChecksum {
  return {
    command: 3,
    file,
    offset,
    start,
    length,
    reserved: new Uint8Array(ADD_CHECKSUM_RESERVED),
  };
}

export function writePointerCommand(
  destFile: string,
  srcFile: string,
  dstOffset: number,
  srcOffset: number,
  size: number,
): LinkerLoaderWritePointer {
  return {
    command: 4,
    destFile,
    srcFile,
    dstOffset,
    srcOffset,
    size,
    reserved: new Uint8Array(WRITE_POINTER_RESERVED),
  };
}

// ---------------------------------------------------------------------------------------------
// Decoding

function readFileName(reader: ByteReader, field: string): string {
  const at = reader.offset;
  const raw = reader.bytesCopy(LINKER_LOADER_FILE_SIZE, field);
  const nul = raw.indexOf(0);
  if (nul < 0) reader.invalid(field, 'has no NUL terminator within 56 bytes', at);
  for (let i = nul + 1; i < raw.length; i++) {
    if (raw[i] !== 0) reader.invalid(field, `has a non-zero byte after its NUL at +${i}`, at + i);
  }
  let s = '';
  for (let i = 0; i < nul; i++) s += String.fromCharCode(raw[i]!);
  return s;
}

export function readLinkerLoaderCommand(reader: ByteReader): LinkerLoaderCommand {
  const r = reader.sub(LINKER_LOADER_COMMAND_SIZE, STRUCTURE);
  const command = r.u32('command');
  switch (command) {
    case LinkerLoaderCommandType.Allocate: {
      const file = readFileName(r, 'file');
      const align = r.u32('align');
      const zone = r.u8('zone');
      return { command, file, align, zone, reserved: r.rest('reserved') };
    }
    case LinkerLoaderCommandType.AddPointer: {
      const destFile = readFileName(r, 'dest_file');
      const srcFile = readFileName(r, 'src_file');
      const offset = r.u32('offset');
      const size = r.u8('size');
      return { command, destFile, srcFile, offset, size, reserved: r.rest('reserved') };
    }
    case LinkerLoaderCommandType.AddChecksum: {
      const file = readFileName(r, 'file');
      const offset = r.u32('offset');
      const start = r.u32('start');
      const length = r.u32('length');
      return { command, file, offset, start, length, reserved: r.rest('reserved') };
    }
    case LinkerLoaderCommandType.WritePointer: {
      const destFile = readFileName(r, 'dest_file');
      const srcFile = readFileName(r, 'src_file');
      const dstOffset = r.u32('dst_offset');
      const srcOffset = r.u32('src_offset');
      const size = r.u8('size');
      return {
        command,
        destFile,
        srcFile,
        dstOffset,
        srcOffset,
        size,
        reserved: r.rest('reserved'),
      };
    }
    default:
      return { command, body: r.rest('body') };
  }
}

/** Decodes a whole `etc/table-loader` file: a whole number of 128-byte commands. */
export function decodeLinkerLoaderScript(bytes: Uint8Array): LinkerLoaderCommand[] {
  if (bytes.length % LINKER_LOADER_COMMAND_SIZE !== 0) {
    const at = bytes.length - (bytes.length % LINKER_LOADER_COMMAND_SIZE);
    throw new CodecError(
      `Cannot decode linker/loader script: ${bytes.length} bytes is not a multiple of 128 (last command at offset ${hexOffset(at)} is truncated)`,
      { code: CodecErrorCode.LengthMismatch, structure: 'linker/loader script', offset: at },
    );
  }
  const reader = new ByteReader(bytes, 'linker/loader script');
  const out: LinkerLoaderCommand[] = [];
  while (reader.remaining > 0) out.push(readLinkerLoaderCommand(reader));
  return out;
}

export function decodeLinkerLoaderCommand(bytes: Uint8Array): LinkerLoaderCommand {
  const reader = new ByteReader(bytes, STRUCTURE);
  const cmd = readLinkerLoaderCommand(reader);
  if (reader.remaining !== 0) {
    reader.lengthMismatch('command', `is followed by ${reader.remaining} extra bytes`);
  }
  return cmd;
}

// ---------------------------------------------------------------------------------------------
// Encoding

function writeFileName(writer: ByteWriter, name: string, field: string): void {
  if (typeof name !== 'string' || name.length >= LINKER_LOADER_FILE_SIZE) {
    throw new CodecError(
      `Cannot encode ${STRUCTURE}: ${field} ${JSON.stringify(name)} must be at most 55 characters`,
      { code: CodecErrorCode.OutOfRange, structure: STRUCTURE, field, offset: writer.offset },
    );
  }
  for (let i = 0; i < name.length; i++) {
    if (name.charCodeAt(i) === 0) {
      throw new CodecError(`Cannot encode ${STRUCTURE}: ${field} contains a NUL character`, {
        code: CodecErrorCode.Invalid,
        structure: STRUCTURE,
        field,
        offset: writer.offset + i,
      });
    }
  }
  writer.ascii(name.padEnd(LINKER_LOADER_FILE_SIZE, '\0'), LINKER_LOADER_FILE_SIZE, field);
}

function isKnown(
  cmd: LinkerLoaderCommand,
): cmd is Exclude<LinkerLoaderCommand, LinkerLoaderUnknown> {
  return cmd.command >= 1 && cmd.command <= 4 && !('body' in cmd);
}

export function writeLinkerLoaderCommand(writer: ByteWriter, cmd: LinkerLoaderCommand): void {
  const start = writer.offset;
  writer.u32(cmd.command, 'command');
  if (!isKnown(cmd)) {
    writer.bytes((cmd as LinkerLoaderUnknown).body, 'body', UNKNOWN_BODY);
    return;
  }
  switch (cmd.command) {
    case 1:
      writeFileName(writer, cmd.file, 'file');
      writer.u32(cmd.align, 'align');
      writer.u8(cmd.zone, 'zone');
      writer.bytes(cmd.reserved, 'reserved', ALLOCATE_RESERVED);
      break;
    case 2:
      writeFileName(writer, cmd.destFile, 'dest_file');
      writeFileName(writer, cmd.srcFile, 'src_file');
      writer.u32(cmd.offset, 'offset');
      writer.u8(cmd.size, 'size');
      writer.bytes(cmd.reserved, 'reserved', ADD_POINTER_RESERVED);
      break;
    case 3:
      writeFileName(writer, cmd.file, 'file');
      writer.u32(cmd.offset, 'offset');
      writer.u32(cmd.start, 'start');
      writer.u32(cmd.length, 'length');
      writer.bytes(cmd.reserved, 'reserved', ADD_CHECKSUM_RESERVED);
      break;
    case 4:
      writeFileName(writer, cmd.destFile, 'dest_file');
      writeFileName(writer, cmd.srcFile, 'src_file');
      writer.u32(cmd.dstOffset, 'dst_offset');
      writer.u32(cmd.srcOffset, 'src_offset');
      writer.u8(cmd.size, 'size');
      writer.bytes(cmd.reserved, 'reserved', WRITE_POINTER_RESERVED);
      break;
  }
  if (writer.offset - start !== LINKER_LOADER_COMMAND_SIZE) {
    throw new CodecError(`Cannot encode ${STRUCTURE}: command is not 128 bytes`, {
      code: CodecErrorCode.LengthMismatch,
      structure: STRUCTURE,
      offset: start,
    });
  }
}

export function encodeLinkerLoaderCommand(cmd: LinkerLoaderCommand): Uint8Array {
  const w = new ByteWriter(STRUCTURE, LINKER_LOADER_COMMAND_SIZE);
  writeLinkerLoaderCommand(w, cmd);
  return w.toBytes();
}

export function encodeLinkerLoaderScript(commands: readonly LinkerLoaderCommand[]): Uint8Array {
  const w = new ByteWriter('linker/loader script', commands.length * LINKER_LOADER_COMMAND_SIZE);
  for (const cmd of commands) writeLinkerLoaderCommand(w, cmd);
  return w.toBytes();
}

/** One line per command, in the style of the captures' `table-loader.decoded.txt`. */
export function describeLinkerLoaderCommand(cmd: LinkerLoaderCommand): string {
  if (!isKnown(cmd)) return `cmd=${cmd.command}`;
  switch (cmd.command) {
    case 1:
      return `cmd=ALLOCATE file=${cmd.file} align=${cmd.align} zone=${cmd.zone}`;
    case 2:
      return `cmd=ADD_POINTER dest=${cmd.destFile} src=${cmd.srcFile} offset=${cmd.offset} size=${cmd.size}`;
    case 3:
      return `cmd=ADD_CHECKSUM file=${cmd.file} offset=${cmd.offset} start=${cmd.start} length=${cmd.length}`;
    case 4:
      return `cmd=WRITE_POINTER dest=${cmd.destFile} src=${cmd.srcFile} dst_offset=${cmd.dstOffset} src_offset=${cmd.srcOffset} size=${cmd.size}`;
  }
}
