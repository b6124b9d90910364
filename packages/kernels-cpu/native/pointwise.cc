// The pre-packed 1×1 convolution (pointwise.h). The portable tile (GCC vectors of 4 floats:
// SSE2 on x86-64, NEON on aarch64) is instantiated here; the AVX2 and AVX-512 ones in their own
// translation units. The tile in use follows the GEMM's ISA (MGE_CPU_ISA / set_gemm_isa).
#include "pointwise.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "gemm.h"
#include "pointwise_simd.h"
#include "thread_pool.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

MGE_POINTWISE_ENTRY(portable)

namespace mge {
namespace {

struct Kernel {
  int id;  // written into the packed header: a filter packed for one tile is not read by another
  int mr, nr;
  i64 kc;  // K block: a packed B panel (kc × nr floats) stays within L1 (shared by a sibling thread)
  mge_pw::TileFn fn;
  mge_pw::DirectTileFn direct;
  int gemv_width;  // output features per block of a packed linear weight
  mge_pw::GemvFn gemv;
};

const Kernel kPortable{1, 4, 8, 1024, mge_pointwise_tile_portable, mge_pointwise_tile_direct_portable, 32, mge_gemv_block_portable};
#if defined(__x86_64__)
const Kernel kAvx2{2, 6, 16, 512, mge_pointwise_tile_avx2, mge_pointwise_tile_direct_avx2, 64, mge_gemv_block_avx2};
const Kernel kAvx512{3, 12, 32, 128, mge_pointwise_tile_avx512, mge_pointwise_tile_direct_avx512, 128, mge_gemv_block_avx512};
#endif

const Kernel& kernel() {
#if defined(__x86_64__)
  const char* isa = gemm_isa();
  if (std::strcmp(isa, "avx512") == 0) return kAvx512;
  if (std::strcmp(isa, "avx2") == 0) return kAvx2;
#endif
  return kPortable;
}

// Header of a packed filter: magic, tile id, o, c (as int32 bit patterns), then zeros.
constexpr i64 kHeader = 16;
constexpr std::int32_t kMagic = 0x3250474d;        // "MGP2" (K-block-major panels)
constexpr std::int32_t kLinearMagic = 0x3156474d;  // "MGV1"

std::int32_t header_int(const float* h, int i) {
  std::int32_t v;
  std::memcpy(&v, h + i, sizeof(v));
  return v;
}
void set_header_int(float* h, int i, std::int32_t v) { std::memcpy(h + i, &v, sizeof(v)); }

struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};

// Per-thread buffer for packed panels of x, grown on demand and kept for the thread's life.
float* bscratch(std::size_t floats) {
  thread_local std::unique_ptr<float, AlignedFree> buf;
  thread_local std::size_t cap = 0;
  if (cap < floats) {
    const std::size_t bytes = ((floats * sizeof(float) + 63) / 64) * 64;
    void* p = std::aligned_alloc(64, bytes);
    if (!p) throw std::bad_alloc();
    buf.reset(static_cast<float*>(p));
    cap = floats;
  }
  return buf.get();
}

// Packs rows [p0, p0 + kc) × columns [j0, j1) of x [c, hw] into nr-wide panels (kc × nr each,
// zero-padded past j1).
void pack_x(const float* x, i64 hw, int nr, i64 p0, i64 kc, i64 j0, i64 j1, float* dst) {
  for (i64 j = j0; j < j1; j += nr) {
    const i64 cols = std::min<i64>(nr, j1 - j);
    const float* src = x + p0 * hw + j;
    if (cols == nr) {
      for (i64 p = 0; p < kc; ++p) std::memcpy(dst + p * nr, src + p * hw, sizeof(float) * nr);
    } else {
      for (i64 p = 0; p < kc; ++p) {
        std::memcpy(dst + p * nr, src + p * hw, sizeof(float) * cols);
        std::memset(dst + p * nr + cols, 0, sizeof(float) * (nr - cols));
      }
    }
    dst += nr * kc;
  }
}

// Offset in a packed filter (o rows, c columns) of row panel ip's K block starting at pc.
inline i64 panel_offset(const Kernel& k, i64 o, i64 c, i64 ip, i64 pc) {
  const i64 mpad = (o + k.mr - 1) / k.mr * k.mr;
  return pc * mpad + ip * k.mr * std::min(k.kc, c - pc);
}

struct Layer {
  const Kernel* k;
  const float* a;  // packed panels, past the header
  const float* x;
  float* y;
  i64 c, hw, o;
  const Epilogue* ep;
  int act;
};

// Row panels [ip0, ip1) × column panels [jp0, jp1) of image img, K block [pc, pc + kc), with
// those column panels packed at bp (panel jp at bp + (jp − jp0)·nr·kc), or read from x where it
// lies when bp is null.
void run_block(const Layer& L, i64 img, i64 pc, i64 kc, const float* bp, i64 ip0, i64 ip1, i64 jp0, i64 jp1) {
  const Kernel& k = *L.k;
  const bool last = pc + kc >= L.c;
  float* y = L.y + img * L.o * L.hw;
  const float* x = L.x + (img * L.c + pc) * L.hw;
  auto one = [&](i64 ip, i64 jp) {
    const float* b = bp ? bp + (jp - jp0) * k.nr * kc : x + jp * k.nr;
    const int cols = static_cast<int>(std::min<i64>(k.nr, L.hw - jp * k.nr));
    const int rows = static_cast<int>(std::min<i64>(k.mr, L.o - ip * k.mr));
    float* c = y + ip * k.mr * L.hw + jp * k.nr;
    mge_pw::Finish fin{L.ep->bias ? L.ep->bias + ip * k.mr : nullptr,
                       L.ep->residual ? L.ep->residual + (c - L.ep->out) : nullptr, L.act};
    const float* a = L.a + panel_offset(k, L.o, L.c, ip, pc);
    if (bp) k.fn(kc, a, b, c, L.hw, rows, cols, pc > 0 ? 1 : 0, last ? &fin : nullptr);
    else k.direct(kc, a, b, L.hw, c, L.hw, rows, cols, pc > 0 ? 1 : 0, last ? &fin : nullptr);
  };
  // A row panel sweeps the block's columns, so each output (and residual) row is written as one
  // contiguous run the prefetchers follow, page after page, rather than 32 floats in each of MR
  // pages per tile. The block's columns of x (packed or not) stay in L2, the row panel in L1.
  for (i64 ip = ip0; ip < ip1; ++ip)
    for (i64 jp = jp0; jp < jp1; ++jp) one(ip, jp);
}

// Below this many multiply-adds a second thread costs more than it saves.
constexpr i64 kParallelMacs = i64(1) << 18;
// Column panels per task when the split is over N.
constexpr i64 kTaskPanels = 8;
// Floats of packed x per column block and K block (512 KB: in L2 beside the filter's panels).
constexpr i64 kBlockFloats = i64(1) << 17;
// The row path's bands (rowconv_conv2d): columns wanted, and the patches' cap in floats.
constexpr i64 kBandCols = 96;
constexpr i64 kBandFloats = i64(1) << 18;

}  // namespace

