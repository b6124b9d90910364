#!/usr/bin/env node
// Runs this package's tests against the ASan/UBSan build of the addon
// (build-asan/, made by `node scripts/build-native.mjs --sanitize`).
// Node itself is not instrumented, so libasan must be preloaded for the
// sanitizer runtime to come first; leak checking is off because V8 keeps memory
// until exit by design. Any UBSan report aborts the run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const addon = join(pkgDir, 'build-asan', 'build', 'Release', 'mge_cpu.node');
if (!existsSync(addon)) {
  console.error(`[test:asan] ${addon} is missing; run: node scripts/build-native.mjs --sanitize`);
  process.exit(1);
}
const cxx = process.env.CXX || 'g++';
const libasan = spawnSync(cxx, ['-print-file-name=libasan.so'], { encoding: 'utf8' }).stdout.trim();
if (!libasan || !existsSync(libasan)) {
  console.error(`[test:asan] cannot find libasan.so via '${cxx} -print-file-name=libasan.so'`);
  process.exit(1);
}
const env = {
  ...process.env,
  LD_PRELOAD: libasan,
  MGE_CPU_ADDON: addon,
  ASAN_OPTIONS: 'detect_leaks=0:allocator_may_return_null=1:abort_on_error=1:allow_user_segv_handler=1:detect_odr_violation=0',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
};
// vitest is hoisted to the workspace root; look for it upwards from the package.
let vitest = 'vitest';
for (let dir = pkgDir; dir !== dirname(dir); dir = dirname(dir)) {
  const candidate = join(dir, 'node_modules', '.bin', 'vitest');
  if (existsSync(candidate)) {
    vitest = candidate;
    break;
  }
}
const args = process.argv.slice(2);
console.log(`[test:asan] LD_PRELOAD=${libasan} MGE_CPU_ADDON=${addon} vitest run ${args.join(' ')}`);
const r = spawnSync(vitest, ['run', ...args], { cwd: pkgDir, env, stdio: 'inherit' });
process.exit(r.status ?? 1);
