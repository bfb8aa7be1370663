// Captures the real-guest fixtures: runs every scenario group on each kernel of the guest setup
// under Debian 12's QEMU 7.2 and writes, per scenario, the console lines the guest printed
// (printk timestamps stripped) to test/fixtures/real-guest/<kernel>/<scenario>.txt, with a
// header naming QEMU, the kernel build and every record written (source id and hex). The
// fixture tests (fixtures.test.ts) compare the codec with these files and need no QEMU.
//
//   npx tsx test/real-guest/capture-fixtures.ts [KERNEL…]     (default: 6.1 6.12 7.3)

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireManifest } from '../../src/guest/cache.js';
import { READY_MARK } from '../../src/guest/init-script.js';
import { groupsFor } from '../../src/guest/runner.js';
import { type GroupResult, runGroup } from '../../src/guest/scenarios.js';
import { repoRoot } from '../../src/node-util/repo-root.js';

const KERNELS = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['6.1', '6.12', '7.3'];
const OUT = join(repoRoot(), 'test', 'fixtures', 'real-guest');
const manifest = requireManifest();
const qemu = manifest.qemu.find((q) => q.name === 'system')!;
const qemuVersion = spawnSync(qemu.command, [...qemu.prefixArgs, '--version'], {
  encoding: 'utf8',
})
  .stdout.split('\n')[0]!
  .trim();

/** Shell prompts and blank lines carry nothing the kernel printed. */
function relevant(line: string): boolean {
  return line.trim() !== '' && !line.startsWith('/ #') && !line.startsWith('~ #');
}

function write(
  kernel: string,
  name: string,
  g: GroupResult,
  body: readonly string[],
  extra: string[],
): void {
  const linux = /Linux version \S+ .*$/m.exec(g.console)?.[0] ?? '(no Linux version line)';
  const header = [
    `# vras real-guest fixture ${kernel}/${name}`,
    `# produced by: npx tsx test/real-guest/capture-fixtures.ts ${kernel} (group ${g.group}, seed ${g.seed}, ${new Date().toISOString().slice(0, 10)})`,
    `# qemu: ${qemuVersion} (-M virt -cpu cortex-a57 -m 1024, TCG, Debian 12's QEMU_EFI.fd)`,
    `# kernel: ${linux}`,
    ...extra,
    '# the lines below are the guest console while the scenario ran, printk timestamps stripped',
  ];
  const dir = join(OUT, kernel);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.txt`), `${[...header, ...body.filter(relevant)].join('\n')}\n`);
}

for (const kernel of KERNELS) {
  for (const group of groupsFor(undefined)) {
    const g = await runGroup(group, { manifest, kernel, seed: 1 });
    for (const s of g.scenarios) {
      const extra = s.records.map((r) => `# record source=${r.sourceId} ${r.hex}`);
      if (!s.ok) extra.push(`# scenario FAILED: ${(s.error ?? '').split('\n').join(' | ')}`);
      write(kernel, s.id, g, s.console, extra);
      process.stdout.write(`${kernel} ${s.id}: ${s.ok ? 'ok' : `FAILED ${s.error}`}\n`);
    }
    if (group === 'main') {
      // The SEI source refused while the kernel probes GHES at boot.
      const all = g.console.split('\n');
      const ready = all.findIndex((l) => l.includes(READY_MARK));
      const boot = all
        .slice(0, ready < 0 ? all.length : ready)
        .map((l) => l.replace(/\r/g, '').replace(/^\[\s*\d+\.\d+\] /, ''))
        .filter((l) => /GHES|HEST|APEI/.test(l));
      write(kernel, 'boot-ghes', g, boot, [
        "# (boot, up to the init script's ready mark: every line mentioning GHES, HEST or APEI)",
      ]);
    }
  }
}
