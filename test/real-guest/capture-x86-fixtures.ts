// Captures the x86_64 real-guest fixtures: runs both x86 groups on each kernel of the x86 setup
// (Debian 12's qemu-system-x86_64, q35, TCG, Skylake-Client-v1) and writes, per scenario, the
// console lines the guest printed (printk timestamps stripped) to
// test/fixtures/real-guest/x86/<kernel>/<scenario>.txt with a header naming QEMU and the kernel
// build. x86-fixtures.test.ts compares the codec with these files and needs no QEMU.
//
//   npx tsx test/real-guest/capture-x86-fixtures.ts [KERNEL…]     (default: every x86 kernel)

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readX86Setup } from '../../src/guest/setup-x86.js';
import { runX86Group, type X86GroupId } from '../../src/guest/x86-scenarios.js';
import { repoRoot } from '../../src/node-util/repo-root.js';

const setup = readX86Setup();
if (setup === undefined) throw new Error("no x86 guest setup: run 'bin/vras guest setup'");
const KERNELS =
  process.argv.slice(2).length > 0 ? process.argv.slice(2) : setup.kernels.map((k) => k.series);
const OUT = join(repoRoot(), 'test', 'fixtures', 'real-guest', 'x86');

for (const kernel of KERNELS) {
  for (const group of ['x86-main', 'x86-fatal'] as X86GroupId[]) {
    const g = await runX86Group(group, { setup, kernel, seed: 1 });
    const linux = /Linux version \S+ .*$/m.exec(g.console)?.[0] ?? '(no Linux version line)';
    for (const s of g.scenarios) {
      const header = [
        `# vras real-guest fixture x86/${kernel}/${s.id}`,
        `# produced by: npx tsx test/real-guest/capture-x86-fixtures.ts ${kernel} (group ${g.group}, seed ${g.seed}, ${new Date().toISOString().slice(0, 10)})`,
        `# qemu: ${setup.qemuVersion} (-M q35 -cpu Skylake-Client-v1 -m 1024, ${g.accel}, SeaBIOS, -acpitable hest.aml)`,
        `# kernel: ${linux}`,
        ...(s.ok ? [] : [`# scenario FAILED: ${(s.error ?? '').split('\n').join(' | ')}`]),
        '# the lines below are the guest console while the scenario ran, printk timestamps stripped',
      ];
      const body = s.console.filter((l) => l.trim() !== '');
      mkdirSync(join(OUT, kernel), { recursive: true });
      writeFileSync(join(OUT, kernel, `${s.id}.txt`), `${[...header, ...body].join('\n')}\n`);
      process.stdout.write(`${kernel} ${s.id}: ${s.ok ? 'ok' : `FAILED ${s.error}`}\n`);
    }
  }
}
