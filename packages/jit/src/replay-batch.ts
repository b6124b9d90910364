import type { Backend } from '@mge/core';

/**
 * The backends of a program that batch a replay's kernels (Backend.beginReplay/endReplay: on
 * webgpu, one command buffer per replay). Found once, when the program is made.
 */
export function batchingBackends(backends: Iterable<Backend>): Backend[] {
  const out: Backend[] = [];
  for (const b of new Set(backends)) if (typeof b.beginReplay === 'function') out.push(b);
  return out;
}

/** Runs `body` between beginReplay and endReplay of each backend; endReplay runs even if body throws. */
export function inReplay<T>(backends: readonly Backend[], body: () => T): T {
  if (backends.length === 0) return body();
  for (const b of backends) b.beginReplay?.();
  try {
    return body();
  } finally {
    for (const b of backends) b.endReplay?.();
  }
}
