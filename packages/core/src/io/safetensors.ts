/**
 * The safetensors format (https://github.com/huggingface/safetensors): an 8-byte
 * little-endian header length, a JSON header naming each tensor's dtype, shape and byte
 * range, then the raw little-endian data. Browser-safe: no Node imports here.
 */
import type { DataArray } from '../dtype.js';
import { tensor } from '../ops/creation.js';
import { shapeToString, sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { CheckpointError } from './errors.js';
import {
  FORMAT_NAME,
  FORMAT_VERSION,
  FROM_ST_DTYPE,
  isStDType,
  MAX_HEADER_BYTES,
  MAX_HEADER_ENTRIES,
  OTHER_ST_DTYPES,
  ST_BYTES,
  ST_DTYPE,
  type StDType,
  TREE_PREFIX,
} from './format.js';
import { scanJsonKeys } from './json-keys.js';
import { deflate, inflate, type Nested } from './tree.js';

/** A model's state dict: parameter and buffer names to tensors. */
export type StateDict = ReadonlyMap<string, Tensor> | { readonly [name: string]: Tensor };

/**
 * What `save`/`serialize` accept: a state dict, where any value may instead be a nested
 * value (e.g. `optimizer: opt.stateDict()`), plus an optional `__metadata__` of strings.
 */
export type CheckpointInput =
  | ReadonlyMap<string, Nested>
  | {
      readonly [name: string]: Nested | Readonly<Record<string, string>> | undefined;
      readonly __metadata__?: Readonly<Record<string, string>>;
    };

export interface SerializeOptions {
  /** Extra `__metadata__` strings (e.g. `{model: 'lenet'}`); `format` and `version` are written by us. */
  metadata?: Readonly<Record<string, string>>;
}

export interface DeserializeOptions {
  /** Device for the loaded tensors (the default device otherwise). */
  device?: string;
  /** Names the data in error messages, e.g. the file path. */
  source?: string;
}

/**
 * A loaded checkpoint: a Map of the top-level tensors (the state dict, keys sorted),
 * the `__metadata__` strings, and the nested values saved next to them.
 */
export class Checkpoint extends Map<string, Tensor> {
  constructor(
    entries: Iterable<[string, Tensor]>,
    readonly metadata: Readonly<Record<string, string>>,
    readonly nested: Readonly<Record<string, Nested>>,
  ) {
    super(entries);
  }
}

interface Plan {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

const RESERVED_META = new Set(['format', 'version']);

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (x instanceof Tensor) return `a Tensor of shape ${shapeToString(x.shape)}`;
  return typeof x === 'object' ? (x.constructor?.name ?? 'an object') : `${typeof x} ${JSON.stringify(x)}`;
}

function addMetadata(op: string, into: Record<string, string>, meta: unknown, arg: string): void {
  if (meta === undefined) return;
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) {
    throw new TypeError(`${op}: ${arg} must be an object of strings, got ${describe(meta)}`);
  }
  for (const [k, v] of Object.entries(meta)) {
    if (typeof v !== 'string') throw new TypeError(`${op}: ${arg}['${k}'] must be a string, got ${describe(v)}`);
    if (k.startsWith(TREE_PREFIX)) throw new Error(`${op}: ${arg} keys starting with '${TREE_PREFIX}' are reserved, got '${k}'`);
    if (RESERVED_META.has(k) && v !== (k === 'format' ? FORMAT_NAME : FORMAT_VERSION)) {
      throw new Error(`${op}: ${arg}['${k}'] is written by the library and cannot be set to '${v}'`);
    }
    into[k] = v;
  }
}

