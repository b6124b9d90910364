import { runConformance } from '@mge/core/testing';

runConformance('js');
