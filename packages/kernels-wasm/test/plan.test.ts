// A replay's buffer plan (jit.trace) at the backend: a planned block (or a view of its first
// elements) becomes the next kernel's output when it fits, is not a live buffer (release refuses
// it) yet is accepted as an argument, and bad arguments are refused by name.
import { describe, expect, it } from 'vitest';
import { loadKernels, WasmBackend } from '../src/index.js';

const wasm = new WasmBackend(await loadKernels());
const f32 = (xs: number[]) => ({ buf: wasm.upload(new Float32Array(xs)), shape: [xs.length], dtype: 'float32' as const });

describe('wasm buffer plan', () => {
  it('the next output of the planned size is written into the planned block or its view', () => {
    const slot = wasm.planBuffer('float32', 8);
    expect(wasm.plannedBytes).toBe(32);
    const view = wasm.planView(slot, 3);
    const x = f32([1, -2, 3]);
    const live = wasm.memory().liveBuffers;
    wasm.planOutput(view);
    const y = wasm.unary('neg', x);
    expect(y).toBe(view);
    expect(wasm.memory().liveBuffers).toBe(live);
    const z = wasm.binary('mul', { buf: y, shape: [3], dtype: 'float32' }, x, [3]);
    expect(Array.from(wasm.readSync(z, 'float32', 3))).toEqual([-1, -4, -9]);
    expect(() => wasm.release(view)).toThrow(/WasmBackend.release: argument 'buf' is not a live buffer/);
    wasm.release(x.buf);
    wasm.release(z);
  });

  it('a planned block that does not fit the next output is dropped, not used', () => {
    const slot = wasm.planBuffer('float32', 8);
    const x = f32([1, 2, 3]);
    wasm.planOutput(slot);
    const y = wasm.unary('neg', x);
    expect(y).not.toBe(slot);
    wasm.planOutput(slot);
    // an int32 output of 8 elements does not take a float32 block
    const c = wasm.cast({ buf: wasm.upload(new Float32Array(8)), shape: [8], dtype: 'float32' }, 'int32');
    expect(c).not.toBe(slot);
    for (const b of [x.buf, y, c]) wasm.release(b);
  });

  it('refuses bad arguments, naming them', () => {
    expect(() => wasm.planBuffer('float32', 1.5)).toThrow(
      /WasmBackend.planBuffer: argument 'length' expected an integer in \[1, \d+\], got 1.5/,
    );
    expect(() => wasm.planBuffer('float64' as 'float32', 4)).toThrow(
      /WasmBackend.planBuffer: argument 'dtype' expected float32\|int32\|bool, got float64/,
    );
    const slot = wasm.planBuffer('int32', 4);
    expect(() => wasm.planView(slot, 5)).toThrow(/WasmBackend.planView: argument 'length' expected an integer in \[1, 4\], got 5/);
    expect(() => wasm.planView(wasm.planView(slot, 2), 1)).toThrow(/WasmBackend.planView: argument 'buf' expected a buffer of planBuffer/);
    const x = wasm.upload(new Float32Array(4));
    expect(() => wasm.planOutput(x)).toThrow(
      /WasmBackend.planOutput: argument 'buf' expected a planned buffer or null, got a float32 wasm buffer of 4 elements/,
    );
    wasm.release(x);
  });
});
