import { Tensor } from '../tensor.js';

/**
 * A value that may sit next to the tensors of a checkpoint: an optimizer state dict, an
 * epoch counter, a config. Tensors inside are stored as safetensors entries; the rest is
 * kept as JSON in the metadata.
 */
export type Nested =
  | Tensor
  | number
  | string
  | boolean
  | null
  | readonly Nested[]
  | { readonly [key: string]: Nested }
  | ReadonlyMap<string, Nested>;

/** The JSON stand-in for a tensor inside a nested value's skeleton. */
interface TensorRefJson {
  $tensor: string;
}

/**
 * Splits a nested value into its tensors (keyed `prefix.path.to.leaf`) and a JSON
 * skeleton in which each tensor is replaced by `{"$tensor": key}`; `inflate` reverses it.
 */
export function deflate(op: string, value: Nested, prefix: string, tensors: Map<string, Tensor>): unknown {
  const seen = new Set<object>();
  const walk = (v: Nested, path: string): unknown => {
    if (v instanceof Tensor) {
      if (tensors.has(path)) throw new Error(`${op}: two entries would be stored under the key '${path}'`);
      tensors.set(path, v);
      return { $tensor: path } satisfies TensorRefJson;
    }
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new TypeError(`${op}: the value at '${path}' must be a finite number, got ${v}`);
      return v;
    }
    if (typeof v !== 'object')
      throw new TypeError(`${op}: the value at '${path}' must be a Tensor, number, string, boolean, array or object, got ${typeof v}`);
    if (seen.has(v)) throw new Error(`${op}: the value at '${path}' contains itself`);
    seen.add(v);
    let out: unknown;
    if (Array.isArray(v)) out = v.map((x, i) => walk(x, `${path}.${i}`));
    else if (v instanceof Map) out = { $map: [...v].map(([k, x]) => [k, walk(x, `${path}.${checkKey(op, k, path)}`)]) };
    else {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) o[k] = walk(x as Nested, `${path}.${checkKey(op, k, path)}`);
      if ('$tensor' in o || '$map' in o) throw new Error(`${op}: the keys '$tensor' and '$map' are reserved, found one at '${path}'`);
      out = o;
    }
    seen.delete(v);
    return out;
  };
  return walk(value, prefix);
}

function checkKey(op: string, k: unknown, path: string): string {
  if (typeof k !== 'string' || k.length === 0)
    throw new TypeError(`${op}: keys inside '${path}' must be non-empty strings, got ${String(k)}`);
  return k;
}

/** Rebuilds a nested value from its skeleton; `take` returns the tensor for a key (or throws). */
export function inflate(skeleton: unknown, take: (key: string) => Tensor): Nested {
  if (skeleton === null || typeof skeleton !== 'object') return skeleton as Nested;
  if (Array.isArray(skeleton)) return skeleton.map((x) => inflate(x, take));
  const o = skeleton as Record<string, unknown>;
  if (typeof o.$tensor === 'string') return take(o.$tensor);
  if ('$map' in o) {
    const pairs = o.$map;
    if (!Array.isArray(pairs) || !pairs.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string')) {
      throw new Error(`a '$map' must be a list of [key, value] pairs, got ${JSON.stringify(pairs)}`);
    }
    return new Map(pairs.map(([k, x]) => [k as string, inflate(x, take)]));
  }
  // No prototype: a key '__proto__' from a file becomes an entry, never the object's prototype.
  const out: Record<string, Nested> = Object.create(null);
  for (const [k, x] of Object.entries(o)) out[k] = inflate(x, take);
  return out;
}
