import { readFileSync } from 'node:fs';
import { BINARY_ROWS, UNARY_ROWS } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { loadBackendClasses, README_PATH, renderMatrix, withMatrix } from '../scripts/support-matrix.mjs';

const classes = await loadBackendClasses((url: string) => import(/* @vite-ignore */ url));

describe('README support matrix', () => {
  it("is current with core's operator table and the backend classes (run node scripts/support-matrix.mjs after a change)", () => {
    const readme = readFileSync(README_PATH, 'utf8');
    expect(readme).toBe(withMatrix(readme, renderMatrix(UNARY_ROWS, BINARY_ROWS, classes)));
  });

  it('loads every backend class', () => {
    for (const name of ['js', 'cpu', 'wasm', 'webgpu']) expect(typeof classes[name], name).toBe('function');
  });

  it('says composed or not supported where a row or a class lacks a kernel', () => {
    class Partial {
      matmul() {}
    }
    const m = renderMatrix(
      [
        { ...UNARY_ROWS[0], name: 'x', cpp: undefined, compose: () => null as never },
        { ...UNARY_ROWS[0], name: 'y', wgsl: undefined },
      ],
      [],
      { ...classes, wasm: Partial },
    );
    expect(m).toMatch(/\| `x` +\| unary +\| float32, int32 +\| yes +\| native +\| composed +\| composed +\| native +\|/);
    expect(m).toMatch(/\| `y` +\| unary +\| float32, int32 +\| yes +\| native +\| native +\| native +\| not supported \|/);
    expect(m).toMatch(/\| `matmul` +\| required +\| float32 +\| native +\| native +\| native +\| native +\|/);
    expect(m).toMatch(/\| `conv2d` +\| required +\| float32 +\| native +\| native +\| not supported \| native +\|/);
    expect(m).toMatch(/\| `gather` +\| optional +\| all +\| native +\| native +\| composed +\| native +\|/);
  });
});
