import { readFileSync } from 'node:fs';
import { BINARY_ROWS, UNARY_ROWS } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { README_PATH, renderMatrix, withMatrix } from '../scripts/support-matrix.mjs';

describe('README support matrix', () => {
  it("is current with core's operator table (run node scripts/support-matrix.mjs after changing a row)", () => {
    const readme = readFileSync(README_PATH, 'utf8');
    expect(readme).toBe(withMatrix(readme, renderMatrix(UNARY_ROWS, BINARY_ROWS)));
  });

  it('says composed or not supported where a row lacks a backend', () => {
    const m = renderMatrix(
      [
        { ...UNARY_ROWS[0], name: 'x', cpp: undefined, compose: () => null as never },
        { ...UNARY_ROWS[0], name: 'y', wgsl: undefined },
      ],
      [],
    );
    expect(m).toContain('| `x` | unary | float32, int32 | yes | native | composed | native |');
    expect(m).toContain('| `y` | unary | float32, int32 | yes | native | native | not supported |');
  });
});
