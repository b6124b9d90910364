// Standalone correctness test of the kernels an ISA path selects (SGEMM micro-kernel, direct and
// im2col convolutions and their gradients, 2×2 max pooling), against plain loops.
// No N-API: it links the kernel files only, so it cross-compiles for aarch64 and runs under
// qemu-user (scripts/test-native.mjs). Exit status 0 when every case matches.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "../../native/depthwise.h"
#include "../../native/gemm.h"
#include "../../native/ops.h"
#include "../../native/thread_pool.h"

using mge::i64;

namespace {

int failures = 0;

std::vector<float> rnd(i64 n, unsigned seed) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0.f, 1.f);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = d(g);
  return v;
}

void expect_close(const std::vector<float>& got, const std::vector<double>& want, double tol, const std::string& what) {
  for (std::size_t i = 0; i < want.size(); ++i) {
    const double err = std::fabs(got[i] - want[i]);
    if (!(err <= tol * (1.0 + std::fabs(want[i])))) {
      std::printf("FAIL %s: element %zu is %.7g, expected %.7g\n", what.c_str(), i, got[i], want[i]);
      ++failures;
      return;
    }
  }
}

void test_gemm(i64 m, i64 n, i64 k, bool ta, bool tb, bool acc) {
  const auto a = rnd(m * k, 1), b = rnd(k * n, 2);
  std::vector<float> c = rnd(m * n, 3);
  std::vector<double> want(static_cast<std::size_t>(m * n));
  for (i64 i = 0; i < m; ++i)
    for (i64 j = 0; j < n; ++j) {
      double s = acc ? c[i * n + j] : 0.0;
      for (i64 p = 0; p < k; ++p) s += double(ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      want[i * n + j] = s;
    }
  mge::Gemm g;
  g.trans_a = ta;
  g.trans_b = tb;
  g.m = m;
  g.n = n;
  g.k = k;
  g.a = a.data();
  g.lda = ta ? m : k;
  g.b = b.data();
  g.ldb = tb ? k : n;
  g.c = c.data();
  g.ldc = n;
  g.accumulate = acc;
  mge::sgemm(g);
  expect_close(c, want, 1e-4 * std::sqrt(double(k)),
               "sgemm " + std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k));
}

mge::ConvParams conv(i64 n, i64 c, i64 h, i64 w, i64 o, i64 k, i64 s = 1, i64 pad = 0) {
  const i64 oh = (h + 2 * pad - k) / s + 1, ow = (w + 2 * pad - k) / s + 1;
  return {n, c, h, w, o, k, k, oh, ow, s, s, pad, pad, 1, 1, 1};
}

void test_conv(const mge::ConvParams& p) {
  const i64 xs = p.n * p.c * p.h * p.w, ws = p.o * p.c * p.kh * p.kw, ys = p.n * p.o * p.oh * p.ow;
  const auto x = rnd(xs, 4), w = rnd(ws, 5), dy = rnd(ys, 6);
  std::vector<double> y(ys, 0.0), dx(xs, 0.0), dw(ws, 0.0);
  for (i64 i = 0; i < p.n; ++i)
    for (i64 oc = 0; oc < p.o; ++oc)
      for (i64 oy = 0; oy < p.oh; ++oy)
        for (i64 ox = 0; ox < p.ow; ++ox)
          for (i64 ci = 0; ci < p.c; ++ci)
            for (i64 ky = 0; ky < p.kh; ++ky)
              for (i64 kx = 0; kx < p.kw; ++kx) {
                const i64 iy = oy * p.sh - p.ph + ky, ix = ox * p.sw - p.pw + kx;
                if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) continue;
                const i64 xi = ((i * p.c + ci) * p.h + iy) * p.w + ix, wi = ((oc * p.c + ci) * p.kh + ky) * p.kw + kx;
                const i64 yi = ((i * p.o + oc) * p.oh + oy) * p.ow + ox;
                y[yi] += double(x[xi]) * w[wi];
                dx[xi] += double(dy[yi]) * w[wi];
                dw[wi] += double(dy[yi]) * x[xi];
              }
  const std::string tag = "conv n" + std::to_string(p.n) + " c" + std::to_string(p.c) + " " + std::to_string(p.h) +
                          "x" + std::to_string(p.w) + " o" + std::to_string(p.o) + " k" + std::to_string(p.kh);
  std::vector<float> got(ys), gdx(xs), gdw(ws);
  mge::conv2d(x.data(), w.data(), got.data(), p);
  expect_close(got, y, 1e-4, tag + " forward");
  mge::conv2d_backward_input(dy.data(), w.data(), gdx.data(), p);
  expect_close(gdx, dx, 1e-4, tag + " input gradient");
  mge::conv2d_backward_filter(x.data(), dy.data(), gdw.data(), p);
  expect_close(gdw, dw, 1e-3, tag + " filter gradient");
}

