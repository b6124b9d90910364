import type { BinaryRow, UnaryRow } from '@mge/core';

export const README_PATH: string;
export const START: string;
export const END: string;
export const BACKENDS: readonly { name: string; field: string; file: string; cls: string }[];
export const PRIMITIVES: readonly (readonly string[])[];
/** Backend classes by backend name (constructors; only their prototypes are read). */
export type BackendClasses = Record<string, abstract new (...args: never[]) => unknown>;
export function loadBackendClasses(load: (url: string) => Promise<Record<string, unknown>>): Promise<BackendClasses>;
export function renderMatrix(unaryRows: readonly UnaryRow[], binaryRows: readonly BinaryRow[], classes: BackendClasses): string;
export function withMatrix(readme: string, matrix: string): string;
