import type { BinaryRow, UnaryRow } from '@mge/core';

export const README_PATH: string;
export const START: string;
export const END: string;
export function renderMatrix(unaryRows: readonly UnaryRow[], binaryRows: readonly BinaryRow[]): string;
export function withMatrix(readme: string, matrix: string): string;
