/** Describes a value for an error message: type plus a short rendering. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return `${value}`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return `${value}`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of ${value.byteLength} bytes`;
  return `a ${(value as object).constructor?.name ?? 'object'}`;
}

export function checkPositiveInt(owner: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new TypeError(`${owner}: ${name} must be a positive integer, got ${describe(value)}`);
  }
  return value;
}

export function checkNonNegativeInt(owner: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`${owner}: ${name} must be a non-negative integer, got ${describe(value)}`);
  }
  return value;
}

export function checkBoolean(owner: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new TypeError(`${owner}: ${name} must be a boolean, got ${describe(value)}`);
  }
  return value;
}

/** Seeds are unsigned 32-bit integers so that every seed maps to exactly one generator state. */
export function checkSeed(owner: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new TypeError(`${owner}: seed must be an integer in [0, 2^32 - 1], got ${describe(value)}`);
  }
  return value;
}

export function checkIndex(owner: string, index: unknown, length: number): number {
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= length) {
    throw new RangeError(`${owner}.get: index must be an integer in [0, ${length - 1}], got ${describe(index)}`);
  }
  return index;
}
