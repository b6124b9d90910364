import { runCatalogueGoldens } from './catalogue-golden.js';

runCatalogueGoldens('js');
