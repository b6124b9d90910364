import { registerBackend } from '@mge/core';
import { runConformance } from '@mge/core/testing';
import { createWebGpuBackend } from '../src/backend.js';
import { gpuForTests } from './setup.js';

/**
 * The conformance suite with float32 tensors stored as f16 (WebGpuOptions.f16), on a
 * device registered for this test only. f16 keeps 11 significant bits: each upload and
 * each stored intermediate is rounded to a relative 2^-11 ≈ 4.9e-4, and long sums (matmul,
 * conv, reductions) add up such errors, so the tolerances are looser than core's float32
 * ones (rtol 1e-4) — see TOLERANCE and GRAD_TOLERANCE below for the figures.
 */
const TOLERANCE = { rtol: 2e-2, atol: 2e-2 };
const GRAD_TOLERANCE = { rtol: 5e-2, atol: 5e-2 };

const { backend } = await gpuForTests();
if (backend) {
  registerBackend('webgpu-f16', () => createWebGpuBackend({ f16: true }), 0);
  runConformance('webgpu-f16', { tolerance: TOLERANCE, gradTolerance: GRAD_TOLERANCE });
}
