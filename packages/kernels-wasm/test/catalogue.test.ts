// The layer catalogue's PyTorch goldens (functional's fixtures: activations, indexing, losses, recurrent, attention) on `wasm`.
import { ready, setDefaultDevice } from '@mge/core';
import '../src/index.js';
import { runCatalogueGoldens } from '../../functional/test/catalogue-golden.js';

await ready(['wasm']);
setDefaultDevice('wasm');
runCatalogueGoldens('wasm');
