import { Tensor } from '../tensor.js';
import { noGrad, recordOp } from './tape.js';

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
 * an input gets none). One output tensor per call.
 */
export abstract class AutodiffFunction {
  abstract forward(...inputs: Tensor[]): Tensor;
  abstract backward(dy: Tensor): Tensor | null | (Tensor | null)[];

  call(...inputs: Tensor[]): Tensor {
    const name = this.constructor.name || 'Function';
    inputs.forEach((x, i) => {
      if (!(x instanceof Tensor)) throw new TypeError(`${name}.call: argument ${i} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
    });
    const y = noGrad(() => this.forward(...inputs));
    if (!(y instanceof Tensor)) throw new TypeError(`${name}.forward must return a Tensor, got ${y === null ? 'null' : typeof y}`);
    recordOp(inputs, y, (dy) => {
      const g = this.backward(dy);
      const grads = Array.isArray(g) ? g : [g];
      if (grads.length !== inputs.length) {
        throw new Error(`${name}.backward must return ${inputs.length} gradient(s), one per input, got ${grads.length}`);
      }
      grads.forEach((gi, i) => {
        if (gi !== null && gi !== undefined && !(gi instanceof Tensor && gi.shape.length === inputs[i].shape.length && gi.shape.every((d, k) => d === inputs[i].shape[k]))) {
          throw new Error(`${name}.backward: the gradient of input ${i} must be null or a Tensor of shape [${inputs[i].shape}], got ${gi instanceof Tensor ? `[${gi.shape}]` : typeof gi}`);
        }
      });
      return grads;
    });
    return y;
  }
}

/** `autodiff.Function`, as MegEngine spells it (a bare `Function` would shadow the global). */
export const autodiff = { Function: AutodiffFunction };
