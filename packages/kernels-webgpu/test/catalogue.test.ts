// The layer catalogue's PyTorch goldens (functional's fixtures) on the `webgpu` device
// (lavapipe in CI), to the same 1e-4 as on the CPU.
import { setDefaultDevice } from '@mge/core';
import { runCatalogueGoldens } from '../../functional/test/catalogue-golden.js';
import { gpuForTests } from './setup.js';

const { backend } = await gpuForTests();
if (backend) {
  setDefaultDevice('webgpu');
  runCatalogueGoldens('webgpu');
}
