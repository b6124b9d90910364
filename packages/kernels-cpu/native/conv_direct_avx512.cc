// Direct 2-D convolution (stride 1, no padding or dilation, one group) for images whose
// output rows fit in one or two 16-lane vectors and whose filters are few: LeNet's 5×5
// layers. Each output row of a block of output channels stays in registers while every
// filter tap adds a shifted input row times a broadcast weight, so nothing is copied
// (no im2col, no packing, no scatter). Built with -mavx512f in its own library.
#include <immintrin.h>

#include <cstdint>
#include <vector>

namespace {

using i64 = std::int64_t;

// GCC's predictive commoning carries loaded values from one loop step to the next in scalars
// that spill; every tap here is best read by the FMA itself (a broadcast memory operand).
#if defined(__GNUC__) && !defined(__clang__)
#define MGE_NO_PCOM __attribute__((optimize("no-predictive-commoning")))
#else
#define MGE_NO_PCOM
#endif

template <int NV, int OB>
void rows_block(const float* x, const float* w, float* y, i64 c, i64 h, i64 wd, i64 kh, i64 kw, i64 oh, i64 ow,
                i64 o0) {
  const i64 ckk = c * kh * kw;
  const __mmask16 m0 = NV == 1 ? static_cast<__mmask16>((1u << ow) - 1u) : static_cast<__mmask16>(0xffffu);
  const __mmask16 m1 = NV == 2 ? static_cast<__mmask16>((1u << (ow - 16)) - 1u) : static_cast<__mmask16>(0);
  for (i64 oy = 0; oy < oh; ++oy) {
    __m512 acc[OB][NV];
    for (int b = 0; b < OB; ++b)
      for (int v = 0; v < NV; ++v) acc[b][v] = _mm512_setzero_ps();
    for (i64 ci = 0; ci < c; ++ci) {
      for (i64 ky = 0; ky < kh; ++ky) {
        const float* row = x + (ci * h + oy + ky) * wd;
        const float* wt = w + o0 * ckk + (ci * kh + ky) * kw;
        for (i64 kx = 0; kx < kw; ++kx) {
          __m512 xv[NV];
          xv[0] = _mm512_maskz_loadu_ps(m0, row + kx);
          if (NV == 2) xv[NV - 1] = _mm512_maskz_loadu_ps(m1, row + kx + 16);
          for (int b = 0; b < OB; ++b) {
            const __m512 wv = _mm512_set1_ps(wt[b * ckk + kx]);
            for (int v = 0; v < NV; ++v) acc[b][v] = _mm512_fmadd_ps(wv, xv[v], acc[b][v]);
          }
        }
      }
    }
    for (int b = 0; b < OB; ++b) {
      float* out = y + ((o0 + b) * oh + oy) * ow;
      _mm512_mask_storeu_ps(out, m0, acc[b][0]);
      if (NV == 2) _mm512_mask_storeu_ps(out + 16, m1, acc[b][NV - 1]);
    }
  }
}

template <int NV>
void image(const float* x, const float* w, float* y, i64 c, i64 h, i64 wd, i64 o, i64 kh, i64 kw, i64 oh, i64 ow) {
  // Output channels in blocks whose accumulators fit the 32 vector registers.
  i64 o0 = 0;
  if (NV == 1) {
    for (; o0 + 16 <= o; o0 += 16) rows_block<1, 16>(x, w, y, c, h, wd, kh, kw, oh, ow, o0);
  }
  for (; o0 + 8 <= o; o0 += 8) rows_block<NV, 8>(x, w, y, c, h, wd, kh, kw, oh, ow, o0);
  // Six filters (LeNet's conv1) as one block of 12 sums rather than 4 + 2, whose 4 sums would
  // wait on the FMA latency.
  if (NV == 2) {
    for (; o0 + 6 <= o; o0 += 6) rows_block<NV, 6>(x, w, y, c, h, wd, kh, kw, oh, ow, o0);
  }
  for (; o0 + 4 <= o; o0 += 4) rows_block<NV, 4>(x, w, y, c, h, wd, kh, kw, oh, ow, o0);
  for (; o0 + 2 <= o; o0 += 2) rows_block<NV, 2>(x, w, y, c, h, wd, kh, kw, oh, ow, o0);
  for (; o0 < o; ++o0) rows_block<NV, 1>(x, w, y, c, h, wd, kh, kw, oh, ow, o0);
}

// dW for output channels [o0, o0+OB), input channel ci, filter row ky, all KW columns, summed
// over images [n0, n1) into s: OB·KW·NV 16-lane sums (filter b's at s + b·ostride) that live in
// registers across the images and are added to what s held.
template <int NV, int OB, int KW>
void filter_block(const float* x, const float* dy, float* s, i64 ostride, i64 n0, i64 n1, i64 c, i64 o, i64 h,
                  i64 wd, i64 oh, i64 ow, i64 o0, i64 ci, i64 ky) {
  const __mmask16 m0 = NV == 1 ? static_cast<__mmask16>((1u << ow) - 1u) : static_cast<__mmask16>(0xffffu);
  const __mmask16 m1 = NV == 2 ? static_cast<__mmask16>((1u << (ow - 16)) - 1u) : static_cast<__mmask16>(0);
  // One flat array: GCC keeps a multi-dimensional array of vectors in memory.
  __m512 acc[OB * KW * NV];
  for (int b = 0; b < OB; ++b)
    for (int k = 0; k < KW; ++k)
      for (int v = 0; v < NV; ++v) acc[(b * KW + k) * NV + v] = _mm512_loadu_ps(s + b * ostride + (k * NV + v) * 16);
  // Every (image, output row) as one loop, the row wrapping to the next image by a branch: with
  // nested image and row loops GCC keeps the sums in memory and stores them on every row.
  const float* row = x + (n0 * c + ci) * h * wd + ky * wd;  // input row oy + ky of image i
  const float* grow = dy + (n0 * o + o0) * oh * ow;         // dy row oy of filter o0, image i
  i64 oy = 0;
  for (i64 t = 0; t < (n1 - n0) * oh; ++t) {
    __m512 g[OB * NV];
    for (int b = 0; b < OB; ++b) {
      const float* gr = grow + b * oh * ow;
      g[b * NV] = _mm512_maskz_loadu_ps(m0, gr);
      if (NV == 2) g[b * NV + NV - 1] = _mm512_maskz_loadu_ps(m1, gr + 16);
    }
    for (int k = 0; k < KW; ++k) {
      __m512 xv[NV];
      xv[0] = _mm512_maskz_loadu_ps(m0, row + k);
      if (NV == 2) xv[NV - 1] = _mm512_maskz_loadu_ps(m1, row + k + 16);
      for (int b = 0; b < OB; ++b)
        for (int v = 0; v < NV; ++v) {
          __m512& a = acc[(b * KW + k) * NV + v];
          a = _mm512_fmadd_ps(g[b * NV + v], xv[v], a);
        }
    }
    if (++oy == oh) {
      oy = 0;
      row += c * h * wd - (oh - 1) * wd;
      grow += o * oh * ow - (oh - 1) * ow;
    } else {
      row += wd;
      grow += ow;
    }
  }
  for (int b = 0; b < OB; ++b)
    for (int k = 0; k < KW; ++k)
      for (int v = 0; v < NV; ++v) _mm512_storeu_ps(s + b * ostride + (k * NV + v) * 16, acc[(b * KW + k) * NV + v]);
}

// One image's contribution to the sums s [KH·KW, op] of 16 filters (g: dy transposed, lane
// offset applied; xc: the input channel's plane). All output positions run as one loop (the
// column wraps to the next row by a branch) so that the KH·KW sums stay in registers for the
// whole image: with nested row/column loops GCC keeps them in memory and stores all 25 on
// every step.
template <int KH, int KW>
MGE_NO_PCOM inline void filter_image(const float* g, i64 op, const float* xc, i64 wd, i64 oh, i64 ow, float* s) {
  constexpr int KK = KH * KW;
  __m512 r[KK];
  for (int k = 0; k < KK; ++k) r[k] = _mm512_loadu_ps(s + k * op);
  const float* xr = xc;
  i64 ox = 0;
  for (i64 q = 0; q < oh * ow; ++q) {
    const __m512 gv = _mm512_loadu_ps(g + q * op);
    for (int ky = 0; ky < KH; ++ky)
      for (int kx = 0; kx < KW; ++kx)
        r[ky * KW + kx] = _mm512_fmadd_ps(gv, _mm512_set1_ps(xr[ky * wd + ox + kx]), r[ky * KW + kx]);
    if (++ox == ow) {
      ox = 0;
      xr += wd;
    }
  }
  for (int k = 0; k < KK; ++k) _mm512_storeu_ps(s + k * op, r[k]);
}

// dW vectorised over output channels instead of output columns, for layers with many filters and
// short rows (LeNet's conv2: 16 filters fill every lane, where its 10-wide rows fill 10 of 16).
// Image by image, dy is transposed to [OH·OW, O] so one load gives every filter's gradient at an
// output position; the KH·KW taps of one input channel accumulate in registers over the image
// (memory operands broadcast x). The running sums, [C, KH·KW, O] (LeNet: 9.6 KB), stay in L1
// across images, and each image's x and dy are read from L1 once per input channel.
template <int KH, int KW>
void filter_by_filters(const float* x, const float* dy, float* dw, i64 n0, i64 n1, i64 c, i64 o, i64 h, i64 wd,
                       i64 oh, i64 ow) {
  constexpr int KK = KH * KW;
  const i64 ob = (o + 15) / 16, op = ob * 16, ohow = oh * ow;
  std::vector<float> dyt(static_cast<std::size_t>(ohow * op), 0.f);  // lanes past o stay 0
  std::vector<float> sums(static_cast<std::size_t>(c * KK * op), 0.f);
  for (i64 i = n0; i < n1; ++i) {
    const float* dyi = dy + i * o * ohow;
    for (i64 oc = 0; oc < o; ++oc)
      for (i64 q = 0; q < ohow; ++q) dyt[q * op + oc] = dyi[oc * ohow + q];
    for (i64 ci = 0; ci < c; ++ci) {
      const float* xc = x + (i * c + ci) * h * wd;
      for (i64 v = 0; v < ob; ++v) {
        filter_image<KH, KW>(dyt.data() + v * 16, op, xc, wd, oh, ow, sums.data() + ci * KK * op + v * 16);
      }
    }
  }
  for (i64 oc = 0; oc < o; ++oc)
    for (i64 ci = 0; ci < c; ++ci)
      for (int k = 0; k < KK; ++k) dw[(oc * c + ci) * KK + k] = sums[(ci * KK + k) * op + oc];
}

// Images go in chunks small enough for L1 (LeNet conv1: 4 KB of x and 19 KB of dy per image), and
// every (filter block, ci, ky) pass runs over a chunk: a pass over the whole batch would stream
// x and dy from L2/L3 once per pass (15 passes for conv1). The 16-lane sums of all passes wait
// in memory between chunks and are reduced to dW at the end.
template <int NV, int KW>
void filter_all(const float* x, const float* dy, float* dw, i64 n0, i64 n1, i64 c, i64 o, i64 h, i64 wd, i64 kh,
                i64 oh, i64 ow) {
  // OB·KW·NV ≤ 20 accumulators, leaving registers for the dy and x rows.
  constexpr int kOB = 20 / (KW * NV) >= 4 ? 4 : 20 / (KW * NV) >= 2 ? 2 : 1;
  constexpr i64 kVec = KW * NV * 16;  // floats of sums per (filter, ci, ky)
  const i64 ostride = c * kh * kVec;
  std::vector<float> sums(static_cast<std::size_t>(o * ostride), 0.f);
  const i64 image_bytes = (c * h * wd + o * oh * ow) * static_cast<i64>(sizeof(float));
  const i64 chunk = image_bytes >= (i64(24) << 10) ? 1 : (i64(24) << 10) / image_bytes;
  for (i64 i0 = n0; i0 < n1; i0 += chunk) {
    const i64 i1 = i0 + chunk < n1 ? i0 + chunk : n1;
    for (i64 ci = 0; ci < c; ++ci)
      for (i64 ky = 0; ky < kh; ++ky) {
        float* s = sums.data() + (ci * kh + ky) * kVec;
        i64 o0 = 0;
        for (; o0 + kOB <= o; o0 += kOB)
          filter_block<NV, kOB, KW>(x, dy, s + o0 * ostride, ostride, i0, i1, c, o, h, wd, oh, ow, o0, ci, ky);
        for (; o0 < o; ++o0)
          filter_block<NV, 1, KW>(x, dy, s + o0 * ostride, ostride, i0, i1, c, o, h, wd, oh, ow, o0, ci, ky);
      }
  }
  for (i64 oc = 0; oc < o; ++oc)
    for (i64 ci = 0; ci < c; ++ci)
      for (i64 ky = 0; ky < kh; ++ky)
        for (int k = 0; k < KW; ++k) {
          const float* v = sums.data() + oc * ostride + (ci * kh + ky) * kVec + k * NV * 16;
          float sum = 0.f;
          for (int l = 0; l < NV * 16; ++l) sum += v[l];
          dw[((oc * c + ci) * kh + ky) * KW + k] = sum;
        }
}

// The forward pass vectorised over filters, for the layers whose filters fill more lanes than
// their output rows (LeNet's conv2: 16 filters against 10-wide rows). P consecutive outputs of a
// row are summed in P registers, each holding 16 filters; every tap loads one vector of weights
// (wt: [C·KH·KW, op], transposed once per call) and reads x as broadcast memory operands.
// The P·16 sums go to t [P][16] and are transposed into y by the caller.
template <int KH, int KW, int P>
MGE_NO_PCOM void outputs_by_filters(const float* wt, i64 op, i64 c, const float* xs, i64 hw, i64 wd, float* t) {
  constexpr int KK = KH * KW;
  __m512 acc[P];
  for (int q = 0; q < P; ++q) acc[q] = _mm512_setzero_ps();
  for (i64 ci = 0; ci < c; ++ci) {
    const float* xc = xs + ci * hw;
    const float* wc = wt + ci * KK * op;
    for (int ky = 0; ky < KH; ++ky)
      for (int kx = 0; kx < KW; ++kx) {
        const __m512 wv = _mm512_loadu_ps(wc + (ky * KW + kx) * op);
        for (int q = 0; q < P; ++q) acc[q] = _mm512_fmadd_ps(wv, _mm512_set1_ps(xc[ky * wd + kx + q]), acc[q]);
      }
  }
  for (int q = 0; q < P; ++q) _mm512_storeu_ps(t + q * 16, acc[q]);
}

constexpr int kMaxRun = 12;  // outputs per register block: 12 sums + weights + spare

template <int KH, int KW, int P>
void run_by_filters(const float* wt, i64 op, i64 c, const float* xs, i64 hw, i64 wd, i64 count, float* t) {
  if constexpr (P > 1) {
    if (count < P) return run_by_filters<KH, KW, P - 1>(wt, op, c, xs, hw, wd, count, t);
  }
  outputs_by_filters<KH, KW, P>(wt, op, c, xs, hw, wd, t);
}

template <int KH, int KW>
void forward_by_filters(const float* x, const float* w, float* y, i64 n0, i64 n1, i64 c, i64 h, i64 wd, i64 o,
                        i64 oh, i64 ow, void (*done)(void*, i64), void* ctx) {
  constexpr int KK = KH * KW;
  const i64 ob = (o + 15) / 16, op = ob * 16, ohow = oh * ow;
  std::vector<float> wt(static_cast<std::size_t>(c * KK * op), 0.f);  // lanes past o stay 0
  for (i64 oc = 0; oc < o; ++oc)
    for (i64 k = 0; k < c * KK; ++k) wt[k * op + oc] = w[oc * c * KK + k];
  alignas(64) float t[kMaxRun * 16];
  for (i64 i = n0; i < n1; ++i) {
    const float* xi = x + i * c * h * wd;
    float* yi = y + i * o * ohow;
    for (i64 v = 0; v < ob; ++v) {
      const i64 lanes = o - v * 16 < 16 ? o - v * 16 : 16;
      for (i64 oy = 0; oy < oh; ++oy)
        for (i64 ox = 0; ox < ow; ox += kMaxRun) {
          const i64 count = ow - ox < kMaxRun ? ow - ox : kMaxRun;
          run_by_filters<KH, KW, kMaxRun>(wt.data() + v * 16, op, c, xi + oy * wd + ox, h * wd, wd, count, t);
          float* out = yi + v * 16 * ohow + oy * ow + ox;
          for (i64 l = 0; l < lanes; ++l)
            for (i64 q = 0; q < count; ++q) out[l * ohow + q] = t[q * 16 + l];
        }
    }
    if (done) done(ctx, i);
  }
}

// dx rows of input channels [c0, c0+CB) of one image: dx[c, iy, ix] = Σ_o Σ_ky Σ_kx
// w[o, c, ky, kx] · dy[o, iy − ky, ix − kx], terms outside dy being 0. A dy row shifted right by kx
// is a masked load from row − kx (masked-off lanes are never read), so each dx row is summed in
// registers and stored once: no col2im scatter, no zero-fill of dx.
template <int NV, int CB>
MGE_NO_PCOM void input_block(const float* dy, const float* w, float* dx, i64 c, i64 h, i64 wd, i64 o, i64 kh, i64 kw, i64 oh,
                 i64 ow, i64 c0) {
  const i64 kk = kh * kw;
  const std::uint64_t row_lanes = (std::uint64_t(1) << ow) - 1;
  const std::uint64_t dx_lanes = (std::uint64_t(1) << wd) - 1;
  for (i64 iy = 0; iy < h; ++iy) {
    __m512 acc[CB][NV];
    for (int b = 0; b < CB; ++b)
      for (int v = 0; v < NV; ++v) acc[b][v] = _mm512_setzero_ps();
    const i64 ky0 = iy - oh + 1 > 0 ? iy - oh + 1 : 0, ky1 = iy < kh - 1 ? iy : kh - 1;
    for (i64 oc = 0; oc < o; ++oc) {
      for (i64 ky = ky0; ky <= ky1; ++ky) {
        const float* row = dy + (oc * oh + iy - ky) * ow;
        const float* wt = w + ((oc * c + c0) * kh + ky) * kw;
        for (i64 kx = 0; kx < kw; ++kx) {
          const std::uint64_t lanes = (row_lanes << kx) & dx_lanes;
          __m512 yv[NV];
          yv[0] = _mm512_maskz_loadu_ps(static_cast<__mmask16>(lanes), row - kx);
          if (NV == 2) yv[NV - 1] = _mm512_maskz_loadu_ps(static_cast<__mmask16>(lanes >> 16), row - kx + 16);
          for (int b = 0; b < CB; ++b) {
            const __m512 wv = _mm512_set1_ps(wt[b * kk + kx]);
            for (int v = 0; v < NV; ++v) acc[b][v] = _mm512_fmadd_ps(wv, yv[v], acc[b][v]);
          }
        }
      }
    }
    for (int b = 0; b < CB; ++b) {
      float* out = dx + ((c0 + b) * h + iy) * wd;
      _mm512_mask_storeu_ps(out, static_cast<__mmask16>(dx_lanes), acc[b][0]);
      if (NV == 2) _mm512_mask_storeu_ps(out + 16, static_cast<__mmask16>(dx_lanes >> 16), acc[b][NV - 1]);
    }
  }
}

template <int NV>
void input_image(const float* dy, const float* w, float* dx, i64 c, i64 h, i64 wd, i64 o, i64 kh, i64 kw, i64 oh,
                 i64 ow) {
  // Input channels in blocks whose accumulators fit the 32 vector registers.
  i64 c0 = 0;
  for (; c0 + 8 <= c; c0 += 8) input_block<NV, 8>(dy, w, dx, c, h, wd, o, kh, kw, oh, ow, c0);
  for (; c0 + 6 <= c; c0 += 6) input_block<NV, 6>(dy, w, dx, c, h, wd, o, kh, kw, oh, ow, c0);
  for (; c0 + 3 <= c; c0 += 3) input_block<NV, 3>(dy, w, dx, c, h, wd, o, kh, kw, oh, ow, c0);
  for (; c0 < c; ++c0) input_block<NV, 1>(dy, w, dx, c, h, wd, o, kh, kw, oh, ow, c0);
}

}  // namespace

