import type { DataArray } from './dtype.js';
import { shapeToString } from './shape.js';
import type { Tensor } from './tensor.js';

const EDGE = 3;
const THRESHOLD = 1000;

/** Formats float values as NumPy does: common width, trailing '.' for integers, scientific when ranges are wide. */
export function formatFloats(values: number[]): string[] {
  const finite = values.filter((v) => Number.isFinite(v));
  const absNonZero = finite.map(Math.abs).filter((v) => v > 0);
  const maxAbs = absNonZero.length ? Math.max(...absNonZero) : 0;
  const minAbs = absNonZero.length ? Math.min(...absNonZero) : 0;
  const scientific = maxAbs >= 1e8 || (minAbs > 0 && (minAbs < 1e-4 || maxAbs / minAbs > 1e3));
  const special = (v: number) => (Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf');
  if (scientific) {
    const mant = finite.map((v) => shortest(v, 8, true));
    const digits = Math.max(0, ...mant.map((s) => (s.split('e')[0].split('.')[1] ?? '').length));
    // NumPy keeps the point even with no fraction digits: 1.e-05
    const sci = (v: number) =>
      v
        .toExponential(digits)
        .replace(/^(-?\d)e/, '$1.e')
        .replace(/e([+-])(\d)$/, 'e$10$2');
    return values.map((v) => (Number.isFinite(v) ? sci(v) : special(v)));
  }
  const reprs = values.map((v) => (Number.isFinite(v) ? shortest(v, 8, false) : special(v)));
  const frac = Math.max(0, ...reprs.filter((_, i) => Number.isFinite(values[i])).map((s) => (s.split('.')[1] ?? '').length));
  return reprs.map((s, i) => {
    if (!Number.isFinite(values[i])) return s;
    const [int, f = ''] = s.split('.');
    return `${int}.${f.padEnd(frac, ' ')}`;
  });
}

/**
 * The shortest decimal that reads back as the same float32, with at most `precision`
 * digits after the point (NumPy's default floatmode 'maxprec', precision 8).
 */
function shortest(v: number, precision: number, exponential: boolean): string {
  const f = Math.fround(v);
  if (exponential) {
    for (let p = 1; p < 9; p++) if (Math.fround(Number(f.toExponential(p - 1))) === f) return f.toExponential(p - 1);
    return f.toExponential(precision);
  }
  let str = f.toString();
  for (let p = 1; p <= 9; p++) {
    const s = Number(f.toPrecision(p));
    if (Math.fround(s) === f) {
      str = s.toString();
      break;
    }
  }
  if (str.includes('e')) str = f.toFixed(precision);
  const [int, frac = ''] = str.split('.');
  if (frac.length > precision) str = Number(f.toFixed(precision)).toString();
  else str = frac ? `${int}.${frac}` : int;
  return str.includes('.') ? str : `${str}.`;
}

function formatValues(arr: number[], dtype: string): string[] {
  if (dtype === 'bool') return arr.map((v) => (v ? ' True' : 'False'));
  if (dtype === 'int32') return arr.map(String);
  return formatFloats(arr);
}

/**
 * NumPy-style nested rendering of flat values, with '...' past 1000 elements.
 * `separator` ' ' gives str() layout (Tensor printing), ',' gives repr() layout (state dicts).
 */
export function formatArray(data: DataArray, shape: readonly number[], dtype: string, prefix: string, separator: ' ' | ',' = ' '): string {
  if (shape.length === 0) return formatValues([data[0]], dtype)[0].trim();
  const size = data.length;
  const summarize = size > THRESHOLD;
  // choose the indices shown along each axis
  const shown = (n: number) =>
    summarize && n > 2 * EDGE ? [...Array(EDGE).keys(), -1, ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i)] : [...Array(n).keys()];
  const strides: number[] = [];
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  const picked: number[] = [];
  const collect = (dim: number, off: number) => {
    for (const i of shown(shape[dim])) {
      if (i < 0) continue;
      if (dim === shape.length - 1) picked.push(off + i);
      else collect(dim + 1, off + i * strides[dim]);
    }
  };
  collect(0, 0);
  const fixedTexts = formatValues(
    picked.map((i) => data[i]),
    dtype,
  );
  const width = Math.max(...fixedTexts.map((t) => t.length), 0);
  let k = 0;
  const render = (dim: number, indent: string): string => {
    const parts: string[] = [];
    for (const i of shown(shape[dim])) {
      if (i < 0) parts.push('...');
      else if (dim === shape.length - 1) parts.push(fixedTexts[k++].padStart(width));
      else parts.push(render(dim + 1, `${indent} `));
    }
    if (dim === shape.length - 1) return `[${parts.join(separator === ',' ? ', ' : ' ')}]`;
    const sep = `${separator === ',' ? ',' : ''}\n${'\n'.repeat(shape.length - dim - 2)}${indent} `;
    return `[${parts.join(sep)}]`;
  };
  return render(0, prefix);
}

/** `Tensor([[1. 2.]\n        [3. 4.]], dtype=float32, device=js)` — MegEngine's repr, NumPy's layout. */
export function formatTensor(t: Tensor): string {
  if (t.isDisposed) return `Tensor(<disposed>, shape=${shapeToString(t.shape)}, dtype=${t.dtype}, device=${t.device})`;
  const backend = t.backend;
  if (!backend.readSync)
    return `Tensor(<on ${t.device}; await t.data() to read>, shape=${shapeToString(t.shape)}, dtype=${t.dtype}, device=${t.device})`;
  const data = backend.readSync(t.storage.buf, t.dtype, t.size);
  const body = t.size === 0 ? `[]` : formatArray(data, t.shape, t.dtype, ' '.repeat('Tensor('.length));
  const shapeNote = t.size === 0 ? `, shape=${shapeToString(t.shape)}` : '';
  return `Tensor(${body}${shapeNote}, dtype=${t.dtype}, device=${t.device})`;
}
