#include "memory.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <vector>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace mge {
namespace {

#if defined(__GLIBC__)
// Tensor buffers are ArrayBuffers from malloc. glibc raises its mmap threshold (up to 32 MiB)
// each time a mapped block is freed, after which activation-sized buffers come from the heap,
// where a freed block in the middle cannot go back to the OS and a training loop's RSS creeps
// up. A fixed threshold keeps every block of 1 MiB or more mapped: freed is returned. Steady
// state is unaffected (the backend's pool reuses those buffers without asking malloc).
const bool kMallocTuned = [] {
  const char* v = std::getenv("MGE_MMAP_THRESHOLD_KB");
  const long long kb = v ? std::atoll(v) : 1024;
  return kb > 0 && mallopt(M_MMAP_THRESHOLD, static_cast<int>(kb << 10)) == 1;
}();
#endif

std::size_t cache_limit() {
  static std::size_t limit = [] {
    const char* v = std::getenv("MGE_CPU_CACHE_MB");
    long long mb = v ? std::atoll(v) : 64;  // as the JS pool: a few training steps' worth
    return static_cast<std::size_t>(mb > 0 ? mb : 0) << 20;
  }();
  return limit;
}

struct Cache {
  std::mutex mutex;
  std::map<std::size_t, std::vector<void*>> blocks;
  std::size_t bytes = 0;
};

Cache& cache() {
  static Cache* c = new Cache();  // never destroyed: deleters can run during shutdown
  return *c;
}

std::size_t rounded(std::size_t bytes) { return (bytes + 63) / 64 * 64; }

// Blocks of 2 MiB or more start on a 2 MiB boundary and are advised onto transparent huge pages
// (Linux, where THP is "madvise" by default on many distributions). A GEMM walks its 4 MB C and
// operands row by row, a new 4 KB page every few rows, and under a hypervisor each TLB miss is a
// two-level page walk. Only whole 2 MiB ranges inside the block become huge pages, so the tail of
// a block keeps 4 KB pages and resident memory does not grow. Advice only: failure changes nothing.
constexpr std::size_t kHuge = std::size_t(2) << 20;

void* allocate(std::size_t size) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (size >= kHuge) {
    // posix_memalign, not aligned_alloc: the size need not be a multiple of the alignment.
    void* p = nullptr;
    if (posix_memalign(&p, kHuge, size) != 0) return nullptr;
    madvise(p, size / kHuge * kHuge, MADV_HUGEPAGE);
    return p;
  }
#endif
  return std::aligned_alloc(64, size);
}

}  // namespace

void* mem_take(std::size_t bytes) {
  const std::size_t size = rounded(bytes);
  {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.blocks.find(size);
    if (it != c.blocks.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.bytes -= size;
      return p;
    }
  }
  void* p = allocate(size);
  if (!p) throw std::bad_alloc();
  return p;
}

void mem_give(void* p, std::size_t bytes) {
  if (!p) return;
  const std::size_t size = rounded(bytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.bytes + size <= cache_limit()) {
      c.blocks[size].push_back(p);
      c.bytes += size;
      return;
    }
  }
  std::free(p);
}

std::size_t mem_cached_bytes() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.bytes;
}

void mem_trim() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto& kv : c.blocks)
    for (void* p : kv.second) std::free(p);
  c.blocks.clear();
  c.bytes = 0;
#if defined(__GLIBC__)
  (void)kMallocTuned;
  malloc_trim(0);  // and the heap's free pages
#endif
}

}  // namespace mge
