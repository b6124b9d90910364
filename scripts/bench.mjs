#!/usr/bin/env node
// `pnpm bench [args]`: the CPU-side bench (@mge/bench, which takes the args) and then the WebGPU
// bench (ours vs tfjs-backend-webgpu in one chromium page, and Dawn in Node) with its defaults.
// `--no-webgpu` skips the second; `--no-distributed` skips the MPI bench (2 ranks vs 1 process).
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2).filter((a) => a !== '--');
const skipWebgpu = args.includes('--no-webgpu');
const skipDistributed = args.includes('--no-distributed');
const own = args.filter((a) => a !== '--no-webgpu' && a !== '--no-distributed');

function run(filter, extra, script = 'bench') {
  const r = spawnSync('pnpm', ['--filter', filter, script, ...(extra.length ? ['--', ...extra] : [])], { stdio: 'inherit' });
  return r.status ?? 1;
}

let status = run('@mge/bench', own);
if (!skipWebgpu) status = run('@mge/bench', [], 'bench:webgpu') || status;
if (!skipDistributed) status = run('@mge/distributed', []) || status;
process.exit(status);
