import * as core from '@mge/core';
import { describe, expect, it } from 'vitest';
import { type Dumper, registerDumper, trace } from '../src/index.js';

describe('traced.dump', () => {
  it('says to import the ONNX package when no dumper is registered', async () => {
    const previous = registerDumper(null);
    try {
      const t = trace((x: core.Tensor) => core.mul(x, 2));
      t(core.ones([2]));
      await expect(t.dump('model.onnx')).rejects.toThrow(
        /traced\.dump: no dump format is registered; import '@mge\/onnx' \(or 'megengine\/onnx'\) first, which writes ONNX/,
      );
    } finally {
      registerDumper(previous);
    }
  });

  it('hands the traced function, the file and the options to the registered dumper', async () => {
    const calls: unknown[][] = [];
    const fake: Dumper = async (traced, file, options) => {
      calls.push([traced, file, options, (await traced.graph()).nodes.map((n) => n.op)]);
    };
    const previous = registerDumper(fake);
    try {
      const t = trace((x: core.Tensor) => core.mul(x, 2));
      t(core.ones([2]));
      await t.dump('out.onnx', { opset: 17 });
      expect(calls).toHaveLength(1);
      expect(calls[0].slice(0, 3)).toEqual([t, 'out.onnx', { opset: 17 }]);
      expect(calls[0][3]).toContain('mul');
    } finally {
      registerDumper(previous);
    }
    expect(() => registerDumper(3 as never)).toThrow(/registerDumper: argument 'fn' must be a function or null, got number/);
  });
});
