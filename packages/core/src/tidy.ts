import type { Tensor } from './tensor.js';

const scopes: Set<Tensor>[] = [];

/** @internal Called by every new tensor. */
export function trackInScope(t: Tensor): void {
  if (scopes.length > 0) scopes[scopes.length - 1].add(t);
}

function collect(result: unknown, out: Set<unknown>, depth = 0): void {
  if (result === null || typeof result !== 'object' || depth > 4) return;
  out.add(result);
  if (Array.isArray(result)) for (const r of result) collect(r, out, depth + 1);
  else if (result instanceof Map) for (const r of result.values()) collect(r, out, depth + 1);
  else if (Object.getPrototypeOf(result) === Object.prototype) for (const r of Object.values(result)) collect(r, out, depth + 1);
}

/**
 * Runs `fn` and disposes every tensor it created except those it returns (also inside
 * arrays, Maps and plain objects) and those passed to `keep`. Optional: memory is
 * reclaimed by the garbage collector anyway; tidy frees device memory sooner.
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`tidy: argument 'fn' must be a function, got ${typeof fn}`);
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    // nothing is returned, so nothing made inside is kept
    scopes.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const t of scope) t.dispose();
    throw new Error('tidy: fn must be synchronous; it returned a Promise');
  }
  const kept = new Set<unknown>();
  collect(result, kept);
  // a deferred result (ops/fused.ts) is computed now, while the inputs tidy frees are alive
  for (const t of scope) if (t.deferred && kept.has(t)) void t.storage;
  for (const t of scope) {
    if (kept.has(t)) trackInScope(t);
    else t.dispose();
  }
  return result;
}

/** Keeps a tensor alive past the enclosing tidy(). */
export function keep<T extends Tensor>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

/** @internal Runs fn, adding every tensor it creates to `into` (autograd frees its temporaries with it). */
export function trackCreated<T>(into: Set<Tensor>, fn: () => T): T {
  scopes.push(into);
  try {
    return fn();
  } finally {
    scopes.pop();
  }
}
