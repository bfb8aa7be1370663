// formatTable() with more rows than a function call takes arguments (issue 14 item 5): the
// column widths were `Math.max(...cells)`, which threw "Maximum call stack size exceeded" for a
// status block of about 4,000 entries. Expected widths are computed here by hand.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTable, type TableRow } from './table.js';

test('formatTable() formats 500,000 rows, the widest cell setting its column width', () => {
  const n = 500_000;
  const rows: TableRow[] = Array.from({ length: n }, (_, i) => ({
    offset: i * 4,
    size: 4,
    structure: 'S',
    field: i === n - 1 ? 'the-widest-field-name-of-all' : 'f',
    value: i,
    valueText: String(i),
    meaning: '',
  }));
  const text = formatTable(rows);
  const lines = text.split('\n');
  assert.equal(lines.length, n + 2);
  // field column: 'S.the-widest-field-name-of-all' is 30 characters.
  const dashes = lines[1]!.split('  ');
  assert.equal(dashes[2]!.length, 'S.the-widest-field-name-of-all'.length);
  // offset column: the largest offset, 0x1e847c.
  assert.equal(dashes[0]!.length, '0x1e847c'.length);
  assert.equal(dashes[3]!.length, String(n - 1).length);
});
