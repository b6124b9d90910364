/**
 * Turns a drawing into an MNIST-like 28×28 digit, the way MNIST itself was made:
 * the ink's bounding box is scaled to fit 20×20 (keeping its aspect ratio), then the
 * digit is placed so its centre of mass sits at the centre of the 28×28 image.
 */

export const MNIST_SIDE = 28;
const BOX = 20;

/** Ink per pixel (0..255) from RGBA: bright strokes on a dark canvas. */
export function inkFromRgba(rgba: ArrayLike<number>, width: number, height: number): Uint8Array {
  if (rgba.length !== width * height * 4) {
    throw new RangeError(`inkFromRgba: ${width}×${height} RGBA needs ${width * height * 4} values, got ${rgba.length}`);
  }
  const out = new Uint8Array(width * height);
  for (let i = 0; i < out.length; i++) {
    const lum = 0.299 * rgba[i * 4] + 0.587 * rgba[i * 4 + 1] + 0.114 * rgba[i * 4 + 2];
    out[i] = Math.round((lum * rgba[i * 4 + 3]) / 255);
  }
  return out;
}

/** The 28×28 digit, or null when nothing was drawn. */
export function toMnistDigit(ink: Uint8Array, width: number, height: number, threshold = 16): Uint8Array | null {
  if (ink.length !== width * height)
    throw new RangeError(`toMnistDigit: ${width}×${height} needs ${width * height} values, got ${ink.length}`);
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = BOX / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale));
  const th = Math.max(1, Math.round(bh * scale));

  // Box-filter resample of the bounding box to tw×th.
  const small = new Float32Array(tw * th);
  for (let ty = 0; ty < th; ty++) {
    const sy0 = y0 + Math.floor((ty * bh) / th);
    const sy1 = Math.max(sy0 + 1, y0 + Math.floor(((ty + 1) * bh) / th));
    for (let tx = 0; tx < tw; tx++) {
      const sx0 = x0 + Math.floor((tx * bw) / tw);
      const sx1 = Math.max(sx0 + 1, x0 + Math.floor(((tx + 1) * bw) / tw));
      let s = 0;
      for (let y = sy0; y < sy1; y++) for (let x = sx0; x < sx1; x++) s += ink[y * width + x];
      small[ty * tw + tx] = s / ((sy1 - sy0) * (sx1 - sx0));
    }
  }

  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = small[y * tw + x];
      mass += v;
      cx += v * x;
      cy += v * y;
    }
  }
  cx = mass > 0 ? cx / mass : (tw - 1) / 2;
  cy = mass > 0 ? cy / mass : (th - 1) / 2;
  const center = (MNIST_SIDE - 1) / 2;
  const ox = Math.round(center - cx);
  const oy = Math.round(center - cy);

  const out = new Uint8Array(MNIST_SIDE * MNIST_SIDE);
  for (let y = 0; y < th; y++) {
    const dy = y + oy;
    if (dy < 0 || dy >= MNIST_SIDE) continue;
    for (let x = 0; x < tw; x++) {
      const dx = x + ox;
      if (dx < 0 || dx >= MNIST_SIDE) continue;
      out[dy * MNIST_SIDE + dx] = Math.min(255, Math.round(small[y * tw + x]));
    }
  }
  return out;
}
