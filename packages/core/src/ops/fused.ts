import { recordOp } from '../autograd/tape.js';
import type { Activation, Backend, Conv2dParams, Epilogue, MatmulParams, TensorRef } from '../backend.js';
import { getBackend } from '../registry.js';
import { shapeToString, sizeOf } from '../shape.js';
import { Storage } from '../storage.js';
import { type Deferred, Tensor, wrap } from '../tensor.js';
import { opRecorder, recordKernel } from '../trace-hook.js';
import { type Conv2dOptions, conv2dGrads, conv2dParams } from './conv.js';
import { assertFloat, assertRank, assertTensor, commonDevice } from './engine.js';
import { matmulGrads } from './matmul.js';
import { reshape } from './movement.js';
import { sum } from './reduce.js';
import { markReluOutput, reluGrad } from './relu-mask.js';

/*
 * Convolutions and matrix products with their bias and activation fused into the
 * kernel's epilogue (Backend `Epilogue`), so that conv → +bias → relu is one pass over
 * memory instead of three, forward and backward.
 *
 * Eager code does not know the next operator, so a result without an activation is
 * deferred (Tensor.deferred): when the first thing done with it is relu, relu is fused
 * too; any other use computes it then, as conv + bias. A deferred result that has been
 * fused and is then used itself is computed a second time — rare (a pre-activation that
 * is also kept), and still correct as long as its inputs are alive; tidy() computes the
 * deferred results it returns before it frees anything.
 */

/** A deferred result that relu can fuse into. */
export interface FusableDeferred extends Deferred {
  fuse(activation: Activation): Tensor;
}

/** One value per output channel, in `expected` (the layer's own shape) or any shape of 1s and that count. */
function checkBias(op: string, bias: Tensor, expected: readonly number[]): void {
  assertTensor(op, bias, 'bias');
  assertFloat(op, bias, 'bias');
  const channels = sizeOf(expected);
  if (bias.size !== channels || bias.shape.some((d) => d !== 1 && d !== channels)) {
    throw new Error(`${op}: argument 'bias' must have shape ${shapeToString(expected)}, got ${shapeToString(bias.shape)}`);
  }
}

/**
 * One fused call: its inputs, how to run the kernel, and its gradient. As a deferred
 * value it holds its inputs' buffers (refs, not just the tensors): it is computed from the
 * values they had when the operator was called, even if an input is disposed (tidy) or a
 * parameter updated in place first. The holds end when it is computed or disposed; if it
 * is collected instead, the buffers go with their Storage's own finalizer.
 */
abstract class FusedOp implements FusableDeferred {
  readonly device: string;
  private readonly storages: Storage[];
  private holding = false;
  /** The deferred result, once `run` made one. */
  private result: Tensor | null = null;

  constructor(
    readonly op: string,
    /** [x, weight] or [x, weight, bias] */
    readonly inputs: Tensor[],
    readonly outShape: readonly number[],
    /** How many output channels the bias spans. */
    readonly channels: number,
  ) {
    this.device = commonDevice(op, inputs);
    for (const t of inputs) t.ref(op); // fails now, not later, if an input was disposed
    this.storages = inputs.map((t) => t.storage);
  }

  protected abstract kernel(backend: Backend, x: TensorRef, w: TensorRef, epilogue: Epilogue | undefined): unknown;
  /** Gradients of x and weight from the gradient at the pre-activation output. */
  protected abstract grads(dz: Tensor, needs: readonly boolean[]): (Tensor | null)[];
  /** The bias gradient, in the bias's own shape. */
  protected abstract biasGrad(dz: Tensor, bias: Tensor): Tensor;

  /** The result now with `activation`, or deferred without one. */
  run(activation: Activation | undefined): Tensor {
    if (activation) return this.fuse(activation);
    for (const s of this.storages) s.refs++;
    this.holding = true;
    const out = new Tensor(this, this.outShape, 'float32');
    this.result = out;
    this.record(out, undefined);
    return out;
  }

  compute(): Storage {
    const [backend, buf] = this.launch(undefined);
    this.result = null; // the gradient rule holds this op: it must not hold the computed result too
    this.dispose();
    return new Storage(backend, this.device, buf, 'float32', sizeOf(this.outShape));
  }

  fuse(activation: Activation): Tensor {
    const [backend, buf] = this.launch(activation);
    const out = wrap(backend, this.device, buf, this.outShape, 'float32');
    markReluOutput(out); // relu is the only activation
    const pre = this.result;
    if (pre) {
      // relu of the deferred result: its gradient goes through the result's own history
      // (which may be none, or attached, or an autodiff.Function's), not around it
      recordOp([pre], out, (dy) => [reluGrad(dy, out)]);
      // Nobody is likely to read the pre-activation now, so its inputs are no longer held:
      // an optimizer step frees the old weights at once. Reading it later still works while
      // its inputs' buffers are alive (buffers never change), and fails clearly otherwise.
      this.dispose();
    } else {
      this.record(out, activation);
    }
    return out;
  }

