// The layer catalogue's PyTorch goldens (functional's fixtures) on the `webgpu` device
// (lavapipe in CI). GPU float32 transcendental functions are looser than the CPU's, hence 2e-4.
import { setDefaultDevice } from '@mge/core';
import { runCatalogueGoldens } from '../../functional/test/catalogue-golden.js';
import { gpuForTests } from './setup.js';

const { backend } = await gpuForTests();
if (backend) {
  setDefaultDevice('webgpu');
  runCatalogueGoldens('webgpu', { rtol: 2e-4 });
}
