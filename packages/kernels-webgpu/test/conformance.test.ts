import { runConformance } from '@mge/core/testing';
import { gpuForTests } from './setup.js';

// Fails under CI=true when there is no adapter; the suite itself has no skips.
const { backend } = await gpuForTests();
if (backend) runConformance('webgpu');
