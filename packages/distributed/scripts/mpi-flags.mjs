#!/usr/bin/env node
// Prints the compile or link flags of the installed MPI for binding.gyp:
//   node scripts/mpi-flags.mjs compile|link|check
// from `mpicxx --showme:*` (Open MPI's wrapper), else `pkg-config ompi`. `check` exits 1 when
// neither is found, which build-native.mjs turns into a message instead of a failed install.
import { spawnSync } from 'node:child_process';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function mpiFlags(kind) {
  const wrapper = run('mpicxx', [kind === 'compile' ? '--showme:compile' : '--showme:link']);
  if (wrapper !== null) return wrapper;
  const pc = run('pkg-config', [kind === 'compile' ? '--cflags' : '--libs', 'ompi']);
  if (pc !== null) return pc;
  return null;
}

const kind = process.argv[2];
if (kind === 'compile' || kind === 'link') {
  const f = mpiFlags(kind);
  // link flags: -L dirs also go into the rpath so the addon finds libmpi outside ldconfig's paths
  if (f === null) process.exit(1);
  if (kind === 'link') {
    const rpaths = f
      .split(/\s+/)
      .filter((x) => x.startsWith('-L'))
      .map((x) => `-Wl,-rpath,${x.slice(2)}`);
    console.log([f, ...rpaths].join(' '));
  } else {
    console.log(f);
  }
} else if (kind === 'check') {
  process.exit(mpiFlags('compile') === null ? 1 : 0);
}
