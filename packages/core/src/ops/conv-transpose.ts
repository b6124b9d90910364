import { recordOp } from '../autograd/tape.js';
import type { Conv2dParams } from '../backend.js';
import { shapeToString } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { type Conv2dOptions, convArgs, pair } from './conv.js';
import { runKernel } from './engine.js';

export interface ConvTranspose2dOptions extends Conv2dOptions {
  /** Extra rows/columns added to one side of the output (must be smaller than the stride). */
  outputPadding?: number | readonly [number, number];
}

/**
 * A transposed convolution is the input-gradient of the convolution whose output has
 * inp's shape. Its Conv2dParams describe that convolution: `c`, `h`, `w` are the
 * transposed convolution's output, `o`, `oh`, `ow` its input.
 */
export function convTranspose2dParams(op: string, x: Tensor, w: Tensor, o: ConvTranspose2dOptions): Conv2dParams {
  const { sh, sw, ph, pw, dh, dw, groups } = convArgs(op, x, w, o);
  const [oph, opw] = pair(op, 'outputPadding', o.outputPadding ?? 0, 0);
  if (oph >= sh || opw >= sw) {
    throw new Error(`${op}: argument 'outputPadding' must be smaller than the stride (${sh}, ${sw}), got (${oph}, ${opw})`);
  }
  const [n, ic, ih, iw] = x.shape;
  const [wi, ocg, kh, kw] = w.shape;
  if (ic % groups !== 0) throw new Error(`${op}: groups (${groups}) must divide the input channels (${ic})`);
  if (wi !== ic) {
    throw new Error(`${op}: weight ${shapeToString(w.shape)} expects ${wi} input channels but inp ${shapeToString(x.shape)} has ${ic}`);
  }
  const h = (ih - 1) * sh - 2 * ph + dh * (kh - 1) + 1 + oph;
  const wd = (iw - 1) * sw - 2 * pw + dw * (kw - 1) + 1 + opw;
  if (h <= 0 || wd <= 0) {
    throw new Error(
      `${op}: padding (${ph}, ${pw}) leaves an empty output (${h}×${wd}) for inp ${shapeToString(x.shape)} and kernel ${kh}×${kw}`,
    );
  }
  return { n, c: ocg * groups, h, w: wd, o: ic, kh, kw, oh: ih, ow: iw, sh, sw, ph, pw, dh, dw, groups };
}

/**
 * The transposed convolution: inp [N,IC,H,W], weight [IC, OC/groups, KH, KW] → [N,OC,H',W'].
 * Forward is conv2dBackwardInput; the gradient of inp is a convolution of dy, that of
 * weight is conv2dBackwardFilter with dy in the role of the convolution's input.
 */
export function convTranspose2dPrimitive(x: Tensor, w: Tensor, options: ConvTranspose2dOptions = {}): Tensor {
  const op = 'convTranspose2d';
  const p = convTranspose2dParams(op, x, w, options);
  const y = runKernel(op, [x, w], [p.n, p.c, p.h, p.w], 'float32', (k) => k.conv2dBackwardInput(x.ref(op), w.ref(op), p));
  recordOp([x, w], y, (dy, needs) => {
    const back = 'convTranspose2d backward';
    return [
      needs[0] ? runKernel(back, [dy, w], x.shape, 'float32', (k) => k.conv2d(dy.ref(back), w.ref(back), p)) : null,
      needs[1] ? runKernel(back, [dy, x], w.shape, 'float32', (k) => k.conv2dBackwardFilter(dy.ref(back), x.ref(back), p)) : null,
    ];
  });
  return y;
}
