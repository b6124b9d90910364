/**
 * Adversarial lifetime tests: deferred fused results, backward freeing its temporaries,
 * autodiff.Function's saved tensors, and the buffers a training step leaves behind.
 */
import {
  add,
  autodiff,
  conv2dPrimitive,
  fusedConv2d,
  fusedLinear,
  GradManager,
  JsBackend,
  matmul,
  memory,
  mul,
  noGrad,
  Parameter,
  random,
  ready,
  registerBackend,
  relu,
  type Tensor,
  tensor,
  tidy,
} from '@mge/core';
import { describe, expect, it } from 'vitest';

const vals = async (t: Tensor | null) => Array.from(await (t as Tensor).data());
const live = () => memory().js.liveBuffers;
/** A GradManager recording with `params` attached (Python: `with gm:`). */
const recording = (...params: Tensor[]) => new GradManager().attach(params).record();
const rn = (...shape: number[]) => random.randn(...shape);
function expectClose(got: number[], want: number[], digits = 4): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) expect(got[i], `element ${i}`).toBeCloseTo(want[i], digits);
}

// linear: x (2,3) · wᵀ (w is (2,3)) + b
const lx = () => tensor([1, -2, 3, -1, 0, 2], { shape: [2, 3] });
const lw = () => tensor([1, 1, 1, 2, -1, 0], { shape: [2, 3] });
const lb = () => tensor([-1, 0.5]);
const LIN = [1, 4.5, 0, -1.5]; // x·wᵀ = [2, 4, 1, -2], + b
const RELU = LIN.map((v) => Math.max(v, 0));

