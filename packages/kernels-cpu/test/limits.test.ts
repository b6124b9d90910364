// Sizes the cpu backend cannot hold end in a RangeError that says how much was asked for,
// never in a crash: core refuses them before allocating, and the addon's own allocator
// survives a failed external ArrayBuffer or a failed malloc (these also run under ASan).
import { add, broadcastTo, ones, pad, ready, tensor, zeros } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { loadNative } from '../src/native.js';
import '../src/index.js';

const native = loadNative();
const device = 'cpu';

describe('sizes past what cpu can hold', () => {
  it('creation refuses them up front, naming the size', async () => {
    await ready();
    expect(() => zeros([2 ** 30 + 1], { device })).toThrow(RangeError);
    expect(() => zeros([2 ** 30 + 1], { device })).toThrow(
      /zeros: a float32 tensor of shape \(1073741825,\) holds 1073741825 elements, 4\.0 GiB .*device 'cpu' holds at most 1073741824/,
    );
    expect(() => ones([2 ** 31], { device })).toThrow(/ones|full/);
    expect(() => zeros([1e5, 1e5], { device })).toThrow(/holds 10000000000 elements, 37\.3 GiB/);
    expect(() => tensor(0, { device }).reshape(1, 1)).not.toThrow();
  });
  it('operator outputs (broadcast, broadcasting add, pad) are refused before the kernel runs', async () => {
    await ready();
    const x = tensor([1, 2], { device });
    expect(() => broadcastTo(x, [2 ** 30, 2])).toThrow(/broadcastTo: a float32 tensor of shape \(1073741824, 2\)/);
    expect(() => add(zeros([2 ** 16, 1], { device }), zeros([1, 2 ** 15], { device }))).toThrow(
      /add: a float32 tensor of shape \(65536, 32768\)/,
    );
    expect(() => pad(x, [[0, 2 ** 31]])).toThrow(RangeError);
  });
});

describe('the addon allocator', () => {
  it('a buffer past the runtime limit for external ArrayBuffers is an error, freed once', () => {
    // Node 20 refuses external buffers over 4 GiB and frees the block through the finalizer;
    // a later Node may accept it. Either way: no double free, no crash.
    // once: under ASan a second free of the block is reported at once (and 4 GiB of shadow is slow)
    try {
      const ab = native.alloc(2 ** 32 + 64);
      expect(ab.byteLength).toBe(2 ** 32 + 64);
    } catch (e) {
      expect(e).toBeInstanceOf(RangeError);
      expect(String(e)).toMatch(/cpu\.alloc: cannot make a buffer of 4294967360 bytes/);
    }
    expect(native.alloc(64).byteLength).toBe(64);
  });
  it('a failed allocation is a RangeError, not std::bad_alloc ending the process', () => {
    expect(() => native.alloc(2 ** 40)).toThrow(RangeError);
    expect(native.alloc(128).byteLength).toBe(128);
  });
});