/** Splits the input into tensor entries and metadata strings, validating as it goes. */
function plan(op: string, obj: CheckpointInput, options: SerializeOptions): Plan {
  let entries: [string, unknown][];
  if (obj instanceof Map) entries = [...obj];
  else if (obj !== null && typeof obj === 'object' && !Array.isArray(obj) && !(obj instanceof Tensor)) entries = Object.entries(obj);
  else throw new TypeError(`${op}: argument 'obj' must be a Map or a plain object of tensors, got ${describe(obj)}`);

  const tensors = new Map<string, Tensor>();
  const metadata: Record<string, string> = { format: FORMAT_NAME, version: FORMAT_VERSION };
  for (const [key, value] of entries) {
    if (typeof key !== 'string' || key.length === 0) throw new TypeError(`${op}: keys must be non-empty strings, got ${String(key)}`);
    if (key === '__metadata__') {
      addMetadata(op, metadata, value, "obj['__metadata__']");
    } else if (value === undefined) {
      throw new TypeError(`${op}: the value of '${key}' is undefined`);
    } else if (value instanceof Tensor) {
      if (tensors.has(key)) throw new Error(`${op}: two entries would be stored under the key '${key}'`);
      tensors.set(key, value);
    } else {
      metadata[TREE_PREFIX + key] = JSON.stringify(deflate(op, value as Nested, key, tensors));
    }
  }
  addMetadata(op, metadata, options.metadata, "option 'metadata'");
  return { tensors, metadata };
}

/** Data order: 4-byte dtypes before bool so every F32/I32 tensor starts 4-byte aligned; by key within a dtype size. */
function layoutOrder(tensors: Map<string, Tensor>): string[] {
  const size = (k: string) => ST_BYTES[ST_DTYPE[tensors.get(k)!.dtype]];
  return [...tensors.keys()].sort((a, b) => size(b) - size(a) || (a < b ? -1 : a > b ? 1 : 0));
}

