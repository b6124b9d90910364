import { isAttached } from '../autograd/grad-manager.js';
import { recordOp } from '../autograd/tape.js';
import type { Pool2dParams, PoolOp } from '../backend.js';
import { checkInt32Extent } from '../limits.js';
import { getBackend } from '../registry.js';
import type { Tensor } from '../tensor.js';
import { type Pair, pair } from './conv.js';
import { assertFloat, assertRank, assertTensor, backendHasKernel, runKernel } from './engine.js';
import { isReluOutput, markMasked } from './relu-mask.js';

/** The pooling primitive over [N,C,H,W]; stride defaults to the kernel size. */
export function pool2dPrimitive(op: PoolOp, x: Tensor, kernelSize: Pair, stride?: Pair | null, padding: Pair = 0): Tensor {
  const name = op === 'max' ? 'maxPool2d' : 'avgPool2d';
  assertTensor(name, x, 'inp');
  assertFloat(name, x, 'inp');
  assertRank(name, x, 'inp', 4);
  const [kh, kw] = pair(name, 'kernelSize', kernelSize, 1);
  const [sh, sw] = pair(name, 'stride', stride ?? kernelSize, 1);
  const [ph, pw] = pair(name, 'padding', padding, 0);
  if (ph >= kh || pw >= kw) throw new Error(`${name}: padding (${ph}, ${pw}) must be smaller than the kernel (${kh}, ${kw})`);
  const [n, c, h, w] = x.shape;
  checkInt32Extent(name, 'the padded input height', h + 2 * ph);
  checkInt32Extent(name, 'the padded input width', w + 2 * pw);
  const oh = Math.floor((h + 2 * ph - kh) / sh) + 1;
  const ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
  if (oh <= 0 || ow <= 0) throw new Error(`${name}: the kernel ${kh}×${kw} does not fit the padded input ${h + 2 * ph}×${w + 2 * pw}`);
  const p: Pool2dParams = { n, c, h, w, kh, kw, oh, ow, sh, sw, ph, pw };
  const y = runKernel(name, [x], [n, c, oh, ow], 'float32', (k) => k.pool2d(op, x.ref(name), p));
  recordOp([x], y, (dy) => {
    // an attached relu output keeps the pool's own gradient: the user reads it as it is
    if (op === 'max' && isReluOutput(x) && !isAttached(x)) {
      const backend = getBackend(x.device);
      if (backend.maxPool2dSignBackward && backendHasKernel(backend, 'maxPool2dSignBackward')) {
        const dx = runKernel(name, [x, dy], x.shape, 'float32', (k) => k.maxPool2dSignBackward!(x.ref(name), dy.ref(name), p));
        markMasked(dx, x);
        return [dx];
      }
    }
    return [runKernel(name, [x, dy], x.shape, 'float32', (k) => k.pool2dBackward(op, x.ref(name), dy.ref(name), p))];
  });
  return y;
}
