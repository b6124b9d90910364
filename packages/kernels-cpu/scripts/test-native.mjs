#!/usr/bin/env node
// Builds test/native/kernels.cc (no N-API) with the kernel files and runs it on every ISA path:
// on x86-64 natively for avx512 (when the CPU has it), avx2 and portable; for aarch64 cross-compiled
// with aarch64-linux-gnu-g++ (-static) and run under qemu-aarch64-static for neon and portable.
// Correctness only: speed under qemu means nothing. Under CI=true a missing cross toolchain or
// qemu is a failure (.ci/run installs them); elsewhere the aarch64 part is skipped with a notice.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(pkgDir, 'build-native-test');
mkdirSync(out, { recursive: true });
// -O3 as binding.gyp, so check-asm sees the code the addon would run.
const common = ['-std=c++17', '-O3', '-pthread', '-fno-math-errno', `-I${join(pkgDir, 'native')}`];
const shared = ['gemm.cc', 'thread_pool.cc', 'epilogue.cc', 'conv.cc', 'conv_winograd.cc', 'depthwise.cc', 'grouped.cc', 'pool.cc'];
const test = join(pkgDir, 'test', 'native', 'kernels.cc');
const isCI = process.env.CI === 'true';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.error) return { ok: false, missing: r.error.code === 'ENOENT' };
  return { ok: r.status === 0, status: r.status };
}

function has(cmd) {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

// Compiles each per-ISA kernel file with its own flags (like binding.gyp) and links the harness.
function build(cxx, arch, extra) {
  const perIsa =
    arch === 'x64'
      ? [
          ['gemm_kernel_avx2.cc', ['-mavx2', '-mfma']],
          ['conv_direct_avx2.cc', ['-mavx2', '-mfma']],
          ['gemm_kernel_avx512.cc', ['-mavx512f', '-mavx512vl', '-mavx512dq', '-mavx512bw', '-mavx2', '-mfma']],
          ['conv_direct_avx512.cc', ['-mavx512f', '-mavx512vl', '-mavx512dq', '-mavx512bw', '-mavx2', '-mfma']],
          ['depthwise3x3_avx512.cc', ['-mavx512f', '-mavx512vl', '-mavx512dq', '-mavx512bw', '-mavx2', '-mfma']],
        ]
      : [
          ['gemm_kernel_neon.cc', []],
          ['conv_direct_neon.cc', []],
        ];
  const objs = [];
  for (const [src, flags] of [...shared.map((s) => [s, []]), ...perIsa]) {
    const obj = join(out, `${arch}-${src}.o`);
    const r = run(cxx, [...common, ...flags, '-c', join(pkgDir, 'native', src), '-o', obj]);
    if (!r.ok) throw new Error(`${cxx} failed on ${src}`);
    objs.push(obj);
  }
  const exe = join(out, `kernels-${arch}`);
  const r = run(cxx, [...common, test, ...objs, ...extra, '-o', exe]);
  if (!r.ok) throw new Error(`${cxx} failed to link the harness`);
  return exe;
}

let failed = false;
function check(label, cmd, args) {
  console.log(`[test:native] ${label}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status === 2) return; // this CPU cannot run the path (avx512 on an AVX2 machine)
  if (r.status !== 0) failed = true;
}

if (process.arch === 'x64') {
  const exe = build(process.env.CXX || 'g++', 'x64', []);
  for (const isa of ['avx512', 'avx2', 'portable']) check(`x86-64 ${isa}`, exe, [isa]);
}

const cross = 'aarch64-linux-gnu-g++';
const qemu = 'qemu-aarch64-static';
if (has(cross) && has(qemu)) {
  const exe = build(cross, 'arm64', ['-static']);
  for (const isa of ['neon', 'portable']) check(`aarch64 ${isa} (qemu)`, qemu, [exe, isa]);
  check('aarch64 assembly (no vector stores to the stack in FMA loops)', process.execPath, [join(pkgDir, 'scripts', 'check-asm.mjs'), out]);
} else {
  const msg = `${cross} or ${qemu} is missing (apt: g++-aarch64-linux-gnu qemu-user-static)`;
  if (isCI) {
    console.error(`[test:native] ${msg}`);
    failed = true;
  } else {
    console.warn(`[test:native] skipping aarch64: ${msg}`);
  }
}
process.exit(failed ? 1 : 0);
