import { layerGoldenSuite } from './layers-golden.js';

layerGoldenSuite('js');
