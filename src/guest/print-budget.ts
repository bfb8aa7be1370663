// The guest kernel's print rate limit for GHES records (linux-guest.md §9): two records per
// 5 s, one state for "corrected or less" and one for "uncorrected"; a limited record is still
// consumed and acked, but not printed. The harness asks this model how long to wait so a
// record whose lines it wants to see is printed. Host time (ms) approximates guest jiffies, so
// a margin is added on both sides of the window.

export type PrintClass = 'corrected' | 'uncorrected';

export const RATELIMIT_INTERVAL_MS = 5000;
export const RATELIMIT_BURST = 2;

interface Window {
  begin: number;
  printed: number;
}

export class PrintBudget {
  private readonly windows: Record<PrintClass, Window | undefined> = {
    corrected: undefined,
    uncorrected: undefined,
  };

  constructor(private readonly marginMs = 400) {}

  /** Records that the guest printed a record of `cls` at host time `atMs`. */
  printed(cls: PrintClass, atMs: number): void {
    const w = this.windows[cls];
    if (w === undefined || atMs > w.begin + RATELIMIT_INTERVAL_MS) {
      this.windows[cls] = { begin: atMs, printed: 1 };
    } else {
      w.printed++;
    }
  }

  /**
   * How long (ms) to wait from `nowMs` before posting a record of `cls` that must be printed,
   * when the kernel prints it at most `postToPrintMs` after posting (poll period; 0 for SEA).
   */
  waitBefore(cls: PrintClass, nowMs: number, postToPrintMs: number): number {
    const w = this.windows[cls];
    if (w === undefined) return 0;
    const end = w.begin + RATELIMIT_INTERVAL_MS;
    // The print lands somewhere in [now, now + postToPrintMs]: every such moment must be
    // past the window, or inside it with a print left.
    if (nowMs > end + this.marginMs) return 0;
    if (w.printed < RATELIMIT_BURST && nowMs + postToPrintMs < end - this.marginMs) return 0;
    return Math.max(0, end + this.marginMs - nowMs);
  }
}

/** The class the kernel counts a record in: GHES severity ≤ corrected (CPER 2 or 3) or not. */
export function printClassOf(cperSeverity: number): PrintClass {
  return cperSeverity === 2 || cperSeverity === 3 ? 'corrected' : 'uncorrected';
}
