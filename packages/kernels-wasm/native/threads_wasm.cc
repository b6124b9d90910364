// What the threaded module (mge_kernels_mt.wasm) adds to wasm_api.cc: the entry points of its
// workers, and a lock around malloc. Every worker is an instance of the same module over one
// shared memory; each has its own stack (the host sets it with stackRestore before any call)
// and its own thread-local block (mge_thread_init), and kernels allocate scratch inside parallel
// jobs, so emscripten's malloc (built without locks when there are no pthreads) is wrapped with
// a spin lock at link time (-Wl,--wrap=malloc,...).
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "thread_pool.h"

#define MGE_EXPORT extern "C" __attribute__((used, visibility("default")))

namespace mge {
[[noreturn]] void run_pool_worker();
void set_main_thread_waits(bool waits);
void pool_worker_failed();
}

extern "C" {
void __wasm_init_tls(void* block);
void* __real_malloc(std::size_t);
void __real_free(void*);
void* __real_calloc(std::size_t, std::size_t);
void* __real_realloc(void*, std::size_t);
void* __real_memalign(std::size_t, std::size_t);
int __real_posix_memalign(void**, std::size_t, std::size_t);
}

namespace {

std::atomic<std::int32_t> g_malloc_lock{0};

struct Locked {
  Locked() {
    while (g_malloc_lock.exchange(1, std::memory_order_acquire) != 0) {
    }
  }
  ~Locked() { g_malloc_lock.store(0, std::memory_order_release); }
  Locked(const Locked&) = delete;
  Locked& operator=(const Locked&) = delete;
};

}  // namespace

extern "C" {
void* __wrap_malloc(std::size_t n) {
  Locked l;
  return __real_malloc(n);
}
void __wrap_free(void* p) {
  Locked l;
  __real_free(p);
}
void* __wrap_calloc(std::size_t n, std::size_t size) {
  Locked l;
  return __real_calloc(n, size);
}
void* __wrap_realloc(void* p, std::size_t n) {
  Locked l;
  return __real_realloc(p, n);
}
void* __wrap_memalign(std::size_t align, std::size_t n) {
  Locked l;
  return __real_memalign(align, n);
}
int __wrap_posix_memalign(void** out, std::size_t align, std::size_t n) {
  Locked l;
  return __real_posix_memalign(out, align, n);
}
}

// Gives the calling instance its thread-local block (the main instance calls it after
// _initialize, each worker after setting its stack). Returns 0 when out of memory.
MGE_EXPORT std::int32_t mge_thread_init() {
  const std::size_t align = __builtin_wasm_tls_align(), size = __builtin_wasm_tls_size();
  void* block = __wrap_memalign(align < 16 ? 16 : align, size == 0 ? 16 : size);
  if (block == nullptr) return 0;
  __wasm_init_tls(block);
  return 1;
}

// Threads taking part in a parallel job: the main thread plus the running workers; `can_wait`:
// whether the main thread may block (not a browser page's main thread).
MGE_EXPORT void mge_set_threads(std::int32_t n, std::int32_t can_wait) {
  mge::set_num_threads(n);
  mge::set_main_thread_waits(can_wait != 0);
}
MGE_EXPORT std::int32_t mge_threads() { return mge::num_threads(); }

// A worker's body: waits for jobs and runs their tasks, forever.
MGE_EXPORT void mge_worker_run() { mge::run_pool_worker(); }

// Called by a worker's host when mge_worker_run threw (a kernel aborted in the worker): the
// thread waiting for that worker's task stops waiting and fails instead.
MGE_EXPORT void mge_worker_failed() { mge::pool_worker_failed(); }
