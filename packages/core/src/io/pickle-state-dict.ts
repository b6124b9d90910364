/**
 * MegEngine `.pkl` state dicts: what `mge.save(module.state_dict(), f)` writes, a pickle
 * of a dict/OrderedDict of numpy arrays. Only the globals that rebuild numpy arrays are
 * allowed; each is a small JavaScript stand-in, so nothing in the file is ever executed.
 */
import type { DataArray, DType } from '../dtype.js';
import { tensor } from '../ops/creation.js';
import { shapeToString, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { CheckpointError } from './errors.js';
import { PickleError, PyDict, type PyObject, type PyTuple, type PyValue, unpickle } from './pickle.js';

export interface PickleLoadOptions {
  /** Device for the tensors (the default device otherwise). */
  device?: string;
  /** Names the data in error messages, e.g. the file path. */
  source?: string;
}

/** numpy.dtype: the type code from the call, the byte order from BUILD. */
class NpDType implements PyObject {
  readonly pyName = 'numpy.dtype';
  byteOrder = '=';
  readonly kind: string;
  readonly itemSize: number;
  constructor(readonly code: string) {
    const m = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(code);
    if (!m) throw new PickleError(`numpy dtype '${code}' is not a plain numeric type`);
    if (m[1]) this.byteOrder = m[1];
    this.kind = m[2];
    this.itemSize = Number(m[3]);
  }
  build(state: PyValue): void {
    if (!Array.isArray(state) || typeof state[1] !== 'string')
      throw new PickleError(`numpy dtype state must be a tuple starting (version, byteorder), got ${String(state)}`);
    if (state[2] !== null || (state[3] !== null && state[3] !== undefined))
      throw new PickleError(`numpy dtype '${this.code}' is structured or a sub-array, which is not supported`);
    this.byteOrder = state[1] as string;
  }
  get bigEndian(): boolean {
    return this.byteOrder === '>';
  }
  get name(): string {
    return `${this.byteOrder === '>' ? '>' : ''}${this.kind}${this.itemSize}`;
  }
}

/** A numpy array under construction: _reconstruct makes it empty, BUILD fills it. */
class NpArray implements PyObject {
  readonly pyName = 'numpy.ndarray';
  shape: number[] = [];
  dtype: NpDType | null = null;
  fortran = false;
  data: Uint8Array | null = null;
  build(state: PyValue): void {
    if (!Array.isArray(state) || state.length !== 5)
      throw new PickleError('numpy array state must be a 5-tuple (version, shape, dtype, fortran, data)');
    const [, shape, dtype, fortran, data] = state as PyValue[];
    this.shape = shapeOf(shape);
    if (!(dtype instanceof NpDType)) throw new PickleError(`numpy array state: expected a dtype, got ${String(dtype)}`);
    this.dtype = dtype;
    this.fortran = fortran === true;
    if (typeof data === 'string') this.data = latin1(data);
    else if (data instanceof Uint8Array) this.data = data;
    else throw new PickleError(`numpy arrays of Python objects (dtype '${dtype.code}') are not supported`);
  }
}

function shapeOf(v: PyValue): number[] {
  if (!Array.isArray(v) || !v.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new PickleError(`numpy array shape must be a tuple of non-negative integers, got ${String(v)}`);
  }
  return [...(v as number[])];
}

function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw new PickleError(`_codecs.encode: character U+${c.toString(16)} is not latin-1`);
    out[i] = c;
  }
  return out;
}

function fn(pyName: string, call: (args: PyTuple) => PyValue): PyObject {
  return { pyName, call };
}

const ndarrayClass: PyObject = { pyName: 'numpy.ndarray' };

function reconstruct(args: PyTuple): PyValue {
  if (args[0] !== ndarrayClass)
    throw new PickleError(`numpy _reconstruct may only build numpy.ndarray, got ${String((args[0] as PyObject)?.pyName ?? args[0])}`);
  return new NpArray();
}

function makeDType(args: PyTuple): PyValue {
  if (typeof args[0] !== 'string') throw new PickleError('numpy.dtype expects a type code string');
  return new NpDType(args[0]);
}

