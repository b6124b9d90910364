/**
 * IEEE 754 binary16 on the host, for the f16 storage mode: uploads round float32 to
 * half (round to nearest, ties to even, as the GPU's f32→f16 conversion does), reads
 * widen half to float32 exactly. Node 20 has no Float16Array, so this is done on bits.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 bit pattern nearest to `x` (NaN → quiet NaN 0x7e00 with x's sign; overflow → ±∞). */
export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const man = b & 0x7fffff;
  if (exp === 0xff) return sign | (man !== 0 ? 0x7e00 : 0x7c00);
  // Unbiased exponent; half normals cover [-14, 15].
  const e = exp - 127;
  if (e > 15) return sign | 0x7c00;
  if (e >= -14) {
    // 10 of the 23 mantissa bits stay; round the other 13 to nearest even. A carry out of
    // the mantissa bumps the exponent, and from e = 15 lands on ∞ (0x7c00), as it should.
    let h = ((e + 15) << 10) | (man >>> 13);
    const rest = man & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++;
    return sign | h;
  }
  if (e < -25) return sign; // below half the smallest subnormal (2^-24): ±0
  // Subnormal: value = m · 2^-24 with m = (1.man) · 2^(e + 24), rounded to nearest even.
  const full = man | 0x800000; // 24 significant bits, value full · 2^(e - 23)
  const shift = -e - 1; // bits dropped: full · 2^(e-23) / 2^-24 = full >> (-(e + 1))
  let m = full >>> shift;
  const rest = full & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && (m & 1) === 1)) m++;
  return sign | m;
}

/** The float32 value of a binary16 bit pattern (exact: every half is a float32). */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const man = h & 0x3ff;
  if (exp === 0) return sign * man * 2 ** -24;
  if (exp === 0x1f) return man === 0 ? sign * Infinity : NaN;
  return sign * (1 + man / 1024) * 2 ** (exp - 15);
}

/** float32 → half bits, padded to an even length: queue.writeBuffer moves multiples of 4 bytes. */
export function toHalf(data: Float32Array): Uint16Array {
  const out = new Uint16Array(data.length + (data.length & 1));
  for (let i = 0; i < data.length; i++) out[i] = f32ToF16Bits(data[i]);
  return out;
}

export function fromHalf(bits: Uint16Array, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = f16BitsToF32(bits[i]);
  return out;
}
