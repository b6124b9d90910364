import type { DataArray } from './dtype.js';
import { type TensorOptions, tensor } from './ops/creation.js';
import type { NestedArray } from './tensor.js';
import { Tensor } from './tensor.js';

/**
 * A tensor an optimizer may update (MegEngine's Parameter). Built from a tensor
 * (sharing its memory) or from anything `tensor()` accepts.
 */
export class Parameter extends Tensor {
  /** false when frozen: GradManager.attach passes over it and optimizers leave it alone. */
  requiresGrad = true;

  constructor(value: Tensor | NestedArray | DataArray, options: TensorOptions & { shape?: readonly number[] } = {}) {
    const shared = value instanceof Tensor && !options.dtype && !options.device;
    const t = shared ? value : tensor(value, { dtype: 'float32', ...options });
    t.ref('Parameter');
    super(t.storage, t.shape, t.dtype);
    if (!shared) t.dispose(); // the parameter is the only owner of a buffer made for it
  }
}
