import { describe } from './errors.js';
import { type MnistCache, parseMnistCache } from './mnist-cache.js';

// The bundled digits packed losslessly for the web (assets/mnist-10k.mnz, 1.2 MB instead of the
// cache's 7.85 MB; gzip of the cache alone is 1.6 MB). Browsers inflate it with their own
// DecompressionStream, so the page ships no decoder beyond the few lines below. Three ideas:
// - where the ink is (a 0/1 mask) and how dark it is are stored apart: the mask as run lengths,
//   the ink values as bytes;
// - the ink values are split by how many of a pixel's 8 neighbours are ink (the mask is known
//   before any value is read, so every neighbour counts): strokes' insides are almost all 252–255,
//   their edges anything, and deflate codes each group with its own Huffman table;
// - each stream is deflate-raw (RFC 1951).
// Layout (u32 little-endian): "MGEMNPAK", version, the cache's own 32-byte header (its FNV-1a of
// the unpacked bytes checks the result), stream count, the streams' byte lengths, the streams:
// labels, mask runs, then the ink values of pixels with 0…8 ink neighbours.
const MAGIC = 'MGEMNPAK';
const VERSION = 1;
const CACHE_HEADER = 32;
const STREAMS = 11;
const HEAD = 8 + 4 + CACHE_HEADER + 4 + 4 * STREAMS;

/** Ink neighbours (0…8) of every pixel of `count` images of rows×cols, from their 0/1 mask. */
function neighbourCounts(mask: Uint8Array, count: number, rows: number, cols: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  const size = rows * cols;
  for (let i = 0; i < count; i++) {
    const base = i * size;
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        let c = 0;
        for (let dy = -1; dy <= 1; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= rows) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            if ((dy !== 0 || dx !== 0) && xx >= 0 && xx < cols) c += mask[base + yy * cols + xx];
          }
        }
        out[base + y * cols + x] = c;
      }
    }
  }
  return out;
}

/**
 * The raw (not yet deflated) streams of a cache (assets/mnist-10k.bin bytes), in file order.
 * Used by scripts/pack-cache.ts, which deflates them.
 */
export function mnistPackStreams(cache: Uint8Array): { header: Uint8Array; streams: Uint8Array[] } {
  const parsed = parseMnistCache(cache, 'mnistPackStreams'); // validates the layout and hash
  const n = parsed.train.length + parsed.test.length;
  const view = new DataView(cache.buffer, cache.byteOffset, cache.byteLength);
  const rows = view.getUint32(20, true);
  const cols = view.getUint32(24, true);
  const labels = cache.subarray(CACHE_HEADER, CACHE_HEADER + n);
  const pixels = cache.subarray(CACHE_HEADER + n);
  const mask = pixels.map((v) => (v === 0 ? 0 : 1));
  // Alternating run lengths (background first), each ≤ 255; a longer run continues after a 0.
  const runs: number[] = [];
  let value = 0;
  let run = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] !== value) {
      runs.push(run);
      value = mask[i];
      run = 0;
    }
    if (run === 255) {
      runs.push(255, 0);
      run = 0;
    }
    run++;
  }
  runs.push(run);
  const context = neighbourCounts(mask, n, rows, cols);
  const ink: number[][] = Array.from({ length: 9 }, () => []);
  for (let i = 0; i < pixels.length; i++) if (mask[i]) ink[context[i]].push(pixels[i]);
  return {
    header: cache.slice(0, CACHE_HEADER),
    streams: [labels.slice(), Uint8Array.from(runs), ...ink.map((v) => Uint8Array.from(v))],
  };
}

/** Assembles a packed file from the header and the deflated streams (see mnistPackStreams). */
export function mnistPackFile(header: Uint8Array, deflated: Uint8Array[]): Uint8Array {
  if (header.length !== CACHE_HEADER || deflated.length !== STREAMS) {
    throw new RangeError(
      `mnistPackFile: expected a ${CACHE_HEADER}-byte header and ${STREAMS} streams, got ${header.length} bytes and ${deflated.length}`,
    );
  }
  const out = new Uint8Array(HEAD + deflated.reduce((s, d) => s + d.length, 0));
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(8, VERSION, true);
  out.set(header, 12);
  view.setUint32(12 + CACHE_HEADER, STREAMS, true);
  let at = HEAD;
  deflated.forEach((d, i) => {
    view.setUint32(16 + CACHE_HEADER + 4 * i, d.length, true);
    out.set(d, at);
    at += d.length;
  });
  return out;
}

