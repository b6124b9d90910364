#include "depthwise.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "thread_pool.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#if defined(__x86_64__)
extern "C" void mge_depthwise_taps_avx512(float*, std::int64_t, const float* const*, const float*, std::int64_t, float, int, int);
// depthwise3x3_avx512.cc: 3×3, padding 1, stride 1 or 2, by rows of 16 outputs
extern "C" void mge_depthwise3x3_avx512(const float*, std::int64_t, std::int64_t, const float*, float*, std::int64_t,
                                              std::int64_t, int, float, int);
extern "C" void mge_depthwise_taps_avx2(float*, std::int64_t, const float* const*, const float*, std::int64_t, float, int, int);
extern "C" void mge_depthwise_dots_avx512(float*, std::int64_t, const float*, const float* const*, std::int64_t);
extern "C" void mge_depthwise_dots_avx2(float*, std::int64_t, const float*, const float* const*, std::int64_t);
#endif
#if defined(__wasm_simd128__)
extern "C" void mge_depthwise_taps_wasm(float*, std::int64_t, const float* const*, const float*, std::int64_t, float, int, int);
extern "C" void mge_depthwise_dots_wasm(float*, std::int64_t, const float*, const float* const*, std::int64_t);
#endif
#if defined(__aarch64__)
extern "C" void mge_depthwise_taps_neon(float*, std::int64_t, const float* const*, const float*, std::int64_t, float, int, int);
extern "C" void mge_depthwise_dots_neon(float*, std::int64_t, const float*, const float* const*, std::int64_t);
#endif

