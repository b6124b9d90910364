// Winograd F(m×m, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks"), m = 4 or 2:
//   y-tile = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A   for every (m+2)×(m+2) input tile d (stride m) and m×m
// output tile, summed over input channels. With U[ξ] = (G g Gᵀ)[ξ] as an [O, C] matrix and
// V[ξ] = (Bᵀ d B)[ξ] as a [C, tiles] matrix, the sum over channels is one GEMM M[ξ] = U[ξ]·V[ξ] per
// position ξ of the transformed tile (36 for F(4×4), 16 for F(2×2)). Tiles are taken in blocks
// (across images, so 8×8 and 4×4 feature maps still make wide GEMMs) whose transformed data stays
// in L2; blocks are split over threads.
// The filter gradient is the adjoint: dU[ξ] = Σ_tiles (A dy-tile Aᵀ)[ξ] · V[ξ]ᵀ, dg = Gᵀ dU G.
// F(2×2)'s coefficients are 0, ±1 and ±½ (rounding like the direct sum); F(4×4)'s reach 8 and 1/15,
// so its error is a few 1e-6 of the output's scale (checked against PyTorch goldens and js).
#include "conv_winograd.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "gemm.h"
#include "thread_pool.h"

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

namespace mge {
namespace {

constexpr int kXi = 16;  // positions in a transformed 4×4 tile

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};

// Per-thread work areas kept for the thread's life (one per role), so steady-state training
// makes no allocations here.
float* arena(int which, std::size_t floats) {
  thread_local std::unique_ptr<float, FreeDeleter> bufs[4];
  thread_local std::size_t caps[4] = {0, 0, 0, 0};
  if (caps[which] < floats) {
    bufs[which].reset();
    void* p = std::aligned_alloc(64, ((floats * sizeof(float) + 63) / 64) * 64);
    if (!p) throw std::bad_alloc();
    bufs[which].reset(static_cast<float*>(p));
    caps[which] = floats;
  }
  return bufs[which].get();
}

// Tiles of the output, numbered across the batch: tile t is image t / per_image, tile row
// (t % per_image) / tx, tile column … % tx; its input window starts at (2·ty − ph, 2·tx − pw).
struct Tiling {
  i64 ty, tx, per_image, total;
};

// m: the side of an output tile (2 for F(2×2, 3×3), 4 for F(4×4, 3×3)).
Tiling tiling(i64 n, i64 oh, i64 ow, i64 m = 2) {
  Tiling t;
  t.ty = (oh + m - 1) / m;
  t.tx = (ow + m - 1) / m;
  t.per_image = t.ty * t.tx;
  t.total = n * t.per_image;
  return t;
}

// Tiles per block: wide enough that packing each block's GEMM operands (the transformed filters
// among them) is small next to the products, and the block's V and M (16·(C+O)·T floats) stay
// within a few MB; a multiple of 16 (every micro-kernel's NR divides 32 or 16). The filter gradient
// reads its V as a transposed operand and wants it closer to L2 (budget: floats; measured).
// When that leaves fewer blocks than threads (batch-1 inference: ResNet-50's 56² map is 196 tiles),
// the tiles are shared out so every thread transforms its own block, rather than one thread doing all
// the transforms between GEMMs split over the pool.
i64 block_tiles(i64 c, i64 o, i64 total, i64 budget, i64 xis = kXi) {
  i64 t = budget / (xis * (c + o));
  t = std::max<i64>(64, std::min<i64>(256, t)) / 16 * 16;
  const i64 threads = in_parallel_region() ? 1 : std::max(1, num_threads());
  if (threads > 1 && (total + t - 1) / t < threads) t = std::max<i64>(16, ((total + threads - 1) / threads + 15) / 16 * 16);
  return std::min(t, total);
}

// Tiles t0 .. t0+cnt are visited in runs along one tile row of one image, at most kRun at a time;
// fn(img, ty, tx0, j0, len): tiles tx0 .. tx0+len of tile row ty are block columns j0 .. j0+len.
constexpr i64 kRun = 64;

template <class F>
void for_runs(const Tiling& tl, i64 t0, i64 cnt, F&& fn) {
  for (i64 j = 0; j < cnt;) {
    const i64 t = t0 + j;
    const i64 img = t / tl.per_image, r = t % tl.per_image;
    const i64 ty = r / tl.tx, tx0 = r % tl.tx;
    const i64 len = std::min({kRun, tl.tx - tx0, cnt - j});
    fn(img, ty, tx0, j, len);
    j += len;
  }
}

// Columns 2·tx0 − pw … of input row iy split into even and odd positions (zero outside the image):
// the 4 columns of tile k are even[k], odd[k], even[k+1], odd[k+1], so the transforms below read
// every operand with unit stride and vectorise over tiles.
void split_row(const float* plane, i64 h, i64 w, i64 iy, i64 ix0, i64 len, float* even, float* odd) {
  if (iy < 0 || iy >= h) {
    std::fill(even, even + len + 1, 0.f);
    std::fill(odd, odd + len + 1, 0.f);
    return;
  }
  const float* row = plane + iy * w;
  // Pairs k ∈ [lo, hi) lie inside the row (the common case: a run loses at most its first and last
  // pair to the padding); the rest are checked one by one.
  const i64 lo = std::min<i64>(len + 1, ix0 >= 0 ? 0 : (-ix0 + 1) / 2);
  const i64 hi = std::max<i64>(lo, std::min<i64>(len + 1, w - 2 - ix0 >= 0 ? (w - 2 - ix0) / 2 + 1 : 0));
  auto checked = [&](i64 k) {
    const i64 ix = ix0 + 2 * k;
    even[k] = (ix >= 0 && ix < w) ? row[ix] : 0.f;
    odd[k] = (ix + 1 >= 0 && ix + 1 < w) ? row[ix + 1] : 0.f;
  };
  for (i64 k = 0; k < lo; ++k) checked(k);
  for (i64 k = lo; k < hi; ++k) {
    even[k] = row[ix0 + 2 * k];
    odd[k] = row[ix0 + 2 * k + 1];
  }
  for (i64 k = hi; k <= len; ++k) checked(k);
}

// V[ξ·ldv + c·ld + j] = (Bᵀ d B)[ξ] for tile t0 + j (j < cnt) of channel c, every c < channels.
// Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1].
void input_transform(const float* x, i64 channels, i64 h, i64 w, i64 ph, i64 pw, const Tiling& tl, i64 t0, i64 cnt,
                     float* v, i64 ld, i64 ldv) {
  for_runs(tl, t0, cnt, [&](i64 img, i64 ty, i64 tx0, i64 j0, i64 len) {
    const i64 iy0 = 2 * ty - ph, ix0 = 2 * tx0 - pw;
    for (i64 c = 0; c < channels; ++c) {
      const float* plane = x + (img * channels + c) * h * w;
      float ev[4][kRun + 1], od[4][kRun + 1];
      for (int a = 0; a < 4; ++a) split_row(plane, h, w, iy0 + a, ix0, len, ev[a], od[a]);
      // Results staged in a local array (the compiler vectorises over k only when no store can
      // alias another), then copied out as 16 contiguous runs.
      alignas(64) float res[16][kRun];
      for (i64 k = 0; k < len; ++k) {
        float d[4][4];
        for (int a = 0; a < 4; ++a) {
          d[a][0] = ev[a][k];
          d[a][1] = od[a][k];
          d[a][2] = ev[a][k + 1];
          d[a][3] = od[a][k + 1];
        }
        float s[4][4];
        for (int b = 0; b < 4; ++b) {
          s[0][b] = d[0][b] - d[2][b];
          s[1][b] = d[1][b] + d[2][b];
          s[2][b] = d[2][b] - d[1][b];
          s[3][b] = d[1][b] - d[3][b];
        }
        for (int a = 0; a < 4; ++a) {
          res[a * 4 + 0][k] = s[a][0] - s[a][2];
          res[a * 4 + 1][k] = s[a][1] + s[a][2];
          res[a * 4 + 2][k] = s[a][2] - s[a][1];
          res[a * 4 + 3][k] = s[a][1] - s[a][3];
        }
      }
      float* out = v + c * ld + j0;
      for (int xi = 0; xi < 16; ++xi) std::memcpy(out + xi * ldv, res[xi], sizeof(float) * len);
    }
  });
}

// U[ξ·O·C + o·C + c] = (G g Gᵀ)[ξ] for the 3×3 filter g of (o, c), read at w[(o·C + c)·9] or, for the
// input gradient (transposed and flipped), at w[(c·O + o)·9] reversed.
// G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1].
void filter_transform(const float* w, i64 o_count, i64 c_count, bool transposed_flipped, float* u, i64 o_begin,
                      i64 o_end) {
  const i64 plane = o_count * c_count;
  constexpr i64 kChunk = 64;
  for (i64 o = o_begin; o < o_end; ++o) {
    for (i64 c0 = 0; c0 < c_count; c0 += kChunk) {
      const i64 len = std::min(kChunk, c_count - c0);
      alignas(64) float res[16][kChunk];  // staged so the loop over c vectorises
      for (i64 k = 0; k < len; ++k) {
        const i64 c = c0 + k;
        float g[3][3];
        if (!transposed_flipped) {
          const float* src = w + (o * c_count + c) * 9;
          for (int a = 0; a < 3; ++a)
            for (int b = 0; b < 3; ++b) g[a][b] = src[a * 3 + b];
        } else {
          const float* src = w + (c * o_count + o) * 9;
          for (int a = 0; a < 3; ++a)
            for (int b = 0; b < 3; ++b) g[a][b] = src[(2 - a) * 3 + (2 - b)];
        }
        float q[4][3];
        for (int b = 0; b < 3; ++b) {
          q[0][b] = g[0][b];
          q[1][b] = 0.5f * (g[0][b] + g[1][b] + g[2][b]);
          q[2][b] = 0.5f * (g[0][b] - g[1][b] + g[2][b]);
          q[3][b] = g[2][b];
        }
        for (int a = 0; a < 4; ++a) {
          res[a * 4 + 0][k] = q[a][0];
          res[a * 4 + 1][k] = 0.5f * (q[a][0] + q[a][1] + q[a][2]);
          res[a * 4 + 2][k] = 0.5f * (q[a][0] - q[a][1] + q[a][2]);
          res[a * 4 + 3][k] = q[a][2];
        }
      }
      float* out = u + o * c_count + c0;
      for (int xi = 0; xi < 16; ++xi) std::memcpy(out + xi * plane, res[xi], sizeof(float) * len);
    }
  }
}

// y-tiles = Aᵀ M A (+ bias, relu) for tiles t0.. of every output channel; M[ξ·ldm + o·ld + j].
// Aᵀ = [1 1 1 0; 0 1 −1 −1]. Edge tiles drop the row/column past the output.
void output_transform(const float* m, i64 ld, i64 ldm, i64 o_count, i64 oh, i64 ow, const Tiling& tl, i64 t0,
                      i64 cnt, const Epilogue& ep, float* y) {
  for_runs(tl, t0, cnt, [&](i64 img, i64 ty, i64 tx0, i64 j0, i64 len) {
    const i64 oy = 2 * ty, ox0 = 2 * tx0;
    const int rows = oy + 1 < oh ? 2 : 1;
    const i64 width = std::min<i64>(2 * len, ow - ox0);  // output columns this run covers
    for (i64 o = 0; o < o_count; ++o) {
      const float* src = m + o * ld + j0;
      const float bias = ep.bias ? ep.bias[o] : 0.f;
      alignas(64) float mm[16][kRun];
      for (int xi = 0; xi < 16; ++xi) std::memcpy(mm[xi], src + xi * ldm, sizeof(float) * len);
      alignas(64) float res[2][2][kRun];  // [output row][even/odd column][tile]
      for (i64 k = 0; k < len; ++k) {
        float s[2][4];
        for (int b = 0; b < 4; ++b) {
          s[0][b] = mm[b][k] + mm[4 + b][k] + mm[8 + b][k];
          s[1][b] = mm[4 + b][k] - mm[8 + b][k] - mm[12 + b][k];
        }
        for (int a = 0; a < 2; ++a) {
          const float v0 = s[a][0] + s[a][1] + s[a][2] + bias, v1 = s[a][1] - s[a][2] - s[a][3] + bias;
          res[a][0][k] = v0;
          res[a][1][k] = v1;
        }
      }
      if (ep.relu) {
        for (int a = 0; a < 2; ++a)
          for (int b = 0; b < 2; ++b)
            for (i64 k = 0; k < len; ++k) res[a][b][k] = res[a][b][k] < 0.f ? 0.f : res[a][b][k];
      }
      float* dst = y + ((img * o_count + o) * oh + oy) * ow + ox0;
      for (int a = 0; a < rows; ++a) {
        float* row = dst + a * ow;
        for (i64 q = 0; q < width; ++q) row[q] = res[a][q & 1][q >> 1];
      }
    }
  });
}

// Wdy[ξ·ldv + o·ld + j] = (A e Aᵀ)[ξ] for the 2×2 dy tile e of tile t0 + j (zero past the output).
// A = [1 0; 1 1; 1 −1; 0 −1].
void dy_transform(const float* dy, i64 o_count, i64 oh, i64 ow, const Tiling& tl, i64 t0, i64 cnt, float* v, i64 ld,
                  i64 ldv) {
  for_runs(tl, t0, cnt, [&](i64 img, i64 ty, i64 tx0, i64 j0, i64 len) {
    const i64 oy = 2 * ty, ox0 = 2 * tx0;
    for (i64 o = 0; o < o_count; ++o) {
      const float* plane = dy + (img * o_count + o) * oh * ow;
      float ev[2][kRun + 1], od[2][kRun + 1];
      for (int a = 0; a < 2; ++a) split_row(plane, oh, ow, oy + a, ox0, len, ev[a], od[a]);
      alignas(64) float res[16][kRun];
      for (i64 k = 0; k < len; ++k) {
        const float e00 = ev[0][k], e01 = od[0][k], e10 = ev[1][k], e11 = od[1][k];
        // rows of A e (4×2), then columns of (A e) Aᵀ (4×4).
        const float r[4][2] = {{e00, e01}, {e00 + e10, e01 + e11}, {e00 - e10, e01 - e11}, {-e10, -e11}};
        for (int a = 0; a < 4; ++a) {
          res[a * 4 + 0][k] = r[a][0];
          res[a * 4 + 1][k] = r[a][0] + r[a][1];
          res[a * 4 + 2][k] = r[a][0] - r[a][1];
          res[a * 4 + 3][k] = -r[a][1];
        }
      }
      float* out = v + o * ld + j0;
      for (int xi = 0; xi < 16; ++xi) std::memcpy(out + xi * ldv, res[xi], sizeof(float) * len);
    }
  });
}

// ---- F(2×2) transforms for small maps (ResNet-18's 4² at batch 32: 4 tiles an image), whole images
// at a time: each plane is copied once into a zero-padded local square and its tiles are read from
// there (the row-run transforms above would make runs of 2 tiles, each with its own copies).
constexpr i64 kSmallTiles = 16;  // tiles per image (a map of at most 8 × 8 outputs)

bool small_map(const Tiling& tl) { return tl.ty <= 4 && tl.tx <= 4; }

// V as input_transform writes it, for the tiles of images img0 .. img1 (block column 0 is img0's first).
// kTy, kTx: the tiling's tile rows and columns when known at compile time (0: read from tl).
template <int kTy, int kTx>
void input_transform_small_t(const float* x, i64 channels, i64 h, i64 w, i64 ph, i64 pw, const Tiling& tl, i64 img0,
                             i64 img1, float* v, i64 ld, i64 ldv) {
  const i64 ty = kTy ? kTy : tl.ty, tx = kTx ? kTx : tl.tx;
  const i64 R = 2 * ty + 2, Q = 2 * tx + 2, P = ty * tx;
  // The padded square's border is zero for every plane: set once, then only the inside is copied.
  float pad[(2 * 4 + 2) * (2 * 4 + 2)] = {};
  const i64 rows = std::min(h, R - ph), cols = std::min(w, Q - pw);
  // Channel-major, images inner: each position ξ of a channel is then written as one run of
  // (img1 − img0)·P floats (image-major, the 16 runs of a plane sit ld·C apart — a multiple of 4 KB
  // — and each cache line of V would be filled a piece at a time, evicted in between).
  for (i64 c = 0; c < channels; ++c) {
    for (i64 img = img0; img < img1; ++img) {
      const float* plane = x + (img * channels + c) * h * w;
      for (i64 iy = 0; iy < rows; ++iy)
        for (i64 ix = 0; ix < cols; ++ix) pad[(iy + ph) * Q + ix + pw] = plane[iy * w + ix];
      alignas(64) float res[16][kSmallTiles];
      for (i64 k = 0; k < P; ++k) {
        const float* base = pad + 2 * (k / tx) * Q + 2 * (k % tx);
        float s[4][4];
        for (int b = 0; b < 4; ++b) {
          const float d0 = base[b], d1 = base[Q + b], d2 = base[2 * Q + b], d3 = base[3 * Q + b];
          s[0][b] = d0 - d2;
          s[1][b] = d1 + d2;
          s[2][b] = d2 - d1;
          s[3][b] = d1 - d3;
        }
        for (int a = 0; a < 4; ++a) {
          res[a * 4 + 0][k] = s[a][0] - s[a][2];
          res[a * 4 + 1][k] = s[a][1] + s[a][2];
          res[a * 4 + 2][k] = s[a][2] - s[a][1];
          res[a * 4 + 3][k] = s[a][1] - s[a][3];
        }
      }
      float* out = v + c * ld + (img - img0) * P;
      for (int xi = 0; xi < 16; ++xi)
        for (i64 k = 0; k < P; ++k) out[xi * ldv + k] = res[xi][k];
    }
  }
}

void input_transform_small(const float* x, i64 channels, i64 h, i64 w, i64 ph, i64 pw, const Tiling& tl, i64 img0,
                           i64 img1, float* v, i64 ld, i64 ldv) {
  if (tl.ty == 2 && tl.tx == 2)
    input_transform_small_t<2, 2>(x, channels, h, w, ph, pw, tl, img0, img1, v, ld, ldv);
  else
    input_transform_small_t<0, 0>(x, channels, h, w, ph, pw, tl, img0, img1, v, ld, ldv);
}

// y-tiles as output_transform makes them, for the tiles of images img0 .. img1.
void output_transform_small(const float* m, i64 ld, i64 ldm, i64 o_count, i64 oh, i64 ow, const Tiling& tl, i64 img0,
                            i64 img1, const Epilogue& ep, float* y) {
  const i64 P = tl.per_image;
  for (i64 o = 0; o < o_count; ++o) {  // channel-major, as input_transform_small_t
    for (i64 img = img0; img < img1; ++img) {
      const float* src = m + o * ld + (img - img0) * P;
      const float bias = ep.bias ? ep.bias[o] : 0.f;
      float* dst = y + (img * o_count + o) * oh * ow;
      for (i64 k = 0; k < P; ++k) {
        float mm[16];
        for (int xi = 0; xi < 16; ++xi) mm[xi] = src[xi * ldm + k];
        const i64 oy = 2 * (k / tl.tx), ox = 2 * (k % tl.tx);
        for (int a = 0; a < 2; ++a) {
          if (oy + a >= oh) break;
          float s[4];
          for (int b = 0; b < 4; ++b)
            s[b] = a == 0 ? mm[b] + mm[4 + b] + mm[8 + b] : mm[4 + b] - mm[8 + b] - mm[12 + b];
          float r0 = s[0] + s[1] + s[2] + bias, r1 = s[1] - s[2] - s[3] + bias;
          if (ep.relu) {
            r0 = r0 < 0.f ? 0.f : r0;
            r1 = r1 < 0.f ? 0.f : r1;
          }
          float* row = dst + (oy + a) * ow + ox;
          row[0] = r0;
          if (ox + 1 < ow) row[1] = r1;
        }
      }
    }
  }
}

// Wdy as dy_transform writes it, for the tiles of images img0 .. img1.
template <int kTy, int kTx>
void dy_transform_small_t(const float* dy, i64 o_count, i64 oh, i64 ow, const Tiling& tl, i64 img0, i64 img1, float* v,
                          i64 ld, i64 ldv) {
  const i64 ty = kTy ? kTy : tl.ty, tx = kTx ? kTx : tl.tx;
  const i64 Q = 2 * tx, P = ty * tx;
  float pad[(2 * 4) * (2 * 4)] = {};  // zero past the output (odd sizes), set once
  for (i64 o = 0; o < o_count; ++o) {  // channel-major, as input_transform_small_t
    for (i64 img = img0; img < img1; ++img) {
      const float* plane = dy + (img * o_count + o) * oh * ow;
      for (i64 r = 0; r < oh; ++r)
        for (i64 q = 0; q < ow; ++q) pad[r * Q + q] = plane[r * ow + q];
      alignas(64) float res[16][kSmallTiles];
      for (i64 k = 0; k < P; ++k) {
        const float* base = pad + 2 * (k / tx) * Q + 2 * (k % tx);
        const float e00 = base[0], e01 = base[1], e10 = base[Q], e11 = base[Q + 1];
        const float r[4][2] = {{e00, e01}, {e00 + e10, e01 + e11}, {e00 - e10, e01 - e11}, {-e10, -e11}};
        for (int a = 0; a < 4; ++a) {
          res[a * 4 + 0][k] = r[a][0];
          res[a * 4 + 1][k] = r[a][0] + r[a][1];
          res[a * 4 + 2][k] = r[a][0] - r[a][1];
          res[a * 4 + 3][k] = -r[a][1];
        }
      }
      float* out = v + o * ld + (img - img0) * P;
      for (int xi = 0; xi < 16; ++xi)
        for (i64 k = 0; k < P; ++k) out[xi * ldv + k] = res[xi][k];
    }
  }
}

void dy_transform_small(const float* dy, i64 o_count, i64 oh, i64 ow, const Tiling& tl, i64 img0, i64 img1, float* v,
                        i64 ld, i64 ldv) {
  if (tl.ty == 2 && tl.tx == 2)
    dy_transform_small_t<2, 2>(dy, o_count, oh, ow, tl, img0, img1, v, ld, ldv);
  else
    dy_transform_small_t<0, 0>(dy, o_count, oh, ow, tl, img0, img1, v, ld, ldv);
}

// ---- F(4×4, 3×3): 6×6 input tiles at stride 4, 36 GEMMs, 2.25 multiplies per output and channel
// pair instead of F(2×2)'s 4 (and 36 transformed values per 16 outputs instead of 16 per 4). The
// interpolation points are 0, 1, −1, ½, −2 (and ∞): in float32 simulations of ResNet-sized channel
// sums their rounding error (largest |error| over largest |y|) was 2–4e-6, about a third of the
// usual 0, ±1, ±2's. The three matrices (Bᵀ, G, Aᵀ) are written out in bt6, g3 and at6.
constexpr int kXi4 = 36;

// The F(4×4) transforms are loops over tiles that the compiler vectorises; they are compiled once
// per x86 vector ISA (kIsa: 0 baseline, 1 AVX2 + FMA, 2 AVX-512) and picked by the GEMM's ISA, so a
// forced MGE_CPU_ISA=avx2 run executes no AVX-512 instruction.
#if defined(__x86_64__) && defined(__GNUC__)
#define MGE_TRANSFORM_INLINE inline __attribute__((always_inline))
#define MGE_X86_TRANSFORMS 1
#else
#define MGE_TRANSFORM_INLINE inline
#endif

int transform_isa() {
#if defined(MGE_X86_TRANSFORMS)
  const char* isa = gemm_isa();
  if (std::strcmp(isa, "avx512") == 0) return 2;
  if (std::strcmp(isa, "avx2") == 0) return 1;
#endif
  return 0;
}

constexpr i64 kF4MinTiles = 48;  // per thread (measured on ResNet-18/50 shapes)
// dU is 36·O·C floats per thread slot (transient): F(4×4) filter gradients up to 256 × 256 channels
// (9.4 MB a slot; 1.3–1.4× F(2×2)'s speed there, measured); wider layers use F(2×2)'s 16·O·C.
constexpr i64 kF4FilterMaxOC = 256 * 256;

// The columns ix0 + 4k + q (q < taps: 6 for an input tile, 4 for a dy tile) of tile k < len on row
// iy, in `taps` arrays (zero outside the image), so the transforms below read every operand with
// unit stride.
template <int taps>
MGE_TRANSFORM_INLINE void split_row4(const float* plane, i64 h, i64 w, i64 iy, i64 ix0, i64 len, float* const* cols) {
  if (iy < 0 || iy >= h) {
    for (int q = 0; q < taps; ++q) std::fill(cols[q], cols[q] + len, 0.f);
    return;
  }
  const float* row = plane + iy * w;
  // Tiles [lo, hi) lie inside the row (a run loses at most its first and last tiles to padding).
  const i64 lo = std::min<i64>(len, ix0 >= 0 ? 0 : (-ix0 + 3) / 4);
  const i64 hi = std::max<i64>(lo, std::min<i64>(len, w - taps - ix0 >= 0 ? (w - taps - ix0) / 4 + 1 : 0));
  auto checked = [&](i64 k) {
    for (int q = 0; q < taps; ++q) {
      const i64 ix = ix0 + 4 * k + q;
      cols[q][k] = (ix >= 0 && ix < w) ? row[ix] : 0.f;
    }
  };
  for (i64 k = 0; k < lo; ++k) checked(k);
  i64 k = lo;
#if defined(__x86_64__)
  // Four tiles at a time by 4×4 transposes: columns 0–3 from the tiles' first four values, 4–5 from
  // the transpose of the same tiles read two columns on (which stays inside tile k + 3's six).
  for (; k + 4 <= hi; k += 4) {
    const float* p = row + ix0 + 4 * k;
    __m128 r0 = _mm_loadu_ps(p), r1 = _mm_loadu_ps(p + 4), r2 = _mm_loadu_ps(p + 8), r3 = _mm_loadu_ps(p + 12);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
    _mm_storeu_ps(cols[0] + k, r0);
    _mm_storeu_ps(cols[1] + k, r1);
    _mm_storeu_ps(cols[2] + k, r2);
    _mm_storeu_ps(cols[3] + k, r3);
    if (taps > 4) {
      __m128 s0 = _mm_loadu_ps(p + 2), s1 = _mm_loadu_ps(p + 6), s2 = _mm_loadu_ps(p + 10), s3 = _mm_loadu_ps(p + 14);
      _MM_TRANSPOSE4_PS(s0, s1, s2, s3);
      _mm_storeu_ps(cols[4] + k, s2);
      _mm_storeu_ps(cols[5] + k, s3);
    }
  }
#endif
  for (; k < hi; ++k) {
    const float* p = row + ix0 + 4 * k;
    for (int q = 0; q < taps; ++q) cols[q][k] = p[q];
  }
  for (i64 k = hi; k < len; ++k) checked(k);
}

// t = Bᵀ d for one 6-vector, Bᵀ = [1 −3/2 −2 3/2 1 0; 0 −1 ½ 5/2 1 0; 0 1 −5/2 ½ 1 0;
// 0 −2 −1 2 1 0; 0 ½ −1 −½ 1 0; 0 1 −3/2 −2 3/2 1].
MGE_TRANSFORM_INLINE void bt6(float d0, float d1, float d2, float d3, float d4, float d5, float* t, int st) {
  t[0 * st] = (d0 - d4) + 1.5f * (d3 - d1) - 2.f * (d2 - d4);
  t[1 * st] = (d4 - d1) + 0.5f * d2 + 2.5f * d3;
  t[2 * st] = (d4 + d1) - 2.5f * d2 + 0.5f * d3;
  t[3 * st] = (d4 - d2) + 2.f * (d3 - d1);
  t[4 * st] = (d4 - d2) + 0.5f * (d1 - d3);
  t[5 * st] = (d5 - d3) + (d1 - d3) + 1.5f * (d4 - d2);
}

// V[ξ·ldv + c·ld + j] = (Bᵀ d B)[ξ] for the 6×6 input tile d of tile t0 + j, every channel. Tiles
// go in chunks of kRun across tile rows and images (a 32² map has only 8 tiles a row), and each
// pass of the transform is a loop over the chunk with unit-stride operands (it vectorises).
template <int kIsa>
MGE_TRANSFORM_INLINE void input_transform4_body(const float* x, i64 channels, i64 h, i64 w, i64 ph, i64 pw, const Tiling& tl, i64 t0, i64 cnt,
                      float* __restrict v, i64 ld, i64 ldv) {
  for (i64 j = 0; j < cnt; j += kRun) {
    const i64 len = std::min(kRun, cnt - j);
    for (i64 c = 0; c < channels; ++c) {
      alignas(64) float d[6][6][kRun];  // d[a][q]: column q of input row a of each tile
      for_runs(tl, t0 + j, len, [&](i64 img, i64 ty, i64 tx0, i64 k0, i64 n) {
        const float* plane = x + (img * channels + c) * h * w;
        for (int a = 0; a < 6; ++a) {
          float* cols[6] = {d[a][0] + k0, d[a][1] + k0, d[a][2] + k0, d[a][3] + k0, d[a][4] + k0, d[a][5] + k0};
          split_row4<6>(plane, h, w, 4 * ty - ph + a, 4 * tx0 - pw, n, cols);
        }
      });
      alignas(64) float r[6][6][kRun];  // r[a][q] = (d B)[a][q]
      for (int a = 0; a < 6; ++a)
        for (i64 k = 0; k < len; ++k) bt6(d[a][0][k], d[a][1][k], d[a][2][k], d[a][3][k], d[a][4][k], d[a][5][k], &r[a][0][k], kRun);
      float* out = v + c * ld + j;
      for (int q = 0; q < 6; ++q) {
        alignas(64) float col[6][kRun];  // (Bᵀ d B)[i][q]
        for (i64 k = 0; k < len; ++k) bt6(r[0][q][k], r[1][q][k], r[2][q][k], r[3][q][k], r[4][q][k], r[5][q][k], &col[0][k], kRun);
        for (int i = 0; i < 6; ++i) {
          float* __restrict o = out + (i * 6 + q) * ldv;
          for (i64 k = 0; k < len; ++k) o[k] = col[i][k];
        }
      }
    }
  }
}

// u = G g for one 3-vector, G = [1 0 0; ⅓ ⅓ ⅓; −⅓ ⅓ −⅓; −16/15 −8/15 −4/15; 1/15 −2/15 4/15; 0 0 1].
MGE_TRANSFORM_INLINE void g3(float g0, float g1, float g2, float* u, int st) {
  u[0 * st] = g0;
  constexpr float third = 1.f / 3.f, fifteenth = 1.f / 15.f;
  u[1 * st] = (g0 + g1 + g2) * third;
  u[2 * st] = (g1 - g0 - g2) * third;
  u[3 * st] = -(16.f * g0 + 8.f * g1 + 4.f * g2) * fifteenth;
  u[4 * st] = (g0 - 2.f * g1 + 4.f * g2) * fifteenth;
  u[5 * st] = g2;
}

// U[ξ·O·C + o·C + c] = (G g Gᵀ)[ξ], filters read as filter_transform reads them.
template <int kIsa>
MGE_TRANSFORM_INLINE void filter_transform4_body(const float* w, i64 o_count, i64 c_count, bool transposed_flipped, float* u,
                                                 i64 o_begin, i64 o_end) {
  const i64 plane = o_count * c_count;
  constexpr i64 kChunk = 64;
  for (i64 o = o_begin; o < o_end; ++o) {
    for (i64 c0 = 0; c0 < c_count; c0 += kChunk) {
      const i64 len = std::min(kChunk, c_count - c0);
      alignas(64) float res[36][kChunk];
      for (i64 k = 0; k < len; ++k) {
        const i64 c = c0 + k;
        float g[3][3];
        if (!transposed_flipped) {
          const float* src = w + (o * c_count + c) * 9;
          for (int a = 0; a < 3; ++a)
            for (int b = 0; b < 3; ++b) g[a][b] = src[a * 3 + b];
        } else {
          const float* src = w + (c * o_count + o) * 9;
          for (int a = 0; a < 3; ++a)
            for (int b = 0; b < 3; ++b) g[a][b] = src[(2 - a) * 3 + (2 - b)];
        }
        float q[6][3];
        for (int b = 0; b < 3; ++b) g3(g[0][b], g[1][b], g[2][b], &q[0][b], 3);
        for (int a = 0; a < 6; ++a) {
          float t[6];
          g3(q[a][0], q[a][1], q[a][2], t, 1);
          for (int j = 0; j < 6; ++j) res[a * 6 + j][k] = t[j];
        }
      }
      float* out = u + o * c_count + c0;
      for (int xi = 0; xi < kXi4; ++xi) std::memcpy(out + xi * plane, res[xi], sizeof(float) * len);
    }
  }
}

// o = Aᵀ m for one 6-vector, Aᵀ = [1 1 1 1 1 0; 0 1 −1 ½ −2 0; 0 1 1 ¼ 4 0; 0 1 −1 ⅛ −8 1].
MGE_TRANSFORM_INLINE void at6(float m0, float m1, float m2, float m3, float m4, float m5, float* o, int st) {
  const float a = m1 + m2, b = m1 - m2;
  o[0 * st] = m0 + a + m3 + m4;
  o[1 * st] = b + 0.5f * m3 - 2.f * m4;
  o[2 * st] = a + 0.25f * m3 + 4.f * m4;
  o[3 * st] = b + 0.125f * m3 - 8.f * m4 + m5;
}

// y-tiles = Aᵀ M A (+ bias, relu) for tiles t0.. of every output channel; M[ξ·ldm + o·ld + j]. Chunks
// of kRun tiles across tile rows, as input_transform4.
template <int kIsa>
MGE_TRANSFORM_INLINE void output_transform4_body(const float* m, i64 ld, i64 ldm, i64 o_count, i64 oh, i64 ow, const Tiling& tl, i64 t0,
                       i64 cnt, const Epilogue& ep, float* y) {
  for (i64 j = 0; j < cnt; j += kRun) {
    const i64 len = std::min(kRun, cnt - j);
    for (i64 o = 0; o < o_count; ++o) {
      const float* src = m + o * ld + j;
      const float bias = ep.bias ? ep.bias[o] : 0.f;
      alignas(64) float s[6][4][kRun];  // s[b][i] = (Aᵀ M)[i][b]
      for (int b = 0; b < 6; ++b) {
        const float* p = src + b * ldm;
        for (i64 k = 0; k < len; ++k)
          at6(p[k], p[6 * ldm + k], p[12 * ldm + k], p[18 * ldm + k], p[24 * ldm + k], p[30 * ldm + k], &s[b][0][k], kRun);
      }
      alignas(64) float res[4][4][kRun];  // [output row][column within the tile][tile]
      for (int i = 0; i < 4; ++i) {
        for (i64 k = 0; k < len; ++k) at6(s[0][i][k], s[1][i][k], s[2][i][k], s[3][i][k], s[4][i][k], s[5][i][k], &res[i][0][k], kRun);
        for (int q = 0; q < 4; ++q)
          for (i64 k = 0; k < len; ++k) res[i][q][k] += bias;
      }
      if (ep.relu) {
        for (int a = 0; a < 4; ++a)
          for (int b = 0; b < 4; ++b)
            for (i64 k = 0; k < len; ++k) res[a][b][k] = res[a][b][k] < 0.f ? 0.f : res[a][b][k];
      }
      for_runs(tl, t0 + j, len, [&](i64 img, i64 ty, i64 tx0, i64 k0, i64 n) {
        const i64 oy = 4 * ty, ox0 = 4 * tx0;
        const i64 rows = std::min<i64>(4, oh - oy);
        const i64 width = std::min<i64>(4 * n, ow - ox0);
        float* dst = y + ((img * o_count + o) * oh + oy) * ow + ox0;
        for (i64 a = 0; a < rows; ++a) {
          float* row = dst + a * ow;
          for (i64 q = 0; q < width; ++q) row[q] = res[a][q & 3][k0 + (q >> 2)];
        }
      });
    }
  }
}

// ---- F(4×4, 3×3) filter gradient: dU[ξ] = Σ_tiles (A e Aᵀ)[ξ] · V[ξ]ᵀ over 4×4 dy tiles e, then
// dg = Gᵀ dU G (the adjoint of the forward's transforms).

// t = A e for one 4-vector (A = (Aᵀ)ᵀ, 6×4).
MGE_TRANSFORM_INLINE void a4(float e0, float e1, float e2, float e3, float* t, int st) {
  t[0 * st] = e0;
  t[1 * st] = (e0 + e2) + (e1 + e3);
  t[2 * st] = (e0 + e2) - (e1 + e3);
  t[3 * st] = e0 + 0.5f * e1 + 0.25f * e2 + 0.125f * e3;
  t[4 * st] = e0 - 2.f * e1 + 4.f * e2 - 8.f * e3;
  t[5 * st] = e3;
}

// E[ξ·ldv + o·ld + j] = (A e Aᵀ)[ξ] for the 4×4 dy tile e of tile t0 + j (zero past the output).
template <int kIsa>
MGE_TRANSFORM_INLINE void dy_transform4_body(const float* dy, i64 o_count, i64 oh, i64 ow, const Tiling& tl, i64 t0, i64 cnt,
                   float* __restrict v, i64 ld, i64 ldv) {
  for (i64 j = 0; j < cnt; j += kRun) {
    const i64 len = std::min(kRun, cnt - j);
    for (i64 o = 0; o < o_count; ++o) {
      alignas(64) float e[4][4][kRun];
      for_runs(tl, t0 + j, len, [&](i64 img, i64 ty, i64 tx0, i64 k0, i64 n) {
        const float* plane = dy + (img * o_count + o) * oh * ow;
        for (int a = 0; a < 4; ++a) {
          float* cols[4] = {e[a][0] + k0, e[a][1] + k0, e[a][2] + k0, e[a][3] + k0};
          split_row4<4>(plane, oh, ow, 4 * ty + a, 4 * tx0, n, cols);
        }
      });
      alignas(64) float r[4][6][kRun];  // r[a] = (e Aᵀ)[a]: row a transformed along the row
      for (int a = 0; a < 4; ++a)
        for (i64 k = 0; k < len; ++k) a4(e[a][0][k], e[a][1][k], e[a][2][k], e[a][3][k], &r[a][0][k], kRun);
      float* out = v + o * ld + j;
      for (int q = 0; q < 6; ++q) {
        alignas(64) float col[6][kRun];
        for (i64 k = 0; k < len; ++k) a4(r[0][q][k], r[1][q][k], r[2][q][k], r[3][q][k], &col[0][k], kRun);
        for (int i = 0; i < 6; ++i) {
          float* __restrict dst = out + (i * 6 + q) * ldv;
          for (i64 k = 0; k < len; ++k) dst[k] = col[i][k];
        }
      }
    }
  }
}

// h = Gᵀ u for one 6-vector.
inline void gt6(float u0, float u1, float u2, float u3, float u4, float u5, float* h, int st) {
  const float p = (u1 + u2) / 3.f, m = (u1 - u2) / 3.f;
  h[0 * st] = u0 + m - (16.f * u3 - u4) / 15.f;
  h[1 * st] = p - (8.f * u3 + 2.f * u4) / 15.f;
  h[2 * st] = m - (4.f * u3 - 4.f * u4) / 15.f + u5;
}

// Per-ISA instances of the F(4×4) transforms (see transform_isa).
#if defined(MGE_X86_TRANSFORMS)
#define MGE_AVX512_TARGET __attribute__((target("avx512f,avx2,fma")))  // what gemm.cc checks for its avx512 path
#define MGE_AVX2_TARGET __attribute__((target("avx2,fma")))
#define MGE_TRANSFORM_VARIANTS(name, params, args)                        \
  MGE_AVX512_TARGET void name##_avx512 params { name##_body<2> args; } \
  MGE_AVX2_TARGET void name##_avx2 params { name##_body<1> args; }     \
  void name params {                                                  \
    switch (transform_isa()) {                                        \
      case 2:                                                         \
        return name##_avx512 args;                                    \
      case 1:                                                         \
        return name##_avx2 args;                                      \
      default:                                                        \
        return name##_body<0> args;                                   \
    }                                                                 \
  }
#else
#define MGE_TRANSFORM_VARIANTS(name, params, args) \
  void name params { name##_body<0> args; }
#endif

MGE_TRANSFORM_VARIANTS(input_transform4,
                       (const float* x, i64 channels, i64 h, i64 w, i64 ph, i64 pw, const Tiling& tl, i64 t0, i64 cnt,
                        float* v, i64 ld, i64 ldv),
                       (x, channels, h, w, ph, pw, tl, t0, cnt, v, ld, ldv))
MGE_TRANSFORM_VARIANTS(output_transform4,
                       (const float* m, i64 ld, i64 ldm, i64 o_count, i64 oh, i64 ow, const Tiling& tl, i64 t0,
                        i64 cnt, const Epilogue& ep, float* y),
                       (m, ld, ldm, o_count, oh, ow, tl, t0, cnt, ep, y))
MGE_TRANSFORM_VARIANTS(filter_transform4,
                       (const float* w, i64 o_count, i64 c_count, bool transposed_flipped, float* u, i64 o_begin,
                        i64 o_end),
                       (w, o_count, c_count, transposed_flipped, u, o_begin, o_end))
MGE_TRANSFORM_VARIANTS(dy_transform4,
                       (const float* dy, i64 o_count, i64 oh, i64 ow, const Tiling& tl, i64 t0, i64 cnt, float* v,
                        i64 ld, i64 ldv),
                       (dy, o_count, oh, ow, tl, t0, cnt, v, ld, ldv))

// Runs fn(thread slot, block) over the blocks: split over the pool when there are enough blocks,
// else on this thread (whose GEMMs then use the pool themselves).
// The products of the transform points: one GEMM shape, point xi's A, B and C starting xi steps
// further along their buffers.
struct PointGemms {
  i64 m, n, k;
  const float* a;
  i64 lda, a_step;
  const float* b;
  i64 ldb, b_step;
  float* c;
  i64 ldc, c_step;
  bool trans_b = false, accumulate = false;

  void run(i64 x0, i64 x1) const {
    Gemm g;
    g.trans_b = trans_b;
    g.accumulate = accumulate;
    g.m = m;
    g.n = n;
    g.k = k;
    g.lda = lda;
    g.ldb = ldb;
    g.ldc = ldc;
    for (i64 xi = x0; xi < x1; ++xi) {
      g.a = a + xi * a_step;
      g.b = b + xi * b_step;
      g.c = c + xi * c_step;
      sgemm(g);
    }
  }
};

template <class F>
void for_blocks(i64 blocks, F&& fn) {
  const i64 parts = in_parallel_region() ? 1 : std::min<i64>(num_threads(), blocks);
  if (parts <= 1) {
    for (i64 b = 0; b < blocks; ++b) fn(0, b);
    return;
  }
  parallel_tasks(static_cast<int>(parts), [&](int t) {
    for (i64 b = t; b < blocks; b += parts) fn(t, b);
  });
}

// y = conv(x, filters transformed into u) by F(m×m, 3×3), m = 2 or 4; x has `c` channels, y `o`.
void forward_with(int m4, const float* x, const float* u, float* y, i64 n, i64 c, i64 h, i64 w, i64 o, i64 oh, i64 ow,
                  i64 ph, i64 pw, const Epilogue& ep) {
  const int xis = m4 ? kXi4 : kXi;
  const Tiling tl = tiling(n, oh, ow, m4 ? 4 : 2);
  // 64-channel layers (ResNet-18's 32² stage) in blocks of 64 tiles (V and M 1.2 MB, within L2): 7–8 %
  // faster there than 224-tile blocks (measured, 1 thread); wider layers keep the larger budget.
  const i64 budget = c + o <= 128 ? i64(1) << 18 : i64(1) << 20;
  const i64 T = block_tiles(c, o, tl.total, budget, xis);
  const i64 blocks = (tl.total + T - 1) / T;
  for_blocks(blocks, [&](i64, i64 blk) {
    const i64 t0 = blk * T, cnt = std::min(T, tl.total - t0);
    float* v = arena(0, static_cast<std::size_t>(xis * c * T));
    float* mm = arena(1, static_cast<std::size_t>(xis * o * T));
    if (m4)
      input_transform4(x, c, h, w, ph, pw, tl, t0, cnt, v, T, c * T);
    else
      input_transform(x, c, h, w, ph, pw, tl, t0, cnt, v, T, c * T);
    const PointGemms pg{o, cnt, c, u, c, o * c, v, T, c * T, mm, T, o * T};
    pg.run(0, xis);
    if (m4)
      output_transform4(mm, T, o * T, o, oh, ow, tl, t0, cnt, ep, y);
    else
      output_transform(mm, T, o * T, o, oh, ow, tl, t0, cnt, ep, y);
  });
}

// F(4×4) where the layer has enough 4×4 tiles of its own. (In the forward and input gradient that is
// every layer Winograd takes; their F(2×2) path remains for MGE_CONV_WINOGRAD_F2=1, an A/B knob that
// test:isa runs the PyTorch goldens under.)
int use_f4(i64 n, i64 oh, i64 ow) {
#if !defined(__wasm__)
  static const bool f2_only = std::getenv("MGE_CONV_WINOGRAD_F2") != nullptr;  // developer knob for A/B runs
  if (f2_only) return 0;
#endif
  return tiling(n, oh, ow, 4).total >= kF4MinTiles * std::max(1, num_threads());
}

// fn(begin, end) over [0, count) split into one contiguous range per thread (on this thread alone
// inside a parallel region or when count < 2).
template <class F>
void split_range(i64 count, F&& fn) {
  const i64 parts = in_parallel_region() ? 1 : std::min<i64>(num_threads(), count);
  if (parts <= 1) {
    if (count > 0) fn(i64(0), count);
    return;
  }
  parallel_tasks(static_cast<int>(parts), [&](int t) { fn(count * t / parts, count * (t + 1) / parts); });
}

// The transformed filters, in this thread's work area 3 (read by the pool only during this call).
const float* transformed_filters(int m4, const float* w, i64 o, i64 c, bool transposed_flipped) {
  float* u = arena(3, static_cast<std::size_t>((m4 ? kXi4 : kXi) * o * c));
  split_range(o, [&](i64 o0, i64 o1) {
    if (m4)
      filter_transform4(w, o, c, transposed_flipped, u, o0, o1);
    else
      filter_transform(w, o, c, transposed_flipped, u, o0, o1);
  });
  return u;
}

// Layers with few tiles and many channels (ResNet-18's 8² and 4² maps at batch 32: 128 tiles of 256
// or 512 channels) run as one block holding every tile, and the threads share out each phase instead
// of taking blocks: tiles for the transforms, positions ξ for the GEMMs. Each transformed filter is
// then packed once per call, not once per block and thread, and the GEMMs are as wide as the batch.
constexpr i64 kOneBlockMaxTiles = 256;
constexpr i64 kOneBlockMinTiles = 64;
constexpr i64 kOneBlockMinChannels = 128;

bool one_block(i64 total, i64 c, i64 o) {
#if !defined(__wasm__)
  static const bool off = std::getenv("MGE_CONV_NO_ONE_BLOCK") != nullptr;  // developer knob for A/B runs
  if (off) return false;
#endif
  return total >= kOneBlockMinTiles && total <= kOneBlockMaxTiles && c >= kOneBlockMinChannels &&
         o >= kOneBlockMinChannels;
}

void forward_one_block(int m4, const float* x, const float* u, float* y, i64 n, i64 c, i64 h, i64 w, i64 o, i64 oh,
                       i64 ow, i64 ph, i64 pw, const Epilogue& ep) {
  const int xis = m4 ? kXi4 : kXi;
  const Tiling tl = tiling(n, oh, ow, m4 ? 4 : 2);
  const i64 T = tl.total;
  float* v = arena(0, static_cast<std::size_t>(xis * c * T));
  float* mm = arena(1, static_cast<std::size_t>(xis * o * T));
  const i64 P = tl.per_image;
  const bool small = !m4 && small_map(tl);
  split_range(n, [&](i64 i0, i64 i1) {
    const i64 t0 = i0 * P, cnt = (i1 - i0) * P;
    if (m4)
      input_transform4(x, c, h, w, ph, pw, tl, t0, cnt, v + t0, T, c * T);
    else if (small)
      input_transform_small(x, c, h, w, ph, pw, tl, i0, i1, v + t0, T, c * T);
    else
      input_transform(x, c, h, w, ph, pw, tl, t0, cnt, v + t0, T, c * T);
  });
  const PointGemms pg{o, T, c, u, c, o * c, v, T, c * T, mm, T, o * T};
  split_range(xis, [&](i64 x0, i64 x1) { pg.run(x0, x1); });
  split_range(n, [&](i64 i0, i64 i1) {
    const i64 t0 = i0 * P, cnt = (i1 - i0) * P;
    if (m4)
      output_transform4(mm + t0, T, o * T, o, oh, ow, tl, t0, cnt, ep, y);
    else if (small)
      output_transform_small(mm + t0, T, o * T, o, oh, ow, tl, i0, i1, ep, y);
    else
      output_transform(mm + t0, T, o * T, o, oh, ow, tl, t0, cnt, ep, y);
  });
}

// The Winograd path of a forward (or input gradient, as a forward) with `c` input and `o` output
// channels: F(4×4) when the layer has enough 4×4 tiles, else F(2×2); one block when the tiles are few.
void forward_any(const float* x, const float* w, bool transposed_flipped, float* y, i64 n, i64 c, i64 h, i64 wd,
                 i64 o, i64 oh, i64 ow, i64 ph, i64 pw, const Epilogue& ep) {
  const int m4 = use_f4(n, oh, ow);
  const float* u = transformed_filters(m4, w, o, c, transposed_flipped);
  if (n > 1 && one_block(tiling(n, oh, ow, m4 ? 4 : 2).total, c, o))
    forward_one_block(m4, x, u, y, n, c, h, wd, o, oh, ow, ph, pw, ep);
  else
    forward_with(m4, x, u, y, n, c, h, wd, o, oh, ow, ph, pw, ep);
}

// dg = Gᵀ dU G for the filters oc0 .. oc1 (o·C + c) of a plane of O·C; dU[ξ·plane + oc].
void filters_from_du(int m4, const float* du, i64 plane, float* dw, i64 oc0, i64 oc1) {
  if (m4) {
    for (i64 oc = oc0; oc < oc1; ++oc) {
      float hh[3][6];
      for (int b = 0; b < 6; ++b) {
        const float* u = du + b * plane + oc;
        gt6(u[0], u[6 * plane], u[12 * plane], u[18 * plane], u[24 * plane], u[30 * plane], &hh[0][b], 6);
      }
      float* g = dw + oc * 9;
      for (int a = 0; a < 3; ++a) gt6(hh[a][0], hh[a][1], hh[a][2], hh[a][3], hh[a][4], hh[a][5], g + a * 3, 1);
    }
    return;
  }
  // Gᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ 1].
  for (i64 oc = oc0; oc < oc1; ++oc) {
    float uu[4][4];
    for (int a = 0; a < 4; ++a)
      for (int b = 0; b < 4; ++b) uu[a][b] = du[(a * 4 + b) * plane + oc];
    float hh[3][4];
    for (int b = 0; b < 4; ++b) {
      hh[0][b] = uu[0][b] + 0.5f * (uu[1][b] + uu[2][b]);
      hh[1][b] = 0.5f * (uu[1][b] - uu[2][b]);
      hh[2][b] = 0.5f * (uu[1][b] + uu[2][b]) + uu[3][b];
    }
    float* g = dw + oc * 9;
    for (int a = 0; a < 3; ++a) {
      g[a * 3 + 0] = hh[a][0] + 0.5f * (hh[a][1] + hh[a][2]);
      g[a * 3 + 1] = 0.5f * (hh[a][1] - hh[a][2]);
      g[a * 3 + 2] = 0.5f * (hh[a][1] + hh[a][2]) + hh[a][3];
    }
  }
}

// The filter gradient of a few-tile layer as one block (see one_block): dU[ξ] is one GEMM over every
// tile, written once (no per-thread copies to add).
void backward_filter_one_block(int m4, const float* x, const float* dy, float* dw, const ConvParams& p) {
  const i64 c = p.c, o = p.o;
  const int xis = m4 ? kXi4 : kXi;
  const Tiling tl = tiling(p.n, p.oh, p.ow, m4 ? 4 : 2);
  const i64 T = tl.total;
  const i64 plane = o * c;
  float* v = arena(0, static_cast<std::size_t>(xis * c * T));
  float* e = arena(1, static_cast<std::size_t>(xis * o * T));
  // dU is written whole by the GEMMs (no accumulation), kept in a work area like V and E.
  float* du = arena(2, static_cast<std::size_t>(xis * plane));
  const i64 P = tl.per_image;
  const bool small = !m4 && small_map(tl);
  split_range(p.n, [&](i64 i0, i64 i1) {
    const i64 t0 = i0 * P, cnt = (i1 - i0) * P;
    if (m4) {
      input_transform4(x, c, p.h, p.w, p.ph, p.pw, tl, t0, cnt, v + t0, T, c * T);
      dy_transform4(dy, o, p.oh, p.ow, tl, t0, cnt, e + t0, T, o * T);
    } else if (small) {
      input_transform_small(x, c, p.h, p.w, p.ph, p.pw, tl, i0, i1, v + t0, T, c * T);
      dy_transform_small(dy, o, p.oh, p.ow, tl, i0, i1, e + t0, T, o * T);
    } else {
      input_transform(x, c, p.h, p.w, p.ph, p.pw, tl, t0, cnt, v + t0, T, c * T);
      dy_transform(dy, o, p.oh, p.ow, tl, t0, cnt, e + t0, T, o * T);
    }
  });
  const PointGemms pg{o, c, T, e, T, o * T, v, T, c * T, du, c, plane, true};
  split_range(xis, [&](i64 x0, i64 x1) { pg.run(x0, x1); });
  split_range(plane, [&](i64 oc0, i64 oc1) { filters_from_du(m4, du, plane, dw, oc0, oc1); });
}

}  // namespace

bool winograd_fits(const ConvParams& p) {
#if !defined(__wasm__)  // (the wasm module imports no environment)
  static const bool disabled = std::getenv("MGE_CONV_NO_WINOGRAD") != nullptr;  // developer knob for A/B runs
  if (disabled) return false;
#endif
  if (p.kh != 3 || p.kw != 3 || p.sh != 1 || p.sw != 1 || p.dh != 1 || p.dw != 1 || p.groups != 1) return false;
  if (p.ph > 2 || p.pw > 2 || p.oh != p.h + 2 * p.ph - 2 || p.ow != p.w + 2 * p.pw - 2) return false;
  if (p.oh < 2 || p.ow < 2) return false;
  // Few channels make GEMMs too thin to beat im2col (and LeNet-sized layers use direct kernels).
  return p.c >= 16 && p.o >= 16;
}

// Forward and input gradient: with few output tiles (ResNet-50's 14² and 7² maps at batch 1, a
// 4² map at batch 32) the blocks are too narrow for the per-block filter packing to pay, and
// im2col's one deep GEMM is faster (measured).
bool winograd_forward_fits(const ConvParams& p) {
  if (!winograd_fits(p)) return false;
  const i64 f2_tiles = tiling(p.n, p.oh, p.ow).total;
  return f2_tiles >= 256 * std::max(1, num_threads()) || use_f4(p.n, p.oh, p.ow) ||
         (p.n > 1 && one_block(f2_tiles, p.c, p.o));
}

bool winograd_filter_fits(const ConvParams& p) {
  // dU is 16·O·C (F(2×2)) or 36·O·C (F(4×4)) floats per thread: at most 256 channels in and out. The
  // 512-channel layers gain little here (measured) and would hold 16–38 MB per thread.
  if (!winograd_fits(p)) return false;
  const i64 f2_tiles = tiling(p.n, p.oh, p.ow).total;
  return f2_tiles >= 64 && (p.o * p.c <= 256 * 256 || (p.n > 1 && one_block(f2_tiles, p.c, p.o)));
}

void winograd_conv2d(const float* x, const float* w, float* y, const ConvParams& p, const Epilogue& ep) {
  forward_any(x, w, false, y, p.n, p.c, p.h, p.w, p.o, p.oh, p.ow, p.ph, p.pw, ep);
}

void winograd_conv2d_backward_input(const float* dy, const float* w, float* dx, const ConvParams& p) {
  forward_any(dy, w, true, dx, p.n, p.o, p.oh, p.ow, p.c, p.h, p.w, 2 - p.ph, 2 - p.pw, Epilogue{});
}

void winograd_conv2d_backward_filter(const float* x, const float* dy, float* dw, const ConvParams& p) {
  const i64 c = p.c, o = p.o;
  const int m4 = use_f4(p.n, p.oh, p.ow) && o * c <= kF4FilterMaxOC;
  if (p.n > 1 && one_block(tiling(p.n, p.oh, p.ow, m4 ? 4 : 2).total, c, o)) {
    backward_filter_one_block(m4, x, dy, dw, p);
    return;
  }
  const int xis = m4 ? kXi4 : kXi;
  const Tiling tl = tiling(p.n, p.oh, p.ow, m4 ? 4 : 2);
  const i64 T = block_tiles(c, o, tl.total, i64(1) << 18, xis);
  const i64 blocks = (tl.total + T - 1) / T;
  const i64 parts = in_parallel_region() ? 1 : std::min<i64>(num_threads(), blocks);
  const i64 usize = xis * o * c;
  // dU per thread slot, summed at the end.
  std::vector<float> du(static_cast<std::size_t>(parts * usize), 0.f);
  for_blocks(blocks, [&](i64 slot, i64 blk) {
    const i64 t0 = blk * T, cnt = std::min(T, tl.total - t0);
    float* v = arena(0, static_cast<std::size_t>(xis * c * T));
    float* e = arena(1, static_cast<std::size_t>(xis * o * T));
    if (m4) {
      input_transform4(x, c, p.h, p.w, p.ph, p.pw, tl, t0, cnt, v, T, c * T);
      dy_transform4(dy, o, p.oh, p.ow, tl, t0, cnt, e, T, o * T);
    } else {
      input_transform(x, c, p.h, p.w, p.ph, p.pw, tl, t0, cnt, v, T, c * T);
      dy_transform(dy, o, p.oh, p.ow, tl, t0, cnt, e, T, o * T);
    }
    float* acc = du.data() + slot * usize;
    const PointGemms pg{o, c, cnt, e, T, o * T, v, T, c * T, acc, c, o * c, true, true};
    pg.run(0, xis);
  });
  float* total = du.data();
  for (i64 s = 1; s < parts; ++s) {
    const float* src = du.data() + s * usize;
    for (i64 i = 0; i < usize; ++i) total[i] += src[i];
  }
  filters_from_du(m4, total, o * c, dw, 0, o * c);
}

}  // namespace mge
