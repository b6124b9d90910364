import type { DType } from '../dtype.js';

/** The safetensors dtype names this project reads and writes. */
export type StDType = 'F32' | 'I32' | 'BOOL';

export const ST_DTYPE: Record<DType, StDType> = { float32: 'F32', int32: 'I32', bool: 'BOOL' };
export const FROM_ST_DTYPE: Record<StDType, DType> = { F32: 'float32', I32: 'int32', BOOL: 'bool' };
export const ST_BYTES: Record<StDType, number> = { F32: 4, I32: 4, BOOL: 1 };

/** Other names from the safetensors spec, so an error can say "unsupported" rather than "unknown". */
export const OTHER_ST_DTYPES = new Set(['F64', 'F16', 'BF16', 'I64', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'F8_E4M3', 'F8_E5M2']);

/** A header longer than this is refused before it is decoded (a corrupt length could ask for gigabytes). */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** Object entries a header (or one nested value) may hold: tensors, metadata and their fields (4 per tensor: 50,000 tensors). */
export const MAX_HEADER_ENTRIES = 200_000;

/** Written into every file's `__metadata__`. */
export const FORMAT_NAME = 'mge';
export const FORMAT_VERSION = '1';

/** Metadata keys that carry nested (non-tensor) values, e.g. `mge.tree.optimizer`. */
export const TREE_PREFIX = 'mge.tree.';

export function isStDType(x: unknown): x is StDType {
  return x === 'F32' || x === 'I32' || x === 'BOOL';
}
