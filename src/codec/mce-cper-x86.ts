// The `{N}[Hardware Error]:` lines of a GHES record as an x86_64 Linux guest prints them. The
// codec's Linux printer (linux-format.ts) models arm64 guests, where an IA32/X64 processor error
// section is unknown (`section type: unknown, GUID` and a hex dump); an x86 kernel
// (CONFIG_UEFI_CPER_X86) prints `section_type: IA32/X64 processor error` and cper-x86.c's
// cper_print_proc_ia() lines instead (printIa32X64SectionLinux). Checked against the real Debian
// 6.1 and 6.12 amd64 guests (the x86 real-guest scenario ghes-ia32x64).

import { genericErrorDataEntry } from './generic-error-data.js';
import {
  encodeGhesStatusBlock,
  type GhesStatusBlock,
  ghesStatusBlock,
} from './generic-error-status.js';
import { type FormatLinuxOptions, formatLinux } from './linux-format.js';
import type { SectionBody } from './section.js';
import {
  IA32X64_SECTION_GUID,
  Ia32X64ErrorInfoValid,
  Ia32X64ErrorType,
  type Ia32X64ProcessorSection,
  Ia32X64Valid,
  printIa32X64SectionLinux,
} from './sections/index.js';
import { CperSeverity } from './severity.js';

const SECTION_TYPE = /section[_ ]type: /;
const ERROR_HEADER = /^\{\d+\}\[Hardware Error\]: {2}Error \d+, type: /;

/** formatLinux() for an x86 guest: every decoded IA32/X64 section printed as cper-x86.c does. */
export function formatLinuxX86(block: GhesStatusBlock, options: FormatLinuxOptions): string[] {
  const generic = formatLinux(block, options);
  if (
    !block.entries.some((e) => e.sectionType === IA32X64_SECTION_GUID && e.body.kind === 'ia32x64')
  )
    return generic;
  // Split the arm64 lines per entry (each starts with ` Error N, type:`), replace IA32/X64 ones.
  const starts: number[] = [];
  generic.forEach((l, i) => {
    if (ERROR_HEADER.test(l)) starts.push(i);
  });
  const out = generic.slice(0, starts[0] ?? generic.length);
  block.entries.forEach((e, n) => {
    const part = generic.slice(starts[n], starts[n + 1] ?? generic.length);
    if (e.sectionType !== IA32X64_SECTION_GUID || e.body.kind !== 'ia32x64') {
      out.push(...part);
      return;
    }
    const at = part.findIndex((l) => SECTION_TYPE.test(l));
    const pfx = part[at]!.slice(0, part[at]!.search(SECTION_TYPE));
    out.push(
      ...part.slice(0, at),
      `${pfx}section_type: IA32/X64 processor error`,
      ...printIa32X64SectionLinux(e.body as unknown as Ia32X64ProcessorSection, {
        pfx,
        options: { kernel: options.kernel ?? '6.1' },
      }),
    );
  });
  return out;
}

/**
 * A corrected status block with one IA32/X64 processor error section: the local APIC id, CPUID
 * info (EAX of leaf 1 = 0x506e3, Skylake-Client) and one cache-check error information structure
 * (check info 0x30207, the instruction pointer). The x86 real-guest scenario ghes-ia32x64 and
 * the simulator write it.
 */
export function x86CacheErrorRecord(localApicId: bigint, instructionPointer: bigint): Uint8Array {
  const cpuid = new Uint8Array(48);
  new DataView(cpuid.buffer).setUint32(0, 0x506e3, true);
  const section: Ia32X64ProcessorSection = {
    kind: 'ia32x64',
    validationBits: Ia32X64Valid.LocalApicId | Ia32X64Valid.CpuidInfo | (1n << 2n),
    localApicId,
    cpuidInfo: cpuid,
    errorInfo: [
      {
        errorType: Ia32X64ErrorType.Cache,
        validationBits: Ia32X64ErrorInfoValid.CheckInfo | Ia32X64ErrorInfoValid.InstructionPointer,
        checkInfo: 0x30207n,
        targetId: 0n,
        requestorId: 0n,
        responderId: 0n,
        instructionPointer,
      },
    ],
    contexts: [],
  };
  return encodeGhesStatusBlock(
    ghesStatusBlock({
      errorSeverity: CperSeverity.Corrected,
      entries: [
        genericErrorDataEntry(IA32X64_SECTION_GUID, section as unknown as SectionBody, {
          errorSeverity: CperSeverity.Corrected,
        }),
      ],
    }),
  );
}