async function inflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Unpacks assets/mnist-10k.mnz into the bytes of assets/mnist-10k.bin (checked against the
 * cache's FNV-1a hash by parseMnistCache). Needs DecompressionStream (browsers, Node ≥ 18).
 */
export async function unpackMnistCache(packed: Uint8Array, source = 'packed MNIST'): Promise<Uint8Array> {
  const where = `unpackMnistCache(${source})`;
  if (!(packed instanceof Uint8Array)) throw new TypeError(`${where}: packed must be a Uint8Array, got ${describe(packed)}`);
  if (packed.length < HEAD) throw new RangeError(`${where}: truncated: expected at least ${HEAD} bytes, got ${packed.length}`);
  const magic = String.fromCharCode(...packed.subarray(0, 8));
  if (magic !== MAGIC) throw new Error(`${where}: wrong magic: expected ${JSON.stringify(MAGIC)}, got ${JSON.stringify(magic)}`);
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const version = view.getUint32(8, true);
  if (version !== VERSION) throw new Error(`${where}: unsupported version: expected ${VERSION}, got ${version}`);
  const count = view.getUint32(12 + CACHE_HEADER, true);
  if (count !== STREAMS) throw new Error(`${where}: expected ${STREAMS} streams, got ${count}`);
  const header = packed.subarray(12, 12 + CACHE_HEADER);
  const hv = new DataView(header.buffer, header.byteOffset, CACHE_HEADER);
  const n = hv.getUint32(12, true) + hv.getUint32(16, true);
  const rows = hv.getUint32(20, true);
  const cols = hv.getUint32(24, true);
  const slices: Uint8Array[] = [];
  let at = HEAD;
  for (let i = 0; i < STREAMS; i++) {
    const len = view.getUint32(16 + CACHE_HEADER + 4 * i, true);
    if (at + len > packed.length)
      throw new RangeError(`${where}: truncated: stream ${i} runs past the end (${at + len} > ${packed.length} bytes)`);
    slices.push(packed.subarray(at, at + len));
    at += len;
  }
  if (at !== packed.length) throw new RangeError(`${where}: ${packed.length - at} trailing bytes after the streams`);
  const [labels, runs, ...ink] = await Promise.all(slices.map(inflateRaw));
  const out = new Uint8Array(CACHE_HEADER + n + n * rows * cols);
  out.set(header, 0);
  if (labels.length !== n) throw new RangeError(`${where}: expected ${n} labels, got ${labels.length}`);
  out.set(labels, CACHE_HEADER);
  const pixels = out.subarray(CACHE_HEADER + n);
  const mask = new Uint8Array(pixels.length);
  let p = 0;
  for (let r = 0; r < runs.length; r++) {
    const end = p + runs[r];
    if (end > mask.length) throw new RangeError(`${where}: the ink runs cover more than ${mask.length} pixels`);
    if (r & 1) mask.fill(1, p, end);
    p = end;
  }
  if (p !== mask.length) throw new RangeError(`${where}: the ink runs cover ${p} pixels, expected ${mask.length}`);
  const context = neighbourCounts(mask, n, rows, cols);
  const cursor = new Array<number>(9).fill(0);
  for (let i = 0; i < pixels.length; i++) {
    if (!mask[i]) continue;
    const c = context[i];
    if (cursor[c] >= ink[c].length) throw new RangeError(`${where}: ink stream ${c} ends early`);
    pixels[i] = ink[c][cursor[c]++];
  }
  return out;
}

/** Where the packed digits live (bundlers emit the file as an asset, as for mnistCacheUrl). */
export const mnistPackedUrl: URL = new URL('../assets/mnist-10k.mnz', import.meta.url);

/** Browser helper: fetches the packed digits (1.2 MB), unpacks and parses them. */
export async function fetchPackedMnistCache(url: string | URL = mnistPackedUrl): Promise<MnistCache> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetchPackedMnistCache: GET ${String(url)} failed: ${response.status} ${response.statusText}`);
  const bytes = await unpackMnistCache(new Uint8Array(await response.arrayBuffer()), String(url));
  return parseMnistCache(bytes, String(url));
}
