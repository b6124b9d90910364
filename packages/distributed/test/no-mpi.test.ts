/** Without the addon (MGE_MPI_ADDON points nowhere) importing works and using MPI says what to install. */
import { tensor } from '@mge/core';
import { describe, expect, it } from 'vitest';

process.env.MGE_MPI_ADDON = '/nonexistent/mge_mpi.node';
const dist = await import('../src/index.js');

describe('@mge/distributed without MPI', () => {
  it('is a world of one and reports MPI as unavailable', () => {
    expect(dist.mpiAvailable()).toBe(false);
    expect(dist.getRank()).toBe(0);
    expect(dist.getWorldSize()).toBe(1);
    expect(dist.isDistributed()).toBe(false);
    // the gradient callback is the identity in a world of one
    const g = tensor([1, 2]);
    expect(dist.makeAllreduceCb('mean')(g, g)).toBe(g);
  });

  it('says what to install when a collective is used', () => {
    expect(() => dist.functional.allReduceSum(tensor([1]))).toThrow(
      /allReduceSum: the MPI addon is not built \(\/nonexistent\/mge_mpi.node is missing\); install Open MPI \(Debian\/Ubuntu: apt-get install libopenmpi-dev openmpi-bin\)/,
    );
    expect(() => dist.init()).toThrow(/init: the MPI addon is not built/);
  });

  it('checks arguments before touching MPI', () => {
    expect(() => dist.functional.allReduceSum(tensor([true]))).toThrow(
      /allReduceSum: argument 'inp' must have dtype float32 or int32, got bool/,
    );
    expect(() => dist.functional.allReduceMean(tensor([1], { dtype: 'int32' }))).toThrow(
      /allReduceMean: argument 'inp' must have dtype float32, got int32; use allReduceSum for integers/,
    );
    expect(() => dist.functional.broadcast(42 as never)).toThrow(/broadcast: argument 'inp' must be a Tensor, got 42/);
    expect(() => dist.makeAllreduceCb('max' as never)).toThrow(/makeAllreduceCb: argument 'reduceMethod' must be 'sum' or 'mean', got max/);
    expect(() => dist.broadcastParameters(null as never)).toThrow(/broadcastParameters: argument 'module' must be a Module, got null/);
    expect(() => dist.abort(0)).toThrow(/abort: argument 'code' must be an integer in \[1, 255\], got 0/);
    expect(() => dist.init({ expectedWorldSize: 0 })).toThrow(/init: 'expectedWorldSize' must be a positive integer, got 0/);
  });
});
