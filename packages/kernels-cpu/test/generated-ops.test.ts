import { readFileSync } from 'node:fs';
import { BINARY_ROWS, UNARY_ROWS } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { HEADER_PATH, renderHeader } from '../scripts/gen-ops.mjs';
import { loadNative } from '../src/native.js';

describe('native/ops_generated.h', () => {
  it("is what scripts/gen-ops.mjs makes of core's operator table (run it after changing a row)", () => {
    expect(readFileSync(HEADER_PATH, 'utf8')).toBe(renderHeader(UNARY_ROWS, BINARY_ROWS));
  });

  it('the loaded addon numbers its operators as the table orders the rows with a C++ expression', () => {
    const native = loadNative();
    expect(native.unaryOps).toEqual(UNARY_ROWS.filter((r) => r.cpp !== undefined).map((r) => r.name));
    expect(native.binaryOps).toEqual(BINARY_ROWS.filter((r) => r.cpp !== undefined).map((r) => r.name));
  });
});
