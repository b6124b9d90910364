// The layer catalogue's PyTorch goldens (functional's fixtures) on the `cpu` device.
import '../src/index.js';
import { layerGoldenSuite } from '../../functional/test/layers-golden.js';

layerGoldenSuite('cpu');
