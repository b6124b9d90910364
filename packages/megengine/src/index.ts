/**
 * megengine — MegEngine.ts under MegEngine's import paths (`import * as mge from 'megengine'`,
 * `megengine/functional`, `megengine/module`, …). Importing any of them registers every backend
 * that can run here and waits for their answers, so new tensors go to the best device.
 */
import './start.js';

export * from '@mge/core';
