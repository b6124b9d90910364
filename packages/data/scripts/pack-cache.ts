// Packs assets/mnist-10k.bin into assets/mnist-10k.mnz (the layout is in src/mnist-pack.ts), for
// pages: 1.2 MB to fetch instead of 7.85 MB, unpacked with the browser's DecompressionStream.
// Usage: node --import tsx scripts/pack-cache.ts
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { mnistPackFile, mnistPackStreams, unpackMnistCache } from '../src/mnist-pack.js';

const assets = join(dirname(fileURLToPath(import.meta.url)), '..', 'assets');
const cache = readFileSync(join(assets, 'mnist-10k.bin'));
const { header, streams } = mnistPackStreams(new Uint8Array(cache.buffer, cache.byteOffset, cache.byteLength));
const packed = mnistPackFile(
  header,
  streams.map((s) => deflateRawSync(s, { level: 9, memLevel: 9 })),
);
const back = await unpackMnistCache(packed, 'pack-cache round trip');
if (Buffer.compare(Buffer.from(back), cache) !== 0) throw new Error('pack-cache: the round trip does not give the cache back');
const out = join(assets, 'mnist-10k.mnz');
writeFileSync(`${out}.${process.pid}.tmp`, packed);
renameSync(`${out}.${process.pid}.tmp`, out);
console.log(`pack-cache: wrote ${out} (${packed.length} bytes from ${cache.length})`);
