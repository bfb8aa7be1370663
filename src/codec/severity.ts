// Error severity (UEFI 2.10 Appendix N.2.1 "Error Severity"; ACPI 6.5 §18.3.2.7.1): one encoding
// shared by the CPER record header, the section descriptor, the GESB and the GEDE. Stored as a
// u32; unknown values are kept as their number.

/** CPER severity codes. */
export const CperSeverity = {
  Recoverable: 0,
  Fatal: 1,
  Corrected: 2,
  Informational: 3,
} as const;
export type CperSeverity = (typeof CperSeverity)[keyof typeof CperSeverity];

const LINUX_NAMES = ['recoverable', 'fatal', 'corrected', 'info'] as const;

/** Linux `cper_severity_str()`: `recoverable`, `fatal`, `corrected`, `info`, else `unknown`. */
export function cperSeverityName(severity: number): string {
  return LINUX_NAMES[severity] ?? 'unknown';
}

/** GHES severities as ghes.c orders them (`GHES_SEV_*`). */
export const GhesSeverity = {
  No: 0,
  Corrected: 1,
  Recoverable: 2,
  Panic: 3,
} as const;
export type GhesSeverity = (typeof GhesSeverity)[keyof typeof GhesSeverity];

/**
 * Linux `ghes_severity()`: informational → NO, corrected → CORRECTED, recoverable →
 * RECOVERABLE, fatal **and every unknown value** → PANIC (linux-guest.md §6).
 */
export function ghesSeverity(severity: number): GhesSeverity {
  switch (severity) {
    case CperSeverity.Informational:
      return GhesSeverity.No;
    case CperSeverity.Corrected:
      return GhesSeverity.Corrected;
    case CperSeverity.Recoverable:
      return GhesSeverity.Recoverable;
    default:
      return GhesSeverity.Panic;
  }
}
