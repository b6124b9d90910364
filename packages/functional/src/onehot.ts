import { add, arange, astype, checkInt32Arg, eq, ne, shapeToString, sum, Tensor, unsqueeze, where } from '@mge/core';

/**
 * Checks labels on the host: from the host copy `tensor()` keeps of small tensors (labels from a
 * DataLoader), else read synchronously where the backend can. True when checked;
 * false for labels computed on a device that cannot be read without waiting (see poisonInvalid).
 */
export function checkLabels(op: string, label: Tensor, numClasses: number): boolean {
  if (label.dtype === 'bool') throw new TypeError(`${op}: argument 'label' must hold integers, got dtype bool`);
  const values = label.hostValues ?? (label.backend.readSync ? label.dataSync() : null);
  if (!values) return false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v)) throw new TypeError(`${op}: argument 'label' must hold integers, got ${v} at index ${i}`);
    if (v < 0 || v >= numClasses) {
      throw new RangeError(`${op}: argument 'label' must be in [0, ${numClasses - 1}], got ${v} at index ${i}`);
    }
  }
  return true;
}

/**
 * Labels that could not be checked on the host: a row whose label is no class (out of range,
 * fractional, NaN) becomes all NaN, so a loss computed from it is NaN rather than a silent 0.
 */
function poisonInvalid(oh: Tensor): Tensor {
  const bad = ne(sum(oh, -1, true), 1);
  return add(oh, where(bad, Number.NaN, 0));
}

/** MegEngine's F.one_hot: int labels of shape S → float32 (S..., numClasses). */
export function oneHot(inp: Tensor, numClasses: number): Tensor {
  if (!(inp instanceof Tensor)) throw new TypeError(`oneHot: argument 'inp' must be a Tensor, got ${typeof inp}`);
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new TypeError(`oneHot: argument 'numClasses' must be a positive integer, got ${numClasses}`);
  }
  checkInt32Arg('oneHot', 'numClasses', numClasses, 1);
  const checked = checkLabels('oneHot', inp, numClasses);
  const classes = arange(numClasses, undefined, 1, { dtype: inp.dtype === 'int32' ? 'int32' : 'float32', device: inp.device });
  // compared in the label's own dtype: a float label 1.5 or NaN matches no class
  const oh = astype(eq(unsqueeze(inp, -1), classes), 'float32');
  return checked ? oh : poisonInvalid(oh);
}

/** One-hot labels laid out along `axis` of a prediction shaped like `pred`. */
export function oneHotAlong(op: string, pred: Tensor, label: Tensor, axis: number): Tensor {
  const c = pred.shape[axis];
  const expected = pred.shape.filter((_, i) => i !== axis);
  if (label.ndim !== expected.length || label.shape.some((d, i) => d !== expected[i])) {
    throw new Error(
      `${op}: argument 'label' must have shape ${shapeToString(expected)} for pred ${shapeToString(pred.shape)}, got ${shapeToString(label.shape)}`,
    );
  }
  checkLabels(op, label, c);
  const oh = oneHot(label, c);
  if (axis === pred.ndim - 1) return oh;
  const perm = [...oh.shape.keys()];
  perm.splice(axis, 0, perm.pop()!);
  return oh.transpose(perm);
}
