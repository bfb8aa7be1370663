// newc ("070701") cpio archives, as the Linux initramfs unpacker reads them
// (Documentation/driver-api/early-userspace/buffer-format.rst): a 110-byte ASCII header of
// 13 eight-digit hex fields, the NUL-terminated name padded to a multiple of 4 (counting the
// header), the data padded to a multiple of 4, and a final `TRAILER!!!` entry.
//
// The kernel's ACPI table upgrade reads an *uncompressed* archive placed before the
// compressed initrd (`kernel/firmware/acpi/*.aml`, name at most 16 characters after the
// directory: drivers/acpi/tables.c MAX_CPIO_FILE_NAME is 18 including the NUL).

export type CpioEntry =
  | {
      readonly kind: 'file';
      readonly path: string;
      readonly data: Uint8Array;
      readonly mode?: number;
    }
  | { readonly kind: 'dir'; readonly path: string; readonly mode?: number }
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string }
  | {
      readonly kind: 'char';
      readonly path: string;
      readonly major: number;
      readonly minor: number;
      readonly mode?: number;
    };

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new RangeError(`Cannot write cpio header field: ${n} does not fit 8 hex digits`);
  }
  return n.toString(16).padStart(8, '0');
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

/** Builds a newc archive; mtimes are 0 so the same entries always give the same bytes. */
export function buildCpio(entries: readonly CpioEntry[]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  let size = 0;
  let ino = 1;
  const push = (b: Uint8Array): void => {
    parts.push(b);
    size += b.length;
  };
  const add = (
    name: string,
    mode: number,
    data: Uint8Array,
    rdev: readonly [number, number],
  ): void => {
    const nameBytes = enc.encode(`${name}\0`);
    const isDir = (mode & 0o170000) === S_IFDIR;
    const header =
      '070701' +
      hex8(name === 'TRAILER!!!' ? 0 : ino++) +
      hex8(mode) +
      hex8(0) +
      hex8(0) +
      hex8(isDir ? 2 : 1) +
      hex8(0) +
      hex8(data.length) +
      hex8(0) +
      hex8(0) +
      hex8(rdev[0]) +
      hex8(rdev[1]) +
      hex8(nameBytes.length) +
      hex8(0);
    push(enc.encode(header));
    push(nameBytes);
    push(new Uint8Array(pad4(110 + nameBytes.length)));
    push(data);
    push(new Uint8Array(pad4(data.length)));
  };
  for (const e of entries) {
    const path = e.path.replace(/^\/+/, '');
    if (path === '' || path.length > 4000)
      throw new RangeError(`Cannot add cpio entry: bad path ${JSON.stringify(e.path)}`);
    switch (e.kind) {
      case 'file':
        add(path, S_IFREG | (e.mode ?? 0o644), e.data, [0, 0]);
        break;
      case 'dir':
        add(path, S_IFDIR | (e.mode ?? 0o755), new Uint8Array(0), [0, 0]);
        break;
      case 'symlink':
        add(path, S_IFLNK | 0o777, enc.encode(e.target), [0, 0]);
        break;
      case 'char':
        add(path, S_IFCHR | (e.mode ?? 0o600), new Uint8Array(0), [e.major, e.minor]);
        break;
    }
  }
  add('TRAILER!!!', 0, new Uint8Array(0), [0, 0]);
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Longest table file name the 6.1 kernel accepts without a warning (see header). */
export const ACPI_TABLE_NAME_MAX = 16;

/**
 * The uncompressed archive of ACPI tables for the kernel's table upgrade: each table at
 * `kernel/firmware/acpi/<name>`. Prepend it to the (compressed) initrd.
 */
export function buildAcpiTableCpio(
  tables: readonly { name: string; data: Uint8Array }[],
): Uint8Array {
  const entries: CpioEntry[] = [
    { kind: 'dir', path: 'kernel' },
    { kind: 'dir', path: 'kernel/firmware' },
    { kind: 'dir', path: 'kernel/firmware/acpi' },
  ];
  for (const t of tables) {
    if (t.name.length > ACPI_TABLE_NAME_MAX || !/^[A-Za-z0-9._-]+$/.test(t.name)) {
      throw new RangeError(
        `Cannot add ACPI table ${JSON.stringify(t.name)}: the name must be at most ${ACPI_TABLE_NAME_MAX} characters of [A-Za-z0-9._-]`,
      );
    }
    entries.push({ kind: 'file', path: `kernel/firmware/acpi/${t.name}`, data: t.data });
  }
  return buildCpio(entries);
}
