// Core's conformance suite on the `cpu` device: every primitive, forward and gradient,
// with the same tolerances as every other backend.
import { runConformance } from '@mge/core/testing';
import '../src/index.js';

runConformance('cpu');