i64 pointwise_packed_length(i64 o, i64 c) {
  const Kernel& k = kernel();
  return kHeader + (o + k.mr - 1) / k.mr * k.mr * c;
}

void pointwise_pack(const float* w, i64 o, i64 c, float* dst) {
  const Kernel& k = kernel();
  std::memset(dst, 0, sizeof(float) * kHeader);
  set_header_int(dst, 0, kMagic);
  set_header_int(dst, 1, k.id);
  set_header_int(dst, 2, static_cast<std::int32_t>(o));
  set_header_int(dst, 3, static_cast<std::int32_t>(c));
  // K-block-major (panel_offset): a layer's sweep over the row panels of one K block reads
  // the filter as one sequential stream, which the prefetchers follow from memory
  float* a = dst + kHeader;
  for (i64 pc = 0; pc < c; pc += k.kc) {
    const i64 kc = std::min(k.kc, c - pc);
    for (i64 i0 = 0; i0 < o; i0 += k.mr) {
      const i64 rows = std::min<i64>(k.mr, o - i0);
      for (i64 p = 0; p < kc; ++p) {
        float* d = a + p * k.mr;
        for (i64 i = 0; i < rows; ++i) d[i] = w[(i0 + i) * c + pc + p];
        for (i64 i = rows; i < k.mr; ++i) d[i] = 0.f;
      }
      a += k.mr * kc;
    }
  }
}

