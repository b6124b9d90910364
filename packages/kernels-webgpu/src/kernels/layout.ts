import type { KernelSource } from '../runtime.js';
import { elementwiseMain, offsetsFromIndex, PARAMS, storage } from '../wgsl.js';

// Movement kernels copy 32-bit words whatever the dtype, so one pipeline per rank serves all dtypes.
// In the f16 storage mode float32 tensors have 2-byte elements: they get the 'f32' variant,
// whose bindings toF16Storage turns into f16 (elsewhere u32 copies keep NaN payloads intact).
export type MoveElem = 'u32' | 'f32';

/** Parameters: [n, offset(i32), shape(rank), strides(rank)]. The one gather behind transpose/expand/slice/flip. */
export function stridedKernel(rank: number, elem: MoveElem = 'u32'): KernelSource {
  return {
    key: `strided_r${rank}_${elem}`,
    wgsl: () => `${PARAMS}
${storage(1, 'X', elem)}
${storage(2, 'Y', elem, true)}
${elementwiseMain(`${offsetsFromIndex(rank, 2, [2 + rank], ['pi(1u)'])}
  Y[i] = X[off0];`)}`,
  };
}

/**
 * Copies one input of a concat into its slab of the output. Viewing both as
 * [outer, row], parameters: [n, rowIn, rowOut, offsetInRow].
 */
export function concatPieceKernel(elem: MoveElem = 'u32'): KernelSource {
  return {
    key: `concat_piece_${elem}`,
    wgsl: () => `${PARAMS}
${storage(1, 'X', elem)}
${storage(2, 'Y', elem, true)}
${elementwiseMain(`  let rowIn = pu(1u);
  let o = i / rowIn;
  Y[o * pu(2u) + pu(3u) + (i - o * rowIn)] = X[i];`)}`,
  };
}

/** Parameters: [n, valueBits, outShape(rank), inShape(rank), before(rank)]. */
export function padKernel(rank: number, elem: MoveElem = 'u32'): KernelSource {
  return {
    key: `pad_r${rank}_${elem}`,
    wgsl: () => {
      const lines = ['  var rem = i;', '  var src = 0u;', '  var inner = 1u;', '  var inside = true;'];
      for (let d = rank - 1; d >= 0; d--) {
        lines.push(`  { let c = i32(rem % pu(${2 + d}u)) - pi(${2 + 2 * rank + d}u); rem = rem / pu(${2 + d}u);
    let dim = pu(${2 + rank + d}u);
    inside = inside && c >= 0 && u32(max(c, 0)) < dim;
    src = src + u32(max(c, 0)) * inner; inner = inner * dim; }`);
      }
      return `${PARAMS}
${storage(1, 'X', elem)}
${storage(2, 'Y', elem, true)}
${elementwiseMain(`${lines.join('\n')}
  if (inside) { Y[i] = X[src]; } else { Y[i] = ${elem === 'f32' ? 'pf(1u)' : 'pu(1u)'}; }`)}`;
    },
  };
}
