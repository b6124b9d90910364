import { shapeToString, Tensor } from '@mge/core';

/** Argument checks shared by the layer catalogue's functions; errors name function, argument, expected and got. */
export function tensorArg(op: string, arg: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: argument '${arg}' must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  return x;
}

export function rankArg(op: string, arg: string, x: unknown, ranks: readonly number[]): Tensor {
  const t = tensorArg(op, arg, x);
  if (!ranks.includes(t.ndim)) {
    throw new Error(`${op}: argument '${arg}' must be ${ranks.join('- or ')}-d, got shape ${shapeToString(t.shape)}`);
  }
  return t;
}

export function intArg(op: string, arg: string, v: unknown, min: number): number {
  if (!Number.isInteger(v) || (v as number) < min)
    throw new TypeError(`${op}: argument '${arg}' must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return v as number;
}

/** An int or a tuple of `n` ints, each ≥ min. */
export function tupleArg(op: string, arg: string, v: unknown, n: number, min: number): number[] {
  const t = typeof v === 'number' ? new Array(n).fill(v) : v;
  if (!Array.isArray(t) || t.length !== n || !t.every((x) => Number.isInteger(x) && x >= min)) {
    throw new TypeError(`${op}: argument '${arg}' must be an integer ≥ ${min} or ${n} of them, got ${JSON.stringify(v)}`);
  }
  return t as number[];
}

export function positiveArg(op: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v))
    throw new RangeError(`${op}: argument '${arg}' must be a positive number, got ${String(v)}`);
  return v;
}

/** A bias of `expected` elements, given either in that shape or 1-d. */
export function biasArg(op: string, bias: unknown, expected: number[]): Tensor {
  const b = tensorArg(op, 'bias', bias);
  const n = expected.reduce((a, c) => a * c, 1);
  if (b.size !== n || (b.ndim !== expected.length && b.ndim !== 1)) {
    throw new Error(`${op}: argument 'bias' must have shape ${shapeToString(expected)}, got ${shapeToString(b.shape)}`);
  }
  return b;
}
