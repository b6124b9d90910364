// Indexing, sorting and scans: MegEngine's F.gather, F.scatter, F.indexing_one_hot,
// F.sort, F.argsort, F.topk, F.cumsum and F.embedding, on core's gather/scatterAdd/argsort/topkIndices.
import {
  add,
  astype,
  concat,
  argsort as coreArgsort,
  div,
  eq,
  gather,
  index,
  maximum,
  normalizeAxis,
  onesLike,
  pad,
  reshape,
  scatterAdd,
  shapeToString,
  squeeze,
  Tensor,
  topkIndices,
  unsqueeze,
  where,
  zerosLike,
} from '@mge/core';

function check(op: string, x: unknown, arg: string): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: argument '${arg}' must be a Tensor, got ${x === null ? 'null' : typeof x}`);
}

export { gather, scatterAdd };

/**
 * MegEngine's F.scatter: a copy of inp whose positions named by index along `axis` hold
 * source's values. MegEngine leaves repeated positions unspecified; here they get the mean of their sources.
 */
export function scatter(inp: Tensor, axis: number, index: Tensor, source: Tensor): Tensor {
  check('scatter', inp, 'inp');
  check('scatter', source, 'source');
  // the count of hits divides repeated sources back to one of them
  const count = scatterAdd(zerosLike(inp, { dtype: 'int32' }), axis, index, onesLike(index));
  const summed = scatterAdd(zerosLike(inp), axis, index, source);
  return where(eq(count, 0), inp, div(summed, astype(maximum(count, 1), 'float32')));
}

/** MegEngine's F.indexing_one_hot: src[..., index[...], ...] along `axis`. */
export function indexingOneHot(src: Tensor, index: Tensor, axis = 1, keepdims = false): Tensor {
  check('indexingOneHot', src, 'src');
  check('indexingOneHot', index, 'index');
  const a = normalizeAxis('indexingOneHot', axis, src.ndim);
  const expected = src.shape.filter((_, i) => i !== a);
  if (index.ndim !== expected.length || index.shape.some((d, i) => d !== expected[i])) {
    throw new Error(
      `indexingOneHot: argument 'index' must have shape ${shapeToString(expected)} for src ${shapeToString(src.shape)}, got ${shapeToString(index.shape)}`,
    );
  }
  const out = gather(src, a, unsqueeze(astype(index, 'int32'), a));
  return keepdims ? out : squeeze(out, a);
}

/** Inclusive prefix sums along `axis` in ⌈log₂ n⌉ shifted adds (Hillis–Steele). */
export function cumsum(inp: Tensor, axis: number): Tensor {
  check('cumsum', inp, 'inp');
  const a = normalizeAxis('cumsum', axis, inp.ndim);
  const n = inp.shape[a];
  let y = inp.dtype === 'bool' ? astype(inp, 'int32') : inp;
  const lead = Array.from({ length: a }, () => ({}));
  for (let s = 1; s < n; s *= 2) {
    const shifted = pad(
      index(y, ...lead, { stop: n - s }),
      inp.shape.map((_, i) => (i === a ? [s, 0] : [0, 0]) as [number, number]),
    );
    y = add(y, shifted);
  }
  return y;
}

/** int32 positions sorting inp along its last axis (MegEngine's F.argsort). */
export function argsort(inp: Tensor, descending = false): Tensor {
  check('argsort', inp, 'inp');
  return coreArgsort(inp, descending, -1);
}

/** MegEngine's F.sort along the last axis: [sorted values, their int32 positions]. */
export function sort(inp: Tensor, descending = false): [Tensor, Tensor] {
  check('sort', inp, 'inp');
  const order = coreArgsort(inp, descending, -1);
  return [gather(inp, -1, order), order];
}

export interface TopkOptions {
  /** false (MegEngine's default): the k smallest; true: the k largest. */
  descending?: boolean;
  /** Return only the k-th value and its position. */
  kthOnly?: boolean;
}

/** MegEngine's F.topk along the last axis: [values, int32 positions], sorted. */
export function topk(inp: Tensor, k: number, options: TopkOptions = {}): [Tensor, Tensor] {
  check('topk', inp, 'inp');
  const { descending = false, kthOnly = false } = options;
  const n = inp.ndim === 0 ? 0 : inp.shape[inp.ndim - 1];
  if (!Number.isInteger(k) || k < 1 || k > n) throw new RangeError(`topk: argument 'k' must be an integer in [1, ${n}], got ${k}`);
  const lead = Array.from({ length: inp.ndim - 1 }, () => ({}));
  const first = topkIndices(inp, k, descending);
  const order = kthOnly ? index(first, ...lead, { start: k - 1, stop: k }) : first;
  const values = gather(inp, -1, order);
  return kthOnly ? [squeeze(values, -1), squeeze(order, -1)] : [values, order];
}

/**
 * F.embedding: rows of weight (numEmbeddings, dim) picked by int indices of any shape;
 * the row `paddingIdx` gets no gradient.
 */
export function embedding(inp: Tensor, weight: Tensor, paddingIdx: number | null = null): Tensor {
  check('embedding', inp, 'inp');
  check('embedding', weight, 'weight');
  if (weight.ndim !== 2)
    throw new Error(`embedding: argument 'weight' must be 2-d (numEmbeddings, embeddingDim), got ${shapeToString(weight.shape)}`);
  if (inp.dtype === 'float32') throw new TypeError("embedding: argument 'inp' must hold int32 indices, got float32");
  const [v, d] = weight.shape;
  const flat = reshape(astype(inp, 'int32'), [inp.size, 1]);
  let w = weight;
  if (paddingIdx !== null && paddingIdx !== undefined) {
    if (!Number.isInteger(paddingIdx) || paddingIdx < -v || paddingIdx >= v) {
      throw new RangeError(`embedding: argument 'paddingIdx' must be an integer in [${-v}, ${v - 1}], got ${paddingIdx}`);
    }
    const p = paddingIdx < 0 ? paddingIdx + v : paddingIdx;
    // the padding row's value passes through, its gradient does not
    w = concat(
      [index(weight, { stop: p }), index(weight, { start: p, stop: p + 1 }).detach(), index(weight, { start: p + 1 })].filter(
        (t) => t.shape[0] > 0,
      ),
      0,
    );
  }
  const rows = gather(w, 0, flat.broadcastTo([inp.size, d]));
  return reshape(rows, [...inp.shape, d]);
}