function scalar(args: PyTuple): PyValue {
  const [dtype, data] = args;
  if (!(dtype instanceof NpDType)) throw new PickleError('numpy scalar expects a dtype');
  const a = new NpArray();
  a.dtype = dtype;
  a.data = typeof data === 'string' ? latin1(data) : data instanceof Uint8Array ? data : null;
  if (!a.data) throw new PickleError(`numpy scalars of Python objects (dtype '${dtype.code}') are not supported`);
  return a;
}

function frombuffer(args: PyTuple): PyValue {
  const [buf, dtype, shape, order] = args;
  if (!(buf instanceof Uint8Array) || !(dtype instanceof NpDType))
    throw new PickleError('numpy _frombuffer expects (bytes, dtype, shape, order)');
  const a = new NpArray();
  a.dtype = dtype;
  a.data = buf;
  a.shape = shapeOf(shape);
  a.fortran = order === 'F';
  return a;
}

function codecsEncode(args: PyTuple): PyValue {
  const [s, enc] = args;
  if (typeof s !== 'string' || (enc !== 'latin1' && enc !== 'latin-1'))
    throw new PickleError(`_codecs.encode is only allowed for latin-1 text, got encoding ${String(enc)}`);
  return latin1(s);
}

const newDict = fn('collections.OrderedDict', (args) => {
  if (args.length) throw new PickleError('OrderedDict(...) with arguments is not supported');
  return new PyDict();
});

/** Protocol 2 writes empty bytes (e.g. the data of a zero-size array) as `bytes()`. */
const emptyBytes = fn('builtins.bytes', (args) => {
  if (args.length) throw new PickleError('bytes(...) is only allowed without arguments');
  return new Uint8Array(0);
});

/** The only globals a state-dict pickle may name (numpy 1.x `numpy.core`, numpy 2.x `numpy._core`). */
const ALLOWED = new Map<string, PyObject>([
  ['collections.OrderedDict', newDict],
  ['builtins.dict', newDict],
  ['builtins.bytes', emptyBytes],
  ['__builtin__.bytes', emptyBytes],
  ['numpy.ndarray', ndarrayClass],
  ['numpy.dtype', fn('numpy.dtype', makeDType)],
  ['_codecs.encode', fn('_codecs.encode', codecsEncode)],
]);
for (const core of ['numpy.core', 'numpy._core']) {
  ALLOWED.set(`${core}.multiarray._reconstruct`, fn(`${core}.multiarray._reconstruct`, reconstruct));
  ALLOWED.set(`${core}.multiarray.scalar`, fn(`${core}.multiarray.scalar`, scalar));
  ALLOWED.set(`${core}.numeric._frombuffer`, fn(`${core}.numeric._frombuffer`, frombuffer));
}

/** How each numpy type becomes one of ours; 8-byte types are narrowed (with a range check for integers). */
function targetDType(d: NpDType): DType | null {
  if (d.kind === 'f' && (d.itemSize === 4 || d.itemSize === 8)) return 'float32';
  if ((d.kind === 'i' || d.kind === 'u') && [1, 2, 4, 8].includes(d.itemSize)) return 'int32';
  if (d.kind === 'b' && d.itemSize === 1) return 'bool';
  return null;
}

