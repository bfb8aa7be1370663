// Child process of robustness.test.ts: boots one guest, prints its pids and shared file, then
// waits to be killed with SIGKILL (so none of the harness's exit hooks run).

import { requireManifest } from '../../src/guest/cache.js';
import { GuestVm } from '../../src/guest/vm.js';

const vm = new GuestVm({
  manifest: requireManifest(),
  label: 'orphan',
  dimmBytes: 2 << 20,
  runTimeoutMs: 120_000,
});
await vm.start();
process.stdout.write(
  `${JSON.stringify({ harness: process.pid, qemu: vm.pid, dimm: vm.dimmPath })}\n`,
);
setTimeout(() => {}, 120_000);