// Grouped convolution with bias and relu in double, and its gradients (dx, dw: of the convolution
// before the relu, for the given dy): the reference of the depthwise and grouped tests.
void reference_conv_relu(const mge::ConvParams& p, const std::vector<float>& x, const std::vector<float>& wt,
                         const std::vector<float>& dy, const std::vector<float>& bias, std::vector<double>& y,
                         std::vector<double>& dx, std::vector<double>& dw) {
  const i64 cg = p.c / p.groups, og = p.o / p.groups;
  y.assign(p.n * p.o * p.oh * p.ow, 0.0);
  dx.assign(p.n * p.c * p.h * p.w, 0.0);
  dw.assign(p.o * cg * p.kh * p.kw, 0.0);
  for (i64 i = 0; i < p.n; ++i)
    for (i64 oc = 0; oc < p.o; ++oc)
      for (i64 oy = 0; oy < p.oh; ++oy)
        for (i64 ox = 0; ox < p.ow; ++ox) {
          const i64 yi = ((i * p.o + oc) * p.oh + oy) * p.ow + ox;
          y[yi] = bias[oc];
          for (i64 ci = 0; ci < cg; ++ci)
            for (i64 ky = 0; ky < p.kh; ++ky)
              for (i64 kx = 0; kx < p.kw; ++kx) {
                const i64 iy = oy * p.sh - p.ph + ky * p.dh, ix = ox * p.sw - p.pw + kx * p.dw;
                if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) continue;
                const i64 xi = ((i * p.c + (oc / og) * cg + ci) * p.h + iy) * p.w + ix;
                const i64 wi = ((oc * cg + ci) * p.kh + ky) * p.kw + kx;
                y[yi] += double(x[xi]) * wt[wi];
                dx[xi] += double(dy[yi]) * wt[wi];
                dw[wi] += double(dy[yi]) * x[xi];
              }
          y[yi] = y[yi] > 0.0 ? y[yi] : 0.0;
        }
}

// Depthwise convolution (groups == c, channel multiplier mult) with bias and relu, and its
// gradients: strides, dilation, padding, non-square planes and plane widths around the vector
// widths (row-by-row and flattened layouts, masked tails).
void test_depthwise(i64 n, i64 c, i64 mult, i64 h, i64 w, i64 kh, i64 kw, i64 sh, i64 sw, i64 ph, i64 pw, i64 dl) {
  const i64 o = c * mult;
  const i64 oh = (h + 2 * ph - dl * (kh - 1) - 1) / sh + 1, ow = (w + 2 * pw - dl * (kw - 1) - 1) / sw + 1;
  const mge::ConvParams p{n, c, h, w, o, kh, kw, oh, ow, sh, sw, ph, pw, dl, dl, c};
  const i64 xs = n * c * h * w, ws = o * kh * kw, ys = n * o * oh * ow;
  const auto x = rnd(xs, 8), wt = rnd(ws, 9), dy = rnd(ys, 10), bias = rnd(o, 11);
  std::vector<double> y, dx, dw;
  reference_conv_relu(p, x, wt, dy, bias, y, dx, dw);
  const std::string tag = "depthwise n" + std::to_string(n) + " c" + std::to_string(c) + "x" + std::to_string(mult) +
                          " " + std::to_string(h) + "x" + std::to_string(w) + " k" + std::to_string(kh) + "x" +
                          std::to_string(kw) + " s" + std::to_string(sh) + "," + std::to_string(sw) + " d" +
                          std::to_string(dl);
  mge::Epilogue ep;
  ep.bias = bias.data();
  ep.relu = true;
  std::vector<float> got(ys), gdx(xs), gdw(ws);
  mge::depthwise_conv2d(x.data(), wt.data(), got.data(), p, ep);
  expect_close(got, y, 1e-4, tag + " forward");
  mge::depthwise_conv2d_backward_input(dy.data(), wt.data(), gdx.data(), p);
  expect_close(gdx, dx, 1e-4, tag + " input gradient");
  mge::depthwise_conv2d_backward_filter(x.data(), dy.data(), gdw.data(), p);
  expect_close(gdw, dw, 1e-3, tag + " filter gradient");
}

