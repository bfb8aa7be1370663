import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hexDumpLinesFast } from './linux-format.js';
import { linuxHexDumpLines } from './sections/arm-processor.js';

// linuxHexDumpLines is the print_hex_dump model the real-kernel fixtures check; the fast form
// must print the same lines for every length, content and prefix.
describe('hexDumpLinesFast()', () => {
  it('prints the same lines as linuxHexDumpLines for every length up to 300 bytes', () => {
    const bytes = new Uint8Array(300);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + 11) & 0xff;
    for (let n = 0; n <= 300; n++) {
      const b = bytes.subarray(0, n);
      assert.deepEqual(
        hexDumpLinesFast('{1}[Hardware Error]:   ', b),
        linuxHexDumpLines('{1}[Hardware Error]:   ', b, true),
        `${n} bytes`,
      );
    }
  });

  it('prints the same lines as linuxHexDumpLines for random bytes and prefixes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.string({ unit: 'binary', maxLength: 30 }),
        (b, prefix) => {
          assert.deepEqual(hexDumpLinesFast(prefix, b), linuxHexDumpLines(prefix, b, true));
        },
      ),
      { numRuns: 300, seed: 21 },
    );
  });
});
