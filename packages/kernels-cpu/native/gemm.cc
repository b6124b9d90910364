// Packed, cache-blocked SGEMM (the loop nest of Goto/BLIS): B is packed into
// KC×NC slabs of NR-wide panels that stay in L3/L2, A into MC×KC blocks of
// MR-tall panels that stay in L2, and a register-tiled micro-kernel does MR×NR
// of C per call while one B panel sits in L1.
#include "gemm.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>

#include "thread_pool.h"

#if defined(__linux__)
#include <sys/mman.h>
#endif

#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

namespace mge {
namespace {

// A generic micro-kernel for CPUs without AVX2; the compiler vectorises the j loop with SSE2/NEON.
constexpr int kPortMR = 4, kPortNR = 16;
void portable_kernel(i64 kc, const float* ap, const float* bp, float* c, i64 ldc, int accumulate) {
  float acc[kPortMR][kPortNR] = {};
  for (i64 p = 0; p < kc; ++p) {
    for (int i = 0; i < kPortMR; ++i) {
      const float a = ap[i];
      for (int j = 0; j < kPortNR; ++j) acc[i][j] += a * bp[j];
    }
    ap += kPortMR;
    bp += kPortNR;
  }
  for (int i = 0; i < kPortMR; ++i)
    for (int j = 0; j < kPortNR; ++j) c[i * ldc + j] = accumulate ? c[i * ldc + j] + acc[i][j] : acc[i][j];
}

// One row per ISA: its GEMM micro-kernel, blocking, and direct convolutions. A new ISA is a row
// here, its cpu_has test, and its kernel files.
struct KernelInfo {
  const char* name;
  MicroKernel fn;
  int mr, nr;
  i64 kc, mc, nc;
  ConvDirect conv;
  void (*fma_loop)(i64 iters, float* out);  // for fma_peak_gflops
  int fma_flops;                            // per step of fma_loop
  RowsKernel rows_fn;                       // partial panels of A (null: the full kernel into a scratch tile)
};

#define MGE_CONV_DIRECT(isa) \
  ConvDirect { mge_conv2d_direct_##isa, mge_conv2d_input_direct_##isa, mge_conv2d_filter_direct_##isa }

const KernelInfo kPortable{"portable", portable_kernel, kPortMR, kPortNR, 256, 128, 4096, {nullptr, nullptr, nullptr}, nullptr, 0, nullptr};
#if defined(__x86_64__)
// nc: the packed B block (kc × nc floats) is written by pack_b and read back by the micro-kernels,
// so it is sized to stay in a 2 MB L2 beside the A block and C (1 MB at kc 256). Wider blocks
// sent those reads to L3: a conv-shaped 64×3136×576 product went from 52 to 75 GFLOP/s on AVX2
// and from 58 to 97–112 on AVX-512 (Sapphire Rapids) when nc went from 4096 to 1024.
const KernelInfo kAvx2{"avx2", mge_sgemm_kernel_avx2_6x16, 6, 16, 256, 144, 1024, MGE_CONV_DIRECT(avx2), mge_fma_loop_avx2, 160,
                     mge_sgemm_kernel_avx2_rows};
// AVX-512: with tensors on huge pages (memory.cc) and nc 1024, kc 256, 384 and 512 measured
// alike on 1024³ (Sapphire Rapids), and kc 256 keeps the B block at 1 MB.
const KernelInfo kAvx512{"avx512", mge_sgemm_kernel_avx512_14x32, 14, 32, 256, 112, 1024, MGE_CONV_DIRECT(avx512), mge_fma_loop_avx512, 384,
                       mge_sgemm_kernel_avx512_rows};
#endif
#if defined(__aarch64__)
const KernelInfo kNeon{"neon", mge_sgemm_kernel_neon_8x12, 8, 12, 256, 128, 4096, MGE_CONV_DIRECT(neon), mge_fma_loop_neon, 96,
                    mge_sgemm_kernel_neon_rows};
#endif
#if defined(__wasm_simd128__)
const KernelInfo kWasmSimd{"wasm-simd128", mge_sgemm_kernel_wasm_6x8, 6, 8, 256, 120, 2048, MGE_CONV_DIRECT(wasm), nullptr, 0, nullptr};
#endif

i64 env_int(const char* name, i64 fallback) {
  const char* v = std::getenv(name);
  if (!v) return fallback;
  long long x = std::atoll(v);
  return x > 0 ? x : fallback;
}

KernelInfo tuned(KernelInfo k) {
  // Developer knobs for tuning the blocking on a new machine; rounded to the register tile.
  k.kc = env_int("MGE_GEMM_KC", k.kc);
  k.mc = std::max<i64>(k.mr, env_int("MGE_GEMM_MC", k.mc) / k.mr * k.mr);
  k.nc = std::max<i64>(k.nr, env_int("MGE_GEMM_NC", k.nc) / k.nr * k.nr);
  return k;
}

bool cpu_has(const char* isa) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (std::strcmp(isa, "avx512") == 0) return __builtin_cpu_supports("avx512f");
  if (std::strcmp(isa, "avx2") == 0) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
#if defined(__aarch64__)
  if (std::strcmp(isa, "neon") == 0) return true;
#endif
  return std::strcmp(isa, "portable") == 0;
}

KernelInfo pick_default() {
#if defined(__x86_64__)
  if (const char* forced = std::getenv("MGE_CPU_ISA")) {
    if (std::strcmp(forced, "avx512") == 0 && cpu_has("avx512")) return tuned(kAvx512);
    if (std::strcmp(forced, "avx2") == 0 && cpu_has("avx2")) return tuned(kAvx2);
    if (std::strcmp(forced, "portable") == 0) return tuned(kPortable);
  }
  if (cpu_has("avx512")) return tuned(kAvx512);
  if (cpu_has("avx2")) return tuned(kAvx2);
#endif
#if defined(__aarch64__)
  // NEON is part of the aarch64 baseline.
  if (const char* forced = std::getenv("MGE_CPU_ISA")) {
    if (std::strcmp(forced, "portable") == 0) return tuned(kPortable);
  }
  return tuned(kNeon);
#endif
#if defined(__wasm_simd128__)
  return kWasmSimd;
#endif
  return tuned(kPortable);
}

KernelInfo& active() {
  static KernelInfo k = pick_default();
  return k;
}

struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};

// Per-thread packing buffers, grown on demand and kept for the thread's life. Those of a
// megabyte or more are asked for transparent huge pages (Linux): the micro-kernels walk a 2 MB
// packed B and under a hypervisor every 4 KB TLB miss is a two-level page walk. (Measured on
// Sapphire Rapids/KVM: C of a 1024³ product on huge pages +6–8 %; the packing buffers alone,
// within the noise.)
float* scratch(int which, std::size_t floats) {
  thread_local std::unique_ptr<float, AlignedFree> bufs[2];
  thread_local std::size_t caps[2] = {0, 0};
  if (caps[which] < floats) {
    constexpr std::size_t kHuge = std::size_t(2) << 20;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const bool huge = floats * sizeof(float) >= kHuge / 2;
#else
    const bool huge = false;
#endif
    const std::size_t align = huge ? kHuge : 64;
    std::size_t bytes = ((floats * sizeof(float) + align - 1) / align) * align;
    void* p = std::aligned_alloc(align, bytes);
    if (!p) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (huge) madvise(p, bytes, MADV_HUGEPAGE);  // advice only: failure leaves 4 KB pages
#endif
    bufs[which].reset(static_cast<float*>(p));
    caps[which] = floats;
  }
  return bufs[which].get();
}

// Aᵀ stored (a [k, m] matrix) into MR-tall panels, source row by source row (see pack_b_rows).
template <int MR>
void pack_a_trans_rows(const Gemm& g, i64 i0, i64 mc, i64 p0, i64 kc, float* dst) {
  const i64 full = mc / MR * MR;
  for (i64 p = 0; p < kc; ++p) {
    const float* s = g.a + (p0 + p) * g.lda + i0;
    float* d = dst + p * MR;
    for (i64 ir = 0; ir < full; ir += MR) std::memcpy(d + ir * kc, s + ir, sizeof(float) * MR);
    if (full < mc) {
      float* e = d + full * kc;
      int i = 0;
      for (; i < mc - full; ++i) e[i] = s[full + i];
      for (; i < MR; ++i) e[i] = 0.f;
    }
  }
}

// Packs rows [i0, i0+mc) × cols [p0, p0+kc) of op(A) into MR-tall panels, zero-padding the last.
void pack_a(const Gemm& g, int mr, i64 i0, i64 mc, i64 p0, i64 kc, float* dst) {
  if (g.trans_a) {
    switch (mr) {
      case 14: return pack_a_trans_rows<14>(g, i0, mc, p0, kc, dst);
      case 8: return pack_a_trans_rows<8>(g, i0, mc, p0, kc, dst);
      case 6: return pack_a_trans_rows<6>(g, i0, mc, p0, kc, dst);
      case 4: return pack_a_trans_rows<4>(g, i0, mc, p0, kc, dst);
      default: break;
    }
  }
  for (i64 ir = 0; ir < mc; ir += mr) {
    const int rows = static_cast<int>(std::min<i64>(mr, mc - ir));
    if (!g.trans_a) {
      const float* src = g.a + (i0 + ir) * g.lda + p0;
      int i = 0;
#if defined(__SSE2__)
      // 4 rows × 4 k at a time, transposed in registers: the scalar loop below stores one float
      // per k, MR floats apart, and was a sixth of a 1024³ product's time.
      for (; i + 4 <= rows; i += 4) {
        const float* s0 = src + i * g.lda;
        i64 p = 0;
        for (; p + 4 <= kc; p += 4) {
          __m128 r0 = _mm_loadu_ps(s0 + p), r1 = _mm_loadu_ps(s0 + g.lda + p);
          __m128 r2 = _mm_loadu_ps(s0 + 2 * g.lda + p), r3 = _mm_loadu_ps(s0 + 3 * g.lda + p);
          _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
          _mm_storeu_ps(dst + p * mr + i, r0);
          _mm_storeu_ps(dst + (p + 1) * mr + i, r1);
          _mm_storeu_ps(dst + (p + 2) * mr + i, r2);
          _mm_storeu_ps(dst + (p + 3) * mr + i, r3);
        }
        for (; p < kc; ++p)
          for (int q = 0; q < 4; ++q) dst[p * mr + i + q] = s0[q * g.lda + p];
      }
      // A pair of rows (MR = 6 and 14 leave two), interleaved.
      if (i + 2 <= rows) {
        const float* s0 = src + i * g.lda;
        i64 p = 0;
        for (; p + 4 <= kc; p += 4) {
          const __m128 r0 = _mm_loadu_ps(s0 + p), r1 = _mm_loadu_ps(s0 + g.lda + p);
          const __m128 lo = _mm_unpacklo_ps(r0, r1), hi = _mm_unpackhi_ps(r0, r1);
          _mm_storel_pi(reinterpret_cast<__m64*>(dst + p * mr + i), lo);
          _mm_storeh_pi(reinterpret_cast<__m64*>(dst + (p + 1) * mr + i), lo);
          _mm_storel_pi(reinterpret_cast<__m64*>(dst + (p + 2) * mr + i), hi);
          _mm_storeh_pi(reinterpret_cast<__m64*>(dst + (p + 3) * mr + i), hi);
        }
        for (; p < kc; ++p) {
          dst[p * mr + i] = s0[p];
          dst[p * mr + i + 1] = s0[g.lda + p];
        }
        i += 2;
      }
#endif
      // The remaining rows one by one: each source row is read sequentially (reading down a
      // column instead would touch lines a power-of-two stride apart, which share one L1 set).
      for (; i < rows; ++i) {
        const float* s = src + i * g.lda;
        for (i64 p = 0; p < kc; ++p) dst[p * mr + i] = s[p];
      }
      for (int i = rows; i < mr; ++i)
        for (i64 p = 0; p < kc; ++p) dst[p * mr + i] = 0.f;
    } else {
      const float* src = g.a + p0 * g.lda + i0 + ir;
      for (i64 p = 0; p < kc; ++p) {
        const float* s = src + p * g.lda;
        int i = 0;
        for (; i < rows; ++i) dst[p * mr + i] = s[i];
        for (; i < mr; ++i) dst[p * mr + i] = 0.f;
      }
    }
    dst += mr * kc;
  }
}

// B[p0.., j0..] (not transposed) into NR-wide panels, row by row: each source row is read once
// from start to end (one page, prefetcher-friendly), where panel by panel would touch a new page
// for every k. NR is a compile-time constant so each panel's row is a few vector moves.
template <int NR>
void pack_b_rows(const Gemm& g, i64 p0, i64 kc, i64 j0, i64 nc, float* dst) {
  const i64 full = nc / NR * NR;
  for (i64 p = 0; p < kc; ++p) {
    const float* s = g.b + (p0 + p) * g.ldb + j0;
    float* d = dst + p * NR;
    for (i64 jr = 0; jr < full; jr += NR) std::memcpy(d + jr * kc, s + jr, sizeof(float) * NR);
    if (full < nc) {
      float* e = d + full * kc;
      int j = 0;
      for (; j < nc - full; ++j) e[j] = s[full + j];
      for (; j < NR; ++j) e[j] = 0.f;
    }
  }
}

// Packs rows [p0, p0+kc) × cols [j0, j0+nc) of op(B) into NR-wide panels, zero-padding the last.
void pack_b(const Gemm& g, int nr, i64 p0, i64 kc, i64 j0, i64 nc, float* dst) {
  if (!g.trans_b) {
    switch (nr) {
      case 32: return pack_b_rows<32>(g, p0, kc, j0, nc, dst);
      case 16: return pack_b_rows<16>(g, p0, kc, j0, nc, dst);
      case 12: return pack_b_rows<12>(g, p0, kc, j0, nc, dst);
      case 8: return pack_b_rows<8>(g, p0, kc, j0, nc, dst);
      default: break;
    }
  }
  for (i64 jr = 0; jr < nc; jr += nr) {
    const int cols = static_cast<int>(std::min<i64>(nr, nc - jr));
    if (!g.trans_b) {
      const float* src = g.b + p0 * g.ldb + j0 + jr;
      for (i64 p = 0; p < kc; ++p) {
        const float* s = src + p * g.ldb;
        float* d = dst + p * nr;
        int j = 0;
        for (; j < cols; ++j) d[j] = s[j];
        for (; j < nr; ++j) d[j] = 0.f;
      }
    } else {
      const float* src = g.b + (j0 + jr) * g.ldb + p0;
      int j = 0;
#if defined(__SSE2__)
      // 4×4 blocks transposed in registers: the scalar loop stores one float per destination
      // row, NR floats apart (a weight [n, k] of a linear layer is packed this way every call).
      for (; j + 4 <= cols; j += 4) {
        const float* s0 = src + j * g.ldb;
        i64 p = 0;
        for (; p + 4 <= kc; p += 4) {
          __m128 r0 = _mm_loadu_ps(s0 + p), r1 = _mm_loadu_ps(s0 + g.ldb + p);
          __m128 r2 = _mm_loadu_ps(s0 + 2 * g.ldb + p), r3 = _mm_loadu_ps(s0 + 3 * g.ldb + p);
          _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
          _mm_storeu_ps(dst + p * nr + j, r0);
          _mm_storeu_ps(dst + (p + 1) * nr + j, r1);
          _mm_storeu_ps(dst + (p + 2) * nr + j, r2);
          _mm_storeu_ps(dst + (p + 3) * nr + j, r3);
        }
        for (; p < kc; ++p)
          for (int q = 0; q < 4; ++q) dst[p * nr + j + q] = s0[q * g.ldb + p];
      }
#endif
      for (; j < cols; ++j) {
        const float* s = src + j * g.ldb;
        for (i64 p = 0; p < kc; ++p) dst[p * nr + j] = s[p];
      }
      for (int j = cols; j < nr; ++j)
        for (i64 p = 0; p < kc; ++p) dst[p * nr + j] = 0.f;
    }
    dst += nr * kc;
  }
}

// One MR×NR tile of C (rows i0.., columns j0..) from packed panels, through a scratch tile at
// the edges. After the last K block the epilogue runs on the tile while it is still in L1.
inline void tile(const KernelInfo& kd, const Gemm& g, i64 kc, const float* ap, const float* bp, i64 i0, i64 j0,
                 i64 rows, i64 cols, int acc, bool last) {
  float* c = g.c + i0 * g.ldc + j0;
  if (rows == kd.mr && cols == kd.nr) {
    kd.fn(kc, ap, bp, c, g.ldc, acc);
  } else if (cols == kd.nr && kd.rows_fn) {
    kd.rows_fn(rows, kc, ap, bp, c, g.ldc, acc);
  } else {
    alignas(64) float t[32 * 32];
    kd.fn(kc, ap, bp, t, kd.nr, 0);
    for (i64 i = 0; i < rows; ++i)
      for (i64 j = 0; j < cols; ++j) c[i * g.ldc + j] = acc ? c[i * g.ldc + j] + t[i * kd.nr + j] : t[i * kd.nr + j];
  }
  if (last) apply_epilogue(g.ep, c, g.ldc, i0, j0, rows, cols);
}

// The depth of the K blocks: K split into equal blocks of about KC. A K just above KC is one
// block (up to 1.5 KC deep) rather than KC plus a sliver that costs one more pass over C.
i64 k_block(i64 k, i64 KC) {
  const i64 blocks = std::max<i64>(1, (k + KC / 2) / KC);
  return ((k + blocks - 1) / blocks + 1) / 2 * 2;
}

// C[m0:m1, n0:n1] on the calling thread.
void gemm_block(const Gemm& g, const KernelInfo& kd, i64 m0, i64 m1, i64 n0, i64 n1) {
  const int mr = kd.mr, nr = kd.nr;
  const i64 KC = k_block(g.k, kd.kc), MC = kd.mc, NC = kd.nc;
  float* bpack = scratch(0, static_cast<std::size_t>(KC * (std::min<i64>(NC, n1 - n0) + nr)));
  float* apack = scratch(1, static_cast<std::size_t>(KC * (std::min<i64>(MC, m1 - m0) + mr)));
  for (i64 jc = n0; jc < n1; jc += NC) {
    const i64 nc = std::min(NC, n1 - jc);
    for (i64 pc = 0; pc < g.k; pc += KC) {
      const i64 kc = std::min(KC, g.k - pc);
      const int acc = (g.accumulate || pc > 0) ? 1 : 0;
      const bool last = pc + kc >= g.k;
      pack_b(g, nr, pc, kc, jc, nc, bpack);
      for (i64 ic = m0; ic < m1; ic += MC) {
        const i64 mc = std::min(MC, m1 - ic);
        pack_a(g, mr, ic, mc, pc, kc, apack);
        for (i64 jr = 0; jr < nc; jr += nr) {
          const i64 cols = std::min<i64>(nr, nc - jr);
          const float* bp = bpack + jr * kc;
          for (i64 ir = 0; ir < mc; ir += mr) {
            const i64 rows = std::min<i64>(mr, mc - ir);
            tile(kd, g, kc, apack + ir * kc, bp, ic + ir, jc + jr, rows, cols, acc, last);
          }
        }
      }
    }
  }
}

// Below this many multiply-adds, waking a second thread costs more than it saves.
constexpr i64 kParallelMacs = 1 << 18;

// The threaded GEMM, built to have as few barriers as possible (on a busy machine every
// barrier can cost a scheduler time slice). Region 1: all threads pack the whole of op(A)
// and op(B), K-block by K-block, into panels. Region 2: blocks of C (8 MR panels × 8 NR
// panels) are handed out dynamically; each runs the full K loop, so a thread that gets less
// of the CPU simply takes fewer blocks.
void gemm_parallel(const Gemm& g, const KernelInfo& kd, int threads) {
  // Keep the packed copies bounded: very tall or wide products go in chunks.
  const i64 max_rows = std::max<i64>(kd.mr, 4096 / kd.mr * kd.mr);
  const i64 max_cols = std::max<i64>(kd.nr, 4096 / kd.nr * kd.nr);
  if (g.m > max_rows || g.n > max_cols) {
    for (i64 i0 = 0; i0 < g.m; i0 += max_rows) {
      for (i64 j0 = 0; j0 < g.n; j0 += max_cols) {
        Gemm part = g;
        part.m = std::min(max_rows, g.m - i0);
        part.n = std::min(max_cols, g.n - j0);
        part.a = g.trans_a ? g.a + i0 : g.a + i0 * g.lda;
        part.b = g.trans_b ? g.b + j0 * g.ldb : g.b + j0;
        part.c = g.c + i0 * g.ldc + j0;
        part.ep = g.ep.at(i0, j0);
        gemm_parallel(part, kd, threads);
      }
    }
    return;
  }
  // … and very deep ones in chunks of K, each adding to what the previous ones stored.
  const i64 max_k = std::max<i64>(kd.kc, (i64(1) << 24) / (g.m + g.n + kd.mr + kd.nr) / kd.kc * kd.kc);
  if (g.k > max_k) {
    for (i64 p0 = 0; p0 < g.k; p0 += max_k) {
      Gemm part = g;
      part.k = std::min(max_k, g.k - p0);
      part.a = g.trans_a ? g.a + p0 * g.lda : g.a + p0;
      part.b = g.trans_b ? g.b + p0 : g.b + p0 * g.ldb;
      part.accumulate = g.accumulate || p0 > 0;
      if (p0 + part.k < g.k) part.ep = Epilogue{};  // only the last chunk's sums are final
      gemm_parallel(part, kd, threads);
    }
    return;
  }
  const int mr = kd.mr, nr = kd.nr;
  const i64 KC = k_block(g.k, kd.kc);
  const i64 mpanels = (g.m + mr - 1) / mr, npanels = (g.n + nr - 1) / nr;
  const i64 arow = mpanels * mr, bcol = npanels * nr;  // floats per k in the packed copies
  float* apack = scratch(0, static_cast<std::size_t>(arow * g.k));
  float* bpack = scratch(1, static_cast<std::size_t>(bcol * g.k));
  // K block pc of A starts at apack + pc·arow, its panel ip at + ip·mr·kc (likewise B).
  const i64 ptasks = 4 * threads;
  parallel_tasks(static_cast<int>(2 * ptasks), [&](int t) {
    const bool is_a = t < ptasks;
    const i64 u = is_a ? t : t - ptasks;
    const i64 panels = is_a ? mpanels : npanels;
    const i64 p0 = panels * u / ptasks, p1 = panels * (u + 1) / ptasks;
    if (p1 <= p0) return;
    for (i64 pc = 0; pc < g.k; pc += KC) {
      const i64 kc = std::min(KC, g.k - pc);
      if (is_a) {
        pack_a(g, mr, p0 * mr, std::min(g.m, p1 * mr) - p0 * mr, pc, kc, apack + pc * arow + p0 * mr * kc);
      } else {
        pack_b(g, nr, pc, kc, p0 * nr, std::min(g.n, p1 * nr) - p0 * nr, bpack + pc * bcol + p0 * nr * kc);
      }
    }
  });
  constexpr i64 kRowPanels = 8, kColPanels = 8;
  const i64 rblocks = (mpanels + kRowPanels - 1) / kRowPanels;
  const i64 cblocks = (npanels + kColPanels - 1) / kColPanels;
  parallel_tasks(static_cast<int>(rblocks * cblocks), [&](int t) {
    const i64 rb = t % rblocks, cb = t / rblocks;
    const i64 ip1 = std::min(mpanels, (rb + 1) * kRowPanels), jp1 = std::min(npanels, (cb + 1) * kColPanels);
    for (i64 pc = 0; pc < g.k; pc += KC) {
      const i64 kc = std::min(KC, g.k - pc);
      const int acc = (g.accumulate || pc > 0) ? 1 : 0;
      const bool last = pc + kc >= g.k;
      const float* ablock = apack + pc * arow;
      const float* bblock = bpack + pc * bcol;
      for (i64 jp = cb * kColPanels; jp < jp1; ++jp) {
        const float* bp = bblock + jp * nr * kc;
        const i64 cols = std::min<i64>(nr, g.n - jp * nr);
        for (i64 ip = rb * kRowPanels; ip < ip1; ++ip) {
          const i64 rows = std::min<i64>(mr, g.m - ip * mr);
          tile(kd, g, kc, ablock + ip * mr * kc, bp, ip * mr, jp * nr, rows, cols, acc, last);
        }
      }
    }
  });
}

// C = A·Bᵀ for a tiny C and a long K (LeNet's first-layer filter gradient: 6×25 outputs over
// 50,000 products each). Both operands are contiguous along K, so dot products read them
// straight, where the packed path would waste most of a 14×32 tile and transpose-pack B.
using v4 = float __attribute__((vector_size(16)));

inline v4 loadv(const float* p) {
  v4 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

void dot_gemm(const Gemm& g) {
  for (i64 i0 = 0; i0 < g.m; i0 += 4) {
    const int rows = static_cast<int>(std::min<i64>(4, g.m - i0));
    const float* a[4];
    for (int r = 0; r < 4; ++r) a[r] = g.a + (i0 + std::min(r, rows - 1)) * g.lda;
    for (i64 j = 0; j < g.n; ++j) {
      const float* b = g.b + j * g.ldb;
      v4 acc[4][2] = {};
      i64 p = 0;
      for (; p + 8 <= g.k; p += 8) {
        const v4 b0 = loadv(b + p), b1 = loadv(b + p + 4);
        for (int r = 0; r < 4; ++r) {
          acc[r][0] += loadv(a[r] + p) * b0;
          acc[r][1] += loadv(a[r] + p + 4) * b1;
        }
      }
      for (int r = 0; r < rows; ++r) {
        const v4 s4 = acc[r][0] + acc[r][1];
        float s = (s4[0] + s4[1]) + (s4[2] + s4[3]);
        for (i64 q = p; q < g.k; ++q) s += a[r][q] * b[q];
        float* c = g.c + (i0 + r) * g.ldc + j;
        *c = g.accumulate ? *c + s : s;
      }
    }
  }
  // C is at most 16×64 here, still in L1.
  apply_epilogue(g.ep, g.c, g.ldc, 0, 0, g.m, g.n);
}

// C = op(A)·op(B) for a C of at most 4 rows (batch-1 inference: a linear layer's one input
// row). Packing B, as the blocked path does, would cost more than the product itself, so B is
// read where it lies: as dot products along K when it is transposed (a weight [n, k]), else as
// rows of B scaled and added into C's rows. R rows of A share every read of B.
template <int R>
void small_m_gemm(const Gemm& g) {
  const float* a[R];
  for (int r = 0; r < R; ++r) a[r] = g.a + r * g.lda;
  if (g.trans_b) {
    for (i64 j = 0; j < g.n; ++j) {
      const float* b = g.b + j * g.ldb;
      v4 acc[R][2] = {};
      i64 p = 0;
      for (; p + 8 <= g.k; p += 8) {
        const v4 b0 = loadv(b + p), b1 = loadv(b + p + 4);
        for (int r = 0; r < R; ++r) {
          acc[r][0] += loadv(a[r] + p) * b0;
          acc[r][1] += loadv(a[r] + p + 4) * b1;
        }
      }
      for (int r = 0; r < R; ++r) {
        const v4 s4 = acc[r][0] + acc[r][1];
        float s = (s4[0] + s4[1]) + (s4[2] + s4[3]);
        for (i64 q = p; q < g.k; ++q) s += a[r][q] * b[q];
        float* c = g.c + r * g.ldc + j;
        *c = g.accumulate ? *c + s : s;
      }
    }
  } else {
    if (!g.accumulate)
      for (int r = 0; r < R; ++r) std::memset(g.c + r * g.ldc, 0, sizeof(float) * g.n);
    for (i64 p = 0; p < g.k; ++p) {
      const float* b = g.b + p * g.ldb;
      for (int r = 0; r < R; ++r) {
        const float av = a[r][p];
        float* c = g.c + r * g.ldc;
        for (i64 j = 0; j < g.n; ++j) c[j] += av * b[j];
      }
    }
  }
  apply_epilogue(g.ep, g.c, g.ldc, 0, 0, R, g.n);
}

}  // namespace

const char* gemm_isa() { return active().name; }

bool set_gemm_isa(const char* name) {
  if (!cpu_has(name)) return false;
#if defined(__x86_64__)
  if (std::strcmp(name, "avx512") == 0) active() = tuned(kAvx512);
  if (std::strcmp(name, "avx2") == 0) active() = tuned(kAvx2);
#endif
#if defined(__aarch64__)
  if (std::strcmp(name, "neon") == 0) active() = tuned(kNeon);
#endif
  if (std::strcmp(name, "portable") == 0) active() = tuned(kPortable);
  return true;
}

const ConvDirect& conv_direct() { return active().conv; }

// Seconds of CPU time this thread has run (wall time where there is no per-thread clock): on a
// shared machine a time slice lost to another process must not count as slow FMAs.
double thread_seconds() {
#if defined(CLOCK_THREAD_CPUTIME_ID)
  timespec t;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) == 0) return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
