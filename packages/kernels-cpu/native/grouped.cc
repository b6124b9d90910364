#include "grouped.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "thread_pool.h"

// depthwise_simd.h's gconv_rows, one per ISA (conv_direct_<isa>.cc).
#define MGE_GCONV_ROWS_DECL(isa)                                                                                   \
  extern "C" void mge_gconv_rows_##isa(float*, std::int64_t, std::int64_t, std::int64_t, std::int64_t,           \
                                       std::int64_t, const float*, std::int64_t, std::int64_t, std::int64_t,       \
                                       const std::int64_t*, std::int64_t, const float*, const float*, int, int);
#define MGE_GCONV_DOTS_DECL(isa)                                                                                   \
  extern "C" void mge_gconv_dots_##isa(float*, std::int64_t, std::int64_t, std::int64_t, const float*, std::int64_t, \
                                       const float* const*);
#if defined(__x86_64__)
MGE_GCONV_ROWS_DECL(avx512)
MGE_GCONV_ROWS_DECL(avx2)
MGE_GCONV_DOTS_DECL(avx512)
MGE_GCONV_DOTS_DECL(avx2)
#endif
#if defined(__aarch64__)
MGE_GCONV_ROWS_DECL(neon)
MGE_GCONV_DOTS_DECL(neon)
#endif
#if defined(__wasm_simd128__)
MGE_GCONV_ROWS_DECL(wasm)
MGE_GCONV_DOTS_DECL(wasm)
#endif

namespace mge {
namespace {

using RowsFn = void (*)(float*, i64, i64, i64, i64, i64, const float*, i64, i64, i64, const i64*, i64, const float*,
                        const float*, int, int);

RowsFn pick_rows() {
  const char* isa = gemm_isa();
#if defined(__x86_64__)
  if (std::strcmp(isa, "avx512") == 0) return mge_gconv_rows_avx512;
  if (std::strcmp(isa, "avx2") == 0) return mge_gconv_rows_avx2;
#endif
#if defined(__aarch64__)
  if (std::strcmp(isa, "neon") == 0) return mge_gconv_rows_neon;
#endif
#if defined(__wasm_simd128__)
  if (std::strcmp(isa, "wasm-simd128") == 0) return mge_gconv_rows_wasm;
#endif
  (void)isa;
  return nullptr;
}

// The direct kernel beats the im2col GEMM on small groups everywhere (a GEMM tile is mostly
// waste there), and on wide 1×1 groups (ShuffleNet v1: 80 channels in and out) only with
// AVX-512's 32 registers; AVX2's im2col GEMM was measured ~1.8× faster on those.
bool direct_pays(i64 cin, i64 cout, i64 kk) {
  return cout <= 16 || cin * kk <= 16 || std::strcmp(gemm_isa(), "avx512") == 0;
}

using DotsFn = void (*)(float*, i64, i64, i64, const float*, i64, const float* const*);

DotsFn pick_dots() {
  const char* isa = gemm_isa();
#if defined(__x86_64__)
  if (std::strcmp(isa, "avx512") == 0) return mge_gconv_dots_avx512;
  if (std::strcmp(isa, "avx2") == 0) return mge_gconv_dots_avx2;
#endif
#if defined(__aarch64__)
  if (std::strcmp(isa, "neon") == 0) return mge_gconv_dots_neon;
#endif
#if defined(__wasm_simd128__)
  if (std::strcmp(isa, "wasm-simd128") == 0) return mge_gconv_dots_wasm;
#endif
  (void)isa;
  return nullptr;
}

// A stride-1 convolution of cin planes (h × w) into output planes (oh × ow) with weights
// [cout][cin][kh·kw]. Inputs that need padding are copied into zero-bordered planes of hq × wq
// (the borders are zeroed once and never written), so that tap (a, b) of output (r, c) is
// plane[(r + a·dh)·wq + c + b·dw] with no bounds checks. Short rows run flattened: one pass over
// oh·wq positions, the wq − ow extra columns of each row computed into a scratch and dropped.
struct GroupConv {
  i64 cin, h, w, kh, kw, dh, dw, ph, pw, oh, ow;
  RowsFn fn;
  i64 hq = 0, wq = 0, kk = 0;
  bool padded = false, flat = false;
  std::vector<i64> off;
  std::vector<float> buf, wide;

