import { matmul, reshape, shapeToString, type Tensor, tensor, transpose } from '@mge/core';
import { intArg, positiveArg, rankArg } from './check.js';

export type InterpolateMode = 'nearest' | 'linear' | 'bilinear' | 'bicubic';

export interface InterpolateOptions {
  size?: number | readonly number[];
  scaleFactor?: number | readonly number[];
  mode?: InterpolateMode;
  /** Linear and cubic modes: map the corner pixels' centres onto each other (default false). */
  alignCorners?: boolean;
}

/**
 * The [out, in] matrix that resamples one axis: each row holds the weights of the input
 * samples an output sample is made of. Resizing is then two matrix products, so the
 * gradient is the transposed product and every backend runs it on its GEMM.
 */
function resampleMatrix(inSize: number, outSize: number, mode: InterpolateMode, alignCorners: boolean): Float32Array {
  const m = new Float32Array(outSize * inSize);
  const ratio = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    if (mode === 'nearest') {
      m[o * inSize + Math.min(Math.floor(o * ratio), inSize - 1)] = 1;
      continue;
    }
    let src = alignCorners ? (outSize > 1 ? (o * (inSize - 1)) / (outSize - 1) : 0) : (o + 0.5) * ratio - 0.5;
    if (mode === 'bicubic') {
      // four taps around ⌊src⌋; a tap outside the image reads the edge sample
      const i0 = Math.floor(src);
      const w = cubicWeights(src - i0);
      for (let k = 0; k < 4; k++) m[o * inSize + Math.min(Math.max(i0 - 1 + k, 0), inSize - 1)] += w[k];
      continue;
    }
    if (src < 0) src = 0;
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const t = src - i0;
    m[o * inSize + i0] += 1 - t;
    m[o * inSize + i1] += t;
  }
  return m;
}

/** Keys' cubic convolution weights with A = −0.75 (OpenCV's and PyTorch's bicubic) at offset t ∈ [0, 1). */
function cubicWeights(t: number): [number, number, number, number] {
  const a = -0.75;
  const near = (x: number) => ((a + 2) * x - (a + 3)) * x * x + 1; // |x| ≤ 1
  const far = (x: number) => ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; // 1 < |x| < 2
  return [far(t + 1), near(t), near(1 - t), far(2 - t)];
}

/**
 * MegEngine's F.vision.interpolate over the trailing spatial axes: (N, C, W) for 'linear'
 * and (N, C, H, W) for 'nearest', 'bilinear' and 'bicubic'. Give `size` or `scaleFactor`
 * (the output is ⌊in·scale⌋; samples are placed by the in/out ratio, as MegEngine's resize).
 */
export function interpolate(inp: Tensor, options: InterpolateOptions = {}): Tensor {
  const op = 'interpolate';
  const mode = options.mode ?? 'bilinear';
  if (!['nearest', 'linear', 'bilinear', 'bicubic'].includes(mode)) {
    throw new Error(`${op}: argument 'mode' must be 'nearest', 'linear', 'bilinear' or 'bicubic', got ${JSON.stringify(mode)}`);
  }
  const spatial = mode === 'linear' ? 1 : 2;
  rankArg(op, 'inp', inp, mode === 'nearest' ? [3, 4] : [spatial + 2]);
  const dims = inp.ndim - 2;
  const inSizes = inp.shape.slice(2);
  if (mode === 'nearest' && options.alignCorners !== undefined && options.alignCorners !== null) {
    throw new Error(
      `${op}: argument 'alignCorners' only applies to the linear and cubic modes, got ${options.alignCorners} with mode 'nearest'`,
    );
  }
  const alignCorners = options.alignCorners ?? false;
  let outSizes: number[];
  if ((options.size === undefined) === (options.scaleFactor === undefined)) {
    throw new Error(`${op}: exactly one of 'size' and 'scaleFactor' must be given, got ${options.size === undefined ? 'neither' : 'both'}`);
  }
  if (options.size !== undefined) {
    const s = typeof options.size === 'number' ? new Array(dims).fill(options.size) : [...options.size];
    if (s.length !== dims)
      throw new Error(
        `${op}: argument 'size' must have ${dims} entries for inp ${shapeToString(inp.shape)}, got ${JSON.stringify(options.size)}`,
      );
    outSizes = s.map((v) => intArg(op, 'size', v, 1));
  } else {
    const f = typeof options.scaleFactor === 'number' ? new Array(dims).fill(options.scaleFactor) : [...(options.scaleFactor as number[])];
    if (f.length !== dims)
      throw new Error(`${op}: argument 'scaleFactor' must have ${dims} entries, got ${JSON.stringify(options.scaleFactor)}`);
    outSizes = f.map((v, i) => Math.floor(inSizes[i] * positiveArg(op, 'scaleFactor', v)));
    if (outSizes.some((v) => v < 1))
      throw new Error(
        `${op}: argument 'scaleFactor' ${JSON.stringify(options.scaleFactor)} gives an empty output for inp ${shapeToString(inp.shape)}`,
      );
  }
  const lead = inp.shape.slice(0, 2);
  const m = (axis: number) =>
    tensor(resampleMatrix(inSizes[axis], outSizes[axis], mode, alignCorners), {
      shape: [outSizes[axis], inSizes[axis]],
      device: inp.device,
    });
  // last axis: [..., W] · Mwᵀ
  const w = inSizes[dims - 1];
  let y = matmul(reshape(inp, [-1, w]), m(dims - 1), false, true);
  if (dims === 1) return reshape(y, [...lead, outSizes[0]]);
  // height: Mh · [H, OW] for each (N, C) plane
  y = matmul(m(0), reshape(y, [lead[0] * lead[1], inSizes[0], outSizes[1]]));
  return reshape(y, [...lead, outSizes[0], outSizes[1]]);
}

/** MegEngine's F.pixel_shuffle: (*, C·r², H, W) → (*, C, H·r, W·r). */
export function pixelShuffle(inp: Tensor, upscaleFactor: number): Tensor {
  const op = 'pixelShuffle';
  const t = rankArg(op, 'inp', inp, [3, 4, 5, 6]);
  const r = intArg(op, 'upscaleFactor', upscaleFactor, 1);
  const [c, h, w] = t.shape.slice(-3);
  if (c % (r * r) !== 0)
    throw new Error(`${op}: the channel axis (${c}) of inp ${shapeToString(t.shape)} must be divisible by upscaleFactor² (${r * r})`);
  const lead = t.shape.slice(0, -3);
  const n = lead.reduce((a, b) => a * b, 1);
  const x = reshape(t, [n, c / (r * r), r, r, h, w]);
  return reshape(transpose(x, [0, 1, 4, 2, 5, 3]), [...lead, c / (r * r), h * r, w * r]);
}
