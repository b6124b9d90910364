/**
 * @mge/core/testing — the conformance suite every backend runs in its own tests:
 *
 *   import { runConformance } from '@mge/core/testing';
 *   import '@mge/kernels-cpu';            // registers the device
 *   runConformance('cpu');
 *
 * It defines vitest `describe`/`it` blocks that run every primitive of the Backend
 * contract through the public @mge/core API on the device, comparing with hand-computed
 * values and a float64 reference on seeded random inputs, and checks every gradient rule
 * against central differences. Values are read with `await t.data()` only.
 *
 * Tolerances are the same for every backend: forward |got − want| ≤ 1e-5 + 1e-4·|want|,
 * gradients ≤ 1e-3 + 1e-2·|want|; int32 and bool results must match exactly. There is
 * deliberately no way to skip a case: a backend that lacks a primitive fails.
 */
import { describe, it } from 'vitest';
import { autogradCases } from './cases/autograd.js';
import { broadcastingCases } from './cases/broadcasting.js';
import { castCases } from './cases/cast.js';
import { convCases } from './cases/conv.js';
import { autogradSpecials, memorySpecials, type Special } from './cases/device.js';
import { elementwiseCases } from './cases/elementwise.js';
import { fusedCases } from './cases/fused.js';
import { indexingCases } from './cases/indexing.js';
import { matmulCases } from './cases/matmul.js';
import { movementCases } from './cases/movement.js';
import { poolCases } from './cases/pool.js';
import { reductionCases } from './cases/reductions.js';
import { transformerCases } from './cases/transformer.js';
import { type Case, DEFAULT_TOLERANCE, GRAD_TOLERANCE, type RunOptions, runCase, type Tolerance } from './harness.js';

export { DEFAULT_TOLERANCE, GRAD_TOLERANCE, type Tolerance } from './harness.js';

export interface ConformanceOptions {
  /** Forward tolerance; defaults to DEFAULT_TOLERANCE (rtol 1e-4, atol 1e-5). */
  tolerance?: Tolerance;
  /** Gradient tolerance; defaults to GRAD_TOLERANCE (rtol 1e-2, atol 1e-3). */
  gradTolerance?: Tolerance;
  /** Not supported: every backend runs every case. */
  skip?: never;
}

/** Every case, by family and group; exported so a backend's tests or benchmarks can reuse them. */
export function conformanceCases(): Record<string, Record<string, Case[]>> {
  return {
    elementwise: elementwiseCases(),
    broadcasting: broadcastingCases(),
    cast: castCases(),
    reductions: reductionCases(),
    'movement and indexing': movementCases(),
    matmul: matmulCases(),
    conv2d: convCases(),
    'fused epilogues': fusedCases(),
    pooling: poolCases(),
    'gather, scatter and sort': indexingCases(),
    autograd: autogradCases(),
    transformer: transformerCases(),
  };
}

const SPECIALS: Record<string, Special[]> = { 'memory and devices': memorySpecials, 'autograd details': autogradSpecials };

/** Defines the conformance suite for `device` (a registered device name) as vitest tests. */
export function runConformance(device: string, options: ConformanceOptions = {}): void {
  if (typeof device !== 'string' || device.length === 0) {
    throw new TypeError(`runConformance: argument 'device' must be a device name, got ${String(device)}`);
  }
  if ((options as { skip?: unknown }).skip !== undefined) {
    throw new Error("runConformance: option 'skip' is not supported; every backend must pass every case");
  }
  const o: RunOptions = {
    device,
    tolerance: options.tolerance ?? DEFAULT_TOLERANCE,
    gradTolerance: options.gradTolerance ?? GRAD_TOLERANCE,
  };
  describe(`conformance on '${device}'`, () => {
    for (const [family, groups] of Object.entries(conformanceCases())) {
      describe(family, () => {
        for (const [group, cases] of Object.entries(groups)) {
          describe(group, () => {
            for (const c of cases) it(c.name, () => runCase(c, o));
          });
        }
      });
    }
    for (const [family, specials] of Object.entries(SPECIALS)) {
      describe(family, () => {
        for (const s of specials) it(s.name, () => s.test(o));
      });
    }
  });
}

export { type Case, type InputSpec, rng, runCase } from './harness.js';
export type { Nd } from './nd.js';