namespace mge {
namespace {

// The output columns [lo, hi) whose input column ow·sw − pw + kw·dw lies inside [0, w).
inline void valid_cols(i64 ow, i64 sw, i64 off, i64 w, i64& lo, i64& hi) {
  // need 0 <= o·sw + off < w
  lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
  hi = w - off <= 0 ? 0 : std::min(ow, (w - off - 1) / sw + 1);
  if (hi < lo) hi = lo;
}

// The inner loops, cloned per ISA (the addon is built for baseline x86-64).
#if defined(__x86_64__) && !defined(__clang__)
#define MGE_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MGE_CLONES
#endif

// y[i·s] += a·x[i]
MGE_CLONES void axpy_scatter(float* __restrict y, i64 s, const float* __restrict x, float a, i64 n) {
  for (i64 i = 0; i < n; ++i) y[i * s] += a * x[i];
}

// One kernel row over one output row: y[c] += Σ_k taps[k]·x[c·sw − pad + k·dl], taps outside
// [0, w) skipped. The interior (every tap inside) runs all taps in one vectorisable pass.
MGE_CLONES void row_taps(float* __restrict y, const float* __restrict x, const float* __restrict taps, i64 kw, i64 dl,
                         i64 sw, i64 pad, i64 ow, i64 w) {
  i64 lo, hi, lo_last, hi_last;
  valid_cols(ow, sw, -pad, w, lo, hi);
  valid_cols(ow, sw, (kw - 1) * dl - pad, w, lo_last, hi_last);
  hi = std::min(hi, hi_last);
  if (hi < lo) hi = lo;
  auto edge = [&](i64 c) {
    float s = 0.f;
    for (i64 k = 0; k < kw; ++k) {
      const i64 i = c * sw - pad + k * dl;
      if (i >= 0 && i < w) s += taps[k] * x[i];
    }
    y[c] += s;
  };
  for (i64 c = 0; c < lo; ++c) edge(c);
  for (i64 c = hi; c < ow; ++c) edge(c);
  const float* xs = x - pad;
  if (sw == 1 && kw == 3) {
    const float t0 = taps[0], t1 = taps[1], t2 = taps[2];
    for (i64 c = lo; c < hi; ++c) y[c] += t0 * xs[c] + t1 * xs[c + dl] + t2 * xs[c + 2 * dl];
  } else if (sw == 1) {
    for (i64 k = 0; k < kw; ++k) {
      const float t = taps[k];
      const float* xk = xs + k * dl;
      for (i64 c = lo; c < hi; ++c) y[c] += t * xk[c];
    }
  } else {
    for (i64 k = 0; k < kw; ++k) {
      const float t = taps[k];
      const float* xk = xs + k * dl;
      for (i64 c = lo; c < hi; ++c) y[c] += t * xk[c * sw];
    }
  }
}

// Σ a[i]·b[i] with 16 independent partial sums (vectorisable without -ffast-math).
MGE_CLONES float dot(const float* __restrict a, const float* __restrict b, i64 n) {
  float acc[16] = {};
  i64 i = 0;
  for (; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; ++j) acc[j] += a[i + j] * b[i + j];
  float s = 0.f;
  for (; i < n; ++i) s += a[i] * b[i];
  for (int j = 0; j < 16; ++j) s += acc[j];
  return s;
}

// The inner loop: out[i] = (accumulate ? out[i] : bias) + Σ_k w[k]·taps[k][i], then relu.
// The per-ISA versions are depthwise_simd.h's; this one is the portable path's.
using TapsFn = void (*)(float*, i64, const float* const*, const float*, i64, float, int, int);

MGE_CLONES void taps_portable(float* __restrict out, i64 n, const float* const* taps, const float* w, i64 kk, float bias,
                              int relu, int accumulate) {
  if (!accumulate) std::fill(out, out + n, bias);
  for (i64 k = 0; k < kk; ++k) {
    const float t = w[k];
    const float* __restrict src = taps[k];
    for (i64 i = 0; i < n; ++i) out[i] += t * src[i];
  }
  if (relu == 1)
    for (i64 i = 0; i < n; ++i) out[i] = out[i] > 0.f ? out[i] : 0.f;
  if (relu > 1) {
    Epilogue e;
    e.act = static_cast<Act>(relu);
    apply_epilogue(e, out, n, 0, 0, 1, n);
  }
}

TapsFn pick_taps() {
  const char* isa = gemm_isa();
#if defined(__x86_64__)
  if (std::strcmp(isa, "avx512") == 0) return mge_depthwise_taps_avx512;
  if (std::strcmp(isa, "avx2") == 0) return mge_depthwise_taps_avx2;
#endif
#if defined(__aarch64__)
  if (std::strcmp(isa, "neon") == 0) return mge_depthwise_taps_neon;
#endif
#if defined(__wasm_simd128__)
  if (std::strcmp(isa, "wasm-simd128") == 0) return mge_depthwise_taps_wasm;
#endif
  (void)isa;
  return taps_portable;
}

// The filter gradient's inner loop: lanes[16·k + l] += lane l of Σ_i dy[i]·taps[k][i]
// (depthwise_simd.h per ISA; the caller sums each tap's 16 slots at the end).
using DotsFn = void (*)(float*, i64, const float*, const float* const*, i64);

void dots_portable(float* lanes, i64 n, const float* dy, const float* const* taps, i64 kk) {
  for (i64 k = 0; k < kk; ++k) lanes[16 * k] += dot(dy, taps[k], n);
}

DotsFn pick_dots() {
  const char* isa = gemm_isa();
#if defined(__x86_64__)
  if (std::strcmp(isa, "avx512") == 0) return mge_depthwise_dots_avx512;
  if (std::strcmp(isa, "avx2") == 0) return mge_depthwise_dots_avx2;
#endif
#if defined(__aarch64__)
  if (std::strcmp(isa, "neon") == 0) return mge_depthwise_dots_neon;
#endif
#if defined(__wasm_simd128__)
  if (std::strcmp(isa, "wasm-simd128") == 0) return mge_depthwise_dots_wasm;
#endif
  (void)isa;
  return dots_portable;
}

// dst[j] = src[j·s]
MGE_CLONES void copy_strided(float* __restrict dst, const float* __restrict src, i64 s, i64 n) {
  if (s == 1) {
    std::memcpy(dst, src, sizeof(float) * n);
    return;
  }
  if (s == 2) {
    i64 j = 0;
#if defined(__SSE2__)
    // the even lanes of two vectors; the last value read, src[2j + 7] with j + 4 ≤ n − 1, is
    // at most src[2(n − 1)], inside the row
    for (; j + 4 <= n - 1; j += 4) {
      const __m128 a = _mm_loadu_ps(src + 2 * j), b = _mm_loadu_ps(src + 2 * j + 4);
      _mm_storeu_ps(dst + j, _mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
    }
#endif
    for (; j < n; ++j) dst[j] = src[2 * j];
    return;
  }
  for (i64 j = 0; j < n; ++j) dst[j] = src[j * s];
}

// One plane laid out so that every tap reads one contiguous array: zero-padded and split into
// the stride's phases (phase (qr, qc) holds padded[sh·r + qr][sw·j + qc] in rows of wq). Tap
// (a, b) of output (r, c) is then phase((a·dh) % sh, (b·dw) % sw) at row r + (a·dh) / sh,
// column c + (b·dw) / sw, so a strided or dilated convolution is a weighted sum of shifted
// arrays like a stride-1 one. Planes narrower than 64 run flattened: one pass over oh·wq
// values (the wq − ow extra columns of each row discarded) fills the vector lanes.
struct PlaneLayout {
  i64 h, w, kh, kw, sh, sw, dh, dw, ph, pw, oh, ow;
  TapsFn fn;
  // input h × w, taps kh × kw, strides, dilations, paddings, output oh × ow, inner loop
  PlaneLayout(i64 h_, i64 w_, i64 kh_, i64 kw_, i64 sh_, i64 sw_, i64 dh_, i64 dw_, i64 ph_, i64 pw_, i64 oh_, i64 ow_,
              TapsFn fn_)
      : h(h_), w(w_), kh(kh_), kw(kw_), sh(sh_), sw(sw_), dh(dh_), dw(dw_), ph(ph_), pw(pw_), oh(oh_), ow(ow_), fn(fn_) {}
  i64 hq = 0, wq = 0;
  std::vector<float> buf, wide;
  std::vector<const float*> taps;
  std::vector<i64> tap_off;  // tap k of output (r, c) reads buf[tap_off[k] + r·wq + c]
  std::vector<char> used;

  void init() {
    hq = oh + ((kh - 1) * dh) / sh;
    wq = ow + ((kw - 1) * dw) / sw;
    // slack: flattened taps read up to (kw − 1)·dw / sw values past their phase
    buf.assign(static_cast<std::size_t>(sh * sw * hq * wq + wq), 0.f);
    taps.resize(static_cast<std::size_t>(kh * kw));
    tap_off.resize(static_cast<std::size_t>(kh * kw));
    used.assign(static_cast<std::size_t>(sh * sw), 0);
    for (i64 a = 0; a < kh; ++a)
      for (i64 b = 0; b < kw; ++b) {
        const i64 qr = (a * dh) % sh, qc = (b * dw) % sw;
        used[qr * sw + qc] = 1;
        tap_off[a * kw + b] = (qr * sw + qc) * hq * wq + ((a * dh) / sh) * wq + (b * dw) / sw;
      }
    if (flattened()) wide.resize(static_cast<std::size_t>(oh * wq));
  }
  bool flattened() const { return ow < 64 && oh > 1; }
  float* phase(i64 qr, i64 qc) { return buf.data() + (qr * sw + qc) * hq * wq; }

  void fill(const float* x) {
    for (i64 qr = 0; qr < sh; ++qr)
      for (i64 qc = 0; qc < sw; ++qc) {
        if (!used[qr * sw + qc]) continue;
        // columns j whose input column sw·j + qc − pw lies in [0, w)
        const i64 off = qc - pw;
        const i64 jlo = off >= 0 ? 0 : (-off + sw - 1) / sw;
        const i64 jhi = std::max(jlo, std::min(wq, w - off <= 0 ? 0 : (w - off - 1) / sw + 1));
        // Only the in-image values are written: the padding positions are the same for every
        // plane and stay as init() zeroed them.
        float* base = phase(qr, qc);
        if (jhi <= jlo) continue;
        for (i64 r = 0; r < hq; ++r) {
          const i64 ih = sh * r + qr - ph;
          if (ih < 0 || ih >= h) continue;
          copy_strided(base + r * wq + jlo, x + ih * w + sw * jlo + off, sw, jhi - jlo);
        }
      }
  }

  void point_taps(i64 r) {
    const float* base = buf.data() + r * wq;
    for (std::size_t k = 0; k < taps.size(); ++k) taps[k] = base + tap_off[k];
  }

  // y (oh × ow) = bias + Σ taps ⋆ x (or y += Σ taps ⋆ x when accumulate), then the activation
  // `act` (Act codes).
  void run(const float* x, const float* wts, float* y, float bias, int act, bool accumulate) {
    fill(x);
    const i64 kk = kh * kw;
    if (!flattened()) {
      for (i64 r = 0; r < oh; ++r) {
        point_taps(r);
        fn(y + r * ow, ow, taps.data(), wts, kk, bias, act, accumulate);
      }
      return;
    }
    point_taps(0);
    fn(wide.data(), oh * wq, taps.data(), wts, kk, accumulate ? 0.f : bias, accumulate ? 0 : act, 0);
    for (i64 r = 0; r < oh; ++r) {
      const float* wr = wide.data() + r * wq;
      float* yr = y + r * ow;
      if (accumulate)
        for (i64 c = 0; c < ow; ++c) yr[c] += wr[c];
      else
        std::memcpy(yr, wr, sizeof(float) * ow);
    }
  }
};

// Work per task: one output plane of oh·ow·kh·kw multiply-adds; group small planes.
inline i64 grain_for(i64 plane_work) { return std::max<i64>(1, (1 << 14) / std::max<i64>(1, plane_work)); }

}  // namespace

void depthwise_conv2d(const float* x, const float* w, float* y, const ConvParams& p, const Epilogue& ep) {
  const i64 mult = p.o / p.c;
  const TapsFn fn = pick_taps();
  // The activation is applied by the taps before their store; a residual (read at the output's
  // addresses) comes before it, so then both are a pass over each finished plane.
  const Act act = ep.act != Act::kNone ? ep.act : (ep.relu ? Act::kRelu : Act::kNone);
  const int in_taps = ep.residual ? 0 : static_cast<int>(act);
  // 3×3 pad-1, stride 1 or 2: 16 outputs of a row per vector, no plane layout (AVX-512)
  bool small = false;
#if defined(__x86_64__)
  const bool geometry = p.kh == 3 && p.kw == 3 && p.ph == 1 && p.pw == 1 && p.dh == 1 && p.dw == 1 && p.h >= 1 && p.w >= 1;
  const bool s1 = p.sh == 1 && p.sw == 1 && p.oh == p.h && p.ow == p.w;
  const bool s2 = p.sh == 2 && p.sw == 2 && p.oh == (p.h - 1) / 2 + 1 && p.ow == (p.w - 1) / 2 + 1;
  small = geometry && (s1 || s2) && fn == mge_depthwise_taps_avx512;
#endif
  parallel_for(p.n * p.o, grain_for(p.oh * p.ow * p.kh * p.kw), [&](i64 begin, i64 end) {
    PlaneLayout plane(p.h, p.w, p.kh, p.kw, p.sh, p.sw, p.dh, p.dw, p.ph, p.pw, p.oh, p.ow, fn);
    if (!small) plane.init();
    for (i64 i = begin; i < end; ++i) {
      const i64 b = i / p.o, oc = i % p.o, ic = oc / mult;
      const float* xp = x + (b * p.c + ic) * p.h * p.w;
      const float bias = ep.bias ? ep.bias[oc] : 0.f;
#if defined(__x86_64__)
      if (small)
        mge_depthwise3x3_avx512(xp, p.h, p.w, w + oc * 9, y + i * p.oh * p.ow, p.oh, p.ow, static_cast<int>(p.sh), bias,
                                      in_taps);
      else
#endif
        plane.run(xp, w + oc * p.kh * p.kw, y + i * p.oh * p.ow, bias, in_taps, false);
      if (ep.residual) apply_epilogue(ep.without_bias(), y + i * p.oh * p.ow, p.oh * p.ow, 0, 0, 1, p.oh * p.ow);
    }
  });
}

void depthwise_conv2d_backward_input(const float* dy, const float* w, float* dx, const ConvParams& p) {
  const i64 mult = p.o / p.c;
  std::vector<float> flipped(static_cast<std::size_t>(p.o * p.kh * p.kw));
  for (i64 r = 0; r < p.o * p.kh; ++r)
    for (i64 k = 0; k < p.kw; ++k) flipped[r * p.kw + k] = w[r * p.kw + p.kw - 1 - k];
  const i64 planes = p.n * p.c;
  // dx is dy convolved with the 180°-rotated taps, padded by (k−1)·d − p; with a stride, dy is
  // first spread out with stride − 1 zeros between its values (wasted multiply-adds, but all of
  // them in the vector inner loop instead of strided scalar scatters).
  const i64 bph = (p.kh - 1) * p.dh - p.ph, bpw = (p.kw - 1) * p.dw - p.pw;
  const bool direct = bph >= 0 && bpw >= 0 && p.oh > 0 && p.ow > 0;
  const bool strided = p.sh > 1 || p.sw > 1;
  const i64 hu = (p.oh - 1) * p.sh + 1, wu = (p.ow - 1) * p.sw + 1;
  std::vector<float> rotated;
  if (direct) {
    const i64 kk = p.kh * p.kw;
    rotated.resize(static_cast<std::size_t>(p.o * kk));
    for (i64 oc = 0; oc < p.o; ++oc)
      for (i64 k = 0; k < kk; ++k) rotated[oc * kk + k] = w[oc * kk + kk - 1 - k];
  }
  const TapsFn fn = pick_taps();
  parallel_for(planes, grain_for(mult * p.oh * p.ow * p.kh * p.kw * p.sh * p.sw), [&](i64 begin, i64 end) {
    PlaneLayout fast(hu, wu, p.kh, p.kw, 1, 1, p.dh, p.dw, bph, bpw, p.h, p.w, fn);
    std::vector<float> spread;
    if (direct) {
      fast.init();
      if (strided) spread.assign(static_cast<std::size_t>(hu * wu), 0.f);  // the zeros stay; the values are rewritten
    }
    for (i64 plane = begin; plane < end; ++plane) {
      const i64 b = plane / p.c, ic = plane % p.c;
      float* dxp = dx + plane * p.h * p.w;
      if (direct) {
        for (i64 m = 0; m < mult; ++m) {
          const i64 oc = ic * mult + m;
          const float* src = dy + (b * p.o + oc) * p.oh * p.ow;
          if (strided) {
            for (i64 r = 0; r < p.oh; ++r)
              for (i64 c = 0; c < p.ow; ++c) spread[r * p.sh * wu + c * p.sw] = src[r * p.ow + c];
            src = spread.data();
          }
          fast.run(src, rotated.data() + oc * p.kh * p.kw, dxp, 0.f, false, m > 0);
        }
        continue;
      }
      std::memset(dxp, 0, sizeof(float) * p.h * p.w);
      for (i64 m = 0; m < mult; ++m) {
        const i64 oc = ic * mult + m;
        const float* dyp = dy + (b * p.o + oc) * p.oh * p.ow;
        const float* wp = w + oc * p.kh * p.kw;
        for (i64 r = 0; r < p.oh; ++r) {
          const float* dyr = dyp + r * p.ow;
          for (i64 kh = 0; kh < p.kh; ++kh) {
            const i64 ih = r * p.sh - p.ph + kh * p.dh;
            if (ih < 0 || ih >= p.h) continue;
            float* dxr = dxp + ih * p.w;
            if (p.sw == 1) {
              // stride 1: the input row's gradient is dy's row correlated with the flipped taps
              row_taps(dxr, dyr, flipped.data() + (oc * p.kh + kh) * p.kw, p.kw, p.dw, 1, (p.kw - 1) * p.dw - p.pw, p.w, p.ow);
              continue;
            }
            for (i64 kw = 0; kw < p.kw; ++kw) {
              const float wv = wp[kh * p.kw + kw];
              const i64 off = kw * p.dw - p.pw;
              i64 lo, hi;
              valid_cols(p.ow, p.sw, off, p.w, lo, hi);
              if (hi > lo) axpy_scatter(dxr + lo * p.sw + off, p.sw, dyr + lo, wv, hi - lo);
            }
          }
        }
      }
    }
  });
}

void depthwise_conv2d_backward_filter(const float* x, const float* dy, float* dw, const ConvParams& p) {
  const i64 mult = p.o / p.c;
  const i64 kk = p.kh * p.kw;
  if (p.n == 0 || p.oh * p.ow == 0) {
    std::fill(dw, dw + p.o * kk, 0.f);
    return;
  }
  const DotsFn dots = pick_dots();
  // dW[k] = Σ over images and outputs of dy · (tap k's shifted array in the plane layout): one
  // pass over each image's dy with every tap's sum in a register. Flattened planes read dy
  // widened to the layout's row length (zeros in the extra columns, so they add nothing).
  parallel_for(p.o, grain_for(p.n * p.oh * p.ow * kk), [&](i64 begin, i64 end) {
    PlaneLayout plane(p.h, p.w, p.kh, p.kw, p.sh, p.sw, p.dh, p.dw, p.ph, p.pw, p.oh, p.ow, nullptr);
    plane.init();
    const bool flat = plane.flattened();
    std::vector<float> lanes(static_cast<std::size_t>(16 * kk));
    for (i64 oc = begin; oc < end; ++oc) {
      const i64 ic = oc / mult;
      float* out = lanes.data();
      std::fill(lanes.begin(), lanes.end(), 0.f);
      for (i64 b = 0; b < p.n; ++b) {
        plane.fill(x + (b * p.c + ic) * p.h * p.w);
        const float* dyp = dy + (b * p.o + oc) * p.oh * p.ow;
        if (flat) {
          for (i64 r = 0; r < p.oh; ++r) std::memcpy(plane.wide.data() + r * plane.wq, dyp + r * p.ow, sizeof(float) * p.ow);
          plane.point_taps(0);
          dots(out, p.oh * plane.wq, plane.wide.data(), plane.taps.data(), kk);
          continue;
        }
        for (i64 r = 0; r < p.oh; ++r) {
          plane.point_taps(r);
          dots(out, p.ow, dyp + r * p.ow, plane.taps.data(), kk);
        }
      }
      for (i64 k = 0; k < kk; ++k) {
        float s = 0.f;
        for (int l = 0; l < 16; ++l) s += lanes[16 * k + l];
        dw[oc * kk + k] = s;
      }
    }
  });
}

}  // namespace mge
