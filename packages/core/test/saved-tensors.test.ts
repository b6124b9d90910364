/**
 * What autograd keeps until backward: only what each gradient reads. An intermediate the
 * gradient does not need (relu's input, a residual sum, batch norm's input, a convolution's
 * result) must become garbage after the forward pass, or every training step holds all of its
 * activations twice.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { add, autodiff, BINARY, fusedConv2d, GradManager, mul, Parameter, relu, sum, type Tensor, tensor, UNARY } from '@mge/core';
import { describe, expect, it } from 'vitest';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** True when `make`'s intermediate is collected while the recorded loss it fed is still alive. */
async function collectedWhileRecorded(make: (x: Tensor) => { mid: Tensor; loss: Tensor }): Promise<boolean> {
  const x = new Parameter(
    Float32Array.from({ length: 64 }, (_, i) => (i % 7) - 3),
    { shape: [1, 1, 8, 8] },
  );
  const gm = new GradManager().attach([x]);
  gm.record();
  let ref: WeakRef<Tensor> | undefined;
  const loss = (() => {
    const { mid, loss } = make(x);
    ref = new WeakRef(mid);
    return loss;
  })();
  await new Promise((r) => setTimeout(r, 0)); // a WeakRef made in this job keeps its target until the job ends
  gc();
  const collected = ref?.deref() === undefined;
  gm.backward(loss); // the gradient still works without it
  expect(x.grad).not.toBeNull();
  return collected;
}

class Double extends autodiff.Function {
  forward(x: Tensor): Tensor {
    return mul(x, 2);
  }
  backward(dy: Tensor): Tensor {
    return mul(dy, 2);
  }
}

describe('saved tensors', () => {
  it("relu's gradient keeps its output, not its input", async () => {
    expect(
      await collectedWhileRecorded((x) => {
        const mid = mul(x, 3);
        return { mid, loss: sum(relu(mid)) };
      }),
    ).toBe(true);
  });

  it("add's gradient keeps neither operand (a residual sum)", async () => {
    expect(
      await collectedWhileRecorded((x) => {
        const mid = mul(x, 3);
        return { mid, loss: sum(relu(add(mid, x))) };
      }),
    ).toBe(true);
  });

  it('an autodiff.Function keeps what forward saved, not its inputs', async () => {
    expect(
      await collectedWhileRecorded((x) => {
        const mid = mul(x, 3);
        return { mid, loss: sum(new Double().call(mid)) };
      }),
    ).toBe(true);
  });

  it("a convolution's gradient keeps its input and weight, not its result", async () => {
    const w = new Parameter(
      Float32Array.from({ length: 9 }, (_, i) => i / 9 - 0.4),
      { shape: [1, 1, 3, 3] },
    );
    expect(
      await collectedWhileRecorded((x) => {
        const mid = fusedConv2d(mul(x, w.reshape([9]).sum()), w, null, { padding: 1 });
        return { mid, loss: sum(new Double().call(mid)) };
      }),
    ).toBe(true);
  });

  it("mul's gradient does keep both operands (the control: the check can fail)", async () => {
    expect(
      await collectedWhileRecorded((x) => {
        const mid = mul(x, 3);
        return { mid, loss: sum(mul(mid, x)) };
      }),
    ).toBe(false);
  });

  it("every row's gradient reads only what its gradReads names", () => {
    // an operand the row says it does not read throws when read or passed to any operator
    const offs = new Set<unknown>();
    const op = (...a: unknown[]) => {
      if (a.some((v) => offs.has(v))) throw new Error('an operator got an operand the row does not read');
      return a[0];
    };
    const o = new Proxy({}, { get: () => op }) as never;
    const off = (name: string) => {
      const p = new Proxy(
        {},
        {
          get: (_t, k) => {
            throw new Error(`read ${name}.${String(k)}`);
          },
        },
      ) as Tensor;
      offs.add(p);
      return p;
    };
    const dy = tensor([1]);
    for (const row of Object.values(UNARY)) {
      if (!row.grad) continue;
      const reads: readonly string[] = row.gradReads ?? ['x', 'y'];
      expect(() => row.grad?.(o, reads.includes('x') ? dy : off('x'), reads.includes('y') ? dy : off('y'), dy), row.name).not.toThrow();
    }
    for (const row of Object.values(BINARY)) {
      if (!row.grad) continue;
      const reads: readonly string[] = row.gradReads ?? ['a', 'b', 'y'];
      const arg = (k: string) => (reads.includes(k) ? dy : off(k));
      expect(() => row.grad?.(o, arg('a'), arg('b'), arg('y'), dy), row.name).not.toThrow();
    }
  });
});