int pointwise_packed_check(const float* packed, i64 len, i64 o, i64 c) {
  if (len < kHeader || header_int(packed, 0) != kMagic || header_int(packed, 2) != o || header_int(packed, 3) != c)
    return -1;
  const int id = header_int(packed, 1);
  if (id != kernel().id) return id >= 1 && id <= 3 ? 0 : -1;
  return len == pointwise_packed_length(o, c) ? 1 : -1;
}

void pointwise_conv2d(const float* x, const float* packed, float* y, i64 n, i64 c, i64 hw, i64 o, const Epilogue& ep) {
  if (n == 0 || hw == 0 || o == 0) return;
  const Kernel& k = kernel();
  const Act act = ep.act != Act::kNone ? ep.act : (ep.relu ? Act::kRelu : Act::kNone);
  if (c == 0) {
    // no input channels: the sums are 0 and the epilogue is all there is
    for (i64 i = 0; i < n; ++i) {
      std::memset(y + i * o * hw, 0, sizeof(float) * o * hw);
      apply_epilogue(ep, y + i * o * hw, hw, 0, 0, o, hw);
    }
    return;
  }
  const Layer L{&k, packed + kHeader, x, y, c, hw, o, &ep, static_cast<int>(act)};
  const i64 mpanels = (o + k.mr - 1) / k.mr, npanels = (hw + k.nr - 1) / k.nr;
  const int threads = in_parallel_region() || n * o * c * hw < kParallelMacs ? 1 : num_threads();
  // Column blocks as wide as keep a K block of packed x within kBlockFloats (L2), at least
  // kTaskPanels panels: a row panel's sweep then writes each output row in runs of 1–32 KB, which
  // the prefetchers follow, where 256-column blocks left 1 KB runs in as many rows as the layer
  // has channels. Evenly sized, at least two per thread, a multiple of the threads.
  const i64 per = std::max<i64>(kTaskPanels, kBlockFloats / (std::min(k.kc, c) * k.nr));
  i64 cblocks = (npanels + per - 1) / per;
  if (threads > 1) {
    cblocks = std::max(cblocks, std::min<i64>(npanels, 2 * threads));
    cblocks = std::min(npanels, (cblocks + threads - 1) / threads * threads);
  }
  if (threads == 1 || n * cblocks >= 2 * threads) {
    // Split over images and column blocks: each task packs its own columns of x, K block by K block.
    const i64 tasks = n * cblocks;
    parallel_tasks(static_cast<int>(tasks), [&](int t) {
      const i64 img = t / cblocks, cb = t % cblocks;
      const i64 jp0 = npanels * cb / cblocks, jp1 = npanels * (cb + 1) / cblocks;
      if (jp1 <= jp0) return;
      float* bp = bscratch(static_cast<std::size_t>(std::min(k.kc, c) * (jp1 - jp0) * k.nr));
      for (i64 pc = 0; pc < c; pc += k.kc) {
        const i64 kc = std::min(k.kc, c - pc);
        pack_x(x + img * c * hw, hw, k.nr, pc, kc, jp0 * k.nr, std::min(hw, jp1 * k.nr), bp);
        run_block(L, img, pc, kc, bp, 0, mpanels, jp0, jp1);
      }
    });
    return;
  }
  // Few columns (7² or 14² maps at batch 1): the rows are split, and the tile reads x where it
  // lies (a map this small is in L2 already; packing it would be a serial pass before the split).
  const i64 kblocks = (c + k.kc - 1) / k.kc;
  const i64 mchunks = std::min<i64>(mpanels, 2 * threads);
  for (i64 img = 0; img < n; ++img) {
    parallel_tasks(static_cast<int>(mchunks), [&](int t) {
      const i64 ip0 = mpanels * t / mchunks, ip1 = mpanels * (t + 1) / mchunks;
      for (i64 kb = 0; kb < kblocks; ++kb) {
        const i64 pc = kb * k.kc;
        run_block(L, img, pc, std::min(k.kc, c - pc), nullptr, ip0, ip1, 0, npanels);
      }
    });
  }
}