// Grouped convolution (1 < groups < c) with bias and relu, and its gradients: the direct
// per-group kernels at stride 1 (grouped.cc) and the GEMMs they leave to strided shapes.
void test_grouped(i64 n, i64 c, i64 o, i64 g, i64 h, i64 w, i64 kh, i64 kw, i64 s, i64 pad, i64 dl) {
  const i64 oh = (h + 2 * pad - dl * (kh - 1) - 1) / s + 1, ow = (w + 2 * pad - dl * (kw - 1) - 1) / s + 1;
  const mge::ConvParams p{n, c, h, w, o, kh, kw, oh, ow, s, s, pad, pad, dl, dl, g};
  const i64 cg = c / g;
  const i64 xs = n * c * h * w, ws = o * cg * kh * kw, ys = n * o * oh * ow;
  const auto x = rnd(xs, 12), wt = rnd(ws, 13), dy = rnd(ys, 14), bias = rnd(o, 15);
  std::vector<double> y, dx, dw;
  reference_conv_relu(p, x, wt, dy, bias, y, dx, dw);
  const std::string tag = "grouped n" + std::to_string(n) + " c" + std::to_string(c) + " o" + std::to_string(o) +
                          " g" + std::to_string(g) + " " + std::to_string(h) + "x" + std::to_string(w) + " k" +
                          std::to_string(kh) + "x" + std::to_string(kw) + " s" + std::to_string(s) + " d" +
                          std::to_string(dl);
  mge::Epilogue ep;
  ep.bias = bias.data();
  ep.relu = true;
  std::vector<float> got(ys), gdx(xs), gdw(ws);
  mge::conv2d(x.data(), wt.data(), got.data(), p, ep);
  expect_close(got, y, 1e-4, tag + " forward");
  mge::conv2d_backward_input(dy.data(), wt.data(), gdx.data(), p);
  expect_close(gdx, dx, 1e-4, tag + " input gradient");
  mge::conv2d_backward_filter(x.data(), dy.data(), gdw.data(), p);
  expect_close(gdw, dw, 1e-3, tag + " filter gradient");
}

// 2×2/stride-2 max pooling and its gradient (the vector paths), on values with ties (the first
// maximum wins) and a NaN (which wins its window), against the scalar rule.
void test_pool(i64 n, i64 c, i64 h, i64 w, bool nan) {
  const mge::PoolParams p{n, c, h, w, 2, 2, h / 2, w / 2, 2, 2, 0, 0};
  std::vector<float> x = rnd(n * c * h * w, 7);
  for (std::size_t i = 0; i < x.size(); i += 3) x[i] = std::round(x[i]);  // ties
  if (nan) x[x.size() / 2] = NAN;
  const auto dy = rnd(n * c * p.oh * p.ow, 8);
  std::vector<double> y(dy.size()), dx(x.size(), 0.0);
  for (i64 pl = 0; pl < n * c; ++pl)
    for (i64 oy = 0; oy < p.oh; ++oy)
      for (i64 ox = 0; ox < p.ow; ++ox) {
        i64 best = -1;
        for (i64 k = 0; k < 4; ++k) {
          const i64 idx = (pl * h + 2 * oy + k / 2) * w + 2 * ox + k % 2;
          if (best < 0) best = idx;
          else if (!std::isnan(x[best]) && (std::isnan(x[idx]) || x[idx] > x[best])) best = idx;
        }
        y[(pl * p.oh + oy) * p.ow + ox] = x[best];
        dx[best] = dy[(pl * p.oh + oy) * p.ow + ox];
      }
  std::vector<float> got(y.size()), gdx(x.size());
  mge::pool2d(true, x.data(), got.data(), p);
  mge::pool2d_backward(true, x.data(), dy.data(), gdx.data(), p);
  const std::string tag = "max pool " + std::to_string(h) + "x" + std::to_string(w) + (nan ? " with NaN" : "");
  for (std::size_t i = 0; i < y.size(); ++i)
    if (!(got[i] == y[i] || (std::isnan(got[i]) && std::isnan(y[i])))) {
      std::printf("FAIL %s forward: element %zu is %g, expected %g\n", tag.c_str(), i, got[i], y[i]);
      ++failures;
      break;
    }
  expect_close(gdx, dx, 0.0, tag + " gradient");
}

}  // namespace

