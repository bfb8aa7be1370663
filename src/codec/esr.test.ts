import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CodecError } from './errors.js';
import {
  Aet,
  aetName,
  dataAbortIss,
  decodeEsr,
  encodeEsr,
  isSeaFsc,
  linuxFaultInfo,
  linuxSErrorDecision,
  parseAet,
  seaSyndrome,
  serrorEsr,
  serrorIss,
  serrorPanicLine,
  validateSErrorIss,
} from './esr.js';

function isCodecError(code: string, field?: string) {
  return (e: unknown) =>
    e instanceof CodecError && e.code === code && (field === undefined || e.field === field);
}

// Golden values: formats.md §11.4 (QEMU kvm_inject_arm_sea, KVM's default vSError ESR, a
// TCG measurement) and the seed-001 cover letter's guest log (`code 0xbe000c11 -- SError`).

test('decodeEsr() reads 0x92000410 as QEMU’s SEA from EL0: DABT lower EL, IL, FnV, DFSC 0x10', () => {
  const e = decodeEsr(0x92000410);
  assert.equal(e.ec, 0x24);
  assert.equal(e.ecName, 'DABT (lower EL)');
  assert.equal(e.il, 1);
  assert.equal(e.iss, 0x410);
  assert.equal(e.iss2, 0);
  assert.deepEqual(e.view, {
    kind: 'data-abort',
    isv: 0,
    sas: 0,
    sse: 0,
    srt: 0,
    sf: 0,
    ar: 0,
    vncr: 0,
    set: 0,
    fnv: 1,
    ea: 0,
    cm: 0,
    s1ptw: 0,
    wnr: 0,
    dfsc: 0x10,
  });
  assert.match(e.describe, /synchronous external abort \(user: SIGBUS\/BUS_OBJERR\)/);
  assert.match(e.describe, /FnV=1 \(FAR not valid\)/);
});

test('decodeEsr() reads 0x96000410 as QEMU’s SEA from EL1: DABT current EL', () => {
  const e = decodeEsr(0x96000410n);
  assert.equal(e.ec, 0x25);
  assert.equal(e.ecName, 'DABT (current EL)');
  assert.equal(e.il, 1);
  assert.equal(e.view?.kind === 'data-abort' && e.view.fnv, 1);
  assert.equal(e.view?.kind === 'data-abort' && e.view.dfsc, 0x10);
});

test('decodeEsr() reads 0x92000010 (TCG user read of unassigned space) with a valid FAR', () => {
  const e = decodeEsr(0x92000010);
  assert.equal(e.ec, 0x24);
  assert.equal(e.view?.kind === 'data-abort' && e.view.fnv, 0);
  assert.match(e.describe, /FnV=0 \(FAR valid\)/);
});

test('decodeEsr() reads 0xbf000000 as KVM’s default vSError: EC 0x2F, IL=1, IDS=1', () => {
  const e = decodeEsr(0xbf000000);
  assert.equal(e.ec, 0x2f);
  assert.equal(e.ecName, 'SError');
  assert.equal(e.il, 1);
  assert.equal(e.iss, 0x1000000);
  assert.deepEqual(e.view, { kind: 'serror', ids: 1, syndrome: 0 });
});

test('decodeEsr() reads 0xbe000c11 as an SError with IL=1, DFSC 0x11 and AET UER', () => {
  // 0xbe000c11: bits 31:26 = 0b101111 (EC 0x2F), bit 25 = 1 (IL), bit 24 = 0 (IDS),
  // ISS 0xc11: bits 12:10 = 0b011 (AET UER), bit 9 = 0 (EA), bits 5:0 = 0x11.
  const e = decodeEsr(0xbe000c11);
  assert.equal(e.ec, 0x2f);
  assert.equal(e.il, 1);
  assert.equal(e.iss, 0xc11);
  assert.deepEqual(e.view, { kind: 'serror', ids: 0, res0: 0, iesb: 0, aet: 3, ea: 0, dfsc: 0x11 });
  assert.equal(aetName(3), 'UER');
  assert.match(e.describe, /AET UER \(recoverable state\)/);
});

test('decodeEsr() keeps ISS2 and the RES0 top byte so encodeEsr() gives the value back', () => {
  const v = 0xab12345692000410n;
  const e = decodeEsr(v);
  assert.equal(e.res0, 0xab);
  assert.equal(e.iss2, 0x123456);
  assert.equal(encodeEsr(e), v);
});

