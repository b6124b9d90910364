#!/usr/bin/env node
// Builds the MPI addon with node-gyp against the Node headers on this machine (never downloaded).
// It never fails the install: without MPI (or node-gyp) it prints what to install, and
// @mge/distributed then throws that message when used.
//
//   node scripts/build-native.mjs              → build/Release/mge_mpi.node
//   node scripts/build-native.mjs --if-missing → skip when the addon is newer than its sources
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mpiFlags } from './mpi-flags.mjs';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const log = (msg) => console.log(`[@mge/distributed] ${msg}`);

function main() {
  if (process.env.MGE_MPI_SKIP_BUILD === '1') return log('MGE_MPI_SKIP_BUILD=1: not building the MPI addon');
  const addon = join(pkgDir, 'build', 'Release', 'mge_mpi.node');
  const sources = ['native/mpi_addon.cc', 'binding.gyp'].map((f) => join(pkgDir, f));
  if (args.has('--if-missing') && existsSync(addon) && sources.every((f) => statSync(f).mtimeMs <= statSync(addon).mtimeMs)) {
    return log(`addon already built: ${addon}`);
  }
  if (mpiFlags('compile') === null) {
    return log('MPI not found (no mpicxx, no pkg-config ompi); install it with: apt-get install libopenmpi-dev openmpi-bin');
  }
  let gypBin;
  try {
    gypBin = createRequire(join(pkgDir, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return log('node-gyp is not installed; @mge/distributed will be unavailable');
  }
  const prefix = dirname(dirname(process.execPath));
  const common = existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
  let status = 0;
  for (const step of [
    ['configure', ...common],
    ['build', ...common],
  ]) {
    log(`node-gyp ${step.join(' ')}`);
    status = spawnSync(process.execPath, [gypBin, ...step], { cwd: pkgDir, stdio: 'inherit' }).status ?? 1;
    if (status !== 0) break;
  }
  if (status === 0 && existsSync(addon)) log(`built ${addon}`);
  else log(`native build failed (exit ${status}); retry with: pnpm --filter @mge/distributed build:native`);
}

try {
  main();
} catch (e) {
  log(`native build skipped: ${e instanceof Error ? e.message : String(e)}`);
}
process.exit(0);
