/**
 * Shape inference for the Build tab: run one sample through the network, layer by
 * layer, and record each layer's output shape and parameter count. A layer whose
 * arguments or input shape do not fit gets the error; the ones after it are not reached.
 */
import { noGrad, type Tensor, zeros } from '@mge/core';
import { summarize, zoo } from '@mge/models-zoo';
import * as M from '@mge/module';
import { BLOCKS, checkArgs, type LayerSpec } from './layers.js';

export interface Row {
  name: string;
  type: string;
  /** Output shape with the batch axis first (shown as N). */
  outputShape: number[] | null;
  params: number;
  error: string | null;
}

export interface Inspection {
  rows: Row[];
  inputShape: number[];
  outputShape: number[] | null;
  totalParams: number;
  /** The first error, if any: the network cannot run as composed. */
  error: { index: number; message: string } | null;
  /** The built network, when every layer could be constructed. */
  model: M.Module | null;
}

function paramCount(m: M.Module): number {
  let n = 0;
  for (const p of m.parameters()) n += p.size;
  return n;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Checks a sample shape: 1 to 3 positive integers (C,H,W or features). */
export function checkInputShape(shape: readonly number[]): string | null {
  // Shapes are shown as typed ("[1, NaN]"), never through JSON.stringify, which prints NaN as null.
  const shown = Array.isArray(shape) ? `[${shape.join(', ')}]` : String(shape);
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > 3) return `input shape must have 1 to 3 axes (C, H, W), got ${shown}`;
  if (!shape.every((d) => Number.isInteger(d) && d >= 1 && d <= 512)) return `input shape axes must be integers in 1..512, got ${shown}`;
  return null;
}

/** Why the text typed as an input shape is not one (names the first bad part), or null. */
export function shapeTextError(text: string): string | null {
  const parts = text
    .replace(/[[\]()]/g, '')
    .split(/[\s,×x]+/)
    .filter(Boolean);
  if (parts.length === 0) return 'input shape is empty: write C, H, W, for example 1, 32, 32';
  const bad = parts.find((p) => !/^\d+$/.test(p));
  return bad === undefined ? null : `input shape: '${bad}' is not a whole number; write C, H, W, for example 1, 32, 32`;
}

/** Parses "1, 32, 32" or "[1,32,32]" into a shape. */
export function parseShape(text: string): number[] {
  const parts = text
    .replace(/[[\]()]/g, '')
    .split(/[\s,×x]+/)
    .filter(Boolean);
  return parts.map(Number);
}

export function inspectSequential(specs: readonly LayerSpec[], inputShape: readonly number[]): Inspection {
  const rows: Row[] = specs.map((s, i) => ({ name: String(i), type: s.type, outputShape: null, params: 0, error: null }));
  const base = { rows, inputShape: [...inputShape], outputShape: null, totalParams: 0 };
  const shapeError = checkInputShape(inputShape);
  if (shapeError) return { ...base, error: { index: -1, message: shapeError }, model: null };

  const layers: M.Module[] = [];
  for (let i = 0; i < specs.length; i++) {
    const bad = checkArgs(specs[i]);
    let built: M.Module | null = null;
    if (!bad) {
      try {
        built = BLOCKS[specs[i].type].build(specs[i].args);
      } catch (e) {
        rows[i].error = message(e);
      }
    } else rows[i].error = bad;
    if (!built) return { ...base, error: { index: i, message: rows[i].error! }, model: null };
    rows[i].params = paramCount(built);
    layers.push(built);
  }
  const model = new M.Sequential(...layers).eval();
  const totalParams = paramCount(model);
  let error: Inspection['error'] = null;
  let out: number[] | null = [1, ...inputShape];
  noGrad(() => {
    let x: Tensor = zeros(out!);
    for (let i = 0; i < layers.length; i++) {
      try {
        x = layers[i](x);
      } catch (e) {
        const m = message(e);
        rows[i].error = m;
        error = { index: i, message: m };
        out = null;
        return;
      }
      rows[i].outputShape = [...x.shape];
    }
    out = [...x.shape];
  });
  return { rows, inputShape: [...inputShape], outputShape: out, totalParams, error, model };
}

export function inspectZoo(name: string): Inspection {
  const entry = zoo[name];
  if (!entry) throw new Error(`inspectZoo: unknown model '${name}'; known models are ${Object.keys(zoo).join(', ')}`);
  const model = entry.create().eval();
  const s = noGrad(() => summarize(model, zeros([1, ...entry.inputShape])));
  const rows: Row[] = s.layers.map((l) => ({ name: l.name, type: l.type, outputShape: l.outputShape, params: l.params, error: null }));
  return { rows, inputShape: [...entry.inputShape], outputShape: s.outputShape, totalParams: s.totalParams, error: null, model };
}

/** `[N,6,28,28]`: the batch axis is whatever the caller feeds. */
export function batchShape(shape: readonly number[]): string {
  return `[N,${shape.slice(1).join(',')}]`;
}
