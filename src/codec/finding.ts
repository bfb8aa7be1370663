// What lint reports: one finding per check Linux applies to a HEST or a GHES status block,
// carrying the kernel's own message text and what the kernel then does.

/** What the guest kernel does because of a finding (linux-guest.md §2–§7, §12). */
export type LintConsequence =
  /** The whole HEST is rejected: no GHES source at all (unknown type, overflow). */
  | { readonly kind: 'hest-rejected' }
  /** One error source is not registered (disabled, bad GAS, unsupported notification, …). */
  | { readonly kind: 'source-not-registered'; readonly sourceId: number }
  /** Every source is unregistered (duplicate source id). */
  | { readonly kind: 'all-sources-removed' }
  /** The block is ignored silently and never acknowledged (pointer 0 or block_status 0). */
  | { readonly kind: 'ignored-never-acked' }
  /** The record is rejected, but the block is cleared and acknowledged; an SEA is not claimed. */
  | { readonly kind: 'rejected-acked' }
  /** The guest kernel panics with this text (`Kernel panic - not syncing: <text>`). */
  | { readonly kind: 'panic'; readonly text: string }
  /** memory_failure() runs for this pfn with these MF_* flags. */
  | {
      readonly kind: 'memory-failure';
      readonly pfn: bigint;
      readonly flags: number;
      readonly flagNames: readonly string[];
    }
  /** The section is printed but no recovery action runs. */
  | { readonly kind: 'no-recovery' }
  /** SIGBUS is forced on the current task (synchronous source, nothing queued). */
  | { readonly kind: 'forced-sigbus' }
  /** A warning is printed; processing continues unchanged. */
  | { readonly kind: 'warning' }
  /** Informational: how the kernel will treat an otherwise valid input. */
  | { readonly kind: 'info' };

export type LintSeverity = 'error' | 'warning' | 'info';

export interface LintFinding {
  /** Stable identifier of the check, e.g. `hest.unknown-type`, `estatus.invalid-length`. */
  readonly code: string;
  readonly severity: LintSeverity;
  /** The line the kernel prints, with its prefix (`[Firmware Warn]: GHES: …`), or ''. */
  readonly message: string;
  readonly consequence: LintConsequence;
  /** Byte offset the finding is about, from the start of the input. */
  readonly offset?: number;
  readonly field?: string;
  /** Our own explanation, when the kernel's text does not say enough. */
  readonly detail?: string;
}