// The filter gradient dw [O,C,KH,KW] (overwritten) of images [n0, n1) under the same conditions
// as the forward pass, for KW ∈ {3, 5}; returns 0 (and writes nothing) for other widths.
extern "C" int mge_conv2d_filter_direct_avx512(const float* x, const float* dy, float* dw, std::int64_t n0,
                                              std::int64_t n1, std::int64_t c, std::int64_t h, std::int64_t wd,
                                              std::int64_t o, std::int64_t kh, std::int64_t kw, std::int64_t oh,
                                              std::int64_t ow) {
  if (kw != 3 && kw != 5) return 0;
  // Whichever of output channels or output columns fills more of the 16-lane vectors.
  const i64 col_lanes = ow <= 16 ? 16 : 32;
  if (kh == kw && o * col_lanes > ow * ((o + 15) / 16 * 16)) {
    if (kw == 5) filter_by_filters<5, 5>(x, dy, dw, n0, n1, c, o, h, wd, oh, ow);
    else filter_by_filters<3, 3>(x, dy, dw, n0, n1, c, o, h, wd, oh, ow);
    return 1;
  }
  if (ow <= 16) {
    if (kw == 5) filter_all<1, 5>(x, dy, dw, n0, n1, c, o, h, wd, kh, oh, ow);
    else filter_all<1, 3>(x, dy, dw, n0, n1, c, o, h, wd, kh, oh, ow);
  } else {
    if (kw == 5) filter_all<2, 5>(x, dy, dw, n0, n1, c, o, h, wd, kh, oh, ow);
    else filter_all<2, 3>(x, dy, dw, n0, n1, c, o, h, wd, kh, oh, ow);
  }
  return 1;
}

