import { type Image, Mulberry32, type Transform } from '@mge/data';

/**
 * Training-time augmentation: places the image at a random offset of up to `maxShift`
 * pixels in each direction (the uncovered border is background, 0). Shifted digits are
 * still the same digit, so the model learns not to depend on exact position — the gain
 * matters most with few training images. Seeded, so a run is reproducible.
 */
export function randomShift(maxShift: number, seed: number): Transform {
  if (!Number.isInteger(maxShift) || maxShift < 0)
    throw new RangeError(`randomShift: maxShift must be a non-negative integer, got ${maxShift}`);
  const rng = new Mulberry32(seed);
  return (image: Image): Image => {
    const { data, channels: c, height: h, width: w } = image;
    const dx = rng.nextBelow(2 * maxShift + 1) - maxShift;
    const dy = rng.nextBelow(2 * maxShift + 1) - maxShift;
    if (dx === 0 && dy === 0) return image;
    const out = data instanceof Uint8Array ? new Uint8Array(data.length) : new Float32Array(data.length);
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        const sy = y - dy;
        if (sy < 0 || sy >= h) continue;
        const x0 = Math.max(0, dx);
        const x1 = Math.min(w, w + dx);
        const src = (ch * h + sy) * w;
        out.set(data.subarray(src + x0 - dx, src + x1 - dx), (ch * h + y) * w + x0);
      }
    }
    return { data: out, channels: c, height: h, width: w };
  };
}
