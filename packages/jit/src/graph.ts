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
  /**
   * Optional (added by trace): the Backend method that ran the node, when the op name alone is
   * ambiguous ('conv2d backward' is conv2dBackwardInput or conv2dBackwardFilter; 'linear' is
   * 'matmul'). A traced node's attrs are that method's named non-tensor arguments, one
   * attribute per parameter of the Backend method (see packages/jit/src/attrs.ts), e.g.
   * conv2d: { p: Conv2dParams, activation? } with inputs [x, w, bias?]; binary: { outShape };
   * reduce: { axes } (reduced axes kept as size 1); strided: { outShape, strides, offset }.
   * A traced graph also has 'reshape' nodes ({ shape }) where a value is read under another shape.
   */
  readonly kernel?: string;
}

export interface Graph {
  readonly values: readonly GraphValue[];
  /** Topologically ordered. */
  readonly nodes: readonly GraphNode[];
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  /**
   * Optional (added by trace): in-place updates a training step makes, in order: the param
   * (or state) value `target` takes the value `value` once the step has run.
   */
  readonly updates?: readonly { readonly target: number; readonly value: number }[];
}