test('decodeEsr() then encodeEsr() is the identity over all 64-bit values', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (v) => {
      assert.equal(encodeEsr(decodeEsr(v)), v);
    }),
    { numRuns: 300 },
  );
});

test('encodeEsr() from data-abort view fields gives back the ISS over the full field ranges', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0x1ffffff }), fc.boolean(), (iss, same) => {
      const ec = same ? 0x25 : 0x24;
      const view = dataAbortIss(iss);
      const { kind: _k, ...fields } = view;
      assert.equal(
        encodeEsr({ ec, il: 1, iss: fields }),
        BigInt(((ec << 26) | (1 << 25) | iss) >>> 0),
      );
    }),
    { numRuns: 300 },
  );
});

test('encodeEsr() round-trips instruction-abort and SError views, RES0 bits included', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0x1ffffff }),
      fc.constantFrom(0x20, 0x21, 0x2f),
      (iss, ec) => {
        const e = decodeEsr(((ec << 26) | (1 << 25) | iss) >>> 0);
        assert.ok(e.view);
        const { kind: _k, ...fields } = e.view;
        assert.equal(
          encodeEsr({ ec, il: 1, iss: fields }),
          BigInt(((ec << 26) | (1 << 25) | iss) >>> 0),
        );
      },
    ),
    { numRuns: 300 },
  );
});

test('encodeEsr() builds 0x92000410 from named fields', () => {
  assert.equal(encodeEsr({ ec: 0x24, il: 1, iss: { fnv: 1, dfsc: 0x10 } }), 0x92000410n);
});

test('encodeEsr() rejects an EC wider than 6 bits with an out-of-range CodecError naming EC', () => {
  assert.throws(() => encodeEsr({ ec: 0x40, il: 1 }), isCodecError('out-of-range', 'EC'));
});

test('encodeEsr() rejects IL = 2', () => {
  assert.throws(() => encodeEsr({ ec: 0x24, il: 2 }), isCodecError('out-of-range', 'IL'));
});

test('encodeEsr() rejects a DFSC of 0x40', () => {
  assert.throws(
    () => encodeEsr({ ec: 0x24, il: 1, iss: { dfsc: 0x40 } }),
    isCodecError('out-of-range', 'DFSC'),
  );
});

test('encodeEsr() rejects an ISS wider than 25 bits', () => {
  assert.throws(
    () => encodeEsr({ ec: 0x24, il: 1, iss: 0x2000000 }),
    isCodecError('out-of-range', 'ISS'),
  );
});

test('encodeEsr() rejects named ISS fields for a class that has none', () => {
  assert.throws(
    () => encodeEsr({ ec: 0x15, il: 1, iss: { dfsc: 1 } }),
    isCodecError('invalid', 'ISS'),
  );
});

test('decodeEsr() rejects a negative or over-wide value with an out-of-range CodecError', () => {
  assert.throws(() => decodeEsr(-1), isCodecError('out-of-range'));
  assert.throws(() => decodeEsr(1n << 64n), isCodecError('out-of-range'));
});

test('seaSyndrome() reproduces QEMU’s injected SEA for EL0 and EL1', () => {
  assert.equal(seaSyndrome({ sameEl: 0, fnv: 1, fsc: 0x10 }), 0x92000410n);
  assert.equal(seaSyndrome({ sameEl: 1, fnv: 1, fsc: 0x10 }), 0x96000410n);
  assert.equal(seaSyndrome({ sameEl: 0, fnv: 0, fsc: 0x10, wnr: 1, set: 2 }), 0x92001050n);
});

test('serrorIss() builds the 25-bit ISS: UER with DFSC 0x11 is 0xc11, IDS alone is 0x1000000', () => {
  assert.equal(serrorIss({ aet: Aet.UER, dfsc: 0x11 }), 0xc11);
  assert.equal(serrorIss({ ids: 1 }), 0x1000000);
  assert.equal(serrorIss({ iesb: 1, aet: Aet.CE, ea: 1, dfsc: 0x11 }), 0x3a11);
  assert.equal(serrorEsr(0xc11), 0xbe000c11n);
  assert.equal(serrorEsr(serrorIss({ ids: 1 })), 0xbf000000n);
});

test('serrorIss() rejects an AET of 8 and architected fields with IDS = 1', () => {
  assert.throws(() => serrorIss({ aet: 8 }), isCodecError('out-of-range', 'AET'));
  assert.throws(() => serrorIss({ ids: 1, aet: 3 }), isCodecError('invalid', 'AET'));
  assert.throws(() => serrorIss({ syndrome: 5 }), isCodecError('invalid', 'syndrome'));
});

