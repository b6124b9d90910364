import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * `mpirun -n <n> node <test/ranks/script> ...args` on this machine: --oversubscribe because CI
 * has 2 cores, --bind-to none so ranks share them with the rest of the machine, and
 * --allow-run-as-root only when running as root (Open MPI refuses root otherwise).
 */
export function mpirun(script: string, args: string[] = [], n = 2, timeoutMs = 60_000, env: Record<string, string> = {}) {
  const flags = ['--oversubscribe', '--bind-to', 'none', '-n', String(n)];
  if (process.getuid?.() === 0) flags.unshift('--allow-run-as-root');
  const start = Date.now();
  const r = spawnSync(
    'mpirun',
    [...flags, process.execPath, '--conditions=source', '--import', 'tsx', resolve(pkgDir, 'test', 'ranks', script), ...args],
    { cwd: pkgDir, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, MGE_NUM_THREADS: '1', ...env } },
  );
  if (r.error) throw new Error(`mpirun ${script}: ${r.error.message}\n${r.stderr}`);
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, seconds: (Date.now() - start) / 1000 };
}

export function nodeScript(script: string, args: string[] = [], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', resolve(pkgDir, 'test', 'ranks', script), ...args], {
    cwd: pkgDir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, MGE_NUM_THREADS: '1', ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
