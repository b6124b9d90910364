// The layer catalogue's PyTorch goldens (functional's fixtures) on the `webgpu` device
// (lavapipe in CI): every case — the shapes are small (about 10 s on lavapipe).
import { layerGoldenSuite } from '../../functional/test/layers-golden.js';
import { gpuForTests } from './setup.js';

const { backend } = await gpuForTests();
if (backend) layerGoldenSuite('webgpu');
