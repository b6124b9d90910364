/**
 * core's modules form no import loop (runtime imports; `import type` is erased). Gradient and
 * composition rules reach other operators through autograd/operators.ts instead of importing them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative runtime imports and re-exports of a module (type-only ones skipped). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /^(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]/gms;
  for (const m of text.matchAll(re)) {
    if (m[1]) continue;
    out.push(resolve(dirname(file), m[2].replace(/\.js$/, '.ts')));
  }
  return out;
}

function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    if (state.get(n) === 'done') return null;
    if (state.get(n) === 'open') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      const c = visit(m);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 'done');
    return null;
  };
  for (const n of graph.keys()) {
    const c = visit(n);
    if (c) return c;
  }
  return null;
}

describe('module graph', () => {
  it('the walker sees imports and skips type-only ones', () => {
    const unary = imports(join(SRC, 'ops/unary.ts')).map((p) => relative(SRC, p));
    expect(unary).toContain('elementwise/table.ts');
    expect(unary).toContain('autograd/operators.ts');
    expect(imports(join(SRC, 'autograd/operators.ts'))).toEqual([]);
  });

  it('has no import cycle in core/src', () => {
    const graph = new Map(files(SRC).map((f) => [f, imports(f)]));
    const cycle = findCycle(graph);
    expect(cycle?.map((p) => relative(SRC, p)).join(' → ') ?? null).toBeNull();
  });
});
