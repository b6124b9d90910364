#!/usr/bin/env node
// Builds the cpu backend's N-API addon with node-gyp, against the headers of the
// Node running this script (never downloaded). A failed build only prints why:
// `pnpm install` must not fail, and @mge/kernels-cpu then reports the addon as missing
// so the registry falls back to the js backend.
//
//   node scripts/build-native.mjs              → build/Release/mge_cpu.node
//   node scripts/build-native.mjs --sanitize   → build-asan/build/Release/mge_cpu.node (ASan + UBSan)
//   node scripts/build-native.mjs --if-missing → skip when the addon is newer than every native source
//
// It first regenerates native/ops_generated.h from @mge/core's operator table (gen-ops.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const sanitize = args.has('--sanitize');

function log(msg) {
  console.log(`[@mge/kernels-cpu] ${msg}`);
}

/** native/ops_generated.h from core's operator table; the committed copy is kept if the table cannot be read. */
async function generateOps() {
  try {
    const gen = await import('./gen-ops.mjs');
    const { unary, binary } = await gen.loadTable();
    const text = gen.renderHeader(unary, binary);
    const current = existsSync(gen.HEADER_PATH) ? readFileSync(gen.HEADER_PATH, 'utf8') : '';
    if (current !== text) {
      writeFileSync(gen.HEADER_PATH, text);
      log('regenerated native/ops_generated.h from the operator table');
    }
  } catch (e) {
    log(`could not read core's operator table (${e instanceof Error ? e.message : String(e)}); using the committed native/ops_generated.h`);
  }
}

/** True when the addon is at least as new as every native source (a new table row makes it stale). */
function upToDate(addon) {
  if (!existsSync(addon)) return false;
  const built = statSync(addon).mtimeMs;
  const nativeDir = join(pkgDir, 'native');
  return readdirSync(nativeDir).every((f) => statSync(join(nativeDir, f)).mtimeMs <= built);
}

async function main() {
  if (process.env.MGE_CPU_SKIP_BUILD === '1') {
    log('MGE_CPU_SKIP_BUILD=1: not building the native addon');
    return;
  }
  await generateOps();
  const buildRoot = sanitize ? join(pkgDir, 'build-asan') : pkgDir;
  const addon = join(buildRoot, 'build', 'Release', 'mge_cpu.node');
  // The second addon (native/gc_watch.c) tells core which tensors were collected.
  const gcWatch = join(buildRoot, 'build', 'Release', 'mge_gc_watch.node');
  if (args.has('--if-missing') && upToDate(addon) && upToDate(gcWatch)) {
    log(`addon already built: ${addon}`);
    return;
  }
  const prefix = dirname(dirname(process.execPath));
  const nodedir = existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
  if (!nodedir) log(`no Node headers under ${prefix}/include/node; node-gyp may try to download them`);

  let gypBin;
  try {
    gypBin = createRequire(join(pkgDir, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    log('node-gyp is not installed; the cpu backend will be unavailable (the js backend is used instead)');
    return;
  }

  if (sanitize) {
    // node-gyp always builds into <cwd>/build, so the sanitizer build gets its own directory
    // with a binding.gyp that points back at the sources and turns the sanitizers on.
    mkdirSync(buildRoot, { recursive: true });
    const gyp = JSON.parse(readFileSync(join(pkgDir, 'binding.gyp'), 'utf8'));
    gyp.variables = { ...gyp.variables, 'mge_sanitize%': 1 };
    const up = (list) => list.map((s) => `../${s}`);
    for (const t of gyp.targets) {
      t.sources = up(t.sources);
      for (const [, c] of t.conditions ?? []) if (c['sources!']) c['sources!'] = up(c['sources!']);
    }
    writeFileSync(join(buildRoot, 'binding.gyp'), `${JSON.stringify(gyp, null, 2)}\n`);
  }

  const jobs = String(Math.max(1, Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 2)));
  // configure + build rather than rebuild: make is incremental, so a second run (another
  // `pnpm install`, say) finds everything up to date instead of deleting a loaded addon.
  const common = nodedir ? [`--nodedir=${nodedir}`] : [];
  let status = 0;
  for (const step of [
    ['configure', ...common],
    ['build', `--jobs=${jobs}`, ...common],
  ]) {
    log(`${sanitize ? '[asan] ' : ''}node-gyp ${step.join(' ')}`);
    const r = spawnSync(process.execPath, [gypBin, ...step], { cwd: buildRoot, stdio: 'inherit', env: process.env });
    status = r.status ?? 1;
    if (status !== 0) break;
  }
  if (status === 0 && existsSync(addon)) {
    log(`built ${addon}`);
  } else {
    log(
      `native build failed (exit ${status}); the cpu backend will be unavailable and ` +
        'the js backend is used instead. Retry with: pnpm --filter @mge/kernels-cpu build:native',
    );
  }
}

try {
  await main();
} catch (e) {
  log(`native build skipped: ${e instanceof Error ? e.message : String(e)}`);
}
process.exit(0);
