// conv2d and its two gradients, all as GEMMs over im2col matrices:
//   forward        y[n,g]  = W[g] · cols(x[n,g])            ([Og,CgKK]·[CgKK,OHOW])
//   input grad     dx[n,g] = col2im(W[g]ᵀ · dy[n,g])
//   filter grad    dW[g]   = Σn dy[n,g] · cols(x[n,g])ᵀ
// A 1×1, stride-1, unpadded convolution needs no im2col: x itself is the matrix.
// Batches are split over threads (each image's GEMM then runs on one thread);
// a single image uses the threaded GEMM instead.
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "gemm.h"
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
void im2col(const float* x, i64 channels, const ConvParams& p, float* cols) {
  const i64 ohow = p.oh * p.ow;
  for (i64 c = 0; c < channels; ++c) {
    const float* plane = x + c * p.h * p.w;
    for (i64 ky = 0; ky < p.kh; ++ky) {
      for (i64 kx = 0; kx < p.kw; ++kx) {
        float* dst = cols + ((c * p.kh + ky) * p.kw + kx) * ohow;
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
void col2im(const float* cols, i64 channels, const ConvParams& p, float* x) {
  const i64 ohow = p.oh * p.ow;
  for (i64 c = 0; c < channels; ++c) {
    float* plane = x + c * p.h * p.w;
    for (i64 ky = 0; ky < p.kh; ++ky) {
      for (i64 kx = 0; kx < p.kw; ++kx) {
        const float* src = cols + ((c * p.kh + ky) * p.kw + kx) * ohow;
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

// Per-thread scratch for one image's im2col matrix.
float* cols_scratch(std::size_t floats) {
  thread_local std::vector<float> buf;
  if (buf.size() < floats) buf.resize(floats);
  return buf.data();
}

// Runs f(image) for every image, over threads when there are several images.
template <class F>
void for_images(i64 n, F&& f) {
  if (n >= 2 && num_threads() > 1 && !in_parallel_region()) {
    parallel_for(n, 1, [&](i64 b, i64 e) {
      for (i64 i = b; i < e; ++i) f(i);
    });
  } else {
    for (i64 i = 0; i < n; ++i) f(i);
  }
}

}  // namespace

void conv2d(const float* x, const float* w, float* y, const ConvParams& p) {
  const Geometry g = geometry(p);
  for_images(p.n, [&](i64 img) {
    for (i64 grp = 0; grp < p.groups; ++grp) {
      const float* xg = x + (img * p.c + grp * g.cg) * g.hw;
      const float* cols = xg;
      if (!g.pointwise) {
        float* buf = cols_scratch(static_cast<std::size_t>(g.ckk * g.ohow));
        im2col(xg, g.cg, p, buf);
        cols = buf;
      }
      Gemm gm;
      gm.m = g.og;
      gm.n = g.ohow;
      gm.k = g.ckk;
      gm.a = w + grp * g.og * g.ckk;
      gm.lda = g.ckk;
      gm.b = cols;
      gm.ldb = g.ohow;
      gm.c = y + (img * p.o + grp * g.og) * g.ohow;
      gm.ldc = g.ohow;
      sgemm(gm);
    }
  });
}

void conv2d_backward_input(const float* dy, const float* w, float* dx, const ConvParams& p) {
  const Geometry g = geometry(p);
  for_images(p.n, [&](i64 img) {
    for (i64 grp = 0; grp < p.groups; ++grp) {
      float* dxg = dx + (img * p.c + grp * g.cg) * g.hw;
      Gemm gm;
      gm.trans_a = true;
      gm.m = g.ckk;
      gm.n = g.ohow;
      gm.k = g.og;
      gm.a = w + grp * g.og * g.ckk;
      gm.lda = g.ckk;
      gm.b = dy + (img * p.o + grp * g.og) * g.ohow;
      gm.ldb = g.ohow;
      if (g.pointwise) {
        gm.c = dxg;
        gm.ldc = g.ohow;
        sgemm(gm);
      } else {
        float* buf = cols_scratch(static_cast<std::size_t>(g.ckk * g.ohow));
        gm.c = buf;
        gm.ldc = g.ohow;
        sgemm(gm);
        if (g.cg * g.hw > 0) std::memset(dxg, 0, sizeof(float) * g.cg * g.hw);
        col2im(buf, g.cg, p, dxg);
      }
    }
  });
}

void conv2d_backward_filter(const float* x, const float* dy, float* dw, const ConvParams& p) {
  const Geometry g = geometry(p);
  const i64 wsize = p.o * g.ckk;
  // Each thread sums its images into its own copy of dW; the copies are added at the end.
  const i64 parts = (p.n >= 2 && !in_parallel_region()) ? std::min<i64>(num_threads(), p.n) : 1;
  std::vector<float> partial(static_cast<std::size_t>((parts - 1) * wsize));
  auto run = [&](i64 part, i64 b, i64 e) {
    float* out = part == 0 ? dw : partial.data() + (part - 1) * wsize;
    for (i64 img = b; img < e; ++img) {
      for (i64 grp = 0; grp < p.groups; ++grp) {
        const float* xg = x + (img * p.c + grp * g.cg) * g.hw;
        const float* cols = xg;
        if (!g.pointwise) {
          float* buf = cols_scratch(static_cast<std::size_t>(g.ckk * g.ohow));
          im2col(xg, g.cg, p, buf);
          cols = buf;
        }
        Gemm gm;
        gm.trans_b = true;
        gm.m = g.og;
        gm.n = g.ckk;
        gm.k = g.ohow;
        gm.a = dy + (img * p.o + grp * g.og) * g.ohow;
        gm.lda = g.ohow;
        gm.b = cols;
        gm.ldb = g.ohow;
        gm.c = out + grp * g.og * g.ckk;
        gm.ldc = g.ckk;
        gm.accumulate = img > b;
        sgemm(gm);
      }
    }
    if (e <= b) std::memset(out, 0, sizeof(float) * wsize);
  };
  if (p.n == 0) {
    if (wsize > 0) std::memset(dw, 0, sizeof(float) * wsize);
    return;
  }
  if (parts == 1) {
    run(0, 0, p.n);
    return;
  }
  parallel_tasks(static_cast<int>(parts), [&](int t) { run(t, p.n * t / parts, p.n * (t + 1) / parts); });
  for (i64 t = 1; t < parts; ++t) {
    const float* src = partial.data() + (t - 1) * wsize;
    for (i64 i = 0; i < wsize; ++i) dw[i] += src[i];
  }
}

}  // namespace mge
