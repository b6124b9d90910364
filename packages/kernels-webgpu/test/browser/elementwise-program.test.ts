// The fused elementwise program in the page (SwiftShader in headless Chromium): the cases of
// elementwise-program.suite.ts. No adapter is a failure here.
import '../../src/index.js';
import { describe } from 'vitest';
import { createWebGpuBackend } from '../../src/backend.js';
import { elementwiseProgramSuite } from '../elementwise-program.suite.js';

const gpu = await createWebGpuBackend();

describe('webgpu elementwiseProgram in the browser', () => {
  elementwiseProgramSuite(gpu);
});