  dispose(): void {
    if (!this.holding) return;
    this.holding = false;
    for (const s of this.storages) if (--s.refs <= 0) s.release();
  }

  private ref(i: number, shape = this.inputs[i].shape): TensorRef {
    return { buf: this.storages[i].buf, shape, dtype: 'float32' };
  }

  private launch(activation: Activation | undefined): [Backend, unknown] {
    if (!this.holding && this.result && this.storages.some((s) => s.released)) {
      throw new Error(
        `${this.op}: this result was deferred and relu was fused into it; one of its inputs has since been freed (disposed, or replaced by an optimizer step), so it can no longer be computed — read it before freeing its inputs`,
      );
    }
    const backend = getBackend(this.device);
    const bias = this.inputs.length > 2 ? this.ref(2, [this.channels]) : undefined;
    const epilogue = bias || activation ? { bias, activation } : undefined;
    const run = (k: Backend) => this.kernel(k, this.ref(0), this.ref(1), epilogue);
    const r = opRecorder();
    return [backend, r ? recordKernel(r, this.op, this.inputs, backend, this.device, this.outShape, 'float32', run) : run(backend)];
  }

  private record(out: Tensor, activation: Activation | undefined): void {
    const y = activation === 'relu' ? out : null; // only relu's gradient reads the output: else it is not held
    recordOp(this.inputs, out, (dy, needs) => {
      const dz = y ? reluGrad(dy, y) : dy;
      const [dx, dw] = this.grads(dz, needs);
      const bias = this.inputs[2];
      return [dx, dw, bias && needs[2] ? this.biasGrad(dz, bias) : null];
    });
  }
}

class Conv2dOp extends FusedOp {
  constructor(
    inputs: Tensor[],
    private readonly p: Conv2dParams,
  ) {
    super('conv2d', inputs, [p.n, p.o, p.oh, p.ow], p.o);
  }
  protected kernel(k: Backend, x: TensorRef, w: TensorRef, epilogue: Epilogue | undefined): unknown {
    return k.conv2d(x, w, this.p, epilogue);
  }
  protected grads(dz: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
    return conv2dGrads(this.inputs[0], this.inputs[1], dz, this.p, needs);
  }
  protected biasGrad(dz: Tensor, bias: Tensor): Tensor {
    return reshape(sum(dz, [0, 2, 3], true), bias.shape);
  }
}

class LinearOp extends FusedOp {
  constructor(
    inputs: Tensor[],
    private readonly p: MatmulParams,
  ) {
    super('linear', inputs, [p.m, p.n], p.n);
  }
  protected kernel(k: Backend, x: TensorRef, w: TensorRef, epilogue: Epilogue | undefined): unknown {
    return k.matmul(x, w, this.p, epilogue);
  }
  protected grads(dz: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
    return matmulGrads(this.inputs[0], this.inputs[1], dz, false, true, needs);
  }
  protected biasGrad(dz: Tensor, bias: Tensor): Tensor {
    return reshape(sum(dz, 0), bias.shape);
  }
}

/**
 * conv2d(x, weight) + bias, then the activation, as one kernel. bias holds one value per
 * output channel ((1,O,1,1) as MegEngine's Conv2d keeps it, or (O,)).
 */
export function fusedConv2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: Conv2dOptions = {},
  activation?: Activation,
): Tensor {
  const op = 'conv2d';
  const p = conv2dParams(op, x, weight, options);
  if (bias !== null) checkBias(op, bias, [1, p.o, 1, 1]);
  checkActivation(op, activation);
  return new Conv2dOp(bias ? [x, weight, bias] : [x, weight], p).run(activation);
}

/** x (M, K) · weightᵀ (weight is (N, K), as Linear keeps it) + bias (N), then the activation, as one kernel. */
export function fusedLinear(x: Tensor, weight: Tensor, bias: Tensor | null = null, activation?: Activation): Tensor {
  const op = 'linear';
  assertTensor(op, x, 'inp');
  assertTensor(op, weight, 'weight');
  assertFloat(op, x, 'inp');
  assertFloat(op, weight, 'weight');
  assertRank(op, x, 'inp', 2);
  assertRank(op, weight, 'weight', 2);
  const [m, k] = x.shape;
  const [n, kw] = weight.shape;
  if (k !== kw)
    throw new Error(`${op}: inp ${shapeToString(x.shape)} has ${k} features but weight ${shapeToString(weight.shape)} expects ${kw}`);
  if (bias !== null) checkBias(op, bias, [n]);
  checkActivation(op, activation);
  const p: MatmulParams = { batch: 1, m, n, k, transA: false, transB: true, batchA: 1, batchB: 1 };
  return new LinearOp(bias ? [x, weight, bias] : [x, weight], p).run(activation);
}

function checkActivation(op: string, activation: Activation | undefined): void {
  if (activation !== undefined && activation !== 'relu') {
    throw new TypeError(`${op}: argument 'activation' must be 'relu' or undefined, got ${JSON.stringify(activation)}`);
  }
}
