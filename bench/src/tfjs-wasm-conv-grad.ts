// tfjs-backend-wasm has no Conv2DBackpropFilter kernel; there Conv2D's filter gradient is
// computed as a forward convolution over transposed tensors. Used in Node (tfjs-gradients.ts)
// and in the browser bench page alike.
import type * as Tf from '@tensorflow/tfjs-core';

export function overrideWasmConvFilterGradient(tf: typeof Tf): void {
  const conv = tf.getGradient('Conv2D');
  if (!conv) throw new Error('tfjs: no Conv2D gradient after registering them');
  const silenced = console.warn;
  console.warn = () => {}; // tfjs warns when a gradient is overridden
  tf.registerGradient({
    ...conv,
    gradFunc: (dy, saved, attrs) => {
      if (tf.getBackend() !== 'wasm') return conv.gradFunc(dy, saved, attrs);
      const [x, filter] = saved as [Tf.Tensor4D, Tf.Tensor4D];
      const { strides, pad, dilations } = attrs as unknown as { strides: number | number[]; pad: unknown; dilations: number | number[] };
      const ones = (v: number | number[]) => (Array.isArray(v) ? v.every((s) => s === 1) : v === 1);
      const [kh, kw] = filter.shape;
      // 'same' at stride 1 with an odd filter is 'valid' over the input padded by k/2 on each side.
      const same = pad === 'same' && kh % 2 === 1 && kw % 2 === 1;
      if (!ones(strides) || !ones(dilations) || (pad !== 'valid' && !same)) {
        throw new Error('tfjs-wasm Conv2D filter gradient by forward conv: only stride 1, no dilation, valid or same (odd filter) padding');
      }
      const xp = (): Tf.Tensor4D =>
        same
          ? tf.pad(x, [
              [0, 0],
              [kh >> 1, kh >> 1],
              [kw >> 1, kw >> 1],
              [0, 0],
            ])
          : x;
      return {
        x: () => tf.conv2dTranspose(dy as Tf.Tensor4D, filter, x.shape, 1, same ? 'same' : 'valid'),
        // dW[kh,kw,ci,co] = Σ x[n,oh+kh,ow+kw,ci]·dy[n,oh,ow,co]: a conv with ci as the batch and n as the channels
        filter: () =>
          tf.transpose(
            tf.conv2d(tf.transpose(xp(), [3, 1, 2, 0]), tf.transpose(dy as Tf.Tensor4D, [1, 2, 0, 3]), 1, 'valid'),
            [1, 2, 0, 3],
          ),
      };
    },
  });
  console.warn = silenced;
}