  void init() {
    hq = oh + (kh - 1) * dh;
    wq = ow + (kw - 1) * dw;
    kk = kh * kw;
    padded = !(ph == 0 && pw == 0 && hq == h && wq == w);
    // flattened reads run (kw − 1)·dw past a plane's end: only a padded copy has that slack
    flat = ow < 32 && oh > 1 && (padded || wq == ow);
    const i64 ld = padded ? wq : w;
    off.resize(static_cast<std::size_t>(kk));
    for (i64 a = 0; a < kh; ++a)
      for (i64 b = 0; b < kw; ++b) off[a * kw + b] = a * dh * ld + b * dw;
    if (padded) buf.assign(static_cast<std::size_t>(cin * hq * wq + wq), 0.f);
  }

  // The cin input planes at in (plane stride h·w) as the layout's planes: src, plane stride ips,
  // row stride ld.
  const float* layout(const float* in, i64& ips, i64& ld) {
    if (!padded) {
      ips = h * w;
      ld = w;
      return in;
    }
    for (i64 c = 0; c < cin; ++c) {
      float* dst = buf.data() + c * hq * wq + ph * wq + pw;
      const float* s = in + c * h * w;
      for (i64 r = 0; r < h; ++r) std::memcpy(dst + r * wq, s + r * w, sizeof(float) * w);
    }
    ips = hq * wq;
    ld = wq;
    return buf.data();
  }

