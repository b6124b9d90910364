import { describe, expect, it } from 'vitest';
import { Checkpoint, CheckpointError, deserialize, serialize, type Tensor, tensor } from '../src/index.js';

/** Builds a safetensors file by hand: header JSON padded to 8 bytes, then raw data. */
function craft(header: unknown, data: Uint8Array = new Uint8Array(0), headerLenOverride?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + len + data.length);
  new DataView(out.buffer).setUint32(0, headerLenOverride ?? len, true);
  out.fill(0x20, 8, 8 + len);
  out.set(json, 8);
  out.set(data, 8 + len);
  return out;
}
const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);
const headerOf = (bytes: Uint8Array) => {
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  return { n, json: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) };
};

describe('serialize / deserialize', () => {
  const w = tensor([
    [1.5, -2],
    [3.25, 4],
    [0, 1e-30],
  ]);
  const b = tensor([0.5, -0.25]);
  const idx = tensor([7, -3, 2147483647], { dtype: 'int32' });
  const mask = tensor([true, false, true, true]);
  const scalar = tensor(42.5);
  const empty = tensor(new Float32Array(0), { shape: [0, 3] });

  it('round-trips values, shapes and dtypes of a plain-object state dict', () => {
    const bytes = serialize({ 'fc.weight': w, 'fc.bias': b, idx, mask, scalar, empty });
    const ck = deserialize(bytes);
    expect(ck).toBeInstanceOf(Checkpoint);
    expect([...ck.keys()]).toEqual(['empty', 'fc.bias', 'fc.weight', 'idx', 'mask', 'scalar']);
    expect(ck.get('fc.weight')!.shape).toEqual([3, 2]);
    expect(Array.from(ck.get('fc.weight')!.dataSync())).toEqual([1.5, -2, 3.25, 4, 0, Math.fround(1e-30)]);
    expect(ck.get('idx')!.dtype).toBe('int32');
    expect(Array.from(ck.get('idx')!.dataSync())).toEqual([7, -3, 2147483647]);
    expect(ck.get('mask')!.dtype).toBe('bool');
    expect(ck.get('mask')!.numpySync()).toEqual([true, false, true, true]);
    expect(ck.get('scalar')!.shape).toEqual([]);
    expect(ck.get('scalar')!.item()).toBe(42.5);
    expect(ck.get('empty')!.shape).toEqual([0, 3]);
    expect(ck.metadata).toEqual({ format: 'mge', version: '1' });
  });

  it('writes sorted keys, an 8-byte aligned header and 4-byte tensors before bool ones', () => {
    const bytes = serialize(
      new Map<string, Tensor>([
        ['z', mask],
        ['a', w],
        ['m', b],
      ]),
      { metadata: { model: 'lenet' } },
    );
    const { n, json } = headerOf(bytes);
    expect((8 + n) % 8).toBe(0);
    expect(Object.keys(json)).toEqual(['__metadata__', 'a', 'm', 'z']);
    expect(json.__metadata__).toEqual({ format: 'mge', version: '1', model: 'lenet' });
    expect(json.a).toEqual({ dtype: 'F32', shape: [3, 2], data_offsets: [0, 24] });
    expect(json.m).toEqual({ dtype: 'F32', shape: [2], data_offsets: [24, 32] });
    expect(json.z).toEqual({ dtype: 'BOOL', shape: [4], data_offsets: [32, 36] });
    // A Float32Array views the data in place.
    const view = new Float32Array(bytes.buffer, 8 + n, 8);
    expect(Array.from(view.subarray(6, 8))).toEqual([0.5, -0.25]);
    expect(bytes.length).toBe(8 + n + 36);
  });

  it('keeps __metadata__ given in the object and nested optimizer state', () => {
    const buf = tensor([1, 2, 3]);
    const bytes = serialize({
      'fc.bias': b,
      __metadata__: { model: 'mlp', epoch: '3' },
      optimizer: { paramGroups: [{ lr: 0.1, momentum: 0.9, params: [0] }], state: { 0: { momentumBuffer: buf, step: 4 } } },
      epoch: 3,
    });
    const { json } = headerOf(bytes);
    expect(json['optimizer.state.0.momentumBuffer']).toEqual({ dtype: 'F32', shape: [3], data_offsets: expect.any(Array) });
    const ck = deserialize(bytes);
    expect([...ck.keys()]).toEqual(['fc.bias']);
    expect(ck.metadata).toEqual({ format: 'mge', version: '1', model: 'mlp', epoch: '3' });
    expect(ck.nested.epoch).toBe(3);
    const opt = ck.nested.optimizer as { paramGroups: unknown[]; state: Record<string, { momentumBuffer: Tensor; step: number }> };
    expect(opt.paramGroups).toEqual([{ lr: 0.1, momentum: 0.9, params: [0] }]);
    expect(opt.state[0].step).toBe(4);
    expect(Array.from(opt.state[0].momentumBuffer.dataSync())).toEqual([1, 2, 3]);
  });

  it('keeps Maps inside nested values', () => {
    const ck = deserialize(
      serialize({
        extra: new Map<string, Tensor | number>([
          ['t', b],
          ['n', 1],
        ]),
      }),
    );
    const m = ck.nested.extra as Map<string, unknown>;
    expect(m).toBeInstanceOf(Map);
    expect([...m.keys()]).toEqual(['t', 'n']);
    expect(Array.from((m.get('t') as Tensor).dataSync())).toEqual([0.5, -0.25]);
  });

  it('views unaligned input by copying', () => {
    const bytes = serialize({ w });
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    expect(Array.from(deserialize(shifted).get('w')!.dataSync())).toEqual(Array.from(w.dataSync()));
    expect(Array.from(deserialize(bytes.slice().buffer).get('w')!.dataSync())).toEqual(Array.from(w.dataSync()));
  });

  it('rejects bad input with errors naming the argument', () => {
    expect(() => serialize([w] as never)).toThrow(/serialize: argument 'obj' must be a Map or a plain object/);
    expect(() => serialize({ a: w, __metadata__: { n: 3 as never } })).toThrow(/__metadata__'\]\['n'\] must be a string, got number 3/);
    expect(() => serialize({ a: w }, { metadata: { format: 'other' } })).toThrow(/'format'\] is written by the library/);
    expect(() => serialize({ 'a.b': w, a: { b: w } })).toThrow(/two entries would be stored under the key 'a.b'/);
    expect(() => serialize({ a: { x: Number.NaN } })).toThrow(/'a.x' must be a finite number, got NaN/);
    const disposed = tensor([1]);
    disposed.dispose();
    expect(() => serialize({ d: disposed })).toThrow(/used after dispose/);
  });
});

