// ACPI table checksum (ACPI 6.5 §5.2.6): all bytes of the table, the checksum byte included,
// sum to zero modulo 256.

/** Sum of `bytes[start, start+length)` modulo 256. */
export function byteSum(bytes: Uint8Array, start = 0, length = bytes.length - start): number {
  let sum = 0;
  const end = start + length;
  for (let i = start; i < end; i++) sum += bytes[i]!;
  return sum & 0xff;
}

/**
 * The value the checksum byte at `at` must hold so that `bytes[start, start+length)` sums to 0,
 * computed as if that byte were 0.
 */
export function acpiChecksum(
  bytes: Uint8Array,
  at: number,
  start = 0,
  length = bytes.length - start,
): number {
  return (0x100 - ((byteSum(bytes, start, length) - bytes[at]!) & 0xff)) & 0xff;
}
