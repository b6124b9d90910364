/** A failing rank ends the whole job within seconds with a clear error; nothing hangs. */
import { describe, expect, it } from 'vitest';
import { mpirun } from './mpirun.js';

describe('faults on 2 ranks', () => {
  it('a rank that throws aborts the rank waiting in an all-reduce, naming the error', () => {
    const r = mpirun('fault.ts', ['throw'], 2, 30_000);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('rank 1 of 2: uncaught Error: rank 1 failed on purpose');
    expect(r.stderr).toContain('aborting every rank (MPI_Abort)');
    expect(r.stdout).not.toContain('rank 0 was not stopped');
    expect(r.seconds).toBeLessThan(20);
  });

  it('a killed rank ends the job', () => {
    const r = mpirun('fault.ts', ['kill'], 2, 30_000);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/rank 1 .*exited on signal 9/);
    expect(r.stdout).not.toContain('rank 0 was not stopped');
    expect(r.seconds).toBeLessThan(20);
  });

  it('a rank that ends one collective early cannot hang the job: the wait times out and names the collective', () => {
    const r = mpirun('fault.ts', ['early-exit'], 2, 30_000);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/rank \d: (allReduce|MPI_Finalize) waited more than 2\.0 s for the other ranks/);
    expect(r.seconds).toBeLessThan(20);
  });

  it('a wrong world size is named', () => {
    const r = mpirun('fault.ts', ['world-size'], 2, 30_000);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('init: expected a world of 3 processes, but the launcher started 2');
  });

  it('a mismatched model between ranks is named by broadcastParameters', () => {
    const r = mpirun('fault.ts', ['model'], 2, 30_000);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("broadcastParameters: the model on rank 1 differs from rank 0's");
    expect(r.stdout).not.toContain('the mismatch was not noticed');
  });
});
