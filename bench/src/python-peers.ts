// Native peers that live in Python: OpenBLAS SGEMM (through ctypes) and PyTorch (SGEMM, LeNet),
// run by peers/python_peers.py with /usr/bin/python3 when it and the libraries are installed.
// They run in a child process after our rows of the same workload, in the same bench run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Report } from './report.js';

const python = process.env.MGE_BENCH_PYTHON ?? '/usr/bin/python3';
const script = join(dirname(dirname(fileURLToPath(import.meta.url))), 'peers', 'python_peers.py');

interface PeerRow {
  workload: string;
  impl: string;
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
  value: number;
  unit: string;
}

export function pythonPeers(report: Report, group: string, args: string[], quick: boolean): void {
  if (!existsSync(python)) {
    report.note(`${python} is not installed: no OpenBLAS/PyTorch peers`);
    return;
  }
  // On a forced AVX2 path OpenBLAS is held to its AVX2 (Haswell) kernels too, so both sides of the
  // ratio use the same vector width; MGE_BENCH_OPENBLAS_CORETYPE overrides.
  const env = { ...process.env };
  const coretype = process.env.MGE_BENCH_OPENBLAS_CORETYPE ?? (report.context.isa === 'avx2' ? 'Haswell' : undefined);
  if (coretype) env.OPENBLAS_CORETYPE = coretype;
  const r = spawnSync(python, [script, ...args, quick ? '1' : '0'], { encoding: 'utf8', timeout: 600_000, maxBuffer: 1 << 24, env });
  for (const line of (r.stderr ?? '').split('\n').filter((l) => l.trim() !== '')) report.note(`python peers: ${line}`);
  if (r.status !== 0) {
    report.note(`python peers (${args.join(' ')}) failed with status ${r.status ?? r.signal}`);
    return;
  }
  const rows = JSON.parse(r.stdout) as PeerRow[];
  for (const p of rows) {
    report.add({
      group,
      workload: p.workload,
      impl: p.impl,
      timing: { medianMs: p.medianMs, minMs: p.minMs, maxMs: p.maxMs, runs: p.runs },
      value: p.value,
      unit: p.unit,
    });
  }
}
