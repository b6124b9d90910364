// The fused elementwise program on Dawn (lavapipe here): the cases of elementwise-program.suite.ts.
import { describe } from 'vitest';
import { elementwiseProgramSuite } from './elementwise-program.suite.js';
import { gpuForTests } from './setup.js';

const { backend: gpu } = await gpuForTests();

describe.skipIf(!gpu)('webgpu elementwiseProgram', () => {
  if (gpu) elementwiseProgramSuite(gpu);
});
