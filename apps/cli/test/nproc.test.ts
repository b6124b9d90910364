/** `mge train --nproc 2`: two ranks under mpirun, rank 0 alone reports and writes the checkpoint. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { events, spawnMge } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mge-nproc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 128 images, global batch 32: 2 ranks × 16, 4 steps per epoch
const small = ['--limit', '128', '--epochs', '1', '--batch-size', '32', '--device', 'cpu'];

describe('mge train --nproc', () => {
  it('trains on 2 ranks under mpirun; only rank 0 prints progress and writes the checkpoint', { timeout: 180_000 }, async () => {
    const out = join(dir, 'two.safetensors');
    const r = await spawnMge(['train', '--nproc', '2', ...small, '--json', '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const ev = events(r.out);
    // one rank's report: one start, steps of 4 per epoch (rank batch 16 of 64 images), one epoch, one done
    expect(ev.filter((e) => e.event === 'start')).toHaveLength(1);
    const steps = ev.filter((e) => e.event === 'step');
    expect(new Set(steps.map((e) => e.steps))).toEqual(new Set([4]));
    expect(steps.at(-1)?.step).toBe(4);
    expect(ev.filter((e) => e.event === 'epoch')).toHaveLength(1);
    expect(ev.at(-1)).toMatchObject({ event: 'done', epochsRun: 1, checkpoint: out });
    expect(existsSync(out)).toBe(true);
  });

  it('--verbose lets the other ranks log, each line prefixed with its rank', { timeout: 180_000 }, async () => {
    const out = join(dir, 'verbose.safetensors');
    const r = await spawnMge(['train', '--nproc', '2', ...small, '--out', out, '--verbose']);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines.some((l) => l.startsWith('[rank 1] model lenet'))).toBe(true);
    expect(lines.filter((l) => l.startsWith('model lenet'))).toHaveLength(1);
    // rank 1 neither evaluates nor saves
    expect(lines.some((l) => l.startsWith('[rank 1]') && l.includes('saved'))).toBe(false);
    expect(lines.some((l) => !l.startsWith('[rank') && l.includes(`saved ${out}`))).toBe(true);
  });

  it('refuses a global batch that the ranks cannot share, and says what to install without mpirun', { timeout: 180_000 }, async () => {
    const odd = await spawnMge([
      'train',
      '--nproc',
      '2',
      ...small.slice(0, 4),
      '--batch-size',
      '33',
      '--out',
      join(dir, 'odd.safetensors'),
    ]);
    expect(odd.code).toBe(1);
    expect(odd.err).toMatch(/--batch-size is the global batch and must be divisible by --nproc 2, got 33/);
    const noMpi = await spawnMge(['train', '--nproc', '2', ...small], undefined, { PATH: '/nonexistent' });
    expect(noMpi.code).toBe(1);
    expect(noMpi.err).toMatch(
      /--nproc 2 needs Open MPI's mpirun, which is not on PATH; install it \(Debian\/Ubuntu: apt-get install openmpi-bin/,
    );
  });
});