test('validateSErrorIss() accepts bits 24:0 and rejects anything above (KVM -EINVAL rule)', () => {
  assert.equal(validateSErrorIss(0x1ffffff), 0x1ffffff);
  assert.equal(validateSErrorIss(0xc11n), 0xc11);
  assert.throws(() => validateSErrorIss(0xbe000c11), isCodecError('out-of-range', 'serror_esr'));
  assert.throws(() => validateSErrorIss(1n << 40n), isCodecError('out-of-range', 'serror_esr'));
});

test('linuxFaultInfo() names SEA, walk SEA and parity codes with the signals of fault_info[]', () => {
  assert.deepEqual(linuxFaultInfo(0x10), {
    name: 'synchronous external abort',
    signal: 'SIGBUS',
    siCode: 'BUS_OBJERR',
    sea: true,
  });
  assert.equal(linuxFaultInfo(0x13).name, 'level -1 (translation table walk)');
  assert.equal(linuxFaultInfo(0x17).name, 'level 3 (translation table walk)');
  assert.equal(linuxFaultInfo(0x17).signal, 'SIGKILL');
  assert.equal(linuxFaultInfo(0x18).name, 'synchronous parity or ECC error');
  assert.equal(
    linuxFaultInfo(0x1c).name,
    'level 0 synchronous parity error (translation table walk)',
  );
  assert.equal(linuxFaultInfo(0x12).name, 'unknown 18');
});

test('isSeaFsc() matches kvm_vcpu_abt_issea: 0x10, 0x13–0x17, 0x18, 0x1B–0x1F only', () => {
  const sea = [];
  for (let f = 0; f < 64; f++) if (isSeaFsc(f)) sea.push(f);
  assert.deepEqual(sea, [0x10, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f]);
});

test('parseAet() takes names in any case and numbers 0..7', () => {
  assert.equal(parseAet('uer'), 3);
  assert.equal(parseAet('CE'), 6);
  assert.equal(parseAet('0x2'), 2);
  assert.equal(parseAet('8'), undefined);
  assert.equal(parseAet('bogus'), undefined);
});

test('linuxSErrorDecision() panics on KVM’s default syndrome and prints the 6.1 line', () => {
  const d = linuxSErrorDecision(0xbf000000);
  assert.equal(d.rasSerror, false);
  assert.equal(d.outcome, 'panic');
  assert.deepEqual(d.lines, [
    'SError Interrupt on CPU0, code 0x00000000bf000000 -- SError',
    'Kernel panic - not syncing: Asynchronous SError Interrupt',
  ]);
});

test('linuxSErrorDecision() treats UER as fatal and CE/UEO as silently ignored', () => {
  assert.equal(linuxSErrorDecision(0xbe000c11).outcome, 'panic');
  assert.equal(linuxSErrorDecision(0xbe000c11).severityName, 'UER');
  assert.equal(
    linuxSErrorDecision(serrorEsr(serrorIss({ aet: Aet.UEU, dfsc: 0x11 }))).outcome,
    'panic',
  );
  const ce = linuxSErrorDecision(serrorEsr(serrorIss({ aet: Aet.CE, dfsc: 0x11 })));
  assert.equal(ce.outcome, 'continue');
  assert.deepEqual(ce.lines, []);
  assert.equal(
    linuxSErrorDecision(serrorEsr(serrorIss({ aet: Aet.UEO, dfsc: 0x11 }))).outcome,
    'continue',
  );
});

test('linuxSErrorDecision() treats DFSC ≠ 0x11, reserved AET and a CPU without RAS as panics', () => {
  const noFsc = linuxSErrorDecision(serrorEsr(serrorIss({ aet: Aet.CE, dfsc: 0 })));
  assert.equal(noFsc.outcome, 'panic');
  assert.equal(noFsc.severityName, 'UC');
  assert.equal(linuxSErrorDecision(serrorEsr(serrorIss({ aet: 7, dfsc: 0x11 }))).outcome, 'panic');
  const noRas = linuxSErrorDecision(serrorEsr(serrorIss({ aet: Aet.CE, dfsc: 0x11 })), {
    ras: false,
  });
  assert.equal(noRas.outcome, 'panic');
  assert.equal(noRas.rasSerror, false);
});

test('serrorPanicLine() prints the 32-bit code form of kernels with a 32-bit esr when asked', () => {
  assert.equal(
    serrorPanicLine(0xbe000c11, { esr32: true, cpu: 3 }),
    'SError Interrupt on CPU3, code 0xbe000c11 -- SError',
  );
});