function encode(plan: Plan, data: Map<string, DataArray>): Uint8Array {
  const order = layoutOrder(plan.tensors);
  const entries: Record<string, { dtype: StDType; shape: number[]; data_offsets: [number, number] }> = {};
  let offset = 0;
  const placed = new Map<string, number>();
  for (const key of order) {
    const t = plan.tensors.get(key)!;
    const bytes = data.get(key)!.byteLength;
    entries[key] = { dtype: ST_DTYPE[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    placed.set(key, offset);
    offset += bytes;
  }
  const header: Record<string, unknown> = { __metadata__: plan.metadata };
  for (const key of [...order].sort()) header[key] = entries[key];
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Spaces after the JSON (allowed by the spec) make the data start on an 8-byte boundary.
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLen, true);
  view.setUint32(4, Math.floor(headerLen / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  const base = 8 + headerLen;
  for (const [key, start] of placed) {
    const arr = data.get(key)!;
    out.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), base + start);
  }
  if (!LITTLE_ENDIAN) swapInPlace(out, base, plan.tensors, entries);
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** On a big-endian host the 4-byte values are flipped to the format's little-endian order (and back on load). */
function swapInPlace(
  out: Uint8Array,
  base: number,
  tensors: Map<string, Tensor>,
  entries: Record<string, { dtype: StDType; data_offsets: [number, number] }>,
): void {
  for (const key of tensors.keys()) {
    const e = entries[key];
    if (ST_BYTES[e.dtype] !== 4) continue;
    for (let i = base + e.data_offsets[0]; i < base + e.data_offsets[1]; i += 4) {
      [out[i], out[i + 1], out[i + 2], out[i + 3]] = [out[i + 3], out[i + 2], out[i + 1], out[i]];
    }
  }
}

/**
 * The safetensors bytes of a state dict (synchronous: needs a backend that can read
 * synchronously, like js or cpu; use `serializeAsync` for webgpu).
 */
export function serialize(obj: CheckpointInput, options: SerializeOptions = {}): Uint8Array {
  const p = plan('serialize', obj, options);
  const data = new Map<string, DataArray>();
  for (const [k, t] of p.tensors) {
    if (!t.backend.readSync)
      throw new Error(
        `serialize: tensor '${k}' is on device '${t.device}', which cannot be read synchronously; use 'await serializeAsync(obj)'`,
      );
    data.set(k, t.dataSync());
  }
  return encode(p, data);
}

/** `serialize` for tensors on any device. */
export async function serializeAsync(obj: CheckpointInput, options: SerializeOptions = {}): Promise<Uint8Array> {
  const p = plan('serializeAsync', obj, options);
  const data = new Map<string, DataArray>();
  for (const [k, t] of p.tensors) data.set(k, await t.data());
  return encode(p, data);
}

interface Entry {
  key: string;
  dtype: StDType;
  shape: number[];
  begin: number;
  end: number;
}

function isNonNegInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/**
 * Parses safetensors bytes into tensors. Everything is checked before any tensor is
 * made, so a bad file is an error and nothing is half-loaded.
 */
export function deserialize(bytes: Uint8Array | ArrayBuffer, options: DeserializeOptions = {}): Checkpoint {
  return parse('deserialize', bytes, options);
}

/** A header or nested value with a repeated key, or with more entries than MAX_HEADER_ENTRIES, is refused. */
function checkKeys(fail: (msg: string) => never, what: string, json: string): void {
  const scan = scanJsonKeys(json, MAX_HEADER_ENTRIES);
  if (scan.duplicate) {
    const where = scan.duplicate.path ? ` in the object at '${scan.duplicate.path.slice(1)}'` : '';
    fail(`${what} repeats the key '${scan.duplicate.key}'${where}; a checkpoint must name each entry once`);
  }
  if (scan.entries > MAX_HEADER_ENTRIES) fail(`${what} has more than ${MAX_HEADER_ENTRIES} entries, the limit`);
}

/** @internal Shared by `deserialize` and `load` (which names itself in errors). */
export function parse(op: string, input: Uint8Array | ArrayBuffer, options: DeserializeOptions): Checkpoint {
  const source = options.source ?? '<bytes>';
  const fail = (msg: string): never => {
    throw new CheckpointError(`${op}: ${source}: ${msg}`);
  };
  if (input instanceof ArrayBuffer) input = new Uint8Array(input);
  if (!(input instanceof Uint8Array)) {
    throw new TypeError(`${op}: argument 'bytes' must be a Uint8Array or ArrayBuffer, got ${describe(input)}`);
  }
  const bytes = input;
  if (bytes.length < 8) fail(`truncated: ${bytes.length} bytes, but a safetensors file starts with an 8-byte header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  const headerLen = hi * 2 ** 32 + lo;
  if (hi !== 0 || headerLen > MAX_HEADER_BYTES) {
    fail(`header length ${headerLen} exceeds the limit of ${MAX_HEADER_BYTES} bytes (not a safetensors file, or corrupt)`);
  }
  if (8 + headerLen > bytes.length)
    fail(`truncated: the header needs ${headerLen} bytes but only ${bytes.length - 8} follow the length field`);

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    return fail('the header is not valid UTF-8');
  }
  checkKeys(fail, 'the header', text);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    fail(`the header must be a JSON object, got ${describe(header)}`);
  const h = header as Record<string, unknown>;

  // No prototypes: a key '__proto__' in a file is just a key.
  const metadata: Record<string, string> = Object.create(null);
  const trees: [string, string][] = [];
  if ('__metadata__' in h) {
    const m = h.__metadata__;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) fail(`'__metadata__' must be an object of strings, got ${describe(m)}`);
    for (const [k, v] of Object.entries(m as object)) {
      if (typeof v !== 'string') fail(`'__metadata__' entry '${k}' must be a string, got ${describe(v)}`);
      if (k.startsWith(TREE_PREFIX)) trees.push([k.slice(TREE_PREFIX.length), v]);
      else metadata[k] = v;
    }
  }

  const dataLen = bytes.length - 8 - headerLen;
  const entries: Entry[] = [];
  for (const [key, raw] of Object.entries(h)) {
    if (key === '__metadata__') continue;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      fail(`tensor '${key}': expected an object with dtype, shape and data_offsets, got ${describe(raw)}`);
    const { dtype, shape, data_offsets: offs, ...extra } = raw as Record<string, unknown>;
    const unexpected = Object.keys(extra);
    if (unexpected.length) fail(`tensor '${key}': unexpected field '${unexpected[0]}' (expected dtype, shape, data_offsets)`);
    if (!isStDType(dtype)) {
      fail(
        typeof dtype === 'string' && OTHER_ST_DTYPES.has(dtype)
          ? `tensor '${key}': dtype '${dtype}' is not supported (expected F32, I32 or BOOL)`
          : `tensor '${key}': unknown dtype ${JSON.stringify(dtype)} (expected F32, I32 or BOOL)`,
      );
    }
    const st = dtype as StDType;
    if (!Array.isArray(shape) || !shape.every(isNonNegInt))
      fail(`tensor '${key}': shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isNonNegInt) || offs[0] > offs[1]) {
      fail(`tensor '${key}': data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    const s = shape as number[];
    const expected = sizeOf(s) * ST_BYTES[st];
    if (end - begin !== expected) {
      fail(
        `tensor '${key}': shape ${shapeToString(s)} of ${st} needs ${expected} bytes, but data_offsets [${begin}, ${end}] span ${end - begin}`,
      );
    }
    if (end > dataLen)
      fail(
        `tensor '${key}': data_offsets [${begin}, ${end}] run past the end of the data (${dataLen} bytes); the file is truncated or corrupt`,
      );
    entries.push({ key, dtype: st, shape: s, begin, end });
  }

  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let prev: Entry | null = null;
  for (const e of byOffset) {
    if (e.begin < cursor)
      fail(`tensor '${e.key}' (bytes ${e.begin}..${e.end}) overlaps tensor '${prev!.key}' (bytes ${prev!.begin}..${prev!.end})`);
    if (e.begin > cursor) fail(`unused bytes ${cursor}..${e.begin} before tensor '${e.key}' (a hole in the data)`);
    cursor = e.end;
    prev = e;
  }
  if (cursor !== dataLen) {
    fail(
      `file size mismatch: the header describes ${8 + headerLen + cursor} bytes, got ${bytes.length} (${dataLen - cursor} extra bytes after the last tensor)`,
    );
  }

  const dataStart = bytes.byteOffset + 8 + headerLen;
  for (const e of entries) {
    if (e.dtype !== 'BOOL') continue;
    for (let i = e.begin; i < e.end; i++) {
      const v = bytes[8 + headerLen + i];
      if (v > 1) fail(`tensor '${e.key}': BOOL element ${i - e.begin} is ${v}, expected 0 or 1`);
    }
  }

  // Skeletons of the nested values are parsed and their tensor references checked before any tensor exists.
  const byKey = new Map(entries.map((e) => [e.key, e]));
  const skeletons: [string, unknown][] = [];
  const nestedKeys = new Set<string>();
  for (const [name, json] of trees) {
    checkKeys(fail, `'__metadata__' entry '${TREE_PREFIX}${name}'`, json);
    let sk: unknown;
    try {
      sk = JSON.parse(json);
    } catch (e) {
      return fail(`'__metadata__' entry '${TREE_PREFIX}${name}' is not valid JSON (${(e as Error).message})`);
    }
    try {
      inflate(sk, (k) => {
        if (!byKey.has(k)) throw new Error(`it refers to tensor '${k}', which is not in the file`);
        if (nestedKeys.has(k)) throw new Error(`tensor '${k}' is referenced twice by the nested values`);
        nestedKeys.add(k);
        return null as unknown as Tensor;
      });
    } catch (e) {
      fail(`'__metadata__' entry '${TREE_PREFIX}${name}': ${(e as Error).message}`);
    }
    skeletons.push([name, sk]);
  }

  const made = new Map<string, Tensor>();
  try {
    for (const e of entries)
      made.set(e.key, tensor(view(bytes.buffer, dataStart, e), { dtype: FROM_ST_DTYPE[e.dtype], shape: e.shape, device: options.device }));
  } catch (err) {
    for (const t of made.values()) t.dispose();
    throw err;
  }
  const nested: Record<string, Nested> = Object.create(null);
  for (const [name, sk] of skeletons) nested[name] = inflate(sk, (k) => made.get(k)!);
  const top = [...made.keys()].filter((k) => !nestedKeys.has(k)).sort();
  return new Checkpoint(
    top.map((k) => [k, made.get(k)!]),
    metadata,
    nested,
  );
}

/** A typed array over the entry's bytes: a view when aligned, a copy otherwise (tensor() copies once more on upload). */
function view(buffer: ArrayBufferLike, dataStart: number, e: Entry): DataArray {
  const at = dataStart + e.begin;
  const n = (e.end - e.begin) / ST_BYTES[e.dtype];
  if (e.dtype === 'BOOL') return new Uint8Array(buffer as ArrayBuffer, at, n);
  const Ctor = e.dtype === 'F32' ? Float32Array : Int32Array;
  if (LITTLE_ENDIAN && at % 4 === 0) return new Ctor(buffer as ArrayBuffer, at, n);
  const out = new Ctor(n);
  const dv = new DataView(buffer as ArrayBuffer, at, n * 4);
  for (let i = 0; i < n; i++) out[i] = e.dtype === 'F32' ? dv.getFloat32(i * 4, true) : dv.getInt32(i * 4, true);
  return out;
}
