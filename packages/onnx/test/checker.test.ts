import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@mge/core';
import '@mge/kernels-cpu';
import { trace } from '@mge/jit';
import { CharGPT, LeNet, MobileNetV2, ShuffleNetV2 } from '@mge/models-zoo';
import type { Module } from '@mge/module';
import { afterAll, describe, expect, it } from 'vitest';
import { toOnnxBytes } from '../src/index.js';

/** Debian's python3-onnx (installed by .ci/run): ONNX's own checker, independent of onnxruntime. */
function onnxPython(): string | null {
  const found = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import onnx']).status === 0) ?? null;
  if (!found) {
    if (process.env.CI === 'true') throw new Error('CI=true requires python3 with the onnx module (apt python3-onnx)');
    console.warn('[onnx] python3 with the onnx module not found: onnx.checker test skipped');
  }
  return found;
}
const python = onnxPython();

afterAll(() => core.setDefaultDevice('js'));

const CHECK = `
import sys, onnx
for path in sys.argv[1:]:
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)  # full_check: strict shape and type inference too
    print(path, m.ir_version, m.opset_import[0].version, len(m.graph.node))
`;

describe.skipIf(!python)('onnx.checker (full check) accepts our dumps', () => {
  it('LeNet, MobileNetV2, ShuffleNetV2, CharGPT', async () => {
    core.setDefaultDevice('cpu');
    core.random.seed(1);
    const dir = mkdtempSync(join(tmpdir(), 'mge-onnx-check-'));
    const cases: [string, Module, core.Tensor][] = [
      ['lenet', new LeNet(), core.zeros([1, 1, 32, 32])],
      ['mobilenetv2', new MobileNetV2({ numClasses: 10 }), core.zeros([1, 3, 32, 32])],
      ['shufflenetv2', new ShuffleNetV2({ modelSize: '0.5x', numClasses: 10 }), core.zeros([1, 3, 32, 32])],
      ['chargpt', new CharGPT({ vocabSize: 12, blockSize: 8, dim: 16, numHeads: 2, numLayers: 1 }), core.zeros([2, 6], { dtype: 'int32' })],
    ];
    const files: string[] = [];
    for (const [name, model, x] of cases) {
      model.eval();
      const infer = trace((t: core.Tensor) => model(t) as core.Tensor);
      infer(x);
      const file = join(dir, `${name}.onnx`);
      writeFileSync(file, await toOnnxBytes(infer, { names: model }));
      files.push(file);
    }
    const r = spawnSync(python!, ['-c', CHECK, ...files], { encoding: 'utf8' });
    expect(
      r.stderr
        .split('\n')
        .filter((l) => l && !/Warning/.test(l))
        .join('\n'),
    ).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(cases.length);
    for (const line of r.stdout.trim().split('\n')) expect(line).toMatch(/ 8 17 \d+$/);
  });
});
