// MegEngine's test/unit/module/test_module.py (the module walk), in spirit:
// depth first, keys sorted at every level, each object once under its first name.
import { ones, Parameter, type Tensor, tensor } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { BatchNorm2d, Linear, Module, ReLU, Sequential } from '../src/index.js';

class InnerModule extends Module {
  bn = new BatchNorm2d(4);
  forward(x: Tensor): Tensor {
    return this.bn(x);
  }
}

class MyModule extends Module {
  i = new InnerModule();
  bn = new BatchNorm2d(4);
  param = new Parameter(ones([1]));
  buff = ones([1]);
  forward(x: Tensor): Tensor {
    return this.bn(this.i(x));
  }
}

describe('module walk (MegEngine order)', () => {
  const m = new MyModule();

  it('children and namedChildren', () => {
    expect([...m.children()]).toEqual([m.bn, m.i]);
    expect([...m.namedChildren()].map(([k]) => k)).toEqual(['bn', 'i']);
  });

  it('modules and namedModules (with a prefix)', () => {
    expect([...m.modules()]).toEqual([m, m.bn, m.i, m.i.bn]);
    expect([...m.namedModules()].map(([k]) => k)).toEqual(['', 'bn', 'i', 'i.bn']);
    expect([...m.namedModules('x')].map(([k]) => k)).toEqual(['x', 'x.bn', 'x.i', 'x.i.bn']);
  });

  it('buffers and namedBuffers', () => {
    expect([...m.buffers()]).toEqual([m.bn.runningMean, m.bn.runningVar, m.buff, m.i.bn.runningMean, m.i.bn.runningVar]);
    expect([...m.buffers({ recursive: false })]).toEqual([m.buff]);
    expect([...m.namedBuffers()].map(([k]) => k)).toEqual([
      'bn.runningMean',
      'bn.runningVar',
      'buff',
      'i.bn.runningMean',
      'i.bn.runningVar',
    ]);
  });

  it('parameters and namedParameters', () => {
    expect([...m.parameters()]).toEqual([m.bn.bias, m.bn.weight, m.i.bn.bias, m.i.bn.weight, m.param]);
    expect([...m.parameters({ recursive: false })]).toEqual([m.param]);
    expect([...m.namedParameters()].map(([k]) => k)).toEqual(['bn.bias', 'bn.weight', 'i.bn.bias', 'i.bn.weight', 'param']);
  });

  it('tensors and namedTensors', () => {
    expect([...m.namedTensors()].map(([k]) => k)).toEqual([
      'bn.bias',
      'bn.runningMean',
      'bn.runningVar',
      'bn.weight',
      'buff',
      'i.bn.bias',
      'i.bn.runningMean',
      'i.bn.runningVar',
      'i.bn.weight',
      'param',
    ]);
  });

  it('stateDict puts own tensors first, then children', () => {
    class Outer extends Module {
      z = new Parameter(ones([2]));
      a = new Linear(2, 2);
      forward(x: Tensor): Tensor {
        return this.a(x);
      }
    }
    expect([...new Outer().stateDict().keys()]).toEqual(['z', 'a.bias', 'a.weight']);
  });

  it('shared objects appear once, under their first name', () => {
    class Shared extends Module {
      b = new Linear(2, 2);
      a = this.b;
      forward(x: Tensor): Tensor {
        return this.a(x);
      }
    }
    const s = new Shared();
    expect([...s.namedParameters()].map(([k]) => k)).toEqual(['a.bias', 'a.weight']);
  });

  it('arrays and plain objects of modules are walked as name.index', () => {
    class Holder extends Module {
      blocks = [new ReLU(), new Linear(1, 1)];
      heads = { y: new Linear(1, 1), x: new Linear(1, 1) };
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect([...new Holder().namedParameters()].map(([k]) => k)).toEqual([
      'blocks.1.bias',
      'blocks.1.weight',
      'heads.x.bias',
      'heads.x.weight',
      'heads.y.bias',
      'heads.y.weight',
    ]);
  });

  it('Sequential names children 0, 1, … and sorts them as strings', () => {
    const layers = Array.from({ length: 11 }, () => new Linear(1, 1));
    const seq = new Sequential(...layers);
    const keys = [...seq.namedChildren()].map(([k]) => k);
    expect(keys).toEqual(['0', '1', '10', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(seq.layers).toEqual(layers);
  });
});

describe('Module behaviour', () => {
  it('is callable, runs pre-hooks, forward and hooks, and hooks can be removed', () => {
    class Double extends Module {
      forward(x: Tensor): Tensor {
        return x.mul(2);
      }
    }
    const d = new Double();
    const seen: string[] = [];
    const h1 = d.registerForwardPreHook((_m, inputs) => {
      seen.push('pre');
      return [(inputs[0] as Tensor).add(1)];
    });
    const h2 = d.registerForwardHook((_m, _inputs, out) => {
      seen.push('post');
      return (out as Tensor).add(100);
    });
    expect(d(tensor([1, 2])).dataSync()).toEqual(new Float32Array([104, 106]));
    expect(seen).toEqual(['pre', 'post']);
    h1.remove();
    h2.remove();
    expect(d(tensor([1, 2])).dataSync()).toEqual(new Float32Array([2, 4]));
  });

  it('train() and eval() set training on every sub-module', () => {
    const m = new MyModule();
    expect(m.training).toBe(true);
    m.eval();
    expect([...m.modules()].every((x) => x.training === false)).toBe(true);
    m.train();
    expect([...m.modules()].every((x) => x.training === true)).toBe(true);
  });

  it('loadStateDict loads values, accepts (C,) for (1,C,1,1), and rejects bad dicts without changing anything', () => {
    const a = new Linear(3, 2);
    const b = new Linear(3, 2);
    b.loadStateDict(a.stateDict());
    expect(b.weight.dataSync()).toEqual(a.weight.dataSync());
    const before = b.weight.dataSync();
    expect(() => b.loadStateDict({ weight: ones([2, 3]) })).toThrow(/missing keys: bias/);
    expect(() => b.loadStateDict({ weight: ones([2, 3]), bias: ones([2]), extra: ones([1]) })).toThrow(/unused keys.*extra/);
    expect(() => b.loadStateDict({ weight: ones([3, 2]), bias: ones([2]) })).toThrow(/key 'weight' expects shape \(2, 3\), got \(3, 2\)/);
    expect(b.weight.dataSync()).toEqual(before);
    b.loadStateDict({ weight: ones([2, 3]) }, { strict: false });
    expect(b.weight.dataSync()).toEqual(new Float32Array(6).fill(1));
    b.loadStateDict((key, t) => (key === 'bias' ? ones(t.shape).mul(7) : undefined), { strict: false });
    expect(b.bias!.dataSync()).toEqual(new Float32Array([7, 7]));
    const bn = new BatchNorm2d(3);
    bn.loadStateDict({ weight: ones([3]), bias: ones([3]), runningMean: ones([3]), runningVar: ones([3]) });
    expect(bn.runningMean!.shape).toEqual([1, 3, 1, 1]);
  });

  it('stateDict values are snapshots that print like MegEngine', () => {
    const l = new Linear(2, 1, { bias: true });
    const sd = l.stateDict();
    expect([...sd.keys()]).toEqual(['bias', 'weight']);
    expect(String(sd)).toMatch(
      /^OrderedDict\(\[\('bias', array\(\[0\.\], dtype=float32\)\), \('weight', array\(\[\[.*\]\], dtype=float32\)\)\]\)$/,
    );
  });
});
