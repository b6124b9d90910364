/** GradManager semantics as MegEngine's (megengine.autodiff.GradManager). */
import {
  add,
  autodiff,
  exp,
  GradManager,
  getBackwardingGradManager,
  matmul,
  memory,
  mul,
  noGrad,
  Parameter,
  relu,
  sum,
  type Tensor,
  tensor,
} from '@mge/core';
import { describe, expect, it } from 'vitest';

const vals = (t: Tensor | null) => {
  if (!t) throw new Error('expected a gradient, got null');
  return Array.from(t.dataSync());
};

describe('GradManager', () => {
  it('attach returns the manager itself (chainable) and lists tensors once, in order', () => {
    const a = new Parameter([1, 2]);
    const b = new Parameter([3]);
    const gm = new GradManager();
    expect(gm.attach([a, b])).toBe(gm);
    expect(gm.attach(a)).toBe(gm);
    expect(gm.attachedTensors()).toEqual([a, b]);
  });

  it('record → backward fills .grad; dy defaults to ones', () => {
    const x = new Parameter([1, 2, 3]);
    const gm = new GradManager().attach(x);
    gm.record();
    gm.backward(mul(x, x)); // non-scalar y: dy = ones
    expect(vals(x.grad)).toEqual([2, 4, 6]);
  });

  it('backward with an explicit dy', () => {
    const x = new Parameter([1, 2, 3]);
    const gm = new GradManager().attach(x);
    gm.record();
    gm.backward(mul(x, 3), tensor([1, 0, -2]));
    expect(vals(x.grad)).toEqual([3, 0, -6]);
  });

  it('backward ends the recording', () => {
    const x = new Parameter([1, 2]);
    const gm = new GradManager().attach(x);
    gm.record();
    expect(gm.isRecording).toBe(true);
    gm.backward(sum(x));
    expect(gm.isRecording).toBe(false);
    const y = sum(mul(x, 2));
    expect(() => gm.backward(y)).toThrow(/no computation history/);
  });

  it('backward without recording throws "no computation history"', () => {
    const x = new Parameter([1, 2]);
    const gm = new GradManager().attach(x);
    expect(() => gm.backward(sum(x))).toThrow(/GradManager\.backward: no computation history/);
  });

  it('computation before record is not recorded', () => {
    const x = new Parameter([1, 2]);
    const gm = new GradManager().attach(x);
    const early = mul(x, 5);
    gm.record();
    expect(() => gm.backward(sum(early))).toThrow(/no computation history/);
    expect(x.grad).toBeNull();
  });

  it('computation before attach is not recorded, even while recording', () => {
    const x = new Parameter([1, 2]);
    const gm = new GradManager();
    gm.record();
    const early = mul(x, 5); // x not attached yet
    gm.attach(x);
    const y = add(mul(x, 3), early);
    gm.backward(sum(y));
    expect(vals(x.grad)).toEqual([3, 3]);
  });

  it('gradients accumulate across backward calls until cleared', () => {
    const x = new Parameter([1, 2]);
    const gm = new GradManager().attach(x);
    for (let i = 0; i < 3; i++) {
      gm.record();
      gm.backward(sum(mul(x, x)));
    }
    expect(vals(x.grad)).toEqual([6, 12]);
    x.grad = null; // what optimizer.clearGrad() does
    gm.record();
    gm.backward(sum(mul(x, x)));
    expect(vals(x.grad)).toEqual([2, 4]);
  });

  it('only attached tensors get .grad', () => {
    const x = new Parameter([1, 2]);
    const w = new Parameter([3, 4]);
    const gm = new GradManager().attach(x);
    gm.record();
    gm.backward(sum(mul(x, w)));
    expect(vals(x.grad)).toEqual([3, 4]);
    expect(w.grad).toBeNull();
  });

  it('scope() is `with gm:` — records inside, releases after, also on throw', () => {
    const x = new Parameter([2]);
    const gm = new GradManager().attach(x);
    const out = gm.scope(() => {
      const y = mul(x, x);
      gm.backward(y);
      return y;
    });
    expect(Array.from(out.dataSync())).toEqual([4]);
    expect(vals(x.grad)).toEqual([4]);
    expect(gm.isRecording).toBe(false);
    expect(() =>
      gm.scope(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(gm.isRecording).toBe(false);
  });

  it('scope() with an async function releases when the promise settles', async () => {
    const x = new Parameter([3]);
    const gm = new GradManager().attach(x);
    const p = gm.scope(async () => {
      await Promise.resolve();
      const y = exp(x);
      gm.backward(y);
    });
    await p;
    expect(gm.isRecording).toBe(false);
    expect(vals(x.grad)[0]).toBeCloseTo(Math.exp(3), 4);
  });

  it('noGrad switches recording off inside a recording', () => {
    const x = new Parameter([1, 2]);
    const gm = new GradManager().attach(x);
    gm.record();
    const c = noGrad(() => mul(x, 10));
    const y = add(mul(x, 2), c);
    gm.backward(sum(y));
    expect(vals(x.grad)).toEqual([2, 2]);
  });

  it('release() stops recording without gradients; record twice throws', () => {
    const x = new Parameter([1]);
    const gm = new GradManager().attach(x);
    gm.record();
    expect(() => gm.record()).toThrow(/already recording/);
    const y = mul(x, 2);
    gm.release();
    expect(() => gm.backward(y)).toThrow(/no computation history/);
    expect(x.grad).toBeNull();
  });

  it('a tensor used twice gets the sum of both paths; two managers are independent', () => {
    const x = new Parameter([1, 2]);
    const w = new Parameter([5, 7]);
    const g1 = new GradManager().attach(x);
    const g2 = new GradManager().attach(w);
    g1.record();
    g2.record();
    const y = sum(mul(add(x, x), w));
    g1.backward(y);
    expect(vals(x.grad)).toEqual([10, 14]);
    expect(w.grad).toBeNull();
    g2.backward(y);
    expect(vals(w.grad)).toEqual([2, 4]);
  });

  it('attach validates its argument', () => {
    const gm = new GradManager();
    expect(() => gm.attach(3 as never)).toThrow(/GradManager\.attach: argument 'params' must be a Tensor or an iterable of Tensors, got 3/);
    expect(() => gm.attach(tensor([1], { dtype: 'int32' }))).toThrow(/only float32 tensors can have gradients, got int32/);
  });

  it('backward validates y and dy', () => {
    const x = new Parameter([1, 2]);
    const gm = new GradManager().attach(x);
    gm.record();
    const y = mul(x, 2);
    expect(() => gm.backward(y, tensor([1, 2, 3]))).toThrow(/'dy' must have y's shape \(2,\), got \(3,\)/);
  });
});

describe('backward frees its temporaries', () => {
  it('keeps gradients that one rule hands to two parameters apart', async () => {
    const a = new Parameter(tensor([1, 2, 3]));
    const b = new Parameter(tensor([4, 5, 6]));
    const gm = new GradManager().attach([a, b]);
    b.grad = tensor([10, 10, 10]);
    gm.record();
    gm.backward(add(a, b).sum());
    expect(a.grad).not.toBe(b.grad);
    expect(Array.from(await (a.grad as Tensor).data())).toEqual([1, 1, 1]);
    expect(Array.from(await (b.grad as Tensor).data())).toEqual([11, 11, 11]);
  });

  it('returns the backward buffers to the backend before backward returns', () => {
    const w = new Parameter(tensor(new Float32Array(64).fill(0.5), { shape: [8, 8] }));
    const x = tensor(new Float32Array(32).fill(1), { shape: [4, 8] });
    const gm = new GradManager().attach([w]);
    const run = () => {
      gm.record();
      gm.backward(relu(matmul(relu(matmul(x, w)), w)).sum());
      w.grad = null;
    };
    const live = () => memory()[x.device].liveBuffers;
    run();
    const before = live();
    run();
    // what one step leaves behind until the GC runs: its forward tensors (2 matmuls, 2 relus,
    // the sum), the ones it started from and w's gradient; none of its ~10 backward temporaries
    expect(live() - before).toBeLessThanOrEqual(7);
  });
});

describe('GradManager.attach callbacks', () => {
  it('passes each gradient through the callbacks, in order, before it accumulates into .grad', () => {
    const a = new Parameter([1, 2]);
    const b = new Parameter([3]);
    const seen: string[] = [];
    const double = (p: Tensor, g: Tensor) => {
      seen.push(`${p === a ? 'a' : 'b'}:${Array.from(g.dataSync()).join(',')}`);
      return mul(g, tensor(2));
    };
    const plusOne = (_p: Tensor, g: Tensor) => add(g, tensor(1));
    const gm = new GradManager().attach([a], { callbacks: [double, plusOne] }).attach(b);
    gm.record();
    gm.backward(sum(mul(mul(a, a), b))); // d/da = 2ab = [6, 12], d/db = sum(a²) = 5
    expect(seen).toEqual(['a:6,12']);
    expect(vals(a.grad)).toEqual([13, 25]);
    expect(vals(b.grad)).toEqual([5]);
    gm.record();
    gm.backward(sum(mul(mul(a, a), b)));
    expect(vals(a.grad)).toEqual([26, 50]); // the callback's output accumulates
  });

  it('names the problem when a callback is not a function or returns the wrong shape', () => {
    const a = new Parameter([1, 2]);
    expect(() => new GradManager().attach(a, { callbacks: [42 as never] })).toThrow(/every callback must be a function, got 42/);
    expect(() => new GradManager().attach(a, null as never)).toThrow(/argument 'options' must be an object/);
    const gm = new GradManager().attach(a, { callbacks: (_p, g) => sum(g) });
    gm.record();
    expect(() => gm.backward(sum(a))).toThrow(/callback must return a Tensor of the parameter's shape \(2,\), got \(\)/);
  });
});

describe('GradManager callbacks during backward', () => {
  class Probe extends autodiff.Function {
    constructor(private readonly log: string[]) {
      super();
    }
    forward(x: Tensor): Tensor {
      return mul(x, 1);
    }
    backward(dy: Tensor): Tensor {
      this.log.push('probe backward');
      return mul(dy, 1);
    }
  }

  it("runs a parameter's callbacks once its gradient is final, while backward goes on, then the after-backward callbacks", () => {
    const w1 = new Parameter([2]);
    const w2 = new Parameter([3]);
    const w3 = new Parameter([5]);
    const log: string[] = [];
    const names = new Map<Tensor, string>([
      [w1, 'w1'],
      [w2, 'w2'],
      [w3, 'w3'],
    ]);
    const gm = new GradManager();
    const cb = (p: Tensor, g: Tensor) => {
      expect(getBackwardingGradManager()).toBe(gm);
      log.push(`${names.get(p)} ${vals(g)}`);
      return g;
    };
    gm.attach([w1, w2, w3], { callbacks: cb });
    gm.registerAfterBackwardCallback(() => log.push(`after, w1.grad ${w1.grad === null ? 'unset' : 'set'}`));
    gm.record();
    const h = new Probe(log).call(mul(tensor([1]), w1));
    gm.backward(sum(mul(mul(h, w2), w3))); // y = x·w1·w2·w3
    expect(log).toEqual(['w3 6', 'w2 10', 'probe backward', 'w1 15', 'after, w1.grad unset']);
    expect(vals(w1.grad)).toEqual([15]);
    expect(getBackwardingGradManager()).toBe(null);
    expect(() => gm.registerAfterBackwardCallback(3 as never)).toThrow(/argument 'fn' must be a function, got 3/);
  });

  it('gives two parameters that share one gradient buffer their own tensors', () => {
    const a = new Parameter([1, 2]);
    const b = new Parameter([3, 4]);
    const double = (_p: Tensor, g: Tensor) => {
      const out = mul(g, 2);
      g.dispose();
      return out;
    };
    const gm = new GradManager().attach([a, b], { callbacks: double });
    gm.record();
    gm.backward(sum(mul(add(a, b), tensor([1, 10])))); // add passes one dy to both
    expect(vals(a.grad)).toEqual([2, 20]);
    expect(vals(b.grad)).toEqual([2, 20]);
  });
});

describe('autodiff.Function (a hand-written gradient)', () => {
  class Cube extends autodiff.Function {
    private x: Tensor | null = null;
    forward(x: Tensor): Tensor {
      this.x = x;
      return mul(mul(x, x), x);
    }
    backward(dy: Tensor): Tensor {
      const x = this.x as Tensor;
      return mul(dy, mul(mul(x, x), 3));
    }
  }

  it('uses backward for the gradient and records nothing inside forward', async () => {
    const x = new Parameter(tensor([1, 2, -3]));
    const gm = new GradManager().attach([x]);
    gm.record();
    const y = new Cube().call(x);
    gm.backward(sum(y));
    expect(Array.from(await y.data())).toEqual([1, 8, -27]);
    expect(vals(x.grad)).toEqual([3, 12, 27]);
  });

  it('frees what forward made except its result and what it saved, and those after backward', () => {
    let temporary: Tensor | null = null;
    class SoftSquare extends autodiff.Function {
      saved: Tensor[] = [];
      forward(x: Tensor): Tensor {
        const t = mul(x, 2); // a temporary: freed when forward returns
        temporary = t;
        const s = mul(t, x); // saved for backward: freed after it
        this.saved = [s];
        return add(s, 1);
      }
      backward(dy: Tensor): Tensor {
        return mul(
          dy,
          mul(this.saved[0], 0)
            .add(4)
            .mul(tensor([1, 2, 3])),
        );
      }
    }
    const x = new Parameter(tensor([1, 2, 3]));
    const gm = new GradManager().attach([x]);
    gm.record();
    const f = new SoftSquare();
    const y = f.call(x);
    expect((temporary as Tensor | null)?.isDisposed).toBe(true);
    expect(f.saved[0].isDisposed).toBe(false);
    gm.backward(sum(y));
    expect(f.saved[0].isDisposed).toBe(true);
    expect(y.isDisposed).toBe(false);
    expect(vals(x.grad)).toEqual([4, 8, 12]);
  });

  it('names the function when backward returns the wrong number or shape of gradients', () => {
    class Bad extends autodiff.Function {
      forward(a: Tensor, b: Tensor): Tensor {
        return add(a, b);
      }
      backward(dy: Tensor): Tensor {
        return dy;
      }
    }
    const a = new Parameter(tensor([1, 2]));
    const gm = new GradManager().attach([a]);
    gm.record();
    const y = new Bad().call(a, tensor([3, 4]));
    expect(() => gm.backward(sum(y))).toThrow('Bad.backward must return 2 gradient(s), one per input, got 1');
    expect(() => new Bad().call(a, 3 as unknown as Tensor)).toThrow('Bad.call: argument 1 must be a Tensor, got number');
  });
});