function convert(a: NpArray, key: string, fail: (msg: string) => never): { data: DataArray; dtype: DType } {
  const d = a.dtype!;
  const dtype = targetDType(d);
  if (!dtype)
    fail(`'${key}': numpy dtype '${d.name}' is not supported (expected float32, int32 or bool; float64 and other integers are converted)`);
  const n = sizeOf(a.shape);
  const bytes = a.data!;
  if (bytes.length !== n * d.itemSize) {
    fail(`'${key}': shape ${shapeToString(a.shape)} of ${d.name} needs ${n * d.itemSize} bytes, got ${bytes.length}`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = !d.bigEndian;
  const out = dtype === 'float32' ? new Float32Array(n) : dtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
  const s = d.itemSize;
  for (let i = 0; i < n; i++) {
    const o = i * s;
    let v: number;
    if (d.kind === 'f') v = s === 4 ? dv.getFloat32(o, le) : dv.getFloat64(o, le);
    else if (d.kind === 'b') {
      v = bytes[o];
      if (v > 1) fail(`'${key}': bool element ${i} is ${v}, expected 0 or 1`);
    } else if (s === 8) {
      const big = d.kind === 'i' ? dv.getBigInt64(o, le) : dv.getBigUint64(o, le);
      if (big < -(2n ** 31n) || big >= 2n ** 31n) fail(`'${key}': ${d.name} element ${i} = ${big} does not fit in int32`);
      v = Number(big);
    } else if (d.kind === 'i') v = s === 1 ? dv.getInt8(o) : s === 2 ? dv.getInt16(o, le) : dv.getInt32(o, le);
    else {
      v = s === 1 ? dv.getUint8(o) : s === 2 ? dv.getUint16(o, le) : dv.getUint32(o, le);
      if (v >= 2 ** 31) fail(`'${key}': ${d.name} element ${i} = ${v} does not fit in int32`);
    }
    out[i] = v;
  }
  return { data: a.fortran && a.shape.length > 1 ? fortranToC(out, a.shape) : out, dtype };
}

/** Column-major data re-laid out row-major. */
function fortranToC(src: DataArray, shape: number[]): DataArray {
  const out = new (src.constructor as new (n: number) => DataArray)(src.length);
  const nd = shape.length;
  const fStrides = new Array<number>(nd);
  let s = 1;
  for (let k = 0; k < nd; k++) {
    fStrides[k] = s;
    s *= shape[k];
  }
  const idx = new Array<number>(nd).fill(0);
  for (let i = 0; i < out.length; i++) {
    let o = 0;
    for (let k = 0; k < nd; k++) o += idx[k] * fStrides[k];
    out[i] = src[o];
    for (let k = nd - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

/**
 * Reads a MegEngine/NumPy `.pkl` state dict (a pickled dict or OrderedDict of numpy
 * arrays) into a Map of tensors, in the file's key order. Any global other than those
 * that rebuild numpy arrays is refused by name; nothing in the file is executed.
 */
export function loadPickleStateDict(bytes: Uint8Array | ArrayBuffer, options: PickleLoadOptions = {}): Map<string, Tensor> {
  const op = 'loadPickleStateDict';
  const source = options.source ?? '<bytes>';
  const fail = (msg: string): never => {
    throw new CheckpointError(`${op}: ${source}: ${msg}`);
  };
  if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
  if (!(bytes instanceof Uint8Array))
    throw new TypeError(`${op}: argument 'bytes' must be a Uint8Array or ArrayBuffer, got ${typeof bytes}`);
  if (bytes.length < 2 || bytes[0] !== 0x80)
    fail('not a binary pickle (expected the PROTO opcode 0x80 first; protocols 2 to 5 are supported)');

  let root: PyValue;
  try {
    root = unpickle(bytes, (module, name) => {
      const g = ALLOWED.get(`${module}.${name}`);
      if (!g) {
        throw new PickleError(
          `refusing pickle global '${module}.${name}': only numpy arrays in a dict are allowed, and nothing is ever executed`,
        );
      }
      return g;
    });
  } catch (e) {
    if (e instanceof PickleError) return fail(e.message);
    throw e;
  }
  if (!(root instanceof PyDict)) return fail(`expected a dict or OrderedDict of numpy arrays, got ${root === null ? 'None' : typeof root}`);

  const arrays: [string, { data: DataArray; dtype: DType; shape: number[] }][] = [];
  for (const [k, v] of root.map) {
    if (typeof k !== 'string') fail(`keys must be strings, got ${typeof k} ${String(k)}`);
    if (!(v instanceof NpArray) || !v.dtype || !v.data)
      fail(
        `'${String(k)}': expected a numpy array, got ${v === null ? 'None' : typeof v === 'object' ? ((v as PyObject).pyName ?? 'an object') : typeof v}`,
      );
    const a = v as NpArray;
    arrays.push([k as string, { ...convert(a, k as string, fail), shape: a.shape }]);
  }
  const out = new Map<string, Tensor>();
  try {
    for (const [k, a] of arrays) out.set(k, tensor(a.data, { dtype: a.dtype, shape: a.shape, device: options.device }));
  } catch (e) {
    for (const t of out.values()) t.dispose();
    throw e;
  }
  return out;
}
