// The engine's boundary: it never calls a hypervisor. It emits typed requests that a platform
// (the simulator, the real-guest harness, a VMM) carries out, and reports what it noticed.
// Addresses are bigint; ESR values are the 32-bit register (SEA) or the 25-bit ISS (SError,
// what KVM_SET_VCPU_EVENTS takes).

export type PlatformRequest =
  /** Inject a synchronous external data abort into `vcpu` with this ESR_EL1 (FAR not valid). */
  | {
      readonly kind: 'inject-sea';
      readonly vcpu: number;
      readonly esr: number;
      readonly sourceId: number;
    }
  /**
   * Make a virtual SError pending on `vcpu`. `iss` present: `serror_has_esr` with these ISS bits
   * (needs KVM_CAP_ARM_INJECT_SERROR_ESR); absent: the hypervisor's default syndrome.
   */
  | { readonly kind: 'inject-serror'; readonly vcpu: number; readonly iss?: number }
  /** Raise a GED event (ACPI_GED_ERROR_EVT 0x20 → Notify(PNP0C33)) for a GPIO/SCI source. */
  | { readonly kind: 'ged-event'; readonly event: number; readonly sourceId: number }
  /** Pulse an interrupt line (External / GSIV notification). */
  | { readonly kind: 'interrupt'; readonly gsiv: number; readonly sourceId: number }
  /** Signal an SDEI event (SDEI notification). */
  | { readonly kind: 'sdei-event'; readonly event: number; readonly sourceId: number }
  /** x86 NMI notification. */
  | { readonly kind: 'nmi'; readonly sourceId: number }
  /**
   * PowerPC: enter the guest's machine-check handler on `vcpu`. `via: 'fwnmi'` enters the
   * vector registered with ibm,nmi-register with r3 = `r3` (the log is already in guest
   * memory); `via: 'vector'` raises the architected 0x200 interrupt.
   */
  | {
      readonly kind: 'machine-check';
      readonly vcpu: number;
      readonly via: 'fwnmi' | 'vector';
      readonly vector: bigint;
      readonly r3?: bigint;
      readonly srr1?: bigint;
    }
  /** Discard and remap a poisoned page (system reset). */
  | {
      readonly kind: 'remap-page';
      readonly gpa: bigint;
      readonly hostAddress: bigint;
      readonly size: bigint;
    }
  /** The VM cannot continue (only under a `fatal` policy the user chose). */
  | { readonly kind: 'fatal'; readonly message: string };

export type ReportLevel = 'info' | 'warning' | 'error';

/** Something the engine noticed and refuses to keep quiet about. */
export interface EngineReport {
  readonly level: ReportLevel;
  /** Stable identifier, e.g. `hostile-pointer`, `backlog-overflow`, `ao-outside-ram`. */
  readonly code: string;
  readonly message: string;
  readonly sourceId?: number;
  /** Guest physical address concerned (a refused pointer's target, a poisoned page, a block). */
  readonly gpa?: bigint;
}

/**
 * What happened to a record, as it happens, so a platform never has to diff `stats()` counters.
 * `size` is the record's length in bytes (the status block the guest will read).
 */
export type EngineEvent =
  /**
   * The record is in the guest's error status block (block_status written last). `fromBacklog`:
   * it waited for the guest's ack and was posted by `service()` or a later `record()`.
   * `notified`: the source's notification was requested (false for `notify: false` records and
   * polled sources).
   */
  | {
      readonly kind: 'record-posted';
      readonly sourceId: number;
      readonly size: number;
      readonly tag?: string;
      readonly fromBacklog: boolean;
      readonly notified: boolean;
    }
  /** The source was busy: the record waits in its backlog at position `depth` (1 = next). */
  | {
      readonly kind: 'record-queued';
      readonly sourceId: number;
      readonly size: number;
      readonly tag?: string;
      readonly depth: number;
    }
  /** The backlog was full (also reported as `backlog-overflow`): the record is lost, counted. */
  | {
      readonly kind: 'record-dropped';
      readonly sourceId: number;
      readonly size: number;
      readonly tag?: string;
    };

export interface Platform {
  request(request: PlatformRequest): void;
  report(report: EngineReport): void;
  /** Optional: record life-cycle events (posted, queued, dropped). */
  event?(event: EngineEvent): void;
}

/** A platform that records everything, for tests and the soak run. */
export class RecordingPlatform implements Platform {
  readonly requests: PlatformRequest[] = [];
  readonly reports: EngineReport[] = [];
  readonly events: EngineEvent[] = [];
  request(request: PlatformRequest): void {
    this.requests.push(request);
  }
  report(report: EngineReport): void {
    this.reports.push(report);
  }
  event(event: EngineEvent): void {
    this.events.push(event);
  }
  clear(): void {
    this.requests.length = 0;
    this.reports.length = 0;
    this.events.length = 0;
  }
}
