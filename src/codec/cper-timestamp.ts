// CPER timestamp (UEFI 2.10 Appendix N.2.1, record header offset 24; also the GEDE v3 timestamp,
// ACPI 6.5 §18.3.2.7.1): 8 bytes — seconds, minutes, hours, flags (bit 0 precise), day, month,
// year (two digits), century. Time fields are BCD; the raw bytes are kept so any value round-trips.

import { ByteReader } from './reader.js';
import { ByteWriter } from './writer.js';

export const CPER_TIMESTAMP_SIZE = 8;

/** Raw bytes of the timestamp; time fields hold BCD as stored (0x59 means 59). */
export interface CperTimestamp {
  readonly seconds: number;
  readonly minutes: number;
  readonly hours: number;
  /** Bit 0: the timestamp is precise (`CPER_TIMESTAMP_PRECISE`); other bits reserved. */
  readonly flags: number;
  readonly day: number;
  readonly month: number;
  readonly year: number;
  readonly century: number;
}

export const CPER_TIMESTAMP_PRECISE = 0x01;

export const ZERO_TIMESTAMP: CperTimestamp = Object.freeze({
  seconds: 0,
  minutes: 0,
  hours: 0,
  flags: 0,
  day: 0,
  month: 0,
  year: 0,
  century: 0,
});

export function readCperTimestamp(r: ByteReader): CperTimestamp {
  r.need(CPER_TIMESTAMP_SIZE, 'timestamp');
  return {
    seconds: r.u8('timestamp seconds'),
    minutes: r.u8('timestamp minutes'),
    hours: r.u8('timestamp hours'),
    flags: r.u8('timestamp flags'),
    day: r.u8('timestamp day'),
    month: r.u8('timestamp month'),
    year: r.u8('timestamp year'),
    century: r.u8('timestamp century'),
  };
}

export function writeCperTimestamp(w: ByteWriter, t: CperTimestamp): void {
  w.u8(t.seconds, 'timestamp seconds');
  w.u8(t.minutes, 'timestamp minutes');
  w.u8(t.hours, 'timestamp hours');
  w.u8(t.flags, 'timestamp flags');
  w.u8(t.day, 'timestamp day');
  w.u8(t.month, 'timestamp month');
  w.u8(t.year, 'timestamp year');
  w.u8(t.century, 'timestamp century');
}

export function decodeCperTimestamp(bytes: Uint8Array): CperTimestamp {
  return readCperTimestamp(new ByteReader(bytes, 'CPER timestamp'));
}

export function encodeCperTimestamp(t: CperTimestamp): Uint8Array {
  const w = new ByteWriter('CPER timestamp', CPER_TIMESTAMP_SIZE);
  writeCperTimestamp(w, t);
  return w.toBytes();
}

/** Linux `bcd2bin()`: `(v & 0x0f) + (v >> 4) * 10`, applied even to invalid BCD. */
export function bcdToBin(value: number): number {
  return (value & 0x0f) + (value >> 4) * 10;
}

/** BCD byte for 0..99. */
export function binToBcd(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 99) {
    throw new RangeError(`Cannot encode BCD: ${value} is not in 0..99`);
  }
  return ((value / 10) | 0) * 16 + (value % 10);
}

export interface CperTimestampParts {
  /** Full year, 0..9999. */
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
  readonly precise: boolean;
}

/** Builds a BCD timestamp from calendar parts (no clock is read: the caller supplies the time). */
export function cperTimestampFromParts(p: CperTimestampParts): CperTimestamp {
  if (!Number.isInteger(p.year) || p.year < 0 || p.year > 9999) {
    throw new RangeError(`Cannot encode CPER timestamp: year ${p.year} is not in 0..9999`);
  }
  return {
    seconds: binToBcd(p.seconds),
    minutes: binToBcd(p.minutes),
    hours: binToBcd(p.hours),
    flags: p.precise ? CPER_TIMESTAMP_PRECISE : 0,
    day: binToBcd(p.day),
    month: binToBcd(p.month),
    year: binToBcd(p.year % 100),
    century: binToBcd((p.year / 100) | 0),
  };
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * The text of Linux `cper_print_tstamp()` after the prefix:
 * `%s%ststamp: %02d%02d-%02d-%02d %02d:%02d:%02d` without the prefix, e.g.
 * `precise tstamp: 2024-05-01 12:34:56`.
 */
export function formatCperTimestampLinux(t: CperTimestamp): string {
  const precise = t.flags & CPER_TIMESTAMP_PRECISE ? 'precise ' : 'imprecise ';
  return (
    `${precise}tstamp: ${pad2(bcdToBin(t.century))}${pad2(bcdToBin(t.year))}-` +
    `${pad2(bcdToBin(t.month))}-${pad2(bcdToBin(t.day))} ${pad2(bcdToBin(t.hours))}:` +
    `${pad2(bcdToBin(t.minutes))}:${pad2(bcdToBin(t.seconds))}`
  );
}
