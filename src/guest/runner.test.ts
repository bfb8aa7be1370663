import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { formatGroup, groupsFor, guestBenchFigures, saveFailure, scenarioIdOf } from './runner.js';
import type { GroupResult } from './scenarios.js';

const root = mkdtempSync(join(tmpdir(), 'vras-runner-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

const failed: GroupResult = {
  group: 'main',
  bootMs: 2345.6,
  guestBootS: 1.02,
  wallMs: 9000,
  seed: 12345,
  scenarios: [
    {
      id: 'polled-corrected',
      ok: true,
      latenciesMs: [6.14],
      records: [{ sourceId: 0, hex: 'aa' }],
      console: ['{1}[Hardware Error]: …'],
    },
    {
      id: 'queue',
      ok: false,
      error: 'the guest acked 3 of 8 records\n(block_status 0x2)',
      latenciesMs: [310, 650.04],
      records: [
        { sourceId: 1, hex: '0200000000000000' },
        { sourceId: 1, hex: '0300000000000000' },
      ],
      console: ['line a'],
    },
  ],
  console: '[    0.000000] Booting Linux\nVRAS:READY uptime=1.02',
};

describe('the guest runner', () => {
  it('keeps the console log, the records written and the seed of a failed group', () => {
    const dir = saveFailure(join(root, 'failures'), failed);
    assert.deepEqual(readdirSync(dir).sort(), ['console.log', 'result.json', 'seed']);
    assert.equal(readFileSync(join(dir, 'console.log'), 'utf8'), `${failed.console}\n`);
    assert.equal(readFileSync(join(dir, 'seed'), 'utf8'), '12345\n');
    const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8'));
    assert.equal(result.console, undefined);
    assert.equal(result.seed, 12345);
    assert.deepEqual(result.scenarios[1].records, failed.scenarios[1]!.records);
    assert.equal(result.scenarios[1].error, failed.scenarios[1]!.error);
    assert.match(dir, /-main$/);
  });

  it('prints each verdict with its boot time and write-to-decode latencies', () => {
    assert.deepEqual(formatGroup(failed), [
      'PASS  1. polled-corrected boot 2.35 s (main)  write→decode 6.1 ms',
      'FAIL  6. queue            boot 2.35 s (main)  write→decode 310.0/650.0 ms',
      '      the guest acked 3 of 8 records\n      (block_status 0x2)',
    ]);
    assert.deepEqual(
      formatGroup({
        ...failed,
        bootMs: undefined,
        scenarios: [{ ...failed.scenarios[0]!, latenciesMs: [] }],
      }),
      ['PASS  1. polled-corrected boot n/a (main)  write→decode n/a'],
    );
  });

  it('names scenarios by id or number and boots only the groups they need', () => {
    assert.equal(scenarioIdOf('4'), 'fatal');
    assert.equal(scenarioIdOf('sea'), 'sea');
    assert.equal(scenarioIdOf('11'), undefined);
    assert.equal(scenarioIdOf('nope'), undefined);
    assert.deepEqual(groupsFor(undefined), ['main', 'fatal', 'qemu-ras']);
    assert.deepEqual(groupsFor(['qemu-ras', 'sea']), ['main', 'qemu-ras']);
    assert.deepEqual(groupsFor(['fatal']), ['fatal']);
  });

  it('reports boot times and median latencies for npm run bench', () => {
    const figures = guestBenchFigures({
      groups: [failed],
      wallMs: 9100,
      passed: 1,
      failed: 1,
      artifacts: [],
    });
    assert.deepEqual(figures, {
      bootMs: { main: 2345.6 },
      guestBootS: { main: 1.02 },
      latencyMs: { 'polled-corrected': 6.14, queue: 650.04 },
      wallMs: 9100,
    });
  });
});
