import { Parameter, random, zeros } from '@mge/core';

/** A parameter drawn from N(0, std²), as MegEngine's init.normal_. */
export function normalParameter(shape: number[], std: number): Parameter {
  return new Parameter(random.normal(0, std, shape));
}

export function zerosParameter(shape: number[]): Parameter {
  return new Parameter(zeros(shape));
}

export function positiveInt(op: string, arg: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1)
    throw new TypeError(`${op}: argument '${arg}' must be a positive integer, got ${String(v)}`);
  return v as number;
}
