import { recordOp } from '../autograd/tape.js';
import type { Activation, Backend, Epilogue, MatmulParams, TensorRef } from '../backend.js';
import { getBackend } from '../registry.js';
import { shapeToString, sizeOf } from '../shape.js';
import { Storage } from '../storage.js';
import { type Deferred, Tensor, wrap } from '../tensor.js';
import { mul } from './binary.js';
import { type Conv2dOptions, conv2dGrads, conv2dParams } from './conv.js';
import { assertFloat, assertRank, assertTensor, commonDevice } from './engine.js';
import { matmulGrads } from './matmul.js';
import { reshape } from './movement.js';
import { sum } from './reduce.js';
import { sign } from './unary.js';

/*
 * Convolutions and matrix products with their bias and activation fused into the
 * kernel's epilogue (Backend `Epilogue`), so that conv → +bias → relu is one pass over
 * memory instead of three, forward and backward.
 *
 * Eager code does not know the next operator, so a result without an activation is
 * deferred (Tensor.deferred): when the first thing done with it is relu, relu is fused
 * too; any other use computes it then, as conv + bias. A deferred result that has been
 * fused and is then used itself is computed a second time — rare (a pre-activation that
 * is also kept), and still correct.
 */

/** A deferred result that relu can fuse into. */
export interface FusableDeferred extends Deferred {
  fuse(activation: Activation): Tensor;
}

interface FusedSpec {
  op: string;
  /** [x, weight] or [x, weight, bias] */
  inputs: Tensor[];
  outShape: readonly number[];
  /** How many output channels the bias spans. */
  channels: number;
  /** Runs the kernel on [x, weight] refs. */
  kernel(backend: Backend, x: TensorRef, w: TensorRef, epilogue: Epilogue | undefined): unknown;
  /** Gradients of x and weight from the gradient at the pre-activation output. */
  grads(dz: Tensor, needs: readonly boolean[]): (Tensor | null)[];
  /** The bias gradient, in the bias's own shape. */
  biasGrad(dz: Tensor, bias: Tensor): Tensor;
}

/**
 * A deferred result holds its inputs' buffers (not just the tensors): it is computed
 * from the values they had when the operator was called, even if an input is disposed
 * (tidy) or a parameter is updated in place before that. The holds end when the result
 * is computed, disposed, or collected.
 */
const heldInputs = new FinalizationRegistry<Storage[]>((held) => releaseAll(held));

function releaseAll(held: Storage[]): void {
  for (const s of held) if (--s.refs <= 0) s.release();
}

function checkBias(op: string, bias: Tensor, channels: number): void {
  assertTensor(op, bias, 'bias');
  assertFloat(op, bias, 'bias');
  if (bias.size !== channels || bias.shape.some((d) => d !== 1 && d !== channels)) {
    throw new Error(`${op}: argument 'bias' must hold one value per output channel (${channels}), got shape ${shapeToString(bias.shape)}`);
  }
}

function runFused(spec: FusedSpec, activation: Activation | undefined): Tensor {
  const { op, inputs, outShape, channels } = spec;
  const device = commonDevice(op, inputs);
  for (const t of inputs) t.ref(op); // fails now, not later, if an input was disposed
  const bias = inputs[2] as Tensor | undefined;
  const storages = inputs.map((t) => t.storage);
  const ref = (i: number, shape = inputs[i].shape): TensorRef => ({ buf: storages[i].buf, shape, dtype: 'float32' });

  const compute = (act: Activation | undefined): [Backend, unknown] => {
    const backend = getBackend(device);
    const biasRef = bias && ref(2, [channels]);
    const epilogue = biasRef || act ? { bias: biasRef, activation: act } : undefined;
    return [backend, spec.kernel(backend, ref(0), ref(1), epilogue)];
  };
  const record = (out: Tensor, act: Activation | undefined) =>
    recordOp(inputs, out, (dy, needs) => {
      const dz = act === 'relu' ? mul(dy, sign(out)) : dy; // relu's output is 0 or positive: its sign is the mask
      const [dx, dw] = spec.grads(dz, needs);
      return [dx, dw, bias && needs[2] ? spec.biasGrad(dz, bias) : null];
    });
  const materialised = (act: Activation | undefined): Tensor => {
    const [backend, buf] = compute(act);
    const out = wrap(backend, device, buf, outShape, 'float32');
    record(out, act);
    return out;
  };

  if (activation) return materialised(activation);
  for (const s of storages) s.refs++;
  const token = {};
  let holding = true;
  const letGo = () => {
    if (!holding) return;
    holding = false;
    heldInputs.unregister(token);
    releaseAll(storages);
  };
  const deferred: FusableDeferred = {
    device,
    compute: () => {
      const [backend, buf] = compute(undefined);
      letGo();
      return new Storage(backend, device, buf, 'float32', sizeOf(outShape));
    },
    fuse: (act) => materialised(act),
    dispose: letGo,
  };
  const out = new Tensor(deferred, outShape, 'float32');
  heldInputs.register(out, storages, token);
  record(out, undefined);
  return out;
}

/** The relu of a deferred conv/linear result, fused into its kernel; null when `x` is not one. */
export function fuseActivation(x: Tensor, activation: Activation): Tensor | null {
  const d = x.deferred as FusableDeferred | null;
  return d && typeof d.fuse === 'function' ? d.fuse(activation) : null;
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
  if (bias !== null) checkBias(op, bias, p.o);
  checkActivation(op, activation);
  return runFused(
    {
      op,
      inputs: bias ? [x, weight, bias] : [x, weight],
      outShape: [p.n, p.o, p.oh, p.ow],
      channels: p.o,
      kernel: (k, xr, wr, epilogue) => k.conv2d(xr, wr, p, epilogue),
      grads: (dz, needs) => conv2dGrads(x, weight, dz, p, needs),
      biasGrad: (dz, b) => reshape(sum(dz, [0, 2, 3], true), b.shape),
    },
    activation,
  );
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
  if (k !== kw) throw new Error(`${op}: inp ${shapeToString(x.shape)} has ${k} features but weight ${shapeToString(weight.shape)} expects ${kw}`);
  if (bias !== null) checkBias(op, bias, n);
  checkActivation(op, activation);
  const p: MatmulParams = { batch: 1, m, n, k, transA: false, transB: true, batchA: 1, batchB: 1 };
  return runFused(
    {
      op,
      inputs: bias ? [x, weight, bias] : [x, weight],
      outShape: [m, n],
      channels: n,
      kernel: (kern, xr, wr, epilogue) => kern.matmul(xr, wr, p, epilogue),
      grads: (dz, needs) => matmulGrads(x, weight, dz, false, true, needs),
      biasGrad: (dz, b) => reshape(sum(dz, 0), b.shape),
    },
    activation,
  );
}

function checkActivation(op: string, activation: Activation | undefined): void {
  if (activation !== undefined && activation !== 'relu') {
    throw new TypeError(`${op}: argument 'activation' must be 'relu' or undefined, got ${JSON.stringify(activation)}`);
  }
}
