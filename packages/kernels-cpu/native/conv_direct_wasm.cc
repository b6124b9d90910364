// The direct convolutions (conv_direct.h) and the depthwise inner loop (depthwise_simd.h) for
// WebAssembly SIMD (the @mge/kernels-wasm build only), plus the wasm form of the forward pass for
// 5×5 filters over output rows (LeNet's first layer).
#define MGE_SIMD_WASM128 1
#include "conv_direct.h"
#include "conv_direct_entry.h"
#include "depthwise_simd.h"

namespace {

// --- the forward pass over rows, 5×5 filters, wasm form -------------------------------------------
// conv_direct.h's rows_block indexes with 64-bit integers and reads each broadcast weight at
// w + b·C·KH·KW + kx: on wasm32 every tap then costs a dozen scalar instructions (i64 add, wrap,
// shift, add per filter) beside its 2·OB·NV vector ones, and runs at half the mul+add peak. Here
// the weights are packed per filter block as [C·25][OB], so a tap's broadcasts are loads at
// constant offsets from one pointer that steps with the taps, and indices are 32-bit. Blocks of OB filters × NV vectors keep OB·NV ≥ 8 independent sums (f32x4.add's latency
// × throughput) within the 15 registers V8 allocates (sums + NV inputs + a weight + a product).

constexpr int kK = 5;

// emcc's link step (binaryen) inlines every function that has one caller, however large, and V8
// then allocates registers over one huge function where the kernels' sums spill (measured: the
// filters kernel below ran 1.3× slower inlined). A kernel called through a pointer read from a
// volatile is address-taken, so binaryen leaves it a function of its own.
template <class F>
F apart(F f) {
  volatile F v = f;
  return v;
}

// Row chunks of four vectors (16 columns), the rest of a row in one chunk.
constexpr int kChunk = 4;
template <int NV>
constexpr int rows5_ob() {
  return NV >= 4 ? 2 : NV == 3 ? 3 : NV == 2 ? 4 : 8;
}

// Output rows of filters [0, OB) of a block, columns [x0, x0 + 4·NV), one image. wp: the block's
// weights [C·25][OB].
template <int OB, int NV>
void rows5_block(const float* x, const float* wp, float* y, int c, int h, int wd, int oh, int ow, int x0) {
  const int plane = h * wd;
  for (int oy = 0; oy < oh; ++oy) {
    v128_t acc[OB * NV];
    MGE_UNROLL
    for (int k = 0; k < OB * NV; ++k) acc[k] = wasm_f32x4_splat(0.f);
    const float* xc = x + oy * wd + x0;
    const float* wr = wp;
    for (int ci = 0; ci < c; ++ci, xc += plane) {
      const float* xr = xc;
      MGE_NO_UNROLL
      for (int ky = 0; ky < kK; ++ky, xr += wd - kK) {
        // One tap per step: with the taps unrolled clang hoists all their loads ahead of the
        // arithmetic, and V8 spills them (measured 1.5× slower).
        MGE_NO_UNROLL
        for (int kx = 0; kx < kK; ++kx, ++xr, wr += OB) {
          v128_t xv[NV];
          MGE_UNROLL
          for (int v = 0; v < NV; ++v) xv[v] = wasm_v128_load(xr + 4 * v);
          MGE_UNROLL
          for (int b = 0; b < OB; ++b) {
            const v128_t wv = wasm_v128_load32_splat(wr + b);
            MGE_UNROLL
            for (int v = 0; v < NV; ++v) acc[b * NV + v] = wasm_f32x4_add(wasm_f32x4_mul(wv, xv[v]), acc[b * NV + v]);
          }
        }
      }
    }
    MGE_UNROLL
    for (int b = 0; b < OB; ++b)
      MGE_UNROLL
      for (int v = 0; v < NV; ++v) wasm_v128_store(y + (b * oh + oy) * ow + x0 + 4 * v, acc[b * NV + v]);
  }
}

// Filters [0, o) packed for blocks of OB (the last block holds the remaining o mod OB):
// block at o0 = [C·25][min(OB, o − o0)] at wp + o0·C·25.
void pack5(const float* w, int o, int ckk, int ob, float* wp) {
  for (int o0 = 0; o0 < o; o0 += ob) {
    const int n = o - o0 < ob ? o - o0 : ob;
    float* dst = wp + o0 * ckk;
    for (int k = 0; k < ckk; ++k)
      for (int b = 0; b < n; ++b) dst[k * n + b] = w[(o0 + b) * ckk + k];
  }
}

template <int NV, int OB>
void rows5_rest(const float* x, const float* wp, float* y, int c, int h, int wd, int oh, int ow, int x0, int rest) {
  if constexpr (OB > 1) {
    if (rest < OB) return rows5_rest<NV, OB - 1>(x, wp, y, c, h, wd, oh, ow, x0, rest);
  }
  apart(&rows5_block<OB, NV>)(x, wp, y, c, h, wd, oh, ow, x0);
}

// Every filter for columns [x0, x0 + 4·NV) of one image.
template <int NV>
void rows5_chunk(const float* x, const float* wp, float* y, int c, int h, int wd, int o, int oh, int ow, int x0) {
  constexpr int OB = rows5_ob<NV>();
  const int ckk = c * kK * kK, ohow = oh * ow;
  int o0 = 0;
  const auto block = apart(&rows5_block<OB, NV>);
  for (; o0 + OB <= o; o0 += OB) block(x, wp + o0 * ckk, y + o0 * ohow, c, h, wd, oh, ow, x0);
  if (o0 < o) rows5_rest<NV, OB - 1>(x, wp + o0 * ckk, y + o0 * ohow, c, h, wd, oh, ow, x0, o - o0);
}

// The chunk widths (in vectors) of a row of nvec full vectors: fours, then the rest in one chunk.
void forward_rows5(const float* x, const float* w, float* y, i64 n0, i64 n1, i64 c, i64 h, i64 wd, i64 o, i64 oh,
                   i64 ow, void (*done)(void*, i64), void* ctx) {
  const int ckk = static_cast<int>(c * kK * kK);
  const int nvec = static_cast<int>(ow / 4), rem = nvec % kChunk;
  // One packing per block size in use: the chunks of four vectors, and the last chunk.
  thread_local std::vector<float> packed;
  packed.resize(static_cast<std::size_t>(2 * o * ckk));
  float* wp4 = packed.data();
  float* wpr = wp4 + o * ckk;
  if (nvec >= kChunk) pack5(w, static_cast<int>(o), ckk, rows5_ob<kChunk>(), wp4);
  const int ob_rest = rem == 3 ? rows5_ob<3>() : rem == 2 ? rows5_ob<2>() : rows5_ob<1>();
  if (rem) pack5(w, static_cast<int>(o), ckk, ob_rest, wpr);
  const int ci = static_cast<int>(c), hi = static_cast<int>(h), wi = static_cast<int>(wd), oi = static_cast<int>(o),
            ohi = static_cast<int>(oh), owi = static_cast<int>(ow);
  for (i64 i = n0; i < n1; ++i) {
    const float* xi = x + i * c * h * wd;
    float* yi = y + i * o * oh * ow;
    int v = 0;
    for (; v + kChunk <= nvec; v += kChunk) rows5_chunk<kChunk>(xi, wp4, yi, ci, hi, wi, oi, ohi, owi, 4 * v);
    if (rem == 3) rows5_chunk<3>(xi, wpr, yi, ci, hi, wi, oi, ohi, owi, 4 * v);
    else if (rem == 2) rows5_chunk<2>(xi, wpr, yi, ci, hi, wi, oi, ohi, owi, 4 * v);
    else if (rem == 1) rows5_chunk<1>(xi, wpr, yi, ci, hi, wi, oi, ohi, owi, 4 * v);
    // The last ow mod 4 columns: conv_direct.h's masked form.
    if (ow % 4) chunk_filters<Wasm128, 1, true, 0>(xi, w, yi, c, h, wd, o, kK, kK, oh, ow, 4 * nvec);
    if (done) done(ctx, i);
  }
}

// --- the forward pass over filters, 5×5 filters, wasm form ---------------------------------------
// For layers whose filters fill more lanes than their rows (LeNet's conv2: 16 filters, 10-wide
// rows), as conv_direct.h's forward_by_filters, with the same changes as above: the weights of
// a block of FB filter vectors are packed [C·25][4·FB] so that each tap loads them at constant
// offsets from one pointer that steps with the taps (one tap per step, as above: 1.2× faster than
// unrolled), and indices are 32-bit. P outputs × FB vectors of
// 4 filters are summed at once (FB = 4, P = 2 for 16 filters: 8 sums, 4 weights, a broadcast and
// a product in 14 registers).

template <int FB, int P>
MGE_NO_PCOM void filters5_run(const float* wp, const float* x, int c, int plane, int wd, float* y, int ohow,
                              int nf) {
  v128_t acc[P * FB];
  MGE_UNROLL
  for (int k = 0; k < P * FB; ++k) acc[k] = wasm_f32x4_splat(0.f);
  const float* wr = wp;
  for (int ci = 0; ci < c; ++ci, x += plane) {
    const float* xr = x;
    MGE_NO_UNROLL
    for (int ky = 0; ky < kK; ++ky, xr += wd - kK) {
      MGE_NO_UNROLL
      for (int kx = 0; kx < kK; ++kx, ++xr, wr += 4 * FB) {
        v128_t wv[FB];
        MGE_UNROLL
        for (int f = 0; f < FB; ++f) wv[f] = wasm_v128_load(wr + f * 4);
        MGE_UNROLL
        for (int q = 0; q < P; ++q) {
          const v128_t xb = wasm_v128_load32_splat(xr + q);
          MGE_UNROLL
          for (int f = 0; f < FB; ++f) acc[q * FB + f] = wasm_f32x4_add(wasm_f32x4_mul(wv[f], xb), acc[q * FB + f]);
        }
      }
    }
  }
  // Lane l of sum (q, f) is filter 4f + l at output q: planes ohow apart.
  if (nf == 4 * FB) {
    MGE_UNROLL
    for (int f = 0; f < FB; ++f)
      MGE_UNROLL
      for (int q = 0; q < P; ++q) {
        float* out = y + 4 * f * ohow + q;
        out[0] = wasm_f32x4_extract_lane(acc[q * FB + f], 0);
        out[ohow] = wasm_f32x4_extract_lane(acc[q * FB + f], 1);
        out[2 * ohow] = wasm_f32x4_extract_lane(acc[q * FB + f], 2);
        out[3 * ohow] = wasm_f32x4_extract_lane(acc[q * FB + f], 3);
      }
  } else {
    alignas(16) float t[P * FB * 4];
    MGE_UNROLL
    for (int k = 0; k < P * FB; ++k) wasm_v128_store(t + 4 * k, acc[k]);
    for (int l = 0; l < nf; ++l)
      for (int q = 0; q < P; ++q) y[l * ohow + q] = t[(q * FB + l / 4) * 4 + l % 4];
  }
}

// Filters [o0, o0 + nf) (nf ≤ 4·FB) of one image, every output.
template <int FB, int P>
void filters5_block(const float* wp, const float* x, int c, int h, int wd, float* y, int oh, int ow, int nf) {
  const int plane = h * wd, ohow = oh * ow;
  for (int oy = 0; oy < oh; ++oy) {
    int ox = 0;
    for (; ox + P <= ow; ox += P) filters5_run<FB, P>(wp, x + oy * wd + ox, c, plane, wd, y + oy * ow + ox, ohow, nf);
    for (; ox < ow; ++ox) filters5_run<FB, 1>(wp, x + oy * wd + ox, c, plane, wd, y + oy * ow + ox, ohow, nf);
  }
}

// Weights of filters [o0, o0 + nf) as [C·25][4·fb], lanes past nf zero.
void pack5_filters(const float* w, int o0, int nf, int ckk, int fb, float* wp) {
  for (int k = 0; k < ckk; ++k)
    for (int l = 0; l < 4 * fb; ++l) wp[k * 4 * fb + l] = l < nf ? w[(o0 + l) * ckk + k] : 0.f;
}

void forward_filters5(const float* x, const float* w, float* y, i64 n0, i64 n1, i64 c, i64 h, i64 wd, i64 o, i64 oh,
                      i64 ow, void (*done)(void*, i64), void* ctx) {
  constexpr int kFB = 4, kP = 2;
  const int ckk = static_cast<int>(c * kK * kK), oi = static_cast<int>(o);
  const int blocks = (oi + 4 * kFB - 1) / (4 * kFB);
  thread_local std::vector<float> packed;
  packed.resize(static_cast<std::size_t>(blocks * ckk * 4 * kFB));
  // Blocks of 16 filters; the last one holds the rest in as few vectors as cover it.
  for (int b = 0; b < blocks; ++b) {
    const int nf = oi - 16 * b < 16 ? oi - 16 * b : 16;
    pack5_filters(w, 16 * b, nf, ckk, (nf + 3) / 4, packed.data() + b * ckk * 4 * kFB);
  }
  const int ci = static_cast<int>(c), hi = static_cast<int>(h), wi = static_cast<int>(wd), ohi = static_cast<int>(oh),
            owi = static_cast<int>(ow);
  for (i64 i = n0; i < n1; ++i) {
    const float* xi = x + i * c * h * wd;
    float* yi = y + i * o * oh * ow;
    for (int b = 0; b < blocks; ++b) {
      const int nf = oi - 16 * b < 16 ? oi - 16 * b : 16;
      const float* wp = packed.data() + b * ckk * 4 * kFB;
      float* yb = yi + 16 * b * ohi * owi;
      switch ((nf + 3) / 4) {
        case 4: apart(&filters5_block<4, kP>)(wp, xi, ci, hi, wi, yb, ohi, owi, nf); break;
        case 3: apart(&filters5_block<3, kP>)(wp, xi, ci, hi, wi, yb, ohi, owi, nf); break;
        case 2: apart(&filters5_block<2, 4>)(wp, xi, ci, hi, wi, yb, ohi, owi, nf); break;
        default: apart(&filters5_block<1, 8>)(wp, xi, ci, hi, wi, yb, ohi, owi, nf); break;
      }
    }
    if (done) done(ctx, i);
  }
}

}  // namespace

