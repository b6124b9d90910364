import type { BinaryRow, UnaryRow } from '@mge/core';

export const HEADER_PATH: string;
export function renderHeader(unaryRows: readonly UnaryRow[], binaryRows: readonly BinaryRow[]): string;
export function loadTable(): Promise<{ unary: readonly UnaryRow[]; binary: readonly BinaryRow[] }>;
