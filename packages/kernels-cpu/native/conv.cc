// conv2d and its two gradients, all as GEMMs over im2col matrices:
//   forward        y[n,g]  = W[g] · cols(x[n,g])            ([Og,CgKK]·[CgKK,OHOW])
//   input grad     dx[n,g] = col2im(W[g]ᵀ · dy[n,g])
//   filter grad    dW[g]   = Σn dy[n,g] · cols(x[n,g])ᵀ
// A 1×1, stride-1, unpadded convolution needs no im2col: x itself is the matrix.
// Batches are split over threads (each image's GEMM then runs on one thread);
// a single image uses the threaded GEMM instead.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "conv_winograd.h"
#include "gemm.h"
#include "grouped.h"
#include "ops.h"
#include "thread_pool.h"

namespace mge {
namespace {

struct Geometry {
  i64 cg, og, kk, ckk, ohow, hw;
  bool pointwise;  // 1×1, stride 1, no padding: cols == x
};

Geometry geometry(const ConvParams& p) {
  Geometry g;
  g.cg = p.c / p.groups;
  g.og = p.o / p.groups;
  g.kk = p.kh * p.kw;
  g.ckk = g.cg * g.kk;
  g.ohow = p.oh * p.ow;
  g.hw = p.h * p.w;
  g.pointwise = p.kh == 1 && p.kw == 1 && p.sh == 1 && p.sw == 1 && p.ph == 0 && p.pw == 0 && p.oh == p.h &&
                p.ow == p.w;
  return g;
}

// cols[(c·KH + ky)·KW + kx, oy·OW + ox] = x[c, oy·sh − ph + ky·dh, ox·sw − pw + kx·dw] (0 outside).
// Row r of cols starts at cols + r·ld (ld ≥ OH·OW lets several images sit side by side).
void im2col(const float* x, i64 channels, const ConvParams& p, float* cols, i64 ld) {
  for (i64 c = 0; c < channels; ++c) {
    const float* plane = x + c * p.h * p.w;
    for (i64 ky = 0; ky < p.kh; ++ky) {
      for (i64 kx = 0; kx < p.kw; ++kx) {
        float* dst = cols + ((c * p.kh + ky) * p.kw + kx) * ld;
        const i64 xoff = kx * p.dw - p.pw;
        // Output columns whose input column is inside the image: [ox0, ox1).
        i64 ox0 = xoff >= 0 ? 0 : (-xoff + p.sw - 1) / p.sw;
        i64 ox1 = p.w - xoff <= 0 ? 0 : std::min(p.ow, (p.w - xoff + p.sw - 1) / p.sw);
        ox0 = std::min(ox0, ox1);
        for (i64 oy = 0; oy < p.oh; ++oy) {
          float* d = dst + oy * p.ow;
          const i64 iy = oy * p.sh - p.ph + ky * p.dh;
          if (iy < 0 || iy >= p.h) {
            std::memset(d, 0, sizeof(float) * p.ow);
            continue;
          }
          const float* row = plane + iy * p.w;
          for (i64 ox = 0; ox < ox0; ++ox) d[ox] = 0.f;
          if (p.sw == 1) {
            if (ox1 > ox0) std::memcpy(d + ox0, row + ox0 + xoff, sizeof(float) * (ox1 - ox0));
          } else {
            for (i64 ox = ox0; ox < ox1; ++ox) d[ox] = row[ox * p.sw + xoff];
          }
          for (i64 ox = ox1; ox < p.ow; ++ox) d[ox] = 0.f;
        }
      }
    }
  }
}

// The adjoint of im2col: x[c, iy, ix] += cols[...] for every in-image position (x pre-zeroed).
void col2im(const float* cols, i64 channels, const ConvParams& p, float* x, i64 ld) {
  for (i64 c = 0; c < channels; ++c) {
    float* plane = x + c * p.h * p.w;
    for (i64 ky = 0; ky < p.kh; ++ky) {
      for (i64 kx = 0; kx < p.kw; ++kx) {
        const float* src = cols + ((c * p.kh + ky) * p.kw + kx) * ld;
        const i64 xoff = kx * p.dw - p.pw;
        i64 ox0 = xoff >= 0 ? 0 : (-xoff + p.sw - 1) / p.sw;
        i64 ox1 = p.w - xoff <= 0 ? 0 : std::min(p.ow, (p.w - xoff + p.sw - 1) / p.sw);
        ox0 = std::min(ox0, ox1);
        for (i64 oy = 0; oy < p.oh; ++oy) {
          const i64 iy = oy * p.sh - p.ph + ky * p.dh;
          if (iy < 0 || iy >= p.h) continue;
          const float* s = src + oy * p.ow;
          float* row = plane + iy * p.w;
          if (p.sw == 1) {
            for (i64 ox = ox0; ox < ox1; ++ox) row[ox + xoff] += s[ox];
          } else {
            for (i64 ox = ox0; ox < ox1; ++ox) row[ox * p.sw + xoff] += s[ox];
          }
        }
      }
    }
  }
}

// Per-thread scratch buffers (0: im2col columns, 1: gathered/scattered dy or y).
float* scratch(int which, std::size_t floats) {
  thread_local std::vector<float> bufs[2];
  if (bufs[which].size() < floats) bufs[which].resize(floats);
  return bufs[which].data();
}

// The [C·KH·KW, cnt·OH·OW] column matrix of images i0..i0+cnt of group grp: the input
// itself for a single 1×1 image, otherwise im2col into scratch 0.
const float* image_cols(const float* x, const Geometry& g, const ConvParams& p, i64 i0, i64 cnt, i64 grp, i64 ld) {
  if (g.pointwise && cnt == 1) return x + (i0 * p.c + grp * g.cg) * g.hw;
  float* buf = scratch(0, static_cast<std::size_t>(g.ckk * ld));
  for (i64 i = 0; i < cnt; ++i) im2col(x + ((i0 + i) * p.c + grp * g.cg) * g.hw, g.cg, p, buf + i * g.ohow, ld);
  return buf;
}

// Images are processed in sub-batches laid side by side in one matrix, so that small
// images (LeNet's 28×28 or 10×10 outputs) still make GEMMs with thousands of columns.
constexpr i64 kScratchFloats = i64(1) << 22;  // 16 MB per scratch matrix
constexpr i64 kTargetCols = 2048;
// … but a deep column matrix (ResNet's stride-2 3×3 layers: C·9 = 576–2304 rows) is kept to about
// L2's size, so im2col's writes are still in cache when the GEMM packs them, down to kMinCols columns.
constexpr i64 kColsBudget = i64(1) << 19;  // floats (2 MB)
constexpr i64 kMinCols = 512;

i64 sub_batch(const Geometry& g, i64 images, bool deep) {
  const i64 per_image = std::max<i64>(1, g.ckk * g.ohow);
  // Images with OH·OW ≥ kTargetCols/4 already make wide enough GEMMs on their own, and one at a
  // time the GEMM reads and writes the tensors in place (no gather/scatter copies). The filter
  // gradient (deep) sums over all images as one deep product, except for 1×1 layers with such
  // images: x and dy are then the GEMM's operands as they lie, each image adding to dW.
  const bool wide = g.ohow * 4 >= kTargetCols;
  i64 nb = deep && !(g.pointwise && wide) ? images : wide ? 1 : (kTargetCols + g.ohow - 1) / std::max<i64>(1, g.ohow);
  if (!deep && !wide)
    nb = std::min(nb, std::max((kMinCols + g.ohow - 1) / std::max<i64>(1, g.ohow), kColsBudget / per_image));
  nb = std::min(nb, std::max<i64>(1, kScratchFloats / per_image));
  return std::max<i64>(1, std::min(nb, images));
}

// Splits the batch into one contiguous range of images per thread.
template <class F>
void for_image_ranges(i64 n, F&& f) {
  const i64 parts = (n >= 2 && !in_parallel_region()) ? std::min<i64>(num_threads(), n) : 1;
  if (parts <= 1) {
    f(0, 0, n);
    return;
  }
  parallel_tasks(static_cast<int>(parts), [&](int t) { f(t, n * t / parts, n * (t + 1) / parts); });
}

// Copies rows [g0, g0+rows) of `count` images' [channels, ohow] blocks into one
// [rows, count·ohow] matrix (and back, for `scatter`).
void gather_rows(const float* src, i64 img0, i64 count, i64 channels, i64 g0, i64 rows, i64 ohow, float* dst,
                 bool scatter) {
  const i64 ld = count * ohow;
  for (i64 i = 0; i < count; ++i) {
    for (i64 r = 0; r < rows; ++r) {
      float* packed = dst + r * ld + i * ohow;
      const float* orig = src + ((img0 + i) * channels + g0 + r) * ohow;
      if (scatter) {
        std::memcpy(const_cast<float*>(orig), packed, sizeof(float) * ohow);
      } else {
        std::memcpy(packed, orig, sizeof(float) * ohow);
      }
    }
  }
}

// An image whose column matrix is much larger than L2 (ResNet's 3×3 layers at 56², the 7×7 stem:
// 7–10 MB) is done in bands of output rows: each band's columns are written by im2col and read
// back by the GEMM's packing while they are still in cache, instead of going to memory and back.
constexpr i64 kBandFloats = i64(1) << 18;  // 1 MB of columns per band
constexpr i64 kBandMinCols = 1024;         // wide enough for the GEMM to split over threads

bool banded(const Geometry& g, const ConvParams& p) {
  return !g.pointwise && g.ckk * g.ohow > 4 * kBandFloats && p.oh > 1;
}

void forward_bands(const float* x, const float* w, float* y, const ConvParams& p, const Geometry& g, i64 img, i64 grp,
                   const Epilogue& ep) {
  const i64 rows_per_band = std::max<i64>({i64(1), kBandFloats / std::max<i64>(1, g.ckk * p.ow), (kBandMinCols + p.ow - 1) / p.ow});
  for (i64 y0 = 0; y0 < p.oh; y0 += rows_per_band) {
    ConvParams band = p;  // output rows [y0, y0 + rows): the same image seen from a padding shifted by y0 rows
    band.oh = std::min(rows_per_band, p.oh - y0);
    band.ph = p.ph - y0 * p.sh;
    const i64 cols = band.oh * p.ow;
    float* buf = scratch(0, static_cast<std::size_t>(g.ckk * cols));
    im2col(x + (img * p.c + grp * g.cg) * g.hw, g.cg, band, buf, cols);
    Gemm gm;
    gm.m = g.og;
    gm.n = cols;
    gm.k = g.ckk;
    gm.a = w + grp * g.og * g.ckk;
    gm.lda = g.ckk;
    gm.b = buf;
    gm.ldb = cols;
    gm.c = y + (img * p.o + grp * g.og) * g.ohow + y0 * p.ow;
    gm.ldc = g.ohow;
    gm.ep = ep.at(grp * g.og, 0);
    sgemm(gm);
  }
}

// LeNet-sized layers (short output rows, few filters, small C·KH·KW) run as a direct
// convolution when the ISA in use has one (every SIMD path; not the portable one): an im2col
// GEMM there spends most of its time copying (im2col, packing) and most of a register tile on
// 6 or 16 filters.
bool use_direct(const ConvParams& p, const Geometry& g) {
#if defined(__x86_64__) || defined(__aarch64__) || defined(__wasm_simd128__)
  return conv_direct().forward != nullptr && p.groups == 1 && p.sh == 1 && p.sw == 1 && p.dh == 1 &&
         p.dw == 1 && p.ph == 0 && p.pw == 0 && p.ow >= 1 && p.ow <= 32 && p.o <= 64 && g.ckk <= 400 &&
         p.oh == p.h - p.kh + 1 && p.ow == p.w - p.kw + 1;
#else
  (void)p;
  (void)g;
  return false;
#endif
}

}  // namespace

void conv2d(const float* x, const float* w, float* y, const ConvParams& p, const Epilogue& epilogue) {
  if (p.groups > 1 && grouped_conv2d(x, w, y, p, epilogue)) return;
  const Geometry g = geometry(p);
  if (g.ohow == 0 || g.og == 0) return;
  Epilogue ep = epilogue;
  ep.per_row = true;  // the GEMMs' rows (and the direct kernel's planes) are output channels
#if defined(__x86_64__) || defined(__aarch64__) || defined(__wasm_simd128__)
  if (use_direct(p, g)) {
    // The epilogue runs on each image as soon as it is stored: its [O, OH·OW] output (LeNet:
    // ≤ 18 KB) is still in L1.
    struct Done {
      const Epilogue* ep;
      float* y;
      i64 o, ohow;
      static void apply(void* ctx, i64 i) {
        const Done& d = *static_cast<const Done*>(ctx);
        apply_epilogue(*d.ep, d.y + i * d.o * d.ohow, d.ohow, 0, 0, d.o, d.ohow);
      }
    } done{&ep, y, p.o, g.ohow};
    for_image_ranges(p.n, [&](i64, i64 b, i64 e) {
      conv_direct().forward(x, w, y, b, e, p.c, p.h, p.w, p.o, p.kh, p.kw, p.oh, p.ow,
                            ep.any() ? &Done::apply : nullptr, &done);
    });
    return;
  }
#endif
  if (winograd_forward_fits(p)) {
    winograd_conv2d(x, w, y, p, ep);
    return;
  }
  for_image_ranges(p.n, [&](i64, i64 b, i64 e) {
    const i64 nb = sub_batch(g, e - b, false);
    for (i64 i0 = b; i0 < e; i0 += nb) {
      const i64 cnt = std::min(nb, e - i0);
      const i64 ld = cnt * g.ohow;
      for (i64 grp = 0; grp < p.groups; ++grp) {
        if (cnt == 1 && banded(g, p)) {
          forward_bands(x, w, y, p, g, i0, grp, ep);
          continue;
        }
        const float* cols = image_cols(x, g, p, i0, cnt, grp, ld);
        Gemm gm;
        gm.m = g.og;
        gm.n = ld;
        gm.k = g.ckk;
        gm.a = w + grp * g.og * g.ckk;
        gm.lda = g.ckk;
        gm.b = cols;
        gm.ldb = ld;
        gm.ep = ep.at(grp * g.og, 0);
        if (cnt == 1) {
          gm.c = y + (i0 * p.o + grp * g.og) * g.ohow;
          gm.ldc = g.ohow;
          sgemm(gm);
        } else {
          float* out = scratch(1, static_cast<std::size_t>(g.og * ld));
          gm.c = out;
          gm.ldc = ld;
          if (ep.residual) gm.ep = Epilogue{};  // a residual is read at output addresses: applied below
          sgemm(gm);
          gather_rows(y, i0, cnt, p.o, grp * g.og, g.og, g.ohow, out, true);
          if (ep.residual)
            for (i64 i = i0; i < i0 + cnt; ++i)
              apply_epilogue(ep.at(grp * g.og, 0), y + (i * p.o + grp * g.og) * g.ohow, g.ohow, 0, 0, g.og, g.ohow);
        }
      }
    }
  });
}

void conv2d_backward_input(const float* dy, const float* w, float* dx, const ConvParams& p) {
  if (p.groups > 1 && grouped_conv2d_backward_input(dy, w, dx, p)) return;
  const Geometry g = geometry(p);
  if (g.cg * g.hw == 0) return;
#if defined(__x86_64__) || defined(__aarch64__) || defined(__wasm_simd128__)
  if (use_direct(p, g) && p.w <= 32) {
    for_image_ranges(p.n, [&](i64, i64 b, i64 e) {
      conv_direct().input(dy, w, dx, b, e, p.c, p.h, p.w, p.o, p.kh, p.kw, p.oh, p.ow);
    });
    return;
  }
#endif
  if (winograd_forward_fits(p)) {
    winograd_conv2d_backward_input(dy, w, dx, p);
    return;
  }
  for_image_ranges(p.n, [&](i64, i64 b, i64 e) {
    const i64 nb = sub_batch(g, e - b, false);
    for (i64 i0 = b; i0 < e; i0 += nb) {
      const i64 cnt = std::min(nb, e - i0);
      const i64 ld = cnt * g.ohow;
      for (i64 grp = 0; grp < p.groups; ++grp) {
        Gemm gm;
        gm.trans_a = true;
        gm.m = g.ckk;
        gm.n = ld;
        gm.k = g.og;
        gm.a = w + grp * g.og * g.ckk;
        gm.lda = g.ckk;
        if (cnt == 1) {
          gm.b = dy + (i0 * p.o + grp * g.og) * g.ohow;
        } else {
          float* packed = scratch(1, static_cast<std::size_t>(g.og * ld));
          gather_rows(dy, i0, cnt, p.o, grp * g.og, g.og, g.ohow, packed, false);
          gm.b = packed;
        }
        gm.ldb = ld;
        if (g.pointwise && cnt == 1) {
          gm.c = dx + (i0 * p.c + grp * g.cg) * g.hw;
          gm.ldc = g.ohow;
          sgemm(gm);
          continue;
        }
        float* dcols = scratch(0, static_cast<std::size_t>(g.ckk * ld));
        gm.c = dcols;
        gm.ldc = ld;
        sgemm(gm);
        for (i64 i = 0; i < cnt; ++i) {
          float* dxg = dx + ((i0 + i) * p.c + grp * g.cg) * g.hw;
          std::memset(dxg, 0, sizeof(float) * g.cg * g.hw);
          col2im(dcols + i * g.ohow, g.cg, p, dxg, ld);
        }
      }
    }
  });
}

void conv2d_backward_filter(const float* x, const float* dy, float* dw, const ConvParams& p) {
  if (p.groups > 1 && grouped_conv2d_backward_filter(x, dy, dw, p)) return;
  const Geometry g = geometry(p);
  const i64 wsize = p.o * g.ckk;
  if (wsize == 0) return;
  if (p.n == 0 || g.ohow == 0) {
    std::memset(dw, 0, sizeof(float) * wsize);
    return;
  }
  if (winograd_filter_fits(p)) {
    winograd_conv2d_backward_filter(x, dy, dw, p);
    return;
  }
  // Each thread sums its images into its own copy of dW; the copies are added at the end.
  const i64 parts = (p.n >= 2 && !in_parallel_region()) ? std::min<i64>(num_threads(), p.n) : 1;
  std::vector<float> partial(static_cast<std::size_t>((parts - 1) * wsize));
#if defined(__x86_64__) || defined(__aarch64__) || defined(__wasm_simd128__)
  if (use_direct(p, g) && (p.kw == 3 || p.kw == 5)) {
    for_image_ranges(p.n, [&](i64 part, i64 b, i64 e) {
      float* out = part == 0 ? dw : partial.data() + (part - 1) * wsize;
      conv_direct().filter(x, dy, out, b, e, p.c, p.h, p.w, p.o, p.kh, p.kw, p.oh, p.ow);
    });
    for (i64 t = 1; t < parts; ++t) {
      const float* src = partial.data() + (t - 1) * wsize;
      for (i64 i = 0; i < wsize; ++i) dw[i] += src[i];
    }
    return;
  }
#endif
  for_image_ranges(p.n, [&](i64 part, i64 b, i64 e) {
    float* out = part == 0 ? dw : partial.data() + (part - 1) * wsize;
    const i64 nb = sub_batch(g, e - b, true);
    for (i64 i0 = b; i0 < e; i0 += nb) {
      const i64 cnt = std::min(nb, e - i0);
      const i64 ld = cnt * g.ohow;
      for (i64 grp = 0; grp < p.groups; ++grp) {
        const float* cols = image_cols(x, g, p, i0, cnt, grp, ld);
        Gemm gm;
        gm.trans_b = true;
        gm.m = g.og;
        gm.n = g.ckk;
        gm.k = ld;
        if (cnt == 1) {
          gm.a = dy + (i0 * p.o + grp * g.og) * g.ohow;
        } else {
          float* packed = scratch(1, static_cast<std::size_t>(g.og * ld));
          gather_rows(dy, i0, cnt, p.o, grp * g.og, g.og, g.ohow, packed, false);
          gm.a = packed;
        }
        gm.lda = ld;
        gm.b = cols;
        gm.ldb = ld;
        gm.c = out + grp * g.og * g.ckk;
        gm.ldc = g.ckk;
        gm.accumulate = i0 > b;
        sgemm(gm);
      }
    }
  });
  for (i64 t = 1; t < parts; ++t) {
    const float* src = partial.data() + (t - 1) * wsize;
    for (i64 i = 0; i < wsize; ++i) dw[i] += src[i];
  }
}

}  // namespace mge