  // out planes [0, cout) (plane stride oh·ow) from the cin input planes at in (plane stride h·w).
  void run(const float* in, const float* wt, i64 cout, float* out, const float* bias, bool relu) {
    i64 ips, ld;
    const float* src = layout(in, ips, ld);
    const i64 ohow = oh * ow;
    if (!flat) {
      fn(out, ohow, cout, oh, ow, ow, src, ips, ld, cin, off.data(), kk, wt, bias, relu, 0);
      return;
    }
    if (wq == ow) {
      fn(out, ohow, cout, 1, ohow, 0, src, ips, 0, cin, off.data(), kk, wt, bias, relu, 0);
      return;
    }
    const i64 n = oh * wq;
    if (wide.size() < static_cast<std::size_t>(cout * n)) wide.resize(static_cast<std::size_t>(cout * n));
    fn(wide.data(), n, cout, 1, n, 0, src, ips, 0, cin, off.data(), kk, wt, bias, relu, 0);
    for (i64 o = 0; o < cout; ++o)
      for (i64 r = 0; r < oh; ++r) std::memcpy(out + o * ohow + r * ow, wide.data() + o * n + r * wq, sizeof(float) * ow);
  }
};

// Runs f(conv, image, group, output channels [o0, o1) of the group) for every task, split so
// that both threads have work even for one image of three groups: a group's output channels are
// cut into chunks (each re-copies its group's input, a small share next to its multiply-adds).
// Each thread's run of tasks shares one GroupConv (its padded planes are zeroed once).
template <class F>
void for_group_tasks(const GroupConv& proto, i64 n, i64 groups, i64 og, F&& f) {
  const i64 base = n * groups;
  const i64 want = 4 * static_cast<i64>(num_threads());
  i64 chunks = 1;
  if (base < want) chunks = std::min<i64>((og + 7) / 8, (want + base - 1) / base);
  chunks = std::max<i64>(1, chunks);
  // chunk boundaries on multiples of 8 output channels (whole register tiles)
  const i64 per = ((og + chunks - 1) / chunks + 7) / 8 * 8;
  chunks = (og + per - 1) / per;
  parallel_for(base * chunks, 1, [&](i64 begin, i64 end) {
    GroupConv conv = proto;
    conv.init();
    for (i64 t = begin; t < end; ++t) {
      const i64 ch = t % chunks, ig = t / chunks;
      f(conv, ig / groups, ig % groups, ch * per, std::min(og, (ch + 1) * per));
    }
  });
}

}  // namespace

bool grouped_conv2d(const float* x, const float* w, float* y, const ConvParams& p, const Epilogue& ep) {
  if (p.groups <= 1 || p.sh != 1 || p.sw != 1 || p.c % p.groups != 0 || p.o % p.groups != 0) return false;
  const RowsFn fn = pick_rows();
  if (fn == nullptr) return false;
  const i64 cg = p.c / p.groups, og = p.o / p.groups, kk = p.kh * p.kw;
  if (!direct_pays(cg, og, kk)) return false;
  if (p.oh <= 0 || p.ow <= 0 || og == 0 || p.n == 0) return true;
  const GroupConv proto{cg, p.h, p.w, p.kh, p.kw, p.dh, p.dw, p.ph, p.pw, p.oh, p.ow, fn};
  for_group_tasks(proto, p.n, p.groups, og, [&](GroupConv& conv, i64 img, i64 grp, i64 o0, i64 o1) {
    const i64 oc = grp * og + o0;
    conv.run(x + (img * p.c + grp * cg) * p.h * p.w, w + oc * cg * kk, o1 - o0, y + (img * p.o + oc) * p.oh * p.ow,
             ep.bias ? ep.bias + oc : nullptr, ep.relu);
  });
  return true;
}

bool grouped_conv2d_backward_input(const float* dy, const float* w, float* dx, const ConvParams& p) {
  if (p.groups <= 1 || p.sh != 1 || p.sw != 1 || p.c % p.groups != 0 || p.o % p.groups != 0) return false;
  // dx is dy convolved with the 180°-rotated taps, padded by (k − 1)·d − p on each side
  const i64 bph = (p.kh - 1) * p.dh - p.ph, bpw = (p.kw - 1) * p.dw - p.pw;
  if (bph < 0 || bpw < 0) return false;
  const RowsFn fn = pick_rows();
  if (fn == nullptr) return false;
  const i64 cg = p.c / p.groups, og = p.o / p.groups, kk = p.kh * p.kw;
  if (!direct_pays(og, cg, kk)) return false;
  if (p.h <= 0 || p.w <= 0 || cg == 0 || p.n == 0) return true;
  if (p.oh <= 0 || p.ow <= 0 || og == 0) {
    std::memset(dx, 0, sizeof(float) * p.n * p.c * p.h * p.w);
    return true;
  }
  // per group, [cg][og][kk] with the taps reversed: the input channels become the outputs
  std::vector<float> wt(static_cast<std::size_t>(p.o * cg * kk));
  for (i64 g = 0; g < p.groups; ++g)
    for (i64 o = 0; o < og; ++o)
      for (i64 c = 0; c < cg; ++c)
        for (i64 k = 0; k < kk; ++k)
          wt[((g * cg + c) * og + o) * kk + k] = w[((g * og + o) * cg + c) * kk + kk - 1 - k];
  const GroupConv proto{og, p.oh, p.ow, p.kh, p.kw, p.dh, p.dw, bph, bpw, p.h, p.w, fn};
  for_group_tasks(proto, p.n, p.groups, cg, [&](GroupConv& conv, i64 img, i64 grp, i64 c0, i64 c1) {
    const i64 ic = grp * cg + c0;
    conv.run(dy + (img * p.o + grp * og) * p.oh * p.ow, wt.data() + ic * og * kk, c1 - c0,
             dx + (img * p.c + ic) * p.h * p.w, nullptr, false);
  });
  return true;
}

bool grouped_conv2d_backward_filter(const float* x, const float* dy, float* dw, const ConvParams& p) {
  if (p.groups <= 1 || p.sh != 1 || p.sw != 1 || p.c % p.groups != 0 || p.o % p.groups != 0) return false;
  const DotsFn dots = pick_dots();
  if (dots == nullptr || pick_rows() == nullptr) return false;
  const i64 cg = p.c / p.groups, og = p.o / p.groups, kk = p.kh * p.kw, ntaps = cg * kk;
  if (p.n == 0 || p.oh <= 0 || p.ow <= 0) {
    std::fill(dw, dw + p.o * ntaps, 0.f);
    return true;
  }
  // dW[o][c][k] = Σ over images and outputs of dy[o] · (input plane c shifted by tap k): dot
  // products over the same layout as the forward pass (flattened planes read dy widened to the
  // layout's rows, zeros in the extra columns). Tasks: groups × chunks of output channels, each
  // over every image, its sums in 16-lane slots reduced once at the end.
  const GroupConv proto{cg, p.h, p.w, p.kh, p.kw, p.dh, p.dw, p.ph, p.pw, p.oh, p.ow, nullptr};
  const i64 want = 4 * static_cast<i64>(num_threads());
  i64 chunks = p.groups >= want ? 1 : std::min<i64>((og + 3) / 4, (want + p.groups - 1) / p.groups);
  const i64 per = ((og + chunks - 1) / chunks + 3) / 4 * 4;
  chunks = (og + per - 1) / per;
  parallel_for(p.groups * chunks, 1, [&](i64 begin, i64 end) {
    GroupConv conv = proto;
    conv.init();
    std::vector<float> lanes, wide;
    std::vector<const float*> taps(static_cast<std::size_t>(ntaps));
    for (i64 t = begin; t < end; ++t) {
      const i64 grp = t / chunks, o0 = (t % chunks) * per, o1 = std::min(og, o0 + per), cnt = o1 - o0;
      lanes.assign(static_cast<std::size_t>(cnt * ntaps * 16), 0.f);
      const bool widen = conv.flat && conv.wq != p.ow;
      const i64 n = conv.flat ? p.oh * conv.wq : p.ow;
      if (widen) wide.assign(static_cast<std::size_t>(cnt * n), 0.f);  // the extra columns stay zero
      for (i64 img = 0; img < p.n; ++img) {
        i64 ips, ld;
        const float* src = conv.layout(x + (img * p.c + grp * cg) * p.h * p.w, ips, ld);
        const float* dyg = dy + (img * p.o + grp * og + o0) * p.oh * p.ow;
        if (conv.flat) {
          const float* d = dyg;
          i64 dys = p.oh * p.ow;
          if (widen) {
            for (i64 o = 0; o < cnt; ++o)
              for (i64 r = 0; r < p.oh; ++r)
                std::memcpy(wide.data() + o * n + r * conv.wq, dyg + o * dys + r * p.ow, sizeof(float) * p.ow);
            d = wide.data();
            dys = n;
          }
          for (i64 c = 0; c < cg; ++c)
            for (i64 k = 0; k < kk; ++k) taps[c * kk + k] = src + c * ips + conv.off[k];
          dots(lanes.data(), cnt, ntaps, n, d, dys, taps.data());
          continue;
        }
        for (i64 r = 0; r < p.oh; ++r) {
          for (i64 c = 0; c < cg; ++c)
            for (i64 k = 0; k < kk; ++k) taps[c * kk + k] = src + c * ips + conv.off[k] + r * ld;
          dots(lanes.data(), cnt, ntaps, p.ow, dyg + r * p.ow, p.oh * p.ow, taps.data());
        }
      }
      float* out = dw + (grp * og + o0) * ntaps;
      for (i64 j = 0; j < cnt * ntaps; ++j) {
        float s = 0.f;
        for (int l = 0; l < 16; ++l) s += lanes[j * 16 + l];
        out[j] = s;
      }
    }
  });
  return true;
}

}  // namespace mge
