import { recordOp } from '../autograd/tape.js';
import type { Conv2dParams } from '../backend.js';
import { checkInt32Arg, checkInt32Extent } from '../limits.js';
import { shapeToString } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { assertFloat, assertRank, assertTensor, runKernel } from './engine.js';

export type Pair = number | readonly [number, number];

/** Reads an int-or-pair argument, checking it. */
export function pair(op: string, arg: string, v: Pair, min: number): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((x) => Number.isInteger(x) && x >= min)) {
    throw new TypeError(`${op}: argument '${arg}' must be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  for (const x of p) checkInt32Arg(op, arg, x, min);
  return [p[0], p[1]];
}

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

/** The checks every 2-d convolution shares: 4-d float inp and weight, the stride/padding/dilation pairs, positive groups. */
export function convArgs(op: string, x: Tensor, w: Tensor, o: Conv2dOptions) {
  assertTensor(op, x, 'inp');
  assertTensor(op, w, 'weight');
  assertFloat(op, x, 'inp');
  assertFloat(op, w, 'weight');
  assertRank(op, x, 'inp', 4);
  assertRank(op, w, 'weight', 4);
  const [sh, sw] = pair(op, 'stride', o.stride ?? 1, 1);
  const [ph, pw] = pair(op, 'padding', o.padding ?? 0, 0);
  const [dh, dw] = pair(op, 'dilation', o.dilation ?? 1, 1);
  const groups = o.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new TypeError(`${op}: argument 'groups' must be a positive integer, got ${groups}`);
  return { sh, sw, ph, pw, dh, dw, groups };
}

/** Checks a convolution's arguments and derives its output size. */
export function conv2dParams(op: string, x: Tensor, w: Tensor, o: Conv2dOptions): Conv2dParams {
  const { sh, sw, ph, pw, dh, dw, groups } = convArgs(op, x, w, o);
  const [n, c, h, wd] = x.shape;
  const [oc, cg, kh, kw] = w.shape;
  if (c % groups !== 0) throw new Error(`${op}: groups (${groups}) must divide the input channels (${c})`);
  if (oc % groups !== 0) throw new Error(`${op}: groups (${groups}) must divide the output channels (${oc})`);
  if (cg !== c / groups) {
    throw new Error(
      `${op}: weight ${shapeToString(w.shape)} expects ${cg * groups} input channels but inp ${shapeToString(x.shape)} has ${c}${groups > 1 ? ` (groups=${groups})` : ''}`,
    );
  }
  checkInt32Extent(op, 'the padded input height', h + 2 * ph);
  checkInt32Extent(op, 'the padded input width', wd + 2 * pw);
  checkInt32Extent(op, 'the dilated kernel height', dh * (kh - 1) + 1);
  checkInt32Extent(op, 'the dilated kernel width', dw * (kw - 1) + 1);
  const oh = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((wd + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  if (oh <= 0 || ow <= 0) {
    throw new Error(`${op}: the kernel ${kh}×${kw} (dilation ${dh}×${dw}) does not fit the padded input ${h + 2 * ph}×${wd + 2 * pw}`);
  }
  return { n, c, h, w: wd, o: oc, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, groups };
}

/** The convolution primitive: inp [N,C,H,W], weight [O,C/groups,KH,KW] → [N,O,OH,OW]. No bias. */
export function conv2dPrimitive(x: Tensor, w: Tensor, options: Conv2dOptions = {}): Tensor {
  const p = conv2dParams('conv2d', x, w, options);
  const y = runKernel('conv2d', [x, w], [p.n, p.o, p.oh, p.ow], 'float32', (k) => k.conv2d(x.ref('conv2d'), w.ref('conv2d'), p));
  recordOp([x, w], y, (dy, needs) => conv2dGrads(x, w, dy, p, needs));
  return y;
}

/** dx and dw of a convolution, each only when needed. */
export function conv2dGrads(x: Tensor, w: Tensor, dy: Tensor, p: Conv2dParams, needs: readonly boolean[]): (Tensor | null)[] {
  const op = 'conv2d backward';
  return [
    needs[0] ? runKernel(op, [dy, w], x.shape, 'float32', (k) => k.conv2dBackwardInput(dy.ref(op), w.ref(op), p)) : null,
    needs[1] ? runKernel(op, [x, dy], w.shape, 'float32', (k) => k.conv2dBackwardFilter(x.ref(op), dy.ref(op), p)) : null,
  ];
}
