// JSON scenario event messages are checked against what their target takes (issue 14: fuzzing
// the CLI's JSON inputs found a scenario whose `hpa` was a number crash the simulated DRAM with
// "Cannot mix BigInt and other types" in the middle of a run). Each wrong message is refused at
// load time with bad-scenario, naming the event and the field.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SimError } from '../sim/index.js';
import { scenarioFromJson } from './json-scenario.js';

const doc = (message: Record<string, unknown>, target = 'hw.dram') => ({
  schema: 'vras/scenario/v1',
  name: 'msg',
  summary: '',
  world: { machine: 'qemu-10.2' },
  events: [{ atNs: 1000, target, message }],
});

function refused(d: unknown, field: RegExp): void {
  assert.throws(
    () => {
      const s = scenarioFromJson(d, 'm.json');
      s.build(1n, false).sim.run({ untilNs: 1e9 });
    },
    (e: unknown) => {
      assert.ok(e instanceof SimError, `not a SimError: ${String(e)}`);
      assert.equal(e.code, 'bad-scenario');
      assert.match(e.message, /events\[0\]/);
      assert.match(e.message, field);
      return true;
    },
  );
}

test('a message field of the wrong type, a missing one, an unknown one or an unknown target/kind is refused at load', () => {
  refused(doc({ kind: 'inject', hpa: 5, type: 'ue' }), /hpa/);
  refused(doc({ kind: 'inject', hpa: '0x1000', type: 'both' }), /type/);
  refused(doc({ kind: 'inject', type: 'ue' }), /hpa/);
  refused(doc({ kind: 'inject', hpa: '0x1000', type: 'ue', scrub: 'yes' }), /scrub/);
  refused(doc({ kind: 'inject', hpa: '0x1000', type: 'ue', colour: 1 }), /colour/);
  refused(doc({ kind: 'touch', pid: '0x5' }, 'guest.kernel'), /pid/);
  refused(doc({ kind: 'post-record', sourceId: 0, notify: false, report: 5 }, 'vmm'), /report/);
  refused(
    doc(
      {
        kind: 'post-record',
        sourceId: 0,
        notify: false,
        report: { severity: 2, errorType: 2, physicalAddress: 7 },
      },
      'vmm',
    ),
    /physicalAddress/,
  );
  refused(doc({ kind: 'explode' }, 'vmm'), /explode/);
  refused(doc({ kind: 'inject', hpa: '0x1000', type: 'ue' }, 'hw.nothing'), /hw\.nothing/);
});

test('the messages the shipped scenarios send still load', () => {
  scenarioFromJson(doc({ kind: 'inject', hpa: '0x8bc3c7000', type: 'ue', scrub: true }), 'ok.json');
  scenarioFromJson(doc({ kind: 'migrate' }, 'vmm'), 'ok.json');
  scenarioFromJson(doc({ kind: 'touch', pid: 99 }, 'guest.kernel'), 'ok.json');
  scenarioFromJson(
    doc(
      {
        kind: 'post-record',
        sourceId: 0,
        notify: false,
        report: { severity: 2, physicalAddress: '0x41234000', errorType: 2 },
      },
      'vmm',
    ),
    'ok.json',
  );
});

test('a world.machine object is checked by the engine at load, in one line', () => {
  const withMachine = (machine: unknown) => ({
    ...doc({ kind: 'migrate' }, 'vmm'),
    world: { machine },
  });
  for (const [machine, field] of [
    [{}, /world\.machine\.sources/],
    [{ layout: 'hest-addr', sources: [5] }, /sources\[0\]/],
    [
      { layout: 'hest-addr', sources: [{ id: 0, notification: 8, pollIntervalMs: 'a\nb' }] },
      /pollIntervalMs/,
    ],
  ] as const) {
    assert.throws(
      () => scenarioFromJson(withMachine(machine), 'm.json'),
      (e: unknown) => {
        assert.ok(e instanceof SimError, `not a SimError: ${String(e)}`);
        assert.equal(e.code, 'bad-scenario');
        assert.match(e.message, field);
        assert.doesNotMatch(e.message, /\n/);
        return true;
      },
    );
  }
});

test('a world.machine layout given as "0x…" (a bigint once loaded) is refused in words, not "Do not know how to serialize a BigInt"', () => {
  const d = {
    ...doc({ kind: 'migrate' }, 'vmm'),
    world: { machine: { layout: '0x5', sources: [] } },
  };
  assert.throws(
    () => scenarioFromJson(d, 'm.json'),
    (e: unknown) => {
      assert.ok(e instanceof SimError, `not a SimError: ${String(e)}`);
      assert.match(e.message, /unknown layout 0x5/);
      return true;
    },
  );
});
