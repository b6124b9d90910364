import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { mnistPackFile, mnistPackStreams, parseMnistCache, unpackMnistCache } from '../src/index.js';

const assets = join(dirname(fileURLToPath(import.meta.url)), '..', 'assets');
const cache = new Uint8Array(readFileSync(join(assets, 'mnist-10k.bin')));
const packed = new Uint8Array(readFileSync(join(assets, 'mnist-10k.mnz')));

/** A small cache (3 images of 4×5) in the .bin layout, for the packer's edge cases. */
function smallCache(pixels: number[][], labels: number[]): Uint8Array {
  const n = pixels.length;
  const out = new Uint8Array(32 + n + n * 20);
  const v = new DataView(out.buffer);
  out.set(new TextEncoder().encode('MGEMNIST'), 0);
  v.setUint32(8, 1, true);
  v.setUint32(12, n - 1, true);
  v.setUint32(16, 1, true);
  v.setUint32(20, 4, true);
  v.setUint32(24, 5, true);
  out.set(labels, 32);
  pixels.forEach((p, i) => {
    out.set(p, 32 + n + i * 20);
  });
  let h = 0x811c9dc5;
  for (let i = 32; i < out.length; i++) h = Math.imul(h ^ out[i], 0x01000193);
  v.setUint32(28, h >>> 0, true);
  return out;
}
const pack = (bin: Uint8Array) => {
  const { header, streams } = mnistPackStreams(bin);
  return mnistPackFile(
    header,
    streams.map((s) => new Uint8Array(deflateRawSync(s))),
  );
};

describe('packed MNIST (assets/mnist-10k.mnz)', () => {
  it('unpacks to the cache byte for byte, at under a sixth of its size', async () => {
    const bytes = await unpackMnistCache(packed);
    expect(bytes.length).toBe(cache.length);
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(cache))).toBe(0);
    expect(parseMnistCache(bytes).train.length).toBe(8000);
    expect(packed.length).toBeLessThan(1_300_000);
  });

  it('round-trips runs longer than 255 pixels, ink at image borders and every neighbour count', async () => {
    const blank = new Array(20).fill(0);
    const full = Array.from({ length: 20 }, (_, i) => 1 + ((i * 37) % 255));
    const edges = blank.map((_, i) => (i % 5 === 0 || i % 5 === 4 ? 200 + i : 0));
    const bin = smallCache([blank, full, edges], [3, 1, 4]);
    expect(Array.from(await unpackMnistCache(pack(bin)))).toEqual(Array.from(bin));
    // 20 blank images: one background run of 400 pixels.
    const many = smallCache(
      Array.from({ length: 20 }, () => blank),
      new Array(20).fill(0),
    );
    expect(Array.from(await unpackMnistCache(pack(many)))).toEqual(Array.from(many));
  });

  it('rejects bad input with errors that say what was expected', async () => {
    await expect(unpackMnistCache('x' as unknown as Uint8Array)).rejects.toThrow(/packed must be a Uint8Array, got "x"/);
    await expect(unpackMnistCache(packed.subarray(0, 20))).rejects.toThrow(/truncated: expected at least/);
    const wrong = packed.slice(0, 200);
    wrong[0] = 0x58;
    await expect(unpackMnistCache(wrong)).rejects.toThrow(/wrong magic: expected "MGEMNPAK"/);
    await expect(unpackMnistCache(packed.subarray(0, packed.length - 10))).rejects.toThrow(/stream 10 runs past the end/);
    // A flipped ink value survives inflation but not the cache's hash.
    const { header, streams } = mnistPackStreams(cache);
    streams[10][0] ^= 1;
    const bytes = await unpackMnistCache(
      mnistPackFile(
        header,
        streams.map((s) => new Uint8Array(deflateRawSync(s))),
      ),
    );
    expect(() => parseMnistCache(bytes)).toThrow(/corrupted: expected FNV-1a/);
  });
});