describe('deferred fused results', () => {
  it('reads the same values when used twice, after a fused relu and after a second fused relu', async () => {
    const y = fusedLinear(lx(), lw(), lb());
    const r1 = relu(y);
    const r2 = y.relu();
    expect(await vals(r1)).toEqual(RELU);
    expect(await vals(y)).toEqual(LIN);
    expect(await vals(y)).toEqual(LIN);
    expect(await vals(r2)).toEqual(RELU);
    expect(await vals(relu(y))).toEqual(RELU); // computed by now: an ordinary relu
  });

  it('reshapes, transposes, indexes, prints and moves like an eager tensor', async () => {
    expect(await vals(fusedLinear(lx(), lw(), lb()).reshape(4))).toEqual(LIN);
    expect(await vals(fusedLinear(lx(), lw(), lb()).transpose([1, 0]))).toEqual([1, 0, 4.5, -1.5]);
    expect(await vals(fusedLinear(lx(), lw(), lb()).index(1))).toEqual([0, -1.5]);
    expect(fusedLinear(lx(), lw(), lb()).toString()).toContain('4.5');
    const y = fusedLinear(lx(), lw(), lb());
    expect(y.to('js').device).toBe('js');
    expect(await vals(y.to('js'))).toEqual(LIN);
  });

  it('survives nested tidies that dispose its inputs, fused or not', async () => {
    const before = live();
    const [y, r] = tidy(() => {
      const inner = tidy(() => fusedLinear(lx().neg().neg(), lw(), lb()));
      return [inner, tidy(() => relu(fusedLinear(lx(), lw().neg().neg(), lb())))];
    });
    expect(await vals(r)).toEqual(RELU);
    expect(await vals(y)).toEqual(LIN);
    y.dispose();
    r.dispose();
    expect(live()).toBe(before);
  });

  it('a deferred result disposed unread, even by tidy, gives back every buffer it held', () => {
    const before = live();
    tidy(() => {
      const y = fusedConv2d(rn(1, 2, 5, 5), rn(3, 2, 3, 3), rn(1, 3, 1, 1));
      relu(y); // fused, then y itself is never read
    });
    expect(live()).toBe(before);
  });

  it('throws an error mentioning dispose when used after dispose, fused or not', () => {
    const y = fusedLinear(lx(), lw(), lb());
    y.dispose();
    expect(y.isDisposed).toBe(true);
    expect(() => y.dataSync()).toThrow(/dispose/);
    expect(() => relu(y)).toThrow(/dispose/);
    expect(() => y.reshape(4)).toThrow(/dispose/);
    expect(() => y.add(1)).toThrow(/dispose/);
    expect(() => fusedLinear(y, tensor([1, 2, 3, 4], { shape: [2, 2] }))).toThrow(/dispose/);
  });

  it('keeps the weights it was called with when an optimizer-style step updates them first', async () => {
    const w = new Parameter(lw());
    const x = lx();
    const y = fusedLinear(x, w, lb());
    const yr = fusedLinear(x, w); // relu fused after the update: still the old weights
    noGrad(() => tidy(() => void w._reset(w.sub(w.mul(1)))));
    expect(await vals(w)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(await vals(relu(yr))).toEqual([2, 4, 1, 0]);
    expect(await vals(y)).toEqual(LIN);
    expect(await vals(fusedLinear(x, w, lb()))).toEqual([-1, 0.5, -1, 0.5]);
  });

  it('can be the initial value of a Parameter that then trains', async () => {
    const p = new Parameter(fusedLinear(lx(), lw(), lb()));
    expect(await vals(p)).toEqual(LIN);
    recording(p).backward(p.mul(p).sum());
    expectClose(
      await vals(p.grad),
      LIN.map((v) => 2 * v),
    );
  });
});

describe('gradients through deferred results', () => {
  const setup = () => {
    random.seed(7);
    return {
      x: new Parameter(rn(2, 3, 5, 5)),
      w: new Parameter(rn(4, 3, 3, 3)),
      b: new Parameter(rn(1, 4, 1, 1)),
      c: rn(2, 4, 3, 3),
    };
  };
  // loss = Σ relu(y)·c + Σ y·y: y feeds relu (fusable) and mul (computes it)
  it('match conv2dPrimitive + add + relu when the result feeds relu and another operator, in either order', async () => {
    const grads = async (mode: 'unfused' | 'relu first' | 'mul first') => {
      const { x, w, b, c } = setup();
      const gm = recording(x, w, b);
      const y = mode === 'unfused' ? add(conv2dPrimitive(x, w), b) : fusedConv2d(x, w, b);
      const sq = mode === 'mul first' ? mul(y, y) : null; // computes y before relu can fuse
      const loss = add(mul(relu(y), c).sum(), (sq ?? mul(y, y)).sum());
      gm.backward(loss);
      return [await vals(loss), await vals(x.grad), await vals(w.grad), await vals(b.grad)];
    };
    const want = await grads('unfused');
    for (const mode of ['relu first', 'mul first'] as const) {
      const got = await grads(mode);
      for (let i = 0; i < want.length; i++) expectClose(got[i], want[i], 3);
    }
  });

  it('match matmul + add + relu for a weight shared by two fused layers, attached alone', async () => {
    const grad = async (fused: boolean) => {
      random.seed(1);
      const w = new Parameter(rn(3, 3));
      const [b, x] = [rn(3), rn(2, 3)];
      const gm = recording(w); // x and b need no gradient: their rules skip it
      const lin = (h: Tensor) => (fused ? fusedLinear(h, w, b) : matmul(h, w, false, true).add(b));
      const y1 = lin(x);
      gm.backward(
        relu(lin(relu(y1)))
          .mul(y1.sum())
          .sum(),
      );
      return vals(w.grad);
    };
    expectClose(await grad(true), await grad(false));
  });

  it('give no history to relu of a result made before gm.record() or under noGrad', () => {
    const w = new Parameter(lw());
    const gm = new GradManager().attach(w);
    const before = fusedLinear(lx(), w, lb());
    gm.record();
    const paused = noGrad(() => fusedLinear(lx(), w, lb()));
    // eager semantics: neither result was recorded, so neither relu has history
    expect(() => gm.backward(relu(paused).sum())).toThrow(/no computation history/);
    gm.record();
    expect(() => gm.backward(relu(before).sum())).toThrow(/no computation history/);
    expect(w.grad).toBeNull();
  });

  it('reach an attached conv output that relu consumes (Grad-CAM style gm.attach of an activation)', async () => {
    const y = fusedConv2d(lx().reshape(1, 1, 2, 3), tensor([1, -1], { shape: [2, 1, 1, 1] }));
    recording(y).backward(
      relu(y)
        .mul(tensor([1, 2, 3, 4, 5, 6], { shape: [1, 2, 1, 3] }))
        .sum(),
    );
    expect(await vals(y.grad)).toEqual([1, 0, 3, 0, 0, 3, 0, 5, 0, 4, 0, 0]);
  });
});

describe('backward frees only its own temporaries', () => {
  it('sums the gradients of a parameter reached along two paths and through mul(p, p)', async () => {
    const p = new Parameter(tensor([1, -2, 3]));
    recording(p).backward(add(mul(p, p), p.mul(3)).add(p).sum());
    expect(await vals(p.grad)).toEqual([6, 0, 10]);
  });

  it("leaves the user's dy readable when add passes it straight to two parameters", async () => {
    const a = new Parameter(tensor([1, 2]));
    const b = new Parameter(tensor([3, 4]));
    const dy = tensor([5, -6]);
    const gm = recording(a, b);
    gm.backward(add(a, b), dy);
    expect(await vals(dy)).toEqual([5, -6]);
    expect(await vals(a.grad)).toEqual([5, -6]);
    expect(await vals(b.grad)).toEqual([5, -6]);
    gm.record();
    gm.backward(add(a, b), dy); // accumulating must not dispose dy either
    expect(await vals(dy)).toEqual([5, -6]);
    expect(await vals(a.grad)).toEqual([10, -12]);
    expect(await vals(b.grad)).toEqual([10, -12]);
  });

  it('keeps .grad readable after the user disposes the dy they passed', async () => {
    const a = new Parameter(tensor([1, 2]));
    const dy = tensor([5, -6]);
    recording(a).backward(add(a, tensor([3, 4])), dy);
    dy.dispose(); // the caller owns dy; a's gradient must not be dy itself
    expect(await vals(a.grad)).toEqual([5, -6]);
  });

  it('frees the ones it seeds dy with: only the gradient is left', () => {
    const p = new Parameter(tensor([1, 2, 3]));
    const gm = recording(p);
    const y = p.mul(p);
    const before = live();
    gm.backward(y);
    expect(live() - before).toBe(1);
  });

  it('accumulating into .grad leaves no replaced gradient buffer behind', async () => {
    const p = new Parameter(tensor([1, 2]));
    const dy = tensor([1, 1]);
    recording(p).backward(p.mul(p), dy);
    const gm = recording(p);
    const y = p.mul(p);
    const before = live();
    gm.backward(y, dy);
    expect(live() - before).toBe(0); // one gradient before, one after
    expect(await vals(p.grad)).toEqual([4, 8]);
  });

  it('gives .grad to an attached intermediate that has history of its own', async () => {
    const p = new Parameter(tensor([1, 2]));
    const gm = recording(p);
    const h = p.mul(2);
    gm.attach(h); // MegEngine: attach an activation to read its gradient
    gm.backward(h.mul(3).sum());
    expect(await vals(p.grad)).toEqual([6, 6]);
    expect(await vals(h.grad)).toEqual([3, 3]);
  });

  it('keeps intermediates the user holds (eager, deferred and fused) readable after backward', async () => {
    const w = new Parameter(lw());
    const x = lx();
    const gm = recording(w);
    const y = fusedLinear(x, w, lb());
    const r = relu(y);
    const h = matmul(r, tensor([1, 1], { shape: [2, 1] }));
    const loss = h.sum();
    gm.backward(loss);
    expect(await vals(h)).toEqual([5.5, 0]);
    expect(await vals(r)).toEqual(RELU);
    expect(await vals(y)).toEqual(LIN);
    expect(await vals(loss)).toEqual([5.5]);
    expect(await vals(x)).toEqual([1, -2, 3, -1, 0, 2]);
    expect(await vals(w.grad)).toEqual([1, -2, 3, 1, -2, 3]);
  });

  it('accumulates into .grad over two record sessions, also when backward runs inside tidy', async () => {
    const p = new Parameter(tensor([1, 2]));
    const q = new Parameter(tensor([3, 4]));
    const step = () =>
      tidy(() => {
        recording(p, q).backward(add(p.mul(q), p).sum());
      });
    step();
    step();
    expect(await vals(p.grad)).toEqual([8, 10]);
    expect(await vals(q.grad)).toEqual([2, 4]);
  });

  it('keeps both gradients of a rule that hands one tensor to two parameters after tidy', async () => {
    const a = new Parameter(tensor([1, 2]));
    const b = new Parameter(tensor([3, 4]));
    tidy(() => {
      recording(a, b).backward(add(a, b).mul(2).sum());
    });
    (a.grad as Tensor).dispose(); // b's gradient is a separate tensor: still readable
    expect(await vals(b.grad)).toEqual([2, 2]);
  });

  it('a Parameter made from an array frees its buffer when disposed', () => {
    const p = new Parameter([1, 2, 3]);
    const before = live();
    p.dispose();
    expect(live()).toBe(before - 1);
    expect(() => p.add(1)).toThrow(/dispose/);
  });

  it('a view disposed twice does not free the tensor it shares a buffer with', async () => {
    const t = tensor([1, 2, 3, 4]);
    const v = t.reshape(2, 2);
    v.dispose();
    expect(v.isDisposed).toBe(true);
    v.dispose();
    expect(await vals(t)).toEqual([1, 2, 3, 4]);
  });
});

describe('autodiff.Function lifetimes', () => {
  it('never disposes an input saved on this, and frees intermediates saved in arrays after backward', async () => {
    class MulAdd extends autodiff.Function {
      x: Tensor | null = null;
      parts: Tensor[] = [];
      forward(x: Tensor, w: Tensor): Tensor {
        this.x = x;
        const xw = mul(x, w);
        this.parts = [w, xw];
        return add(xw, x);
      }
      backward(dy: Tensor): Tensor[] {
        const [w, xw] = this.parts;
        return [mul(dy, add(w, 1)), mul(dy, this.x as Tensor).add(mul(xw, 0))];
      }
    }
    const [x, w] = [tensor([1, 2]), tensor([3, -1])]; // plain tensors: one reference each
    const gm = recording(x, w);
    const f = new MulAdd();
    const y = f.call(x, w);
    expect(f.parts[1].isDisposed).toBe(false);
    gm.backward(y.sum());
    expect(await vals(y)).toEqual([4, 0]);
    expect(x.isDisposed || w.isDisposed).toBe(false);
    expect(f.parts[1].isDisposed).toBe(true);
    expect(await vals(x.grad)).toEqual([4, 0]);
    expect(await vals(w.grad)).toEqual([1, 2]);
  });

  it('handles a forward that returns its input unchanged (gradient reversal) next to another path', async () => {
    class Reverse extends autodiff.Function {
      forward(x: Tensor): Tensor {
        return x;
      }
      backward(dy: Tensor): Tensor {
        return dy.neg();
      }
    }
    const p = tensor([1, 2]);
    const gm = recording(p);
    const y = new Reverse().call(p);
    // d/dp [sum(3·R(p)) + sum(p)] = -3 + 1
    gm.backward(add(y.mul(3).sum(), p.sum()));
    expect(p.isDisposed).toBe(false);
    expect(await vals(p.grad)).toEqual([-2, -2]);
  });

  it('keeps its own backward when its result is a deferred linear that relu then fuses', async () => {
    class ConstGradLinear extends autodiff.Function {
      w: Tensor | null = null;
      forward(x: Tensor, w: Tensor): Tensor {
        this.w = w;
        return fusedLinear(x, w);
      }
      backward(_dy: Tensor): (Tensor | null)[] {
        return [null, mul(this.w as Tensor, 0).add(7)];
      }
    }
    const w = new Parameter(lw());
    recording(w).backward(relu(new ConstGradLinear().call(lx(), w)).sum());
    expect(await vals(w.grad)).toEqual([7, 7, 7, 7, 7, 7]);
  });

  it('gives no gradient to an input whose backward gradient is null', async () => {
    class Scale extends autodiff.Function {
      forward(x: Tensor, s: Tensor): Tensor {
        return mul(x, s);
      }
      backward(dy: Tensor): (Tensor | null)[] {
        return [mul(dy, 5), null];
      }
    }
    const x = new Parameter(tensor([1, 2]));
    const s = new Parameter(tensor([5, 5]));
    recording(x, s).backward(new Scale().call(x, s).add(s).sum());
    expect(await vals(x.grad)).toEqual([5, 5]);
    expect(await vals(s.grad)).toEqual([1, 1]); // only the direct path
  });

  class Boom extends autodiff.Function {
    forward(x: Tensor): Tensor {
      add(mul(x, x), x);
      throw new Error('boom in forward');
    }
    backward(dy: Tensor): Tensor {
      return dy;
    }
  }

  it('recovers from an exception in forward: recording and tidy work as before', async () => {
    const p = new Parameter(tensor([1, 2]));
    const gm = recording(p);
    expect(() => new Boom().call(p)).toThrow('boom in forward');
    const y = p.mul(p); // recorded again: noGrad was left
    expect(tidy(() => y.add(1)).isDisposed).toBe(false);
    gm.backward(y.sum());
    expect(await vals(p.grad)).toEqual([2, 4]);
  });

  it('frees what forward made before it threw, as tidy does', () => {
    const before = live();
    expect(() => new Boom().call(tensor([1, 2]))).toThrow('boom in forward');
    expect(live() - before).toBe(1); // the input only
  });

  class Softplus extends autodiff.Function {
    saved: Tensor[] = [];
    forward(x: Tensor): Tensor {
      const e = x.exp();
      this.saved = [e.add(1)];
      return this.saved[0].log();
    }
    backward(dy: Tensor): Tensor {
      const onePlusE = this.saved[0];
      return mul(dy, onePlusE.sub(1).div(onePlusE));
    }
  }

  it('frees the tensors forward saved when nothing records the call (inference)', () => {
    const x = tensor([0, 1, 2]);
    new Softplus().call(x); // caches the scalar 1
    const before = live();
    const y = new Softplus().call(x);
    expect(live() - before).toBe(1); // the result only
    y.dispose();
  });

  it('lets tidy free the result and saved tensors of a call it does not return', () => {
    const x = tensor([0, 1, 2]);
    const before = live();
    tidy(() => void new Softplus().call(x).mul(2));
    expect(live()).toBe(before);
  });

  it('serves two GradManagers recording the same call (saved tensors outlive the first backward)', async () => {
    const p = new Parameter(tensor([0, 1]));
    const q = new Parameter(tensor([2, -1]));
    const [gp, gq] = [recording(p), recording(q)];
    const loss = new Softplus().call(p.mul(q)).sum();
    gp.backward(loss);
    gq.backward(loss);
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    expectClose(await vals(p.grad), [2 * sigmoid(0), -sigmoid(-1)]);
    expectClose(await vals(q.grad), [0, sigmoid(-1)]);
  });
});

describe('buffers left by a training step', () => {
  class MeanSquare extends autodiff.Function {
    diff: Tensor | null = null;
    forward(y: Tensor, t: Tensor): Tensor {
      this.diff = y.sub(t);
      return this.diff.mul(this.diff).mean();
    }
    backward(dy: Tensor): (Tensor | null)[] {
      const d = this.diff as Tensor;
      return [d.mul(dy.mul(2 / d.size)), null];
    }
  }
  random.seed(3);
  const params = [rn(8, 4), rn(8), rn(2, 8), rn(2)].map((t) => new Parameter(t));
  const [w1, b1, w2, b2] = params;
  const x = rn(5, 4);
  const target = rn(5, 2);
  const gm = new GradManager().attach(params);
  // what Optimizer.step does, then a clear_grad that frees the gradients at once
  const sgd = () =>
    noGrad(() =>
      tidy(() => {
        for (const p of params) p._reset(p.sub((p.grad as Tensor).mul(0.01)));
        for (const p of params) {
          p.grad?.dispose();
          p.grad = null;
        }
      }),
    );
  const step = () => {
    gm.record();
    const y1 = fusedLinear(x, w1, b1);
    const loss = new MeanSquare().call(fusedLinear(relu(y1), w2, b2), target);
    gm.backward(loss);
    sgd();
    return loss;
  };

  it('leaves no more buffers than its forward tensors (y1, relu(y1), y2, loss)', () => {
    step();
    const before = live();
    step();
    expect(live() - before).toBeLessThanOrEqual(4);
  });

  it('leaves nothing behind inside tidy, and trains', () => {
    const first = step().item();
    const before = live();
    const later = tidy(() => step().item());
    expect(live() - before).toBe(0);
    expect(later).toBeLessThan(first);
  });

  it('a fused pre-activation nobody reads does not keep weights the optimizer replaced', () => {
    const src = lw();
    const w = new Parameter(src);
    src.dispose(); // the parameter shares src's buffer; now it alone holds it
    const xi = lx();
    const before = live();
    const r = relu(fusedLinear(xi, w));
    noGrad(() => tidy(() => void w._reset(w.neg())));
    expect(live() - before).toBe(1); // r; the old weights are garbage
    expect(r.dataSync()[0]).toBe(2);
  });
});

describe('Backend.buffersCollected', () => {
  it('a backend whose buffers the GC frees still gets every disposed or tidied buffer back exactly once', async () => {
    const released: unknown[] = [];
    class Collected extends JsBackend {
      override readonly buffersCollected = true;
      override release(buf: Parameters<JsBackend['release']>[0]): void {
        released.push(buf);
        super.release(buf);
      }
    }
    registerBackend('collected', () => new Collected(), 1);
    await ready();
    const device = 'collected';
    const x = tensor([1, -2, 3, -1, 0, 2], { shape: [2, 3], device });
    const [y, r] = tidy(() => {
      const w = tensor([1, 1, 1, 2, -1, 0], { shape: [2, 3], device });
      const b = tensor([-1, 0.5], { device });
      return [fusedLinear(x, w, b), relu(fusedLinear(x.reshape(2, 3), w, b))];
    });
    expect(await vals(r)).toEqual(RELU);
    expect(await vals(y)).toEqual(LIN);
    for (const t of [x, y, r, x, y]) t.dispose();
    expect(memory()[device].liveBuffers).toBe(0);
    expect(new Set(released).size).toBe(released.length);
  });
});
