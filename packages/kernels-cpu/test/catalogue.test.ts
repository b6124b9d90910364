// The layer catalogue's PyTorch goldens (functional's fixtures) on the `cpu` device.
import { setDefaultDevice } from '@mge/core';
import '../src/index.js';
import { runCatalogueGoldens } from '../../functional/test/catalogue-golden.js';

setDefaultDevice('cpu');
runCatalogueGoldens('cpu');