// d[i] = s[i·stride] for i < n.
inline void gather_strided(const float* s, i64 stride, float* d, i64 n) {
  if (stride == 1) {
    std::memcpy(d, s, sizeof(float) * n);
    return;
  }
  i64 i = 0;
#if defined(__SSE2__)
  if (stride == 2)
    for (; i + 4 <= n - 1; i += 4) {
      // 8 floats from s + 2i: the last one read is s[2i + 7] ≤ s[2(n − 1)], inside the row
      const __m128 a = _mm_loadu_ps(s + 2 * i), b = _mm_loadu_ps(s + 2 * i + 4);
      _mm_storeu_ps(d + i, _mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
    }
#endif
  for (; i < n; ++i) d[i] = s[i * stride];
}

// A spatial convolution with few input channels (a network's stem: 3 channels, 3×3 or 7×7) as
// the same tile over one output row at a time: the row's patches (c·kh·kw rows of ow columns,
// zero where the window leaves the image) are gathered into a per-thread buffer that stays in
// L1, and the tile reads them where they lie, writing the output row of every channel with the
// epilogue applied. A whole-image im2col would be a pass over a matrix c·kh·kw times the output
// before the GEMM starts.
void rowconv_conv2d(const float* x, const float* packed, float* y, const ConvParams& p, const Epilogue& ep) {
  if (p.n == 0 || p.oh == 0 || p.ow == 0 || p.o == 0) return;
  const Kernel& k = kernel();
  const Act act = ep.act != Act::kNone ? ep.act : (ep.relu ? Act::kRelu : Act::kNone);
  const i64 K = p.c * p.kh * p.kw, ohw = p.oh * p.ow;
  // A band of R output rows: about kBandCols columns when the map allows (a 7² map is one band
  // of 49), with its patches (K × R·ow floats) within kBandFloats (L2).
  const i64 want = std::max<i64>(1, (kBandCols + p.ow - 1) / p.ow);
  const i64 fit = std::max<i64>(1, kBandFloats / std::max<i64>(1, K * p.ow));
  // Among band heights up to twice that (and the cap), the cheapest: the tile's columns, padded
  // to its width, plus one panel's worth per band for streaming the filter again.
  i64 R = 1, best = -1;
  for (i64 r = 1; r <= std::min(p.oh, std::min(2 * want, fit)); ++r) {
    i64 cost = 0;
    for (i64 oy = 0; oy < p.oh; oy += r) cost += (std::min(r, p.oh - oy) * p.ow + k.nr - 1) / k.nr * k.nr + k.nr;
    if (best < 0 || cost < best) {
      best = cost;
      R = r;
    }
  }
  const i64 bands = (p.oh + R - 1) / R;
  const i64 maxcols = R * p.ow;
  const i64 ldp = (maxcols + k.nr - 1) / k.nr * k.nr;
  const i64 mpanels = (p.o + k.mr - 1) / k.mr;
  const float* a0 = packed + kHeader;
  // patches of output rows [oy0, oy1) of image img, then row panels [ip0, ip1) of the output
  auto band = [&](i64 img, i64 oy0, i64 oy1, i64 ip0, i64 ip1, float* P) {
    const float* xi = x + img * p.c * p.h * p.w;
    const i64 cols = (oy1 - oy0) * p.ow;
    for (i64 ci = 0; ci < p.c; ++ci)
      for (i64 ky = 0; ky < p.kh; ++ky)
        for (i64 kx = 0; kx < p.kw; ++kx) {
          float* d0 = P + ((ci * p.kh + ky) * p.kw + kx) * ldp;
          const i64 x0 = kx * p.dw - p.pw;
          // columns [lo, hi) of an output row read the image; the rest is zero
          const i64 lo = std::min(p.ow, x0 >= 0 ? 0 : (-x0 + p.sw - 1) / p.sw);
          const i64 hi = std::max(lo, std::min(p.ow, x0 >= p.w ? 0 : (p.w - 1 - x0) / p.sw + 1));
          for (i64 oy = oy0; oy < oy1; ++oy) {
            float* d = d0 + (oy - oy0) * p.ow;
            const i64 iy = oy * p.sh - p.ph + ky * p.dh;
            if (iy < 0 || iy >= p.h) {
              std::memset(d, 0, sizeof(float) * p.ow);
              continue;
            }
            std::memset(d, 0, sizeof(float) * lo);
            std::memset(d + hi, 0, sizeof(float) * (p.ow - hi));
            gather_strided(xi + (ci * p.h + iy) * p.w + x0 + lo * p.sw, p.sw, d + lo, hi - lo);
          }
          std::memset(d0 + cols, 0, sizeof(float) * (ldp - cols));
        }
    float* yi = y + img * p.o * ohw + oy0 * p.ow;
    const i64 npanels = (cols + k.nr - 1) / k.nr;
    for (i64 pc = 0; pc < K; pc += k.kc) {
      const i64 kc = std::min(k.kc, K - pc);
      const bool last = pc + kc >= K;
      // a row panel sweeps the band's columns: contiguous output rows (see run_block)
      for (i64 ip = ip0; ip < ip1; ++ip) {
        const int rows = static_cast<int>(std::min<i64>(k.mr, p.o - ip * k.mr));
        for (i64 jp = 0; jp < npanels; ++jp) {
          const int nc = static_cast<int>(std::min<i64>(k.nr, cols - jp * k.nr));
          float* c = yi + ip * k.mr * ohw + jp * k.nr;
          mge_pw::Finish fin{ep.bias ? ep.bias + ip * k.mr : nullptr, ep.residual ? ep.residual + (c - ep.out) : nullptr,
                             static_cast<int>(act)};
          k.direct(kc, a0 + panel_offset(k, p.o, K, ip, pc), P + pc * ldp + jp * k.nr, ldp, c, ohw, rows, nc,
                   pc > 0 ? 1 : 0, last ? &fin : nullptr);
        }
      }
    }
  };
  const int threads = in_parallel_region() || p.n * p.o * K * ohw < kParallelMacs ? 1 : num_threads();
  // Tasks: bands, and when there are fewer bands than threads (small maps at batch 1), row-panel
  // chunks of each band too (each gathers the band's patches itself: a small pass beside its GEMM).
  const i64 nb = p.n * bands;
  // (one band: one chunk per thread, so each thread gathers the patches once)
  const i64 mchunks = nb >= 2 * threads ? 1 : std::min<i64>(mpanels, nb == 1 ? threads : (2 * threads + nb - 1) / nb);
  auto task = [&](i64 t) {
    const i64 b = t / mchunks, m = t % mchunks;
    const i64 img = b / bands, oy0 = (b % bands) * R;
    float* P = bscratch(static_cast<std::size_t>(K * ldp));
    band(img, oy0, std::min(p.oh, oy0 + R), mpanels * m / mchunks, mpanels * (m + 1) / mchunks, P);
  };
  const i64 tasks = nb * mchunks;
  if (threads == 1) {
    for (i64 t = 0; t < tasks; ++t) task(t);
  } else {
    parallel_for(tasks, 1, [&](i64 b, i64 e) {
      for (i64 t = b; t < e; ++t) task(t);
    });
  }
}

// A strided 1×1 convolution (ResNet's downsampling shortcuts): the sampled pixels gathered into
// a contiguous [n, c, oh·ow] buffer, then the GEMM of pointwise_conv2d. The buffer is kept per
// thread for the next call (a fresh one past glibc's mmap threshold would fault in every page).
void pointwise_conv2d_strided(const float* x, const float* packed, float* y, const ConvParams& p, const Epilogue& ep) {
  const i64 ohw = p.oh * p.ow, planes = p.n * p.c;
  thread_local std::vector<float> sub;
  sub.resize(static_cast<std::size_t>(planes * ohw));
  float* s = sub.data();
  auto body = [&](i64 b, i64 e) {
    for (i64 pl = b; pl < e; ++pl)
      for (i64 oy = 0; oy < p.oh; ++oy)
        gather_strided(x + (pl * p.h + oy * p.sh) * p.w, p.sw, s + pl * ohw + oy * p.ow, p.ow);
  };
  if (in_parallel_region() || planes * ohw < (i64(1) << 16)) body(0, planes);
  else parallel_for(planes, std::max<i64>(1, (i64(1) << 14) / std::max<i64>(1, ohw)), body);
  pointwise_conv2d(s, packed, y, p.n, p.c, ohw, p.o, ep);
}

i64 linear_packed_length(i64 n, i64 k) {
  const Kernel& kd = kernel();
  return kHeader + (n + kd.gemv_width - 1) / kd.gemv_width * kd.gemv_width * k;
}

void linear_pack(const float* w, i64 n, i64 k, float* dst) {
  const Kernel& kd = kernel();
  const i64 nb = kd.gemv_width;
  std::memset(dst, 0, sizeof(float) * kHeader);
  set_header_int(dst, 0, kLinearMagic);
  set_header_int(dst, 1, kd.id);
  set_header_int(dst, 2, static_cast<std::int32_t>(n));
  set_header_int(dst, 3, static_cast<std::int32_t>(k));
  float* d = dst + kHeader;
  for (i64 j0 = 0; j0 < n; j0 += nb) {
    const i64 cols = std::min(nb, n - j0);
    for (i64 p = 0; p < k; ++p) {
      for (i64 j = 0; j < cols; ++j) d[j] = w[(j0 + j) * k + p];
      for (i64 j = cols; j < nb; ++j) d[j] = 0.f;
      d += nb;
    }
  }
}

int linear_packed_check(const float* packed, i64 len, i64 n, i64 k) {
  if (len < kHeader || header_int(packed, 0) != kLinearMagic || header_int(packed, 2) != n || header_int(packed, 3) != k)
    return -1;
  const int id = header_int(packed, 1);
  if (id != kernel().id) return id >= 1 && id <= 3 ? 0 : -1;
  return len == linear_packed_length(n, k) ? 1 : -1;
}

void linear_packed(const float* x, const float* packed, float* y, i64 m, i64 n, i64 k, const Epilogue& ep) {
  if (m == 0 || n == 0) return;
  const Kernel& kd = kernel();
  const int act = ep.relu || ep.act == Act::kRelu ? 1 : 0;
  const i64 nb = kd.gemv_width;
  const i64 blocks = (n + nb - 1) / nb;
  const float* w = packed + kHeader;
  const bool split = !in_parallel_region() && m * n * k >= kParallelMacs && num_threads() > 1;
  auto run = [&](i64 b) {
    const int cols = static_cast<int>(std::min(nb, n - b * nb));
    for (i64 i = 0; i < m; ++i)
      kd.gemv(k, x + i * k, w + b * nb * k, y + i * n + b * nb, cols, ep.bias ? ep.bias + b * nb : nullptr, act);
  };
  if (!split) {
    for (i64 b = 0; b < blocks; ++b) run(b);
    return;
  }
  parallel_tasks(static_cast<int>(blocks), [&](int b) { run(b); });
}

}  // namespace mge
