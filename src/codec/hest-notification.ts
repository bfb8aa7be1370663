// Hardware Error Notification structure (ACPI 6.5 §18.3.2.9): 28 bytes telling OSPM how an
// error source signals an error (polling, interrupt, SEA, SDEI, …). Used by GHES, GHESv2 and
// the IA-32 corrected/deferred machine-check sources. The Length byte is always 28: it is
// written on encode and checked on decode.

import { ByteReader } from './reader.js';
import { ByteWriter } from './writer.js';

export const HEST_NOTIFICATION_SIZE = 28;

/** Notification types 0–11 (ACPI 6.5 Table 18.14; QEMU's `AcpiGhesNotifyType` uses the same). */
export const HestNotificationType = {
  Polled: 0,
  ExternalInterrupt: 1,
  LocalInterrupt: 2,
  Sci: 3,
  Nmi: 4,
  Cmci: 5,
  Mce: 6,
  GpioSignal: 7,
  ArmSea: 8,
  ArmSei: 9,
  ExternalInterruptGsiv: 10,
  SoftwareDelegatedException: 11,
} as const;
export type HestNotificationType = (typeof HestNotificationType)[keyof typeof HestNotificationType];

/** Short names used by the CLI config and in messages, indexed by type. */
export const HEST_NOTIFICATION_NAMES = [
  'polled',
  'external',
  'local',
  'sci',
  'nmi',
  'cmci',
  'mce',
  'gpio',
  'sea',
  'sei',
  'gsiv',
  'sdei',
] as const;
export type HestNotificationName = (typeof HEST_NOTIFICATION_NAMES)[number];

/** Configuration Write Enable bits: OSPM may write the named field. */
export const HestNotificationWriteEnable = {
  Type: 1 << 0,
  PollInterval: 1 << 1,
  SwitchToPollingThresholdValue: 1 << 2,
  SwitchToPollingThresholdWindow: 1 << 3,
  ErrorThresholdValue: 1 << 4,
  ErrorThresholdWindow: 1 << 5,
} as const;

export interface HestNotification {
  /** A `HestNotificationType`, or any other u8 (reserved ≥ 12, kept as its number). */
  readonly type: number;
  // Length (u8) = 28, computed.
  readonly configurationWriteEnable: number;
  /** Milliseconds (Polled). */
  readonly pollInterval: number;
  /** Interrupt vector, GSIV or SDEI event number, depending on `type`. */
  readonly vector: number;
  readonly switchToPollingThresholdValue: number;
  /** Milliseconds. */
  readonly switchToPollingThresholdWindow: number;
  readonly errorThresholdValue: number;
  /** Milliseconds. */
  readonly errorThresholdWindow: number;
}

/** A notification of `type` with every other field 0: what QEMU writes. */
export function hestNotification(type: number): HestNotification {
  return {
    type,
    configurationWriteEnable: 0,
    pollInterval: 0,
    vector: 0,
    switchToPollingThresholdValue: 0,
    switchToPollingThresholdWindow: 0,
    errorThresholdValue: 0,
    errorThresholdWindow: 0,
  };
}

/** `sea`, `gpio`, … for types 0–11; `reserved (12)` otherwise. */
export function hestNotificationName(type: number): string {
  return HEST_NOTIFICATION_NAMES[type] ?? `reserved (${type})`;
}

/** Parses a notification name (`sea`) or a number 0–255 given as text. */
export function parseHestNotificationType(text: string): number | undefined {
  const i = (HEST_NOTIFICATION_NAMES as readonly string[]).indexOf(text.toLowerCase());
  if (i >= 0) return i;
  if (/^(0x[0-9a-f]+|[0-9]+)$/i.test(text)) {
    const n = Number(text);
    if (n <= 0xff) return n;
  }
  return undefined;
}

export function readHestNotification(r: ByteReader): HestNotification {
  return r.scoped('Notification', () => {
    r.need(HEST_NOTIFICATION_SIZE, 'notification');
    const type = r.u8('type');
    const lengthAt = r.offset;
    const length = r.u8('length');
    if (length !== HEST_NOTIFICATION_SIZE) {
      r.invalid('length', `is ${length}, must be ${HEST_NOTIFICATION_SIZE}`, lengthAt);
    }
    return {
      type,
      configurationWriteEnable: r.u16('configurationWriteEnable'),
      pollInterval: r.u32('pollInterval'),
      vector: r.u32('vector'),
      switchToPollingThresholdValue: r.u32('switchToPollingThresholdValue'),
      switchToPollingThresholdWindow: r.u32('switchToPollingThresholdWindow'),
      errorThresholdValue: r.u32('errorThresholdValue'),
      errorThresholdWindow: r.u32('errorThresholdWindow'),
    };
  });
}

export function writeHestNotification(w: ByteWriter, value: HestNotification): void {
  w.u8(value.type, 'type');
  w.u8(HEST_NOTIFICATION_SIZE, 'length');
  w.u16(value.configurationWriteEnable, 'configurationWriteEnable');
  w.u32(value.pollInterval, 'pollInterval');
  w.u32(value.vector, 'vector');
  w.u32(value.switchToPollingThresholdValue, 'switchToPollingThresholdValue');
  w.u32(value.switchToPollingThresholdWindow, 'switchToPollingThresholdWindow');
  w.u32(value.errorThresholdValue, 'errorThresholdValue');
  w.u32(value.errorThresholdWindow, 'errorThresholdWindow');
}

export function decodeHestNotification(bytes: Uint8Array): HestNotification {
  const r = new ByteReader(bytes, 'HEST notification');
  const value = readHestNotification(r);
  if (r.remaining !== 0) {
    r.lengthMismatch('bytes', `${bytes.length} given, the structure is ${HEST_NOTIFICATION_SIZE}`);
  }
  return value;
}

export function encodeHestNotification(value: HestNotification): Uint8Array {
  const w = new ByteWriter('HEST notification', HEST_NOTIFICATION_SIZE);
  writeHestNotification(w, value);
  return w.toBytes();
}
