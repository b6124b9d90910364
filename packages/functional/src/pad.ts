import { broadcastTo, concat, pad as constantPad, flip, index, shapeToString, type Tensor } from '@mge/core';
import { tensorArg } from './check.js';

export type PadMode = 'constant' | 'reflect' | 'replicate' | 'edge';

function slice(x: Tensor, axis: number, start: number, stop: number): Tensor {
  return index(x, ...Array.from({ length: axis }, () => ({})), { start, stop });
}

/**
 * MegEngine's F.nn.pad: padWidth[i] = [before, after] for axis i (fewer pairs pad the
 * leading axes). 'reflect' mirrors without repeating the edge (needs before, after < size);
 * 'replicate' (alias 'edge') repeats it.
 */
export function pad(src: Tensor, padWidth: readonly (readonly [number, number])[], mode: PadMode = 'constant', constantValue = 0): Tensor {
  const op = 'pad';
  tensorArg(op, 'src', src);
  if (mode === 'constant') return constantPad(src, padWidth, constantValue);
  if (mode !== 'reflect' && mode !== 'replicate' && mode !== 'edge') {
    throw new Error(`${op}: argument 'mode' must be 'constant', 'reflect', 'replicate' or 'edge', got ${JSON.stringify(mode)}`);
  }
  if (!Array.isArray(padWidth) || padWidth.length > src.ndim) {
    throw new Error(
      `${op}: argument 'padWidth' must be an array of at most ${src.ndim} [before, after] pairs, got ${JSON.stringify(padWidth)}`,
    );
  }
  let y = src;
  for (const [axis, pw] of padWidth.entries()) {
    const [b, e] = pw ?? [0, 0];
    if (!Number.isInteger(b) || !Number.isInteger(e) || b < 0 || e < 0) {
      throw new Error(`${op}: padWidth[${axis}] must be two non-negative integers, got ${JSON.stringify(pw)}`);
    }
    if (b === 0 && e === 0) continue;
    const n = src.shape[axis];
    const parts: Tensor[] = [];
    if (mode === 'reflect') {
      if (b >= n || e >= n) {
        throw new Error(
          `${op}: 'reflect' padding of axis ${axis} must be smaller than its size ${n}, got [${b}, ${e}] for src ${shapeToString(src.shape)}`,
        );
      }
      if (b > 0) parts.push(flip(slice(y, axis, 1, b + 1), axis));
      parts.push(y);
      if (e > 0) parts.push(flip(slice(y, axis, n - 1 - e, n - 1), axis));
    } else {
      if (n === 0) throw new Error(`${op}: 'replicate' padding needs a non-empty axis ${axis}, got src ${shapeToString(src.shape)}`);
      const edge = (at: number, len: number) => {
        const s = slice(y, axis, at, at + 1);
        const shape = [...s.shape];
        shape[axis] = len;
        return broadcastTo(s, shape);
      };
      if (b > 0) parts.push(edge(0, b));
      parts.push(y);
      if (e > 0) parts.push(edge(n - 1, e));
    }
    y = concat(parts, axis);
  }
  return y;
}
