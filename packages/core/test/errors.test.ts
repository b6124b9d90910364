/** Every public function validates its input; errors name the operator, the argument, expected and got. */
import * as mge from '@mge/core';
import { describe, expect, it } from 'vitest';

const { tensor, zeros } = mge;

describe('error messages', () => {
  it.each([
    [
      'add: broadcast',
      () => mge.add(zeros([2, 3]), zeros([4])),
      /add: shapes \(2, 3\) and \(4,\) cannot be broadcast together \(dimension 1: 3 vs 4\)/,
    ],
    [
      'where: broadcast',
      () => mge.where(zeros([2], { dtype: 'bool' }), zeros([3]), 0),
      /where: shapes \(2,\) and \(3,\) cannot be broadcast/,
    ],
    ['exp: not a tensor', () => mge.exp(5 as never), /exp: argument 'x' must be a Tensor, got number/],
    ['add: two scalars', () => mge.add(1, 2), /add: at least one of 'a' and 'b' must be a Tensor, got number and number/],
    ['add: bad operand', () => mge.add(zeros([1]), 'x' as never), /add: argument 'b' must be a Tensor, number or boolean, got string/],
    [
      'matmul: inner dims',
      () => mge.matmul(zeros([2, 3]), zeros([4, 5])),
      /matmul: inner dimensions differ: inp1 \(2, 3\) has 3 columns, inp2 \(4, 5\) has 4 rows/,
    ],
    [
      'matmul: dtype',
      () => mge.matmul(zeros([2, 2], { dtype: 'int32' }), zeros([2, 2])),
      /matmul: argument 'inp1' must be float32, got int32/,
    ],
    ['matmul: 0-d', () => mge.matmul(zeros([]), zeros([2])), /matmul: operands must be at least 1-d, got shapes \(\) and \(2,\)/],
    ['matmul: batch', () => mge.matmul(zeros([2, 2, 3]), zeros([3, 3, 4])), /matmul: shapes \(2,\) and \(3,\) cannot be broadcast/],
    ['reshape: size', () => zeros([2, 3]).reshape(4, 2), /reshape: cannot reshape \(2, 3\) \(6 elements\) into \(4, 2\)/],
    ['reshape: two -1', () => zeros([4]).reshape(-1, -1), /reshape: at most one dimension may be -1, got \(-1, -1\)/],
    [
      'transpose: pattern',
      () => mge.transpose(zeros([2, 3]), [0, 0]),
      /transpose: argument 'pattern' must be a permutation of 2 axes, got \[0, 0\]/,
    ],
    [
      'transpose: axis range',
      () => mge.transpose(zeros([2, 3]), [0, 2]),
      /transpose: argument 'pattern' must be in \[-2, 1\] for a 2-d tensor, got 2/,
    ],
    ['sum: axis range', () => mge.sum(zeros([2, 3]), 2), /sum: argument 'axis' must be in \[-2, 1\] for a 2-d tensor, got 2/],
    ['sum: repeated axis', () => mge.sum(zeros([2, 3]), [1, -1]), /sum: argument 'axis' repeats an axis: \[1, -1\]/],
    ['max: empty', () => mge.max(zeros([0, 3]), 0), /max: cannot reduce a zero-size axis of shape \(0, 3\)/],
    ['argmax: empty', () => mge.argmax(zeros([2, 0]), 1), /argmax: cannot reduce a zero-size axis of shape \(2, 0\)/],
    ['index: out of bounds', () => zeros([3, 4]).index(0, 4), /index: index 4 is out of bounds for axis 1 with size 4/],
    ['index: too many', () => zeros([3]).index(0, 0), /index: too many indices \(2\) for a 1-d tensor of shape \(3,\)/],
    ['index: zero step', () => zeros([3]).index('::0'), /index: slice step on axis 0 must be a non-zero integer, got 0/],
    ['index: bad text', () => zeros([3]).index('a:b'), /index: cannot parse index 'a:b': 'a' is not an integer/],
    [
      'concat: shapes',
      () => mge.concat([zeros([2, 3]), zeros([2, 4])], 0),
      /concat: inps\[1\] has shape \(2, 4\), which does not match \(2, 3\) outside axis 0/,
    ],
    [
      'concat: dtypes',
      () => mge.concat([zeros([2]), zeros([2], { dtype: 'int32' })]),
      /concat: inps\[1\] has dtype int32, expected float32/,
    ],
    ['concat: empty', () => mge.concat([]), /concat: argument 'inps' must be a non-empty array of Tensors/],
    ['stack: shapes', () => mge.stack([zeros([2]), zeros([3])]), /stack: inps\[1\] has shape \(3,\), expected \(2,\)/],
    ['split: parts', () => mge.split(zeros([5]), 2), /split: axis 0 of size 5 cannot be split into 2 equal parts/],
    ['pad: negative', () => mge.pad(zeros([2]), [[-1, 0]]), /pad: padding of axis 0 must be two non-negative integers, got \[-1, 0\]/],
    ['squeeze: not 1', () => mge.squeeze(zeros([2, 3]), 0), /squeeze: axis 0 has size 2, expected 1 \(shape \(2, 3\)\)/],
    [
      'broadcastTo: incompatible',
      () => mge.broadcastTo(zeros([2, 3]), [4, 3]),
      /broadcastTo: shapes \(2, 3\) and \(4, 3\) cannot be broadcast/,
    ],
    [
      'broadcastTo: lower rank',
      () => mge.broadcastTo(zeros([2, 3]), [3]),
      /broadcastTo: cannot broadcast \(2, 3\) to the lower-rank \(3,\)/,
    ],
    [
      'conv2d: channels',
      () => mge.conv2dPrimitive(zeros([1, 3, 5, 5]), zeros([2, 4, 3, 3])),
      /conv2d: weight \(2, 4, 3, 3\) expects 4 input channels but inp \(1, 3, 5, 5\) has 3/,
    ],
    [
      'conv2d: groups',
      () => mge.conv2dPrimitive(zeros([1, 3, 5, 5]), zeros([2, 1, 3, 3]), { groups: 2 }),
      /conv2d: groups \(2\) must divide the input channels \(3\)/,
    ],
    [
      'conv2d: rank',
      () => mge.conv2dPrimitive(zeros([3, 5, 5]), zeros([2, 3, 3, 3])),
      /conv2d: argument 'inp' must be 4-d, got shape \(3, 5, 5\)/,
    ],
    [
      'conv2d: stride',
      () => mge.conv2dPrimitive(zeros([1, 1, 5, 5]), zeros([1, 1, 3, 3]), { stride: 0 }),
      /conv2d: argument 'stride' must be an integer ≥ 1 or a pair of them, got 0/,
    ],
    [
      'conv2d: kernel too big',
      () => mge.conv2dPrimitive(zeros([1, 1, 2, 2]), zeros([1, 1, 3, 3])),
      /conv2d: the kernel 3×3 \(dilation 1×1\) does not fit the padded input 2×2/,
    ],
    [
      'maxPool2d: padding',
      () => mge.pool2dPrimitive('max', zeros([1, 1, 4, 4]), 2, 2, 2),
      /maxPool2d: padding \(2, 2\) must be smaller than the kernel \(2, 2\)/,
    ],
    [
      'avgPool2d: dtype',
      () => mge.pool2dPrimitive('avg', zeros([1, 1, 4, 4], { dtype: 'int32' }), 2),
      /avgPool2d: argument 'inp' must be float32, got int32/,
    ],
    ['tensor: ragged', () => tensor([[1, 2], [3]]), /tensor: ragged nested array: dimension 1 should have length 2, got 1/],
    ['tensor: shape', () => tensor([1, 2, 3], { shape: [2, 2] }), /tensor: option 'shape' \(2, 2\) holds 4 elements but data has 3/],
    [
      'tensor: dtype',
      () => tensor([1], { dtype: 'float64' as never }),
      /tensor: option 'dtype' must be 'float32', 'int32' or 'bool', got float64/,
    ],
    [
      'tensor: data',
      () => tensor(null as never),
      /tensor: argument 'data' must be a number, nested array, typed array or Tensor, got null/,
    ],
    ['zeros: shape', () => zeros([2, -1]), /zeros: argument 'shape' must hold non-negative integers, got \[2, -1\]/],
    ['arange: step', () => mge.arange(0, 5, 0), /arange: argument 'step' must not be 0/],
    [
      'astype: dtype',
      () => zeros([1]).astype('float16' as never),
      /astype: argument 'dtype' must be 'float32', 'int32' or 'bool', got float16/,
    ],
    ['item: size', () => zeros([2]).item(), /item: the tensor must hold exactly one element, got shape \(2,\)/],
    ['T: rank', () => zeros([2, 3, 4]).T, /T: expected a 2-d tensor, got 3-d/],
    ['clip: bounds', () => mge.clip(zeros([2])), /clip: at least one of 'lower' and 'upper' must be given/],
    ['unknown device', () => zeros([1], { device: 'cuda' }), /unknown device 'cuda'; registered devices are js/],
    ['_reset: shape', () => zeros([2])._reset(zeros([3])), /_reset: expected a value of shape \(2,\), got \(3,\)/],
  ])('%s', (_name, fn, message) => {
    expect(fn).toThrow(message as RegExp);
  });
});
