/**
 * The parameter names of each Backend method, in order: a traced node's attrs name the
 * method's non-tensor arguments with these (tensor arguments become the node's inputs). A
 * leading 'op' argument (unary, binary, reduce, pool2d, …) is the node's op name already.
 */
export const METHOD_PARAMS: Readonly<Record<string, readonly string[]>> = {
  unary: ['op', 'x'],
  binary: ['op', 'a', 'b', 'outShape'],
  where: ['cond', 'a', 'b', 'outShape'],
  cast: ['x', 'dtype'],
  reduce: ['op', 'x', 'axes'],
  argReduce: ['op', 'x', 'axis'],
  strided: ['x', 'outShape', 'strides', 'offset'],
  concat: ['xs', 'axis', 'outShape'],
  pad: ['x', 'pads', 'value'],
  matmul: ['a', 'b', 'p', 'epilogue'],
  conv2d: ['x', 'w', 'p', 'epilogue'],
  conv2dBackwardInput: ['dy', 'w', 'p'],
  conv2dBackwardFilter: ['x', 'dy', 'p'],
  pool2d: ['op', 'x', 'p'],
  pool2dBackward: ['op', 'x', 'dy', 'p'],
  gather: ['x', 'index', 'axis'],
  scatterAdd: ['x', 'index', 'src', 'axis'],
  argsort: ['x', 'axis', 'descending'],
  scaledAdd: ['a', 'b', 'alpha', 'beta'],
  mulSign: ['a', 'b'],
  maxPool2dSignBackward: ['x', 'dy', 'p'],
  gelu: ['x'],
  geluBackward: ['x', 'dy'],
  standardize: ['x', 'p'],
  standardizeBackward: ['x', 'dy', 'p'],
  standardizeAffine: ['x', 'weight', 'bias', 'p'],
  standardizeAffineBackward: ['x', 'weight', 'dy', 'p'],
  standardizeWeightGrad: ['x', 'dy', 'p'],
  softmaxCrossEntropy: ['logits', 'labels', 'p'],
  softmaxCrossEntropyBackward: ['logits', 'labels', 'dloss', 'p'],
  selfAttention: ['qkv', 'p'],
  selfAttentionBackward: ['qkv', 'dy', 'p'],
};
