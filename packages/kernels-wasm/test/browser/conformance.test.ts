// Core's conformance suite on `wasm` in headless Chromium: the module is fetched by URL and
// compiled by the browser's engine, as in the playground.
import { ready } from '@mge/core';
import { runConformance } from '@mge/core/testing';
import '../../src/index.js';

await ready();
runConformance('wasm');
