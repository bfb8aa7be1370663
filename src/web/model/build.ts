// The Build view's forms as data: a HEST (QEMU's profile, or GHES/GHESv2 sources with their
// notification types) and a record (a status block or CPER record with one Platform Memory Error
// section). Bytes come from the codec's own builders and encoders; the command line is the
// `vras` invocation that gives the same bytes (`vras hest build`, `vras encode`).

import {
  ARM_ERROR_INFORMATION_SIZE,
  ARM_PROCESSOR_SECTION_GUID,
  ArmErrorTypeBit,
  ArmInfoFlags,
  ArmInfoValid,
  type ArmProcessorSection,
  ArmValid,
  CperSeverity,
  encodeCperRecord,
  encodeGhesStatusBlock,
  encodeHest,
  type Gas,
  type GhesStatusBlock,
  genericErrorDataEntry,
  ghesSource,
  ghesStatusBlock,
  ghesV2Source,
  HEST_NOTIFICATION_NAMES,
  type Hest,
  hestNotification,
  MEMORY_SECTION_GUID,
  MemoryValid,
  memoryErrorSection,
  parseHestNotificationType,
  parseUnsignedText,
  QEMU_HEST_HEADER,
  QEMU_HEST_PROFILE_NAMES,
  QEMU_HEST_PROFILES,
  type QemuHestProfileName,
  qemuHestBytes,
  statusBlockToCperRecord,
  systemMemoryGas,
  toJson,
} from '../../codec/index.js';

export { HEST_NOTIFICATION_NAMES, QEMU_HEST_PROFILE_NAMES };

export interface SourceForm {
  readonly type: 'ghes' | 'ghes-v2';
  readonly sourceId: string;
  readonly notification: string;
  readonly errorStatusAddress: string;
  readonly readAckAddress: string;
  readonly errorStatusBlockLength: string;
}

export interface HestForm {
  /** A QEMU profile name, or 'custom' for the sources below. */
  readonly profile: QemuHestProfileName | 'custom';
  readonly blobAddress: string;
  readonly sources: readonly SourceForm[];
}

export interface RecordForm {
  readonly container: 'status-block' | 'cper-record';
  /** Which section: a Platform Memory Error or an ARM Processor Error (one error info entry). */
  readonly section?: 'memory' | 'arm';
  /** CPER severity: 0 recoverable, 1 fatal, 2 corrected, 3 informational. */
  readonly severity: string;
  readonly physicalAddress: string;
  readonly physicalAddressMask: string;
  /** Memory error type (0–15). */
  readonly errorType: string;
  /** ARM: MPIDR_EL1 of the failing CPU. */
  readonly mpidr?: string;
  /** ARM: cache, tlb, bus or micro-architectural (UEFI 2.9A type bits). */
  readonly armErrorType?: keyof typeof ArmErrorTypeBit;
}

export interface Built {
  readonly bytes?: Uint8Array;
  /** The `vras` command line that prints the same bytes (hex on stdout). */
  readonly command?: string;
  /** What failed, naming the form field. */
  readonly error?: string;
}

export const DEFAULT_HEST_FORM: HestForm = {
  profile: 'custom',
  blobAddress: '0x7c410000',
  sources: [
    {
      type: 'ghes-v2',
      sourceId: '0',
      notification: 'sea',
      errorStatusAddress: '0x7c410000',
      readAckAddress: '0x7c410008',
      errorStatusBlockLength: '1024',
    },
  ],
};

export const DEFAULT_RECORD_FORM: RecordForm = {
  container: 'status-block',
  severity: '0',
  physicalAddress: '0x7c3c7000',
  physicalAddressMask: '0xfffffffffffff000',
  errorType: '3',
};

class FieldError extends Error {}

function unsigned(name: string, text: string, bits: number): bigint {
  const v = parseUnsignedText(name, text, bits);
  if (typeof v === 'string') throw new FieldError(v);
  return v;
}

function small(name: string, text: string, bits: number): number {
  return Number(unsigned(name, text, bits));
}

/** A here-document that writes `text` to `file`, then the command. */
function withFile(file: string, text: string, command: string): string {
  return `cat > ${file} <<'EOF'\n${text}\nEOF\n${command}`;
}

/** The `vras hest build` config (its documented JSON form) for the sources. */
export function hestConfig(form: HestForm): Record<string, unknown> {
  return {
    sources: form.sources.map((s, i) => {
      const what = `source ${i + 1}`;
      const n = parseHestNotificationType(s.notification);
      if (n === undefined)
        throw new FieldError(
          `${what}: notification ${JSON.stringify(s.notification)} is not a notification type`,
        );
      return {
        type: s.type,
        sourceId: small(`${what} source id`, s.sourceId, 16),
        notification: s.notification,
        errorStatusAddress: `0x${unsigned(`${what} error status address`, s.errorStatusAddress, 64).toString(16)}`,
        ...(s.type === 'ghes-v2'
          ? {
              readAckAddress: `0x${unsigned(`${what} read ack address`, s.readAckAddress, 64).toString(16)}`,
            }
          : {}),
        errorStatusBlockLength: small(
          `${what} error status block length`,
          s.errorStatusBlockLength,
          32,
        ),
      };
    }),
  };
}