int main(int argc, char** argv) {
  const char* isa = argc > 1 ? argv[1] : nullptr;
  if (isa && !mge::set_gemm_isa(isa)) {
    std::printf("SKIP: this CPU cannot run the %s path\n", isa);
    return 2;
  }
  std::printf("ISA path: %s\n", mge::gemm_isa());
  for (int threads : {1, 2}) {
    mge::set_num_threads(threads);
    for (bool acc : {false, true}) {
      test_gemm(1, 1, 1, false, false, acc);
      test_gemm(13, 29, 37, false, false, acc);
      test_gemm(37, 19, 300, true, false, acc);
      test_gemm(70, 90, 65, false, true, acc);
      test_gemm(3, 50, 700, true, true, acc);
      test_gemm(130, 140, 270, false, false, acc);
      // Partial panels of A at full panel width (the rows kernels), over several K blocks.
      test_gemm(20, 64, 1100, false, false, acc);
      test_gemm(64, 96, 600, true, false, acc);
      test_gemm(7, 48, 300, false, false, acc);
      test_gemm(17, 96, 520, false, true, acc);
    }
    // LeNet's layers and rows of 1–4 and partial vectors of 4, 8 and 16 lanes.
    for (const auto& p : {conv(3, 1, 32, 32, 6, 5), conv(3, 6, 14, 14, 16, 5), conv(2, 2, 12, 12, 5, 5),
                          conv(2, 1, 20, 20, 9, 5), conv(1, 2, 21, 21, 7, 5), conv(2, 3, 36, 36, 13, 5),
                          conv(2, 2, 14, 14, 23, 3), conv(3, 3, 10, 10, 20, 3), conv(2, 3, 7, 6, 4, 3, 1, 1),
                          conv(2, 3, 9, 9, 5, 3, 2, 1), conv(1, 4, 6, 5, 3, 1),
                          // a column matrix over 4 MB: im2col and GEMM in bands of output rows
                          conv(1, 8, 150, 150, 5, 5, 2, 2)})
      test_conv(p);
    test_depthwise(1, 5, 1, 56, 56, 3, 3, 1, 1, 1, 1, 1);
    test_depthwise(2, 3, 1, 29, 37, 3, 3, 2, 2, 1, 1, 1);
    test_depthwise(1, 7, 1, 7, 7, 3, 3, 1, 1, 1, 1, 1);
    test_depthwise(1, 3, 2, 14, 14, 3, 3, 2, 2, 1, 1, 1);
    test_depthwise(1, 2, 1, 19, 70, 5, 5, 1, 2, 2, 2, 1);
    test_depthwise(2, 3, 3, 11, 27, 3, 3, 1, 1, 2, 2, 2);
    test_depthwise(1, 4, 1, 9, 33, 3, 1, 3, 1, 0, 0, 1);
    test_depthwise(1, 2, 1, 5, 131, 3, 3, 1, 1, 1, 1, 1);
    test_grouped(2, 16, 16, 4, 9, 9, 3, 3, 1, 1, 1);
    test_grouped(1, 30, 45, 3, 7, 6, 1, 1, 1, 0, 1);
    test_grouped(1, 12, 24, 2, 5, 40, 1, 1, 1, 0, 1);
    test_grouped(1, 8, 12, 4, 13, 45, 5, 5, 1, 2, 2);
    test_grouped(1, 6, 10, 2, 6, 37, 3, 3, 1, 0, 1);
    test_grouped(2, 8, 8, 2, 9, 9, 3, 3, 2, 1, 1);
    test_grouped(2, 40, 40, 2, 6, 9, 1, 1, 1, 0, 1);
    test_grouped(1, 12, 20, 4, 20, 70, 3, 3, 1, 1, 1);
    test_pool(2, 3, 28, 28, false);
    test_pool(2, 3, 10, 13, false);
    test_pool(1, 2, 12, 18, true);
  }
  if (failures) {
    std::printf("%d failure(s) on the %s path\n", failures, mge::gemm_isa());
    return 1;
  }
  std::printf("all kernel cases match on the %s path\n", mge::gemm_isa());
  return 0;
}
