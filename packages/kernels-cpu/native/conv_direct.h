// Direct 2-D convolution (stride 1, no padding or dilation, one group) for images whose output
// rows are short and whose filters are few: LeNet's 5×5 layers. Written once against the vector
// interface of simd_vec.h and instantiated per ISA by conv_direct_<isa>.cc, each built with its
// own -m flags. Each output row of a block of output channels stays in registers while every
// filter tap adds a shifted input row times a broadcast weight, so nothing is copied (no im2col,
// no packing, no scatter).
//
// Rows are cut into chunks of at most two vectors; register blocks (filters × chunk vectors)
// are sized from the ISA's register count, so the same algorithm fills 32 zmm, 16 ymm or 32 q
// registers. GCC keeps a multi-dimensional array of vector sums in memory (storing it every step),
// so the sums are flat arrays and loops over rows are flattened; scripts/check-asm.mjs checks the
// built objects for stack stores in FMA loops.
//
// Everything is in an anonymous namespace: each ISA's translation unit gets its own copy, so no
// instruction of one ISA can be shared with code another runs.
#pragma once
#include <cstdint>
#include <vector>

#include "simd_vec.h"

namespace {

using i64 = std::int64_t;

// GCC's predictive commoning carries loaded values from one loop step to the next in scalars
// that spill; every tap here is best read by the FMA itself.
#if defined(__GNUC__) && !defined(__clang__)
#define MGE_NO_PCOM __attribute__((optimize("no-predictive-commoning")))
#else
#define MGE_NO_PCOM
#endif

// Loops over register blocks must unroll completely, or the sums become memory.
#define MGE_PRAGMA(x) _Pragma(#x)
#if defined(__clang__)
#define MGE_UNROLL MGE_PRAGMA(unroll)
#define MGE_NO_UNROLL MGE_PRAGMA(nounroll)
#elif defined(__GNUC__)
#define MGE_UNROLL MGE_PRAGMA(GCC unroll 64)
#define MGE_NO_UNROLL MGE_PRAGMA(GCC unroll 1)
#else
#define MGE_UNROLL
#define MGE_NO_UNROLL
#endif

inline int clamp_lanes(i64 v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : static_cast<int>(v); }

// Output rows [x0, x0 + NV·L) of output channels [o0, o0 + OB), all rows of one image. TAIL: the
// last vector is partial (masked); the others are always full. KW: the filter width when known at
// compile time (5: LeNet, on 32-register ISAs), so a filter row's taps run without a loop; 0: kw.
template <class S, int NV, int OB, bool TAIL, int KW = 0>
MGE_NO_PCOM void rows_block(const float* x, const float* w, float* y, i64 c, i64 h, i64 wd, i64 kh, i64 kw, i64 oh,
                            i64 ow, i64 o0, i64 x0) {
  using V = typename S::V;
  constexpr int L = S::L;
  const i64 ckk = c * kh * kw;
  const typename S::M mt = S::mask(0, clamp_lanes(ow - x0 - (NV - 1) * L, 0, L));
  for (i64 oy = 0; oy < oh; ++oy) {
    V acc[OB * NV];
    MGE_UNROLL
    for (int k = 0; k < OB * NV; ++k) acc[k] = S::zero();
    for (i64 ci = 0; ci < c; ++ci) {
      for (i64 ky = 0; ky < kh; ++ky) {
        const float* row = x + (ci * h + oy + ky) * wd + x0;
        const float* wt = w + o0 * ckk + (ci * kh + ky) * kw;
        const auto tap = [&](i64 kx) {
          V xv[NV];
          MGE_UNROLL
          for (int v = 0; v < NV; ++v)
            xv[v] = (TAIL && v == NV - 1) ? S::load(row + kx + v * L, mt) : S::loadu(row + kx + v * L);
          MGE_UNROLL
          for (int b = 0; b < OB; ++b) {
            const V wv = S::set1(wt[b * ckk + kx]);
            MGE_UNROLL
            for (int v = 0; v < NV; ++v) acc[b * NV + v] = S::fma(wv, xv[v], acc[b * NV + v]);
          }
        };
        if constexpr (KW > 0) {
          MGE_UNROLL
          for (int kx = 0; kx < KW; ++kx) tap(kx);
        } else {
          for (i64 kx = 0; kx < kw; ++kx) tap(kx);
        }
      }
    }
    MGE_UNROLL
    for (int b = 0; b < OB; ++b) {
      float* out = y + ((o0 + b) * oh + oy) * ow + x0;
      MGE_UNROLL
      for (int v = 0; v < NV; ++v) {
        if (TAIL && v == NV - 1) S::store(out + v * L, mt, acc[b * NV + v]);
        else S::storeu(out + v * L, acc[b * NV + v]);
      }
    }
  }
}

// All output channels of one row chunk, in blocks whose sums fit the registers
// (OB·NV sums + NV input vectors + a weight).
template <class S, int NV, bool TAIL, int KW>
void chunk_filters(const float* x, const float* w, float* y, i64 c, i64 h, i64 wd, i64 o, i64 kh, i64 kw, i64 oh,
                   i64 ow, i64 x0) {
  i64 o0 = 0;
  if constexpr (S::kRegs >= 32) {
    if (NV == 1) {
      for (; o0 + 16 <= o; o0 += 16) rows_block<S, NV, 16, TAIL, KW>(x, w, y, c, h, wd, kh, kw, oh, ow, o0, x0);
    }
    for (; o0 + 8 <= o; o0 += 8) rows_block<S, NV, 8, TAIL, KW>(x, w, y, c, h, wd, kh, kw, oh, ow, o0, x0);
  } else if (NV == 1) {
    for (; o0 + 8 <= o; o0 += 8) rows_block<S, NV, 8, TAIL, KW>(x, w, y, c, h, wd, kh, kw, oh, ow, o0, x0);
  }
  // Six filters (LeNet's conv1) as one block of 12 sums rather than 4 + 2, whose 4 sums would wait
  // on the FMA latency.
  if constexpr (6 * NV + NV + 2 <= S::kRegs) {
    for (; o0 + 6 <= o; o0 += 6) rows_block<S, NV, 6, TAIL, KW>(x, w, y, c, h, wd, kh, kw, oh, ow, o0, x0);
  }
  for (; o0 + 4 <= o; o0 += 4) rows_block<S, NV, 4, TAIL, KW>(x, w, y, c, h, wd, kh, kw, oh, ow, o0, x0);
  for (; o0 + 2 <= o; o0 += 2) rows_block<S, NV, 2, TAIL, KW>(x, w, y, c, h, wd, kh, kw, oh, ow, o0, x0);
  for (; o0 < o; ++o0) rows_block<S, NV, 1, TAIL, KW>(x, w, y, c, h, wd, kh, kw, oh, ow, o0, x0);
}

// One image's rows in chunks of at most two vectors.
template <class S, int KW>
void image_chunks(const float* xi, const float* w, float* yi, i64 c, i64 h, i64 wd, i64 o, i64 kh, i64 kw, i64 oh,
                  i64 ow) {
  constexpr int L = S::L;
  for (i64 x0 = 0; x0 < ow; x0 += 2 * L) {
    const i64 rem = ow - x0;
    if (rem >= 2 * L) chunk_filters<S, 2, false, KW>(xi, w, yi, c, h, wd, o, kh, kw, oh, ow, x0);
    else if (rem > L) chunk_filters<S, 2, true, KW>(xi, w, yi, c, h, wd, o, kh, kw, oh, ow, x0);
    else if (rem == L) chunk_filters<S, 1, false, KW>(xi, w, yi, c, h, wd, o, kh, kw, oh, ow, x0);
    else chunk_filters<S, 1, true, KW>(xi, w, yi, c, h, wd, o, kh, kw, oh, ow, x0);
  }
}

// dW for output channels [o0, o0+OB), input channel ci, filter row ky, all KW columns, vectors
// [v0, v0+NV) of the output row, summed over images [n0, n1) into s (filter b's sums at
// s + b·ostride, tap k's vector v at (k·nvt + v)·L) that live in registers across the images.
template <class S, int NV, int OB, int KW, bool TAIL>
MGE_NO_PCOM void filter_block(const float* x, const float* dy, float* s, i64 ostride, i64 nvt, i64 n0, i64 n1, i64 c,
                              i64 o, i64 h, i64 wd, i64 oh, i64 ow, i64 o0, i64 ci, i64 ky, i64 v0) {
  using V = typename S::V;
  constexpr int L = S::L;
  const i64 x0 = v0 * L;
  const typename S::M mt = S::mask(0, clamp_lanes(ow - x0 - (NV - 1) * L, 0, L));
  V acc[OB * KW * NV];
  MGE_UNROLL
  for (int b = 0; b < OB; ++b)
    MGE_UNROLL
    for (int k = 0; k < KW; ++k)
      MGE_UNROLL
      for (int v = 0; v < NV; ++v) acc[(b * KW + k) * NV + v] = S::loadu(s + b * ostride + (k * nvt + v0 + v) * L);
  // Every (image, output row) as one loop, the row wrapping to the next image by a branch: with
  // nested image and row loops GCC keeps the sums in memory and stores them on every row.
  const float* row = x + (n0 * c + ci) * h * wd + ky * wd + x0;  // input row oy + ky of image i
  const float* grow = dy + (n0 * o + o0) * oh * ow + x0;         // dy row oy of filter o0, image i
  i64 oy = 0;
  for (i64 t = 0; t < (n1 - n0) * oh; ++t) {
    V g[OB * NV];
    MGE_UNROLL
    for (int b = 0; b < OB; ++b)
      MGE_UNROLL
      for (int v = 0; v < NV; ++v) {
        const float* gr = grow + b * oh * ow + v * L;
        g[b * NV + v] = (TAIL && v == NV - 1) ? S::load(gr, mt) : S::loadu(gr);
      }
    MGE_UNROLL
    for (int k = 0; k < KW; ++k) {
      V xv[NV];
      MGE_UNROLL
      for (int v = 0; v < NV; ++v)
        xv[v] = (TAIL && v == NV - 1) ? S::load(row + k + v * L, mt) : S::loadu(row + k + v * L);
      MGE_UNROLL
      for (int b = 0; b < OB; ++b)
        MGE_UNROLL
        for (int v = 0; v < NV; ++v) {
          V& a = acc[(b * KW + k) * NV + v];
          a = S::fma(g[b * NV + v], xv[v], a);
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
  MGE_UNROLL
  for (int b = 0; b < OB; ++b)
    MGE_UNROLL
    for (int k = 0; k < KW; ++k)
      MGE_UNROLL
      for (int v = 0; v < NV; ++v) S::storeu(s + b * ostride + (k * nvt + v0 + v) * L, acc[(b * KW + k) * NV + v]);
}

// The largest filter block (4, 2 or 1) whose sums, dy vectors and input vectors fit the registers.
template <class S, int NV, int KW>
constexpr int filter_ob() {
  return 4 * KW * NV + 4 * NV + NV <= S::kRegs - 2 ? 4 : 2 * KW * NV + 2 * NV + NV <= S::kRegs - 2 ? 2 : 1;
}

template <class S, int NV, int KW, bool TAIL>
void filter_chunk(const float* x, const float* dy, float* s, i64 ostride, i64 nvt, i64 n0, i64 n1, i64 c, i64 o,
                  i64 h, i64 wd, i64 oh, i64 ow, i64 ci, i64 ky, i64 v0) {
  constexpr int kOB = filter_ob<S, NV, KW>();
  i64 o0 = 0;
  for (; o0 + kOB <= o; o0 += kOB)
    filter_block<S, NV, kOB, KW, TAIL>(x, dy, s + o0 * ostride, ostride, nvt, n0, n1, c, o, h, wd, oh, ow, o0, ci, ky,
                                       v0);
  for (; o0 < o; ++o0)
    filter_block<S, NV, 1, KW, TAIL>(x, dy, s + o0 * ostride, ostride, nvt, n0, n1, c, o, h, wd, oh, ow, o0, ci, ky,
                                     v0);
}

// Images go in chunks small enough for L1 (LeNet conv1: 4 KB of x and 19 KB of dy per image), and
// every (filter block, ci, ky, row chunk) pass runs over a chunk: a pass over the whole batch would
// stream x and dy from L2/L3 once per pass. The lane sums of all passes wait in memory between
// chunks and are reduced to dW at the end.
template <class S, int KW>
void filter_all(const float* x, const float* dy, float* dw, i64 n0, i64 n1, i64 c, i64 o, i64 h, i64 wd, i64 kh,
                i64 oh, i64 ow) {
  constexpr int L = S::L;
  const i64 nvt = (ow + L - 1) / L;
  const i64 kvec = KW * nvt * L;  // floats of sums per (filter, ci, ky)
  const i64 ostride = c * kh * kvec;
  std::vector<float> sums(static_cast<std::size_t>(o * ostride), 0.f);
  const i64 image_bytes = (c * h * wd + o * oh * ow) * static_cast<i64>(sizeof(float));
  const i64 chunk = image_bytes >= (i64(24) << 10) ? 1 : (i64(24) << 10) / image_bytes;
  // With 16 registers a chunk is one vector (KW sums per filter already fill most of them).
  constexpr int kNV = S::kRegs >= 32 ? 2 : 1;
  for (i64 i0 = n0; i0 < n1; i0 += chunk) {
    const i64 i1 = i0 + chunk < n1 ? i0 + chunk : n1;
    for (i64 ci = 0; ci < c; ++ci)
      for (i64 ky = 0; ky < kh; ++ky) {
        float* s = sums.data() + (ci * kh + ky) * kvec;
        for (i64 v0 = 0; v0 < nvt; v0 += kNV) {
          const i64 rem = ow - v0 * L;
          if (kNV == 2 && rem > L) {
            if (rem >= 2 * L) filter_chunk<S, kNV, KW, false>(x, dy, s, ostride, nvt, i0, i1, c, o, h, wd, oh, ow, ci, ky, v0);
            else filter_chunk<S, kNV, KW, true>(x, dy, s, ostride, nvt, i0, i1, c, o, h, wd, oh, ow, ci, ky, v0);
          } else if (rem >= L) {
            filter_chunk<S, 1, KW, false>(x, dy, s, ostride, nvt, i0, i1, c, o, h, wd, oh, ow, ci, ky, v0);
          } else {
            filter_chunk<S, 1, KW, true>(x, dy, s, ostride, nvt, i0, i1, c, o, h, wd, oh, ow, ci, ky, v0);
          }
        }
      }
  }
  for (i64 oc = 0; oc < o; ++oc)
    for (i64 ci = 0; ci < c; ++ci)
      for (i64 ky = 0; ky < kh; ++ky)
        MGE_UNROLL
        for (int k = 0; k < KW; ++k) {
          const float* v = sums.data() + oc * ostride + (ci * kh + ky) * kvec + k * nvt * L;
          float sum = 0.f;
          for (i64 l = 0; l < nvt * L; ++l) sum += v[l];
          dw[((oc * c + ci) * kh + ky) * KW + k] = sum;
        }
}

// One image's contribution to the sums s [KH·KW, op] of FB·L filters (g: dy transposed, lane
// offset applied; xc: the input channel's plane), filter rows [ky0, ky0+KR). All output positions
// run as one loop (the column wraps to the next row by a branch) so that the KR·KW·FB sums stay in
// registers for the whole image.
template <class S, int KR, int KW, int FB>
MGE_NO_PCOM inline void filter_image(const float* g, i64 op, const float* xc, i64 wd, i64 oh, i64 ow, float* s,
                                     i64 ky0) {
  using V = typename S::V;
  constexpr int L = S::L;
  V r[KR * KW * FB];
  MGE_UNROLL
  for (int k = 0; k < KR * KW; ++k)
    MGE_UNROLL
    for (int f = 0; f < FB; ++f) r[k * FB + f] = S::loadu(s + (ky0 * KW + k) * op + f * L);
  const float* xr = xc + ky0 * wd;
  i64 ox = 0;
  for (i64 q = 0; q < oh * ow; ++q) {
    V gv[FB];
    MGE_UNROLL
    for (int f = 0; f < FB; ++f) gv[f] = S::loadu(g + q * op + f * L);
    MGE_UNROLL
    for (int ky = 0; ky < KR; ++ky)
      MGE_UNROLL
      for (int kx = 0; kx < KW; ++kx) {
        const V xb = S::set1(xr[ky * wd + ox + kx]);
        MGE_UNROLL
        for (int f = 0; f < FB; ++f) r[(ky * KW + kx) * FB + f] = S::fma(gv[f], xb, r[(ky * KW + kx) * FB + f]);
      }
    if (++ox == ow) {
      ox = 0;
      xr += wd;
    }
  }
  MGE_UNROLL
  for (int k = 0; k < KR * KW; ++k)
    MGE_UNROLL
    for (int f = 0; f < FB; ++f) S::storeu(s + (ky0 * KW + k) * op + f * L, r[k * FB + f]);
}

// Filter rows held in registers at once: all of them with 32 wide registers, else as many as fit.
template <class S, int KH, int KW, int FB>
constexpr int filter_rows() {
  constexpr int fit = (S::kRegs - FB - 4) / (KW * FB);
  return fit >= KH ? KH : fit >= 1 ? fit : 1;
}

template <class S, int KH, int KW, int FB>
void filter_image_rows(const float* g, i64 op, const float* xc, i64 wd, i64 oh, i64 ow, float* s) {
  constexpr int KR = filter_rows<S, KH, KW, FB>();
  i64 ky0 = 0;
  for (; ky0 + KR <= KH; ky0 += KR) filter_image<S, KR, KW, FB>(g, op, xc, wd, oh, ow, s, ky0);
  for (; ky0 < KH; ++ky0) filter_image<S, 1, KW, FB>(g, op, xc, wd, oh, ow, s, ky0);
}

// Filter vectors per register block: one 16-lane vector, or two narrower ones (two dy/weight loads
// shared by each broadcast of x, which would otherwise make the loop load-bound).
template <class S>
constexpr int filter_vectors() {
  return S::L >= 16 ? 1 : 2;
}

// dW vectorised over output channels instead of output columns, for layers with many filters and
// short rows (LeNet's conv2: 16 filters fill every lane, where its 10-wide rows fill 10 of 16).
// Image by image, dy is transposed to [OH·OW, O] so one load gives every filter's gradient at an
// output position; the taps of one input channel accumulate in registers over the image. The
// running sums, [C, KH·KW, O] (LeNet: 9.6 KB), stay in L1 across images.
template <class S, int KH, int KW>
void filter_by_filters(const float* x, const float* dy, float* dw, i64 n0, i64 n1, i64 c, i64 o, i64 h, i64 wd,
                       i64 oh, i64 ow) {
  constexpr int KK = KH * KW, L = S::L, FB = filter_vectors<S>();
  const i64 ob = (o + L - 1) / L, op = ob * L, ohow = oh * ow;
  std::vector<float> dyt(static_cast<std::size_t>(ohow * op), 0.f);  // lanes past o stay 0
  std::vector<float> sums(static_cast<std::size_t>(c * KK * op), 0.f);
  for (i64 i = n0; i < n1; ++i) {
    const float* dyi = dy + i * o * ohow;
    for (i64 oc = 0; oc < o; ++oc)
      for (i64 q = 0; q < ohow; ++q) dyt[q * op + oc] = dyi[oc * ohow + q];
    for (i64 ci = 0; ci < c; ++ci) {
      const float* xc = x + (i * c + ci) * h * wd;
      float* sc = sums.data() + ci * KK * op;
      i64 v = 0;
      for (; v + FB <= ob; v += FB) filter_image_rows<S, KH, KW, FB>(dyt.data() + v * L, op, xc, wd, oh, ow, sc + v * L);
      for (; v < ob; ++v) filter_image_rows<S, KH, KW, 1>(dyt.data() + v * L, op, xc, wd, oh, ow, sc + v * L);
    }
  }
  for (i64 oc = 0; oc < o; ++oc)
    for (i64 ci = 0; ci < c; ++ci)
      for (int k = 0; k < KK; ++k) dw[(oc * c + ci) * KK + k] = sums[(ci * KK + k) * op + oc];
}

// The forward pass vectorised over filters, for layers whose filters fill more lanes than their
// output rows (LeNet's conv2: 16 filters against 10-wide rows). P consecutive outputs of a row are
// summed in P·FB registers, each holding L filters; every tap loads FB vectors of weights
// (wt: [C·KH·KW, op], transposed once per call) and broadcasts x. The sums go to t [P][FB·L] and
// are transposed into y by the caller.
template <class S, int KH, int KW, int P, int FB>
MGE_NO_PCOM void outputs_by_filters(const float* wt, i64 op, i64 c, const float* xs, i64 hw, i64 wd, float* t) {
  using V = typename S::V;
  constexpr int KK = KH * KW, L = S::L;
  V acc[P * FB];
  MGE_UNROLL
  for (int q = 0; q < P * FB; ++q) acc[q] = S::zero();
  for (i64 ci = 0; ci < c; ++ci) {
    const float* xc = xs + ci * hw;
    const float* wc = wt + ci * KK * op;
    // One tap per step: unrolled taps let the scheduler hoist loads until the sums spill.
    MGE_NO_UNROLL
    for (int ky = 0; ky < KH; ++ky)
      MGE_NO_UNROLL
      for (int kx = 0; kx < KW; ++kx) {
        V wv[FB];
        MGE_UNROLL
        for (int f = 0; f < FB; ++f) wv[f] = S::loadu(wc + (ky * KW + kx) * op + f * L);
        MGE_UNROLL
        for (int q = 0; q < P; ++q) {
          const V xb = S::set1(xc[ky * wd + kx + q]);
          MGE_UNROLL
          for (int f = 0; f < FB; ++f) acc[q * FB + f] = S::fma(wv[f], xb, acc[q * FB + f]);
        }
      }
  }
  MGE_UNROLL
  for (int q = 0; q < P; ++q)
    MGE_UNROLL
    for (int f = 0; f < FB; ++f) S::storeu(t + (q * FB + f) * L, acc[q * FB + f]);
}

// Outputs per register block: P·FB sums + FB weights + a broadcast, at most 12.
template <class S, int FB>
constexpr int run_length() {
  return (S::kRegs - FB - 2) / FB >= 12 ? 12 : (S::kRegs - FB - 2) / FB;
}

template <class S, int KH, int KW, int P, int FB>
void run_by_filters(const float* wt, i64 op, i64 c, const float* xs, i64 hw, i64 wd, i64 count, float* t) {
  if constexpr (P > 1) {
    if (count < P) return run_by_filters<S, KH, KW, P - 1, FB>(wt, op, c, xs, hw, wd, count, t);
  }
  outputs_by_filters<S, KH, KW, P, FB>(wt, op, c, xs, hw, wd, t);
}

template <class S, int KH, int KW, int FB>
void filters_block(const float* wt, i64 op, i64 c, const float* xi, i64 h, i64 wd, float* yi, i64 v, i64 o, i64 oh,
                   i64 ow) {
  constexpr int L = S::L, P = run_length<S, FB>();
  alignas(64) float t[P * FB * L];
  const i64 ohow = oh * ow;
  const i64 lanes = o - v * L < FB * L ? o - v * L : FB * L;
  for (i64 oy = 0; oy < oh; ++oy)
    for (i64 ox = 0; ox < ow; ox += P) {
      const i64 count = ow - ox < P ? ow - ox : P;
      run_by_filters<S, KH, KW, P, FB>(wt + v * L, op, c, xi + oy * wd + ox, h * wd, wd, count, t);
      float* out = yi + v * L * ohow + oy * ow + ox;
      for (i64 l = 0; l < lanes; ++l)
        for (i64 q = 0; q < count; ++q) out[l * ohow + q] = t[q * FB * L + l];
    }
}

template <class S, int KH, int KW>
void forward_by_filters(const float* x, const float* w, float* y, i64 n0, i64 n1, i64 c, i64 h, i64 wd, i64 o,
                        i64 oh, i64 ow, void (*done)(void*, i64), void* ctx) {
  constexpr int KK = KH * KW, L = S::L, FB = filter_vectors<S>();
  const i64 ob = (o + L - 1) / L, op = ob * L, ohow = oh * ow;
  std::vector<float> wt(static_cast<std::size_t>(c * KK * op), 0.f);  // lanes past o stay 0
  for (i64 oc = 0; oc < o; ++oc)
    for (i64 k = 0; k < c * KK; ++k) wt[k * op + oc] = w[oc * c * KK + k];
  for (i64 i = n0; i < n1; ++i) {
    const float* xi = x + i * c * h * wd;
    float* yi = y + i * o * ohow;
    i64 v = 0;
    for (; v + FB <= ob; v += FB) filters_block<S, KH, KW, FB>(wt.data(), op, c, xi, h, wd, yi, v, o, oh, ow);
    for (; v < ob; ++v) filters_block<S, KH, KW, 1>(wt.data(), op, c, xi, h, wd, yi, v, o, oh, ow);
    if (done) done(ctx, i);
  }
}

// dx rows [x0, x0 + NV·L) of input channels [c0, c0+CB) of one image: dx[c, iy, ix] = Σ_o Σ_ky Σ_kx
// w[o, c, ky, kx] · dy[o, iy − ky, ix − kx], terms outside dy being 0. A dy row shifted right by kx
// is a masked load from row − kx (masked-off lanes are never read), so each dx row is summed in
// registers and stored once: no col2im scatter, no zero-fill of dx. mk: the load masks per
// (kx, vector); ms: the store masks per vector.
template <class S, int NV, int CB>
MGE_NO_PCOM void input_block(const float* dy, const float* w, float* dx, i64 c, i64 h, i64 wd, i64 o, i64 kh, i64 kw,
                             i64 oh, i64 ow, i64 c0, i64 x0, const typename S::M* mk, const typename S::M* ms) {
  using V = typename S::V;
  constexpr int L = S::L;
  const i64 kk = kh * kw;
  for (i64 iy = 0; iy < h; ++iy) {
    V acc[CB * NV];
    MGE_UNROLL
    for (int k = 0; k < CB * NV; ++k) acc[k] = S::zero();
    const i64 ky0 = iy - oh + 1 > 0 ? iy - oh + 1 : 0, ky1 = iy < kh - 1 ? iy : kh - 1;
    for (i64 oc = 0; oc < o; ++oc) {
      for (i64 ky = ky0; ky <= ky1; ++ky) {
        const float* row = dy + (oc * oh + iy - ky) * ow + x0;
        const float* wt = w + ((oc * c + c0) * kh + ky) * kw;
        for (i64 kx = 0; kx < kw; ++kx) {
          V yv[NV];
          MGE_UNROLL
          for (int v = 0; v < NV; ++v) yv[v] = S::load(row - kx + v * L, mk[kx * NV + v]);
          MGE_UNROLL
          for (int b = 0; b < CB; ++b) {
            const V wv = S::set1(wt[b * kk + kx]);
            MGE_UNROLL
            for (int v = 0; v < NV; ++v) acc[b * NV + v] = S::fma(wv, yv[v], acc[b * NV + v]);
          }
        }
      }
    }
    MGE_UNROLL
    for (int b = 0; b < CB; ++b) {
      float* out = dx + ((c0 + b) * h + iy) * wd + x0;
      MGE_UNROLL
      for (int v = 0; v < NV; ++v) S::store(out + v * L, ms[v], acc[b * NV + v]);
    }
  }
}

// input_block for two dx rows at once (iy, iy + 1; 32-register ISAs): each dy row read feeds
// both, with taps ky and ky + 1, so twice the independent sums hide the FMA latency that CB
// sums alone do not. KW: the filter width when known at compile time, 0: kw.
template <class S, int NV, int CB, int KW>
MGE_NO_PCOM void input_rows2(const float* dy, const float* w, float* dx, i64 c, i64 h, i64 wd, i64 o, i64 kh, i64 kw_,
                             i64 oh, i64 ow, i64 c0, i64 x0, i64 iy, const typename S::M* mk, const typename S::M* ms) {
  using V = typename S::V;
  constexpr int L = S::L;
  const i64 kw = KW ? KW : kw_;
  const i64 kk = kh * kw;
  V acc0[CB * NV], acc1[CB * NV];
  MGE_UNROLL
  for (int k = 0; k < CB * NV; ++k) acc0[k] = acc1[k] = S::zero();
  // dy rows r reaching row iy (ky0 = iy − r) or row iy + 1 (ky0 + 1), both inside the filter
  const i64 r0 = iy - kh + 1 > 0 ? iy - kh + 1 : 0, r1 = iy + 1 < oh - 1 ? iy + 1 : oh - 1;
  for (i64 oc = 0; oc < o; ++oc) {
    for (i64 r = r0; r <= r1; ++r) {
      const i64 ky0 = iy - r;
      const bool top = ky0 >= 0, bottom = ky0 + 1 <= kh - 1;
      const float* row = dy + (oc * oh + r) * ow + x0;
      // the first tap row this dy row meets: ky0 for row iy, else ky0 + 1 for row iy + 1
      const float* wt = w + ((oc * c + c0) * kh + (top ? ky0 : ky0 + 1)) * kw;
      if (top && bottom) {
        for (i64 kx = 0; kx < kw; ++kx) {
          V yv[NV];
          MGE_UNROLL
          for (int v = 0; v < NV; ++v) yv[v] = S::load(row - kx + v * L, mk[kx * NV + v]);
          MGE_UNROLL
          for (int b = 0; b < CB; ++b) {
            const V w0 = S::set1(wt[b * kk + kx]), w1 = S::set1(wt[b * kk + kw + kx]);
            MGE_UNROLL
            for (int v = 0; v < NV; ++v) {
              acc0[b * NV + v] = S::fma(w0, yv[v], acc0[b * NV + v]);
              acc1[b * NV + v] = S::fma(w1, yv[v], acc1[b * NV + v]);
            }
          }
        }
      } else if (top) {  // written twice: a pointer to either set of sums would put both in memory
        for (i64 kx = 0; kx < kw; ++kx) {
          V yv[NV];
          MGE_UNROLL
          for (int v = 0; v < NV; ++v) yv[v] = S::load(row - kx + v * L, mk[kx * NV + v]);
          MGE_UNROLL
          for (int b = 0; b < CB; ++b) {
            const V wv = S::set1(wt[b * kk + kx]);
            MGE_UNROLL
            for (int v = 0; v < NV; ++v) acc0[b * NV + v] = S::fma(wv, yv[v], acc0[b * NV + v]);
          }
        }
      } else {
        for (i64 kx = 0; kx < kw; ++kx) {
          V yv[NV];
          MGE_UNROLL
          for (int v = 0; v < NV; ++v) yv[v] = S::load(row - kx + v * L, mk[kx * NV + v]);
          MGE_UNROLL
          for (int b = 0; b < CB; ++b) {
            const V wv = S::set1(wt[b * kk + kx]);
            MGE_UNROLL
            for (int v = 0; v < NV; ++v) acc1[b * NV + v] = S::fma(wv, yv[v], acc1[b * NV + v]);
          }
        }
      }
    }
  }
  MGE_UNROLL
  for (int b = 0; b < CB; ++b) {
    float* out = dx + ((c0 + b) * h + iy) * wd + x0;
    MGE_UNROLL
    for (int v = 0; v < NV; ++v) {
      S::store(out + v * L, ms[v], acc0[b * NV + v]);
      S::store(out + wd + v * L, ms[v], acc1[b * NV + v]);
    }
  }
}

template <class S, int NV>
void input_chunk(const float* dy, const float* w, float* dx, i64 c, i64 h, i64 wd, i64 o, i64 kh, i64 kw, i64 oh,
                 i64 ow, i64 x0) {
  constexpr int L = S::L;
  // Wrapped: a vector type's alignment attribute is dropped as a template argument.
  struct Mask {
    typename S::M m;
  };
  std::vector<Mask> mk(static_cast<std::size_t>(kw * NV));
  typename S::M ms[NV];
  MGE_UNROLL
  for (int v = 0; v < NV; ++v) {
    const i64 base = x0 + v * L;  // dx column of lane 0
    ms[v] = S::mask(0, clamp_lanes(wd - base, 0, L));
    for (i64 kx = 0; kx < kw; ++kx) {
      // Lane j reads dy column base + j − kx, which exists when 0 ≤ it < OW (and base + j < W).
      const int lo = clamp_lanes(kx - base, 0, L);
      const i64 end = (ow + kx < wd ? ow + kx : wd) - base;
      mk[kx * NV + v].m = S::mask(lo, clamp_lanes(end, lo, L));
    }
  }
  const typename S::M* m = &mk[0].m;  // Mask is standard-layout: its array is one of M
  i64 c0 = 0;
  if constexpr (S::kRegs >= 32 && NV == 1) {
    // Two rows × 6 channels (LeNet's second layer): 12 sums, one dy load per 12 FMAs.
    if (h >= 2) {
      for (; c0 + 6 <= c; c0 += 6) {
        i64 iy = 0;
        if (kw == 5) {
          for (; iy + 2 <= h; iy += 2) input_rows2<S, 1, 6, 5>(dy, w, dx, c, h, wd, o, kh, kw, oh, ow, c0, x0, iy, m, ms);
        } else {
          for (; iy + 2 <= h; iy += 2) input_rows2<S, 1, 6, 0>(dy, w, dx, c, h, wd, o, kh, kw, oh, ow, c0, x0, iy, m, ms);
        }
        if (iy < h) input_rows2<S, 1, 6, 0>(dy, w, dx, c, h, wd, o, kh, kw, oh, ow, c0, x0, h - 2, m, ms);  // overlaps
      }
    }
  }
  if constexpr (S::kRegs >= 32 || NV == 1) {
    for (; c0 + 8 <= c; c0 += 8) input_block<S, NV, 8>(dy, w, dx, c, h, wd, o, kh, kw, oh, ow, c0, x0, m, ms);
  }
  for (; c0 + 6 <= c; c0 += 6) input_block<S, NV, 6>(dy, w, dx, c, h, wd, o, kh, kw, oh, ow, c0, x0, m, ms);
  for (; c0 + 3 <= c; c0 += 3) input_block<S, NV, 3>(dy, w, dx, c, h, wd, o, kh, kw, oh, ow, c0, x0, m, ms);
  for (; c0 < c; ++c0) input_block<S, NV, 1>(dy, w, dx, c, h, wd, o, kh, kw, oh, ow, c0, x0, m, ms);
}

// --- entry points (wrapped as extern "C" by each conv_direct_<isa>.cc) ---

// Images [n0, n1) of x [N,C,H,W] with w [O,C,KH,KW] into y [N,O,OH,OW]. done(ctx, i), if given,
// runs after image i is stored (while it is still in L1).
template <class S>
void conv_forward(const float* x, const float* w, float* y, i64 n0, i64 n1, i64 c, i64 h, i64 wd, i64 o, i64 kh,
                  i64 kw, i64 oh, i64 ow, void (*done)(void*, i64), void* ctx) {
  constexpr int L = S::L;
  // Whichever of filters or output columns fills more of the vector lanes.
  const i64 col_lanes = (ow + L - 1) / L * L;
  if (kh == kw && (kw == 3 || kw == 5) && o * col_lanes > ow * ((o + L - 1) / L * L)) {
    if (kw == 5) forward_by_filters<S, 5, 5>(x, w, y, n0, n1, c, h, wd, o, oh, ow, done, ctx);
    else forward_by_filters<S, 3, 3>(x, w, y, n0, n1, c, h, wd, o, oh, ow, done, ctx);
    return;
  }
  for (i64 i = n0; i < n1; ++i) {
    const float* xi = x + i * c * h * wd;
    float* yi = y + i * o * oh * ow;
    // Unrolled taps need the registers of 32-register ISAs (with 16, GCC's allocator spills the sums).
    if constexpr (S::kRegs >= 32) {
      if (kw == 5) image_chunks<S, 5>(xi, w, yi, c, h, wd, o, kh, kw, oh, ow);
      else image_chunks<S, 0>(xi, w, yi, c, h, wd, o, kh, kw, oh, ow);
    } else {
      image_chunks<S, 0>(xi, w, yi, c, h, wd, o, kh, kw, oh, ow);
    }
    if (done) done(ctx, i);
  }
}

// Images [n0, n1) of dx [N,C,H,W] (overwritten) from dy [N,O,OH,OW] and w [O,C,KH,KW].
template <class S>
void conv_input(const float* dy, const float* w, float* dx, i64 n0, i64 n1, i64 c, i64 h, i64 wd, i64 o, i64 kh,
                i64 kw, i64 oh, i64 ow) {
  constexpr int L = S::L;
  for (i64 i = n0; i < n1; ++i) {
    const float* dyi = dy + i * o * oh * ow;
    float* dxi = dx + i * c * h * wd;
    for (i64 x0 = 0; x0 < wd; x0 += 2 * L) {
      if (wd - x0 > L) input_chunk<S, 2>(dyi, w, dxi, c, h, wd, o, kh, kw, oh, ow, x0);
      else input_chunk<S, 1>(dyi, w, dxi, c, h, wd, o, kh, kw, oh, ow, x0);
    }
  }
}

// The filter gradient dw [O,C,KH,KW] (overwritten) of images [n0, n1), for KW ∈ {3, 5}; returns 0
// (and writes nothing) for other widths.
template <class S>
int conv_filter(const float* x, const float* dy, float* dw, i64 n0, i64 n1, i64 c, i64 h, i64 wd, i64 o, i64 kh,
                i64 kw, i64 oh, i64 ow) {
  constexpr int L = S::L;
  if (kw != 3 && kw != 5) return 0;
  // Whichever of output channels or output columns fills more of the vector lanes.
  const i64 col_lanes = (ow + L - 1) / L * L;
  if (kh == kw && o * col_lanes > ow * ((o + L - 1) / L * L)) {
    if (kw == 5) filter_by_filters<S, 5, 5>(x, dy, dw, n0, n1, c, o, h, wd, oh, ow);
    else filter_by_filters<S, 3, 3>(x, dy, dw, n0, n1, c, o, h, wd, oh, ow);
    return 1;
  }
  if (kw == 5) filter_all<S, 5>(x, dy, dw, n0, n1, c, o, h, wd, kh, oh, ow);
  else filter_all<S, 3>(x, dy, dw, n0, n1, c, o, h, wd, kh, oh, ow);
  return 1;
}

}  // namespace