function gas(text: string): Gas {
  return systemMemoryGas(BigInt(text));
}

/** The HEST the form describes, built with the codec's GHES builders (QEMU's defaults). */
export function hestFromForm(form: HestForm): Hest {
  const config = hestConfig(form);
  const sources = (config.sources as Record<string, unknown>[]).map((s) => {
    const base = {
      sourceId: s.sourceId as number,
      notification: hestNotification(parseHestNotificationType(s.notification as string)!),
      errorStatusAddress: gas(s.errorStatusAddress as string),
      errorStatusBlockLength: s.errorStatusBlockLength as number,
    };
    return s.type === 'ghes-v2'
      ? ghesV2Source({ ...base, readAckAddress: gas(s.readAckAddress as string) })
      : ghesSource(base);
  });
  return { header: { ...QEMU_HEST_HEADER }, sources };
}

export function buildHest(form: HestForm): Built {
  try {
    if (form.profile !== 'custom') {
      const addr = unsigned('blob address', form.blobAddress, 64);
      const hexAddr = `0x${addr.toString(16)}`;
      return {
        bytes: qemuHestBytes(QEMU_HEST_PROFILES[form.profile], addr),
        command: `vras hest build --profile ${form.profile} --blob-address ${hexAddr}`,
      };
    }
    if (form.sources.length === 0) return { error: 'add at least one error source' };
    const config = JSON.stringify(hestConfig(form), null, 2);
    return {
      bytes: encodeHest(hestFromForm(form)),
      command: withFile('hest.json', config, 'vras hest build hest.json'),
    };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** An ARM Processor Error section with one error information entry for the form's address. */
function armSection(form: RecordForm): ArmProcessorSection {
  const type = ArmErrorTypeBit[form.armErrorType ?? 'Cache'];
  if (type === undefined)
    throw new FieldError(
      `ARM error type ${JSON.stringify(form.armErrorType)} is not Cache, Tlb, Bus or MicroArchitectural`,
    );
  return {
    kind: 'arm',
    validationBits: ArmValid.Mpidr | ArmValid.RunningState,
    errorAffinityLevel: 0,
    reserved: new Uint8Array(3),
    mpidr: unsigned('MPIDR', form.mpidr ?? '0x80000000', 64),
    midr: 0n,
    runningState: 1,
    psciState: 0,
    errorInfo: [
      {
        version: 0,
        length: ARM_ERROR_INFORMATION_SIZE,
        validationBits: ArmInfoValid.Flags | ArmInfoValid.PhysicalAddress,
        type,
        multipleError: 0,
        flags: ArmInfoFlags.First | ArmInfoFlags.Last,
        errorInfo: 0n,
        virtualFaultAddress: 0n,
        physicalFaultAddress: unsigned('physical address', form.physicalAddress, 64),
      },
    ],
    contextInfo: [],
    vendorSpecific: new Uint8Array(0),
  };
}

export function blockFromForm(form: RecordForm): GhesStatusBlock {
  const severity = small('severity', form.severity, 2);
  if (form.section === 'arm') {
    return ghesStatusBlock({
      errorSeverity: severity,
      entries: [
        genericErrorDataEntry(ARM_PROCESSOR_SECTION_GUID, armSection(form), {
          errorSeverity: severity,
        }),
      ],
    });
  }
  const errorType = small('memory error type', form.errorType, 8);
  const body = memoryErrorSection({
    validationBits:
      MemoryValid.PhysicalAddress | MemoryValid.PhysicalAddressMask | MemoryValid.ErrorType,
    physicalAddress: unsigned('physical address', form.physicalAddress, 64),
    physicalAddressMask: unsigned('physical address mask', form.physicalAddressMask, 64),
    errorType,
  });
  return ghesStatusBlock({
    errorSeverity: severity,
    entries: [genericErrorDataEntry(MEMORY_SECTION_GUID, body, { errorSeverity: severity })],
  });
}

export function buildRecord(form: RecordForm): Built & { json?: string } {
  try {
    const block = blockFromForm(form);
    if (form.container === 'cper-record') {
      const record = statusBlockToCperRecord(block);
      const json = toJson('cper-record', record);
      return {
        bytes: encodeCperRecord(record),
        json,
        command: withFile('record.json', json, 'vras encode record.json'),
      };
    }
    const json = toJson('ghes-status-block', block);
    return {
      bytes: encodeGhesStatusBlock(block),
      json,
      command: withFile('record.json', json, 'vras encode record.json'),
    };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

export const SEVERITIES: readonly [string, string][] = [
  [String(CperSeverity.Recoverable), 'recoverable'],
  [String(CperSeverity.Fatal), 'fatal'],
  [String(CperSeverity.Corrected), 'corrected'],
  [String(CperSeverity.Informational), 'informational'],
];
