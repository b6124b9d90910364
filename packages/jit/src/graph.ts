import type { DType } from '@mge/core';

/**
 * The static graph a trace records and ONNX import produces: the one contract between
 * `trace` (records it, replays it), the ONNX writer (serialises it) and the ONNX reader
 * (builds it). Operators are core's operator names with the attributes core's op took,
 * so a graph means exactly what the eager program meant.
 */
export interface GraphValue {
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** input: fed per call; param: a Parameter read at replay; const: captured data; op: produced by a node. */
  readonly kind: 'input' | 'param' | 'const' | 'op';
  /** The data of a const (and of a param when captured as const). */
  readonly data?: Float32Array | Int32Array | Uint8Array;
  /** A readable name: the state-dict key of a param, the argument name of an input. */
  readonly name?: string;
}

export interface GraphNode {
  /** A core operator name, e.g. 'add', 'relu', 'matmul', 'conv2d', 'reshape', 'sum'. */
  readonly op: string;
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  /** The op's non-tensor arguments, JSON-serialisable (axes, strides, padding, ...). */
  readonly attrs: Readonly<Record<string, unknown>>;
}

export interface Graph {
  readonly values: readonly GraphValue[];
  /** Topologically ordered. */
  readonly nodes: readonly GraphNode[];
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
}