#endif
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double fma_peak_gflops() {
  const KernelInfo& k = active();
  if (!k.fma_loop) return 0.0;
  alignas(64) float out[16];
  const i64 iters = 1'000'000;
  k.fma_loop(iters, out);  // warm-up: wakes the wide units
  double best = 0.0;
  for (int r = 0; r < 12; ++r) {
    const double t0 = thread_seconds();
    k.fma_loop(iters, out);
    const double s = thread_seconds() - t0;
    if (s > 0) best = std::max(best, double(iters) * k.fma_flops / s * 1e-9);
  }
  return best;
}

void sgemm(const Gemm& g) {
  if (g.m <= 0 || g.n <= 0) return;
  if (g.k <= 0) {
    if (!g.accumulate)
      for (i64 i = 0; i < g.m; ++i) std::memset(g.c + i * g.ldc, 0, sizeof(float) * g.n);
    apply_epilogue(g.ep, g.c, g.ldc, 0, 0, g.m, g.n);
    return;
  }
  if (g.trans_b && !g.trans_a && g.m <= 16 && g.n <= 64 && g.k >= 256) {
    dot_gemm(g);
    return;
  }
  if (!g.trans_a && g.m <= 4) {
    switch (g.m) {
      case 1: return small_m_gemm<1>(g);
      case 2: return small_m_gemm<2>(g);
      case 3: return small_m_gemm<3>(g);
      default: return small_m_gemm<4>(g);
    }
  }
  const KernelInfo kd = active();
  const i64 threads = num_threads();
  if (threads <= 1 || in_parallel_region() || g.m * g.n * g.k < kParallelMacs) {
    gemm_block(g, kd, 0, g.m, 0, g.n);
    return;
  }
  gemm_parallel(g, kd, static_cast<int>(threads));
}

}  // namespace mge
