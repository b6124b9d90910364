// Core's conformance suite on the `wasm` device: every primitive, forward and gradient,
// with the same tolerances as every other backend.
import { ready } from '@mge/core';
import { runConformance } from '@mge/core/testing';
import '../src/index.js';

await ready();
runConformance('wasm');
