import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deviceInfo, getBackend } from '@mge/core';
import { describe, expect, it } from 'vitest';
import '../src/index.js';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function probe(env: Record<string, string>): { cpu: { state: string; error?: string }; def: string } {
  const script = `
    const core = await import('@mge/core');
    await import('./src/index.ts');
    const cpu = core.deviceInfo().find((d) => d.name === 'cpu');
    console.log(JSON.stringify({ cpu, def: core.getDefaultDevice() }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=source', '--input-type=module', '-e', script], {
    cwd: pkg,
    env: { ...process.env, MGE_QUIET: '1', ...env },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
}

describe('registration', () => {
  it('registers cpu above js and reports the SIMD level', () => {
    const cpu = deviceInfo().find((d) => d.name === 'cpu');
    expect(cpu?.state).toBe('ready');
    expect(cpu?.priority).toBe(200);
    expect(cpu?.description).toMatch(/native C\+\+ \((avx512|avx2|portable) GEMM, \d+ threads?\)/);
    expect(getBackend('cpu').name).toBe('cpu');
  });
  it('MGE_CPU_DISABLE=1 makes the factory fail with a reason, and the default falls back to js', () => {
    const r = probe({ MGE_CPU_DISABLE: '1' });
    expect(r.cpu.state).toBe('failed');
    expect(r.cpu.error).toMatch(/MGE_CPU_DISABLE=1/);
    expect(r.def).toBe('js');
  });
  it('a missing addon is reported with the path and how to build it', () => {
    const r = probe({ MGE_CPU_ADDON: '/nonexistent/mge_cpu.node' });
    expect(r.cpu.state).toBe('failed');
    expect(r.cpu.error).toMatch(/not found at \/nonexistent\/mge_cpu\.node.*build:native/);
    expect(r.def).toBe('js');
  });
});
