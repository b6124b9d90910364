import { formatArray, Tensor } from '@mge/core';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * A state dict: names → tensors in MegEngine's order. Printing it looks like
 * MegEngine's `OrderedDict([('key', array(...)), ...])`.
 */
export class StateDict extends Map<string, Tensor> {
  override toString(): string {
    const items = [...this.entries()].map(([k, v]) => {
      const prefix = `('${k}', array(`;
      const body = v.backend.readSync ? formatArray(v.dataSync(), v.shape, v.dtype, ' '.repeat('array('.length), ',') : `<on ${v.device}>`;
      return `${prefix}${body}, dtype=${v.dtype}))`;
    });
    return `OrderedDict([${items.join(', ')}])`;
  }
  [INSPECT](): string {
    return this.toString();
  }
}

/** Plain objects and Maps are both accepted where a state dict is read. */
export type StateDictLike = Map<string, Tensor | ArrayLike<number>> | Record<string, Tensor | ArrayLike<number>>;

export function entriesOf(dict: StateDictLike): [string, Tensor | ArrayLike<number>][] {
  if (dict instanceof Map) return [...dict.entries()];
  if (dict && typeof dict === 'object') return Object.entries(dict);
  throw new TypeError(
    `loadStateDict: argument 'stateDict' must be a Map or an object of tensors, got ${dict === null ? 'null' : typeof dict}`,
  );
}

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