// conv_direct.h's entries, except that 5×5 filters over rows take the wasm form above.
extern "C" void mge_conv2d_direct_wasm(const float* x, const float* w, float* y, std::int64_t n0, std::int64_t n1,
                                       std::int64_t c, std::int64_t h, std::int64_t wd, std::int64_t o,
                                       std::int64_t kh, std::int64_t kw, std::int64_t oh, std::int64_t ow,
                                       void (*done)(void*, std::int64_t), void* ctx) {
  constexpr int L = Wasm128::L;
  const bool by_filters = o * ((ow + L - 1) / L * L) > ow * ((o + L - 1) / L * L);
  if (kh == kK && kw == kK && !by_filters && ow >= 4)
    return forward_rows5(x, w, y, n0, n1, c, h, wd, o, oh, ow, done, ctx);
  if (kh == kK && kw == kK && by_filters) return forward_filters5(x, w, y, n0, n1, c, h, wd, o, oh, ow, done, ctx);
  conv_forward<Wasm128>(x, w, y, n0, n1, c, h, wd, o, kh, kw, oh, ow, done, ctx);
}
extern "C" void mge_conv2d_input_direct_wasm(const float* dy, const float* w, float* dx, std::int64_t n0,
                                             std::int64_t n1, std::int64_t c, std::int64_t h, std::int64_t wd,
                                             std::int64_t o, std::int64_t kh, std::int64_t kw, std::int64_t oh,
                                             std::int64_t ow) {
  conv_input<Wasm128>(dy, w, dx, n0, n1, c, h, wd, o, kh, kw, oh, ow);
}
extern "C" int mge_conv2d_filter_direct_wasm(const float* x, const float* dy, float* dw, std::int64_t n0,
                                             std::int64_t n1, std::int64_t c, std::int64_t h, std::int64_t wd,
                                             std::int64_t o, std::int64_t kh, std::int64_t kw, std::int64_t oh,
                                             std::int64_t ow) {
  return conv_filter<Wasm128>(x, dy, dw, n0, n1, c, h, wd, o, kh, kw, oh, ow);
}
MGE_DEPTHWISE_ENTRY(wasm, Wasm128)
