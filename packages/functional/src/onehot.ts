import { arange, astype, eq, shapeToString, Tensor, unsqueeze } from '@mge/core';

/** Reads int labels on the host when the backend allows, to check them (webgpu checks nothing). */
export function checkLabels(op: string, label: Tensor, numClasses: number): void {
  if (label.dtype === 'bool') throw new TypeError(`${op}: argument 'label' must hold integers, got dtype bool`);
  if (!label.backend.readSync) return;
  const values = label.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v)) throw new TypeError(`${op}: argument 'label' must hold integers, got ${v} at index ${i}`);
    if (v < 0 || v >= numClasses) {
      throw new RangeError(`${op}: argument 'label' must be in [0, ${numClasses - 1}], got ${v} at index ${i}`);
    }
  }
}

/** MegEngine's F.one_hot: int labels of shape S → float32 (S..., numClasses). */
export function oneHot(inp: Tensor, numClasses: number): Tensor {
  if (!(inp instanceof Tensor)) throw new TypeError(`oneHot: argument 'inp' must be a Tensor, got ${typeof inp}`);
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new TypeError(`oneHot: argument 'numClasses' must be a positive integer, got ${numClasses}`);
  }
  checkLabels('oneHot', inp, numClasses);
  const classes = arange(numClasses, undefined, 1, { dtype: 'int32', device: inp.device });
  return astype(eq(unsqueeze(astype(inp, 'int32'), -1), classes), 'float32');
}

/** One-hot labels laid out along `axis` of a prediction shaped like `pred`. */
export function oneHotAlong(op: string, pred: Tensor, label: Tensor, axis: number): Tensor {
  const c = pred.shape[axis];
  const expected = pred.shape.filter((_, i) => i !== axis);
  if (label.ndim !== expected.length || label.shape.some((d, i) => d !== expected[i])) {
    throw new Error(`${op}: argument 'label' must have shape ${shapeToString(expected)} for pred ${shapeToString(pred.shape)}, got ${shapeToString(label.shape)}`);
  }
  checkLabels(op, label, c);
  const oh = oneHot(label, c);
  if (axis === pred.ndim - 1) return oh;
  const perm = [...oh.shape.keys()];
  perm.splice(axis, 0, perm.pop()!);
  return oh.transpose(perm);
}
