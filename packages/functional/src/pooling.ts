import { type Pair, pool2dPrimitive, type Tensor } from '@mge/core';

/** MegEngine's F.max_pool2d; stride defaults to the kernel size; padding never wins a max. */
export function maxPool2d(inp: Tensor, kernelSize: Pair, stride?: Pair | null, padding: Pair = 0): Tensor {
  return pool2dPrimitive('max', inp, kernelSize, stride, padding);
}

/** MegEngine's F.avg_pool2d in its default mode: padded cells are not counted. */
export function avgPool2d(inp: Tensor, kernelSize: Pair, stride?: Pair | null, padding: Pair = 0): Tensor {
  return pool2dPrimitive('avg', inp, kernelSize, stride, padding);
}
