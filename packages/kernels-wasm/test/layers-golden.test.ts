// The layer catalogue's PyTorch goldens (functional's fixtures: convolution, normalisation, resizing) on `wasm`.
import { ready, setDefaultDevice } from '@mge/core';
import '../src/index.js';
import { layerGoldenSuite } from '../../functional/test/layers-golden.js';

await ready(['wasm']);
setDefaultDevice('wasm');
layerGoldenSuite('wasm');
