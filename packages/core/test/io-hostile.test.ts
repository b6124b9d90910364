/** Checkpoint headers written to mislead: prototype keys, repeated keys, too many entries. */
import { describe, expect, it } from 'vitest';
import { CheckpointError, deserialize, serialize, tensor } from '../src/index.js';

function craft(json: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const text = new TextEncoder().encode(json);
  const len = Math.ceil(text.length / 8) * 8;
  const out = new Uint8Array(8 + len + data.length);
  new DataView(out.buffer).setUint32(0, len, true);
  out.fill(0x20, 8, 8 + len);
  out.set(text, 8);
  out.set(data, 8 + len);
  return out;
}
const PROTO = ['__', 'proto', '__'].join('');
const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);
const bad = (bytes: Uint8Array, re: RegExp) => {
  const err = (() => {
    try {
      deserialize(bytes);
    } catch (e) {
      return e;
    }
    return null;
  })();
  expect(err).toBeInstanceOf(CheckpointError);
  expect((err as Error).message).toMatch(re);
};

describe('hostile checkpoint headers', () => {
  it("a '__proto__' key in a nested value or in the metadata is an ordinary entry, never a prototype", () => {
    const tree = JSON.stringify({ __proto__: { polluted: 1 }, ok: 2 }).replace('"ok"', '"__proto__":{"polluted":1},"ok"');
    const header = `{"__metadata__":{"__proto__":"x","mge.tree.__proto__":${JSON.stringify('{"a":1}')},"mge.tree.cfg":${JSON.stringify(tree)}}}`;
    const ck = deserialize(craft(header));
    const cfg = ck.nested.cfg as Record<string, unknown>;
    expect(Object.getPrototypeOf(cfg)).toBeNull();
    expect((cfg as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.keys(cfg)).toEqual(['__proto__', 'ok']);
    expect(Object.getOwnPropertyDescriptor(cfg, PROTO)?.value).toEqual({ polluted: 1 });
    expect(Object.keys(ck.nested)).toEqual(['__proto__', 'cfg']);
    expect(Object.getOwnPropertyDescriptor(ck.metadata, PROTO)?.value).toBe('x');
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
  it('a key repeated inside one object is refused (JSON.parse would keep the last silently)', () => {
    const entry = '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
    bad(craft(`{"a":${entry},"a":${entry}}`, f32(1)), /the header repeats the key 'a'; a checkpoint must name each entry once/);
    bad(
      craft(`{"a":{"dtype":"F32","shape":[1],"shape":[1],"data_offsets":[0,4]}}`, f32(1)),
      /repeats the key 'shape' in the object at 'a'/,
    );
    bad(craft(`{"__metadata__":{"m":"1","m":"2"}}`), /repeats the key 'm' in the object at '__metadata__'/);
    bad(craft(`{"__metadata__":{"m\\u0031":"1","m1":"2"}}`), /repeats the key 'm1'/);
    bad(craft(`{"a":"unterminated`), /the header is not valid JSON/);
    const tree = JSON.stringify('{"lr":0.1,"x":[{"k":1,"k":2}]}');
    bad(
      craft(`{"__metadata__":{"mge.tree.opt":${tree}}}`),
      /'__metadata__' entry 'mge.tree.opt' repeats the key 'k' in the object at 'x\[\]'/,
    );
    // equal keys in different objects, and escaped spellings of different keys, are fine
    expect(
      deserialize(craft(`{"__metadata__":{"mge.tree.o":${JSON.stringify('{"a":{"k":1},"b":{"k":2},"\\u0061b":3}')}}}`)).nested.o,
    ).toEqual({
      a: { k: 1 },
      b: { k: 2 },
      ab: 3,
    });
  });
  it('a header with more than 200,000 entries is refused before any per-entry work', () => {
    const many = Array.from({ length: 200_001 }, (_, i) => `"k${i}":""`).join(',');
    bad(craft(`{"__metadata__":{${many}}}`), /the header has more than 200000 entries, the limit/);
  });
  it('files this project writes still load', () => {
    const ck = deserialize(serialize({ a: tensor([1, 2]), nested: { opt: { lr: 0.1, state: [{ step: 1 }] } } } as never));
    expect(Array.from(ck.get('a')!.dataSync())).toEqual([1, 2]);
  });
});
