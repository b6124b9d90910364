// The layer catalogue's PyTorch 1.13 goldens (scripts/goldens/make_layer_goldens.py writes
// fixtures/layers_*.json), run on any registered device: the js backend here, cpu and webgpu
// from their own packages' tests, webgpu in Chromium too (the fixtures are imported as modules, so
// this file runs in a page). Tolerance as golden.test.ts: |got − want| ≤ 1e-4·max(1, |want|).
import { GradManager, type Tensor } from '@mge/core';
import { describe, expect, it } from 'vitest';
import * as F from '../src/index.js';
import layersConv from './fixtures/layers_conv.json';
import layersNorm from './fixtures/layers_norm.json';
import layersResize from './fixtures/layers_resize.json';
import { expectClose, type FixtureTensor, fixtureTensor } from './golden-fixture.js';

export interface LayerCase {
  name: string;
  op: string;
  args: Record<string, any>;
  inputs: Record<string, FixtureTensor>;
  outputs: Record<string, FixtureTensor>;
  cotangent: FixtureTensor;
  grads: Record<string, FixtureTensor>;
}

const FIXTURES = { layers_conv: layersConv, layers_norm: layersNorm, layers_resize: layersResize } as unknown as Record<
  string,
  { cases: LayerCase[] }
>;
export const LAYER_FIXTURES = Object.keys(FIXTURES);
const RTOL = 1e-4;

export function loadLayerCases(file: string): LayerCase[] {
  return FIXTURES[file].cases;
}

type Inputs = Record<string, Tensor>;

/** How each fixture op calls @mge/functional; args are already in MegEngine.ts naming. */
export const LAYER_RUNNERS: Record<string, (x: Inputs, a: Record<string, any>) => Tensor> = {
  conv2d: (x, a) => F.conv2d(x.inp, x.weight, x.bias, a),
  conv1d: (x, a) => F.conv1d(x.inp, x.weight, x.bias, a),
  conv3d: (x, a) => F.conv3d(x.inp, x.weight, x.bias, a),
  convTranspose2d: (x, a) => F.convTranspose2d(x.inp, x.weight, x.bias, a),
  localConv2d: (x, a) => F.localConv2d(x.inp, x.weight, null, a),
  layerNorm: (x, a) => F.layerNorm(x.inp, a.normalizedShape, { affine: a.affine, weight: x.weight, bias: x.bias }),
  groupNorm: (x, a) => F.groupNorm(x.inp, a.numGroups, { affine: a.affine, weight: x.weight, bias: x.bias }),
  instanceNorm: (x, a) => F.instanceNorm(x.inp, { affine: a.affine, weight: x.weight, bias: x.bias }),
  localResponseNorm: (x, a) => F.localResponseNorm(x.inp, a),
  normalize: (x, a) => F.normalize(x.inp, { ord: a.ord, axis: a.axis }),
  adaptiveAvgPool2d: (x, a) => F.adaptiveAvgPool2d(x.inp, a.oshp),
  adaptiveMaxPool2d: (x, a) => F.adaptiveMaxPool2d(x.inp, a.oshp),
  interpolate: (x, a) => F.vision.interpolate(x.inp, a),
  pixelShuffle: (x, a) => F.pixelShuffle(x.inp, a.upscaleFactor),
  slidingWindow: (x, a) => F.slidingWindow(x.inp, a.kernelSize, a),
  pad: (x, a) => F.pad(x.inp, a.padWidth, a.mode, a.constantValue),
};

export async function checkLayerCase(c: LayerCase, device: string): Promise<void> {
  const run = LAYER_RUNNERS[c.op];
  expect(run, `no runner for op '${c.op}'`).toBeDefined();
  const inputs: Inputs = {};
  for (const [k, v] of Object.entries(c.inputs)) inputs[k] = fixtureTensor(v, device);
  const gm = new GradManager().attach(Object.keys(c.grads).map((k) => inputs[k]));
  gm.record();
  const out = run(inputs, c.args);
  expect(out.device).toBe(device);
  await expectClose(`${c.name} output`, out, c.outputs.out, RTOL);
  gm.backward(out, fixtureTensor(c.cotangent, device));
  for (const [k, want] of Object.entries(c.grads)) await expectClose(`${c.name} grad of '${k}'`, inputs[k].grad, want, RTOL);
}

/** Registers one vitest case per fixture case on `device`; `keep` picks a subset (slow devices). */
export function layerGoldenSuite(device: string, keep: (c: LayerCase) => boolean = () => true): void {
  for (const file of LAYER_FIXTURES) {
    describe(`${file} goldens on ${device} (PyTorch 1.13)`, () => {
      for (const c of loadLayerCases(file).filter(keep)) it(c.name, () => checkLayerCase(c, device));
    });
  }
}