// Images [n0, n1) of x [N,C,H,W] with w [O,C,KH,KW] into y [N,O,OH,OW]; 1 ≤ OW ≤ 32.
// done(ctx, i), if given, runs after image i is stored (while it is still in L1).
extern "C" void mge_conv2d_direct_avx512(const float* x, const float* w, float* y, std::int64_t n0, std::int64_t n1,
                                         std::int64_t c, std::int64_t h, std::int64_t wd, std::int64_t o,
                                         std::int64_t kh, std::int64_t kw, std::int64_t oh, std::int64_t ow,
                                         void (*done)(void*, std::int64_t), void* ctx) {
  // Whichever of filters or output columns fills more of the 16-lane vectors.
  const i64 col_lanes = ow <= 16 ? 16 : 32;
  if (kh == kw && (kw == 3 || kw == 5) && o * col_lanes > ow * ((o + 15) / 16 * 16)) {
    if (kw == 5) forward_by_filters<5, 5>(x, w, y, n0, n1, c, h, wd, o, oh, ow, done, ctx);
    else forward_by_filters<3, 3>(x, w, y, n0, n1, c, h, wd, o, oh, ow, done, ctx);
    return;
  }
  for (i64 i = n0; i < n1; ++i) {
    const float* xi = x + i * c * h * wd;
    float* yi = y + i * o * oh * ow;
    if (ow <= 16) {
      image<1>(xi, w, yi, c, h, wd, o, kh, kw, oh, ow);
    } else {
      image<2>(xi, w, yi, c, h, wd, o, kh, kw, oh, ow);
    }
    if (done) done(ctx, i);
  }
}

// Images [n0, n1) of dx [N,C,H,W] (overwritten) from dy [N,O,OH,OW] and w [O,C,KH,KW], under the
// forward pass's conditions and W ≤ 32.
extern "C" void mge_conv2d_input_direct_avx512(const float* dy, const float* w, float* dx, std::int64_t n0,
                                               std::int64_t n1, std::int64_t c, std::int64_t h, std::int64_t wd,
                                               std::int64_t o, std::int64_t kh, std::int64_t kw, std::int64_t oh,
                                               std::int64_t ow) {
  for (i64 i = n0; i < n1; ++i) {
    const float* dyi = dy + i * o * oh * ow;
    float* dxi = dx + i * c * h * wd;
    if (wd <= 16) {
      input_image<1>(dyi, w, dxi, c, h, wd, o, kh, kw, oh, ow);
    } else {
      input_image<2>(dyi, w, dxi, c, h, wd, o, kh, kw, oh, ow);
    }
  }
}
