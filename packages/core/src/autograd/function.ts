import { shapesEqual, shapeToString } from '../shape.js';
import { Tensor, view } from '../tensor.js';
import { trackCreated, trackInScope } from '../tidy.js';
import { type GradRule, noGrad, recordOp } from './tape.js';

/**
 * MegEngine's autodiff.Function: an operator whose gradient is written by hand, for
 * compositions whose own gradient is cheaper than the one autograd would chain
 * (log-softmax, cross-entropy) or that autograd cannot see through.
 *
 *   class Square extends autodiff.Function {
 *     forward(x: Tensor) { this.x = x; return x.mul(x); }
 *     backward(dy: Tensor) { return dy.mul(this.x).mul(2); }
 *   }
 *   const y = new Square().call(x);
 *
 * forward runs with recording off; the result gets one autograd node whose gradient is
 * `backward(dy)`: one gradient per input (a Tensor when there is one input; null where
 * an input gets none). One output tensor per call. Tensors forward makes are freed when
 * it returns, except its result and those it saves on `this` (directly or in arrays),
 * which are freed after backward — so save there whatever backward needs.
 */
export abstract class AutodiffFunction {
  abstract forward(...inputs: Tensor[]): Tensor;
  abstract backward(dy: Tensor): Tensor | null | (Tensor | null)[];

  call(...inputs: Tensor[]): Tensor {
    const name = this.constructor.name || 'Function';
    inputs.forEach((x, i) => {
      if (!(x instanceof Tensor))
        throw new TypeError(`${name}.call: argument ${i} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
    });
    const made = new Set<Tensor>();
    let out: Tensor;
    try {
      out = noGrad(() => trackCreated(made, () => this.forward(...inputs)));
      if (!(out instanceof Tensor)) throw new TypeError(`${name}.forward must return a Tensor, got ${out === null ? 'null' : typeof out}`);
    } catch (e) {
      for (const t of made) t.dispose();
      throw e;
    }
    // a result that is an input (gradient reversal) gets its own tensor, so that it gets its own node
    const y = inputs.includes(out) ? view(out, out.shape) : out;
    // What forward made is freed now, except the result and what it saved on `this` for
    // backward; those saved tensors are freed once every tape that recorded the call has used them.
    const saved = savedTensors(this);
    for (const t of made) if (t !== y && !saved.has(t)) t.dispose();
    const internal = [...saved].filter((t) => made.has(t) && t !== y);
    // like any operator's result, the result (and what it needs) belongs to an enclosing tidy()
    for (const t of internal) trackInScope(t);
    if (made.has(y)) trackInScope(y);
    const pending = { n: 0 };
    pending.n = recordOp(inputs, y, functionGrad(this, name, inputs, internal, pending));
    if (pending.n === 0) for (const t of internal) t.dispose(); // nothing recorded the call: backward will never need them
    return y;
  }
}

/**
 * The rule of one call: it keeps the inputs' shapes, not the inputs (backward reads only what
 * forward saved, so an input nothing else needs — batch norm's pre-normalisation activation —
 * is freed after the forward pass). Made outside `call`, whose context holds the inputs.
 */
function functionGrad(
  fn: AutodiffFunction,
  name: string,
  inputs: readonly Tensor[],
  internal: readonly Tensor[],
  pending: { n: number },
): GradRule {
  const inputShapes = inputs.map((x) => x.shape);
  return (dy) => {
    const g = fn.backward(dy);
    const grads = Array.isArray(g) ? g : [g];
    if (grads.length !== inputShapes.length) {
      throw new Error(`${name}.backward must return ${inputShapes.length} gradient(s), one per input, got ${grads.length}`);
    }
    grads.forEach((gi, i) => {
      if (gi !== null && gi !== undefined && !(gi instanceof Tensor && shapesEqual(gi.shape, inputShapes[i]))) {
        throw new Error(
          `${name}.backward: the gradient of input ${i} must be null or a Tensor of shape ${shapeToString(inputShapes[i])}, got ${gi instanceof Tensor ? shapeToString(gi.shape) : typeof gi}`,
        );
      }
    });
    if (--pending.n === 0) for (const t of internal) if (!grads.includes(t)) t.dispose();
    return grads;
  };
}

/** The tensors an object keeps in its own properties (directly or in arrays). */
function savedTensors(obj: object): Set<Tensor> {
  const out = new Set<Tensor>();
  for (const v of Object.values(obj)) {
    if (v instanceof Tensor) out.add(v);
    else if (Array.isArray(v)) for (const e of v) if (e instanceof Tensor) out.add(e);
  }
  return out;
}

/** `autodiff.Function`, as MegEngine spells it (a bare `Function` would shadow the global). */
export const autodiff = { Function: AutodiffFunction };
