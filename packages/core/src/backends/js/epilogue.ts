/**
 * Applies a fused epilogue in place: out[i] = act(out[i] + bias[channel(i)]), where the
 * output is `outer` blocks of `channels` runs of `inner` elements (conv2d: N × O × OH·OW;
 * matmul: batch·M × N × 1). The js backend computes it after the GEMM, in one pass.
 */
export function applyEpilogue(
  out: Float32Array,
  outer: number,
  channels: number,
  inner: number,
  bias: Float32Array | undefined,
  relu: boolean,
): void {
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const b = bias ? bias[c] : 0;
      const end = i + inner;
      if (relu) {
        for (; i < end; i++) {
          const v = out[i] + b;
          out[i] = Math.max(v, 0);
        }
      } else {
        for (; i < end; i++) out[i] += b;
      }
    }
  }
}