describe('deserialize rejects corrupt files, naming the problem', () => {
  const good = () => serialize({ a: tensor([1, 2]), b: tensor([3, 4, 5]) });
  const bad = (bytes: Uint8Array, re: RegExp) => {
    let err: unknown;
    try {
      deserialize(bytes, { source: "'model.safetensors'" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(/^deserialize: 'model.safetensors': /);
    expect((err as Error).message).toMatch(re);
  };

  it('truncated files', () => {
    const g = good();
    bad(g.subarray(0, 5), /truncated: 5 bytes/);
    bad(g.subarray(0, 20), /truncated: the header needs \d+ bytes but only 12 follow/);
    bad(g.subarray(0, g.length - 4), /tensor 'b': data_offsets \[8, 20\] run past the end of the data \(16 bytes\)/);
  });

  it('a huge header length', () => {
    const g = good();
    new DataView(g.buffer).setUint32(0, 0xffffffff, true);
    bad(g, /header length 4294967295 exceeds the limit of 104857600 bytes/);
    const h = good();
    new DataView(h.buffer).setUint32(4, 1, true);
    bad(h, /exceeds the limit/);
  });

  it('a header that is not JSON, not an object, or not UTF-8', () => {
    bad(craft('{"a": {"dtype": "F32",'), /the header is not valid JSON/);
    bad(craft('[1, 2]'), /the header must be a JSON object, got an array/);
    const g = craft('{"\xff": 1}');
    g[10] = 0xff;
    g[11] = 0xfe;
    bad(g, /not valid UTF-8|not valid JSON/);
  });

  it('unknown or unsupported dtypes', () => {
    bad(
      craft({ a: { dtype: 'F16', shape: [1], data_offsets: [0, 2] } }, new Uint8Array(2)),
      /tensor 'a': dtype 'F16' is not supported \(expected F32, I32 or BOOL\)/,
    );
    bad(craft({ a: { dtype: 'Q9', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor 'a': unknown dtype "Q9"/);
  });

  it('malformed entries and metadata', () => {
    bad(
      craft({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)),
      /tensor 'a': shape must be an array of non-negative integers, got \[-1\]/,
    );
    bad(craft({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, f32(1)), /data_offsets must be \[begin, end\]/);
    bad(craft({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4], extra: 1 } }, f32(1)), /unexpected field 'extra'/);
    bad(craft({ a: 5 }), /tensor 'a': expected an object with dtype, shape and data_offsets, got number 5/);
    bad(craft({ __metadata__: { v: 1 } }), /'__metadata__' entry 'v' must be a string, got number 1/);
    bad(
      craft({ __metadata__: { 'mge.tree.opt': '{"$tensor":"nope"}' } }),
      /'mge.tree.opt': it refers to tensor 'nope', which is not in the file/,
    );
  });

  it('shape × dtype size different from the byte length', () => {
    bad(
      craft({ a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, f32(1, 2, 3)),
      /tensor 'a': shape \(2, 2\) of F32 needs 16 bytes, but data_offsets \[0, 12\] span 12/,
    );
    bad(
      craft({ a: { dtype: 'BOOL', shape: [2], data_offsets: [0, 2] } }, new Uint8Array([1, 7])),
      /tensor 'a': BOOL element 1 is 7, expected 0 or 1/,
    );
  });

  it('overlapping offsets', () => {
    bad(
      craft(
        { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } },
        f32(1, 2, 3),
      ),
      /tensor 'b' \(bytes 4..12\) overlaps tensor 'a' \(bytes 0..8\)/,
    );
  });

  it('holes between tensors and at the start', () => {
    bad(
      craft(
        { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } },
        f32(1, 2, 3),
      ),
      /unused bytes 4..8 before tensor 'b'/,
    );
    bad(craft({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(1, 2)), /unused bytes 0..4 before tensor 'a'/);
  });

  it('a file size that does not match the header', () => {
    const g = good();
    const longer = new Uint8Array(g.length + 3);
    longer.set(g);
    bad(longer, /file size mismatch: the header describes \d+ bytes, got \d+ \(3 extra bytes after the last tensor\)/);
  });

  it('makes no tensor when a later entry is bad (nothing half-loaded)', () => {
    // 'a' is fine, 'z' is not: the error comes before any tensor is created.
    const before = tensor([0]).id;
    bad(
      craft({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, z: { dtype: 'F32', shape: [2], data_offsets: [4, 8] } }, f32(1, 2)),
      /tensor 'z': shape \(2,\) of F32 needs 8 bytes/,
    );
    expect(tensor([0]).id).toBe(before + 1);
  });

  it('reads files from other writers: unsorted keys, no metadata', () => {
    const ck = deserialize(
      craft(
        { b: { dtype: 'I32', shape: [1], data_offsets: [4, 8] }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } },
        new Uint8Array([...f32(2.5), 9, 0, 0, 0]),
      ),
    );
    expect([...ck.keys()]).toEqual(['a', 'b']);
    expect(ck.get('b')!.item()).toBe(9);
    expect(ck.metadata).toEqual({});
  });
});
