import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesToBase64 } from './hex.js';
import { jsonRecords } from './redfish.js';

// Field names and values as the DMTF LogEntry schema (v1.15+) defines them.
const CPER = new Uint8Array([0x43, 0x50, 0x45, 0x52, 1, 2, 3]);

test('jsonRecords() takes CPER and CPERSection LogEntries with their CPER object', () => {
  const entry = {
    '@odata.type': '#LogEntry.v1_15_0.LogEntry',
    Id: '7',
    DiagnosticDataType: 'CPERSection',
    DiagnosticData: bytesToBase64(CPER),
    CPER: {
      NotificationType: '9A78788A-BBE8-11E4-809E-67611E5D46B0',
      SectionType: 'a5bc1114-6f64-4ede-b863-3e83ed7c83b1',
    },
  };
  const [r] = jsonRecords(entry);
  assert.deepEqual(r!.bytes, CPER);
  assert.equal(r!.as, 'section-with-descriptor');
  assert.equal(r!.redfish?.notificationType, '9a78788a-bbe8-11e4-809e-67611e5d46b0');
  assert.equal(r!.redfish?.sectionType, 'a5bc1114-6f64-4ede-b863-3e83ed7c83b1');
  assert.equal(jsonRecords({ ...entry, DiagnosticDataType: 'CPER' })[0]!.as, 'cper-record');
});

test('jsonRecords() walks a collection’s Members, skipping entries that carry no CPER', () => {
  const members = [
    {
      Id: '1',
      EntryType: 'Event',
      DiagnosticDataType: 'CPER',
      DiagnosticData: bytesToBase64(CPER),
    },
    { Id: '2', EntryType: 'SEL', Message: 'fan' },
    { Id: '3', EntryType: 'Event', DiagnosticDataType: 'OEM', DiagnosticData: 'AAAA' },
    { Id: '4', EntryType: 'Event', DiagnosticDataType: 'CPER', DiagnosticData: 'A===' },
    { Id: '5', EntryType: 'Event', DiagnosticDataType: 'CPER' },
  ];
  const rs = jsonRecords({ Members: members });
  assert.deepEqual(
    rs.map((r) => [r.path, r.bytes !== undefined, r.error !== undefined]),
    [
      ['Members[0]', true, false],
      ['Members[3]', false, true],
      ['Members[4]', false, true],
    ],
  );
  assert.match(rs[2]!.error!, /no DiagnosticData string/);
});

test('jsonRecords() takes a plain object’s data field as hex or base64, or the named field', () => {
  assert.deepEqual(jsonRecords({ data: '435045' })[0]!.bytes, new Uint8Array([0x43, 0x50, 0x45]));
  assert.deepEqual(jsonRecords({ cper: bytesToBase64(CPER) })[0]!.bytes, CPER);
  assert.deepEqual(jsonRecords({ x: 'AQI=' }, { field: 'x' })[0]!.bytes, new Uint8Array([1, 2]));
  assert.match(jsonRecords({ other: 1 })[0]!.error!, /none of the fields/);
  assert.match(jsonRecords(42)[0]!.error!, /a JSON number holds no record/);
  assert.equal(jsonRecords([{ data: '00' }, { data: '01' }]).length, 2);
});
