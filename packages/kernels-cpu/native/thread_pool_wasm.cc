// The thread pool of the threaded WebAssembly module (@mge/kernels-wasm's mge_kernels_mt.wasm).
// Same interface as thread_pool.cc, but wasm has no std::thread: the host starts Web Workers
// (or Node worker_threads), each instantiating the module over the same shared memory, and each
// calls run_pool_worker(), which never returns. Jobs are published through shared memory and
// workers sleep in memory.atomic.wait32. After running its share, the calling thread spins
// briefly for the workers' tasks and then sleeps too, unless it is a browser page's main thread,
// which may not wait (the host says which: set_main_thread_waits).
#include <algorithm>
#include <atomic>
#include <cstdint>

#include "thread_pool.h"

namespace mge {
namespace {

thread_local bool t_in_job = false;

// Workers running run_pool_worker(); the main thread publishes at most this many + 1 tasks' worth
// of parallelism (more tasks are fine: they are claimed one at a time).
std::atomic<int> g_threads{1};

// Job state. A task is claimed from next = (epoch << 32 | index), so a worker still leaving an
// older job cannot take one of a newer job; the job's function and size live in the slot of
// its epoch's parity, which is rewritten only two jobs later (after this one has finished).
struct Slot {
  const std::function<void(int)>* fn;
  int tasks;
};
Slot g_slots[2];
std::atomic<std::uint64_t> g_next{0};
std::atomic<int> g_done{0};
alignas(4) std::atomic<std::int32_t> g_wake{0};  // the epoch workers wait on (32 bits for wait32)
std::uint32_t g_epoch = 0;                         // main thread only
bool g_main_waits = false;
std::atomic<std::int32_t> g_failed{0};  // a worker died (its host calls pool_worker_failed)

void work(std::uint32_t epoch) {
  std::uint64_t v = g_next.load(std::memory_order_acquire);
  for (;;) {
    if (static_cast<std::uint32_t>(v >> 32) != epoch) return;
    const Slot& s = g_slots[epoch & 1];
    const int t = static_cast<int>(v & 0xffffffffu);
    if (t >= s.tasks) return;
    if (!g_next.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    (*s.fn)(t);
    // The last task wakes the main thread in case it sleeps (a notify with no waiter is cheap).
    if (g_done.fetch_add(1, std::memory_order_acq_rel) + 1 == s.tasks)
      __builtin_wasm_memory_atomic_notify(reinterpret_cast<int*>(&g_done), 1);
    v = g_next.load(std::memory_order_acquire);
  }
}

void run(int tasks, const std::function<void(int)>& fn) {
  if (tasks <= 0) return;
  if (tasks == 1 || g_threads.load(std::memory_order_relaxed) == 1 || t_in_job) {
    const bool was = t_in_job;
    t_in_job = true;
    for (int t = 0; t < tasks; ++t) fn(t);
    t_in_job = was;
    return;
  }
  const std::uint32_t epoch = ++g_epoch;
  g_slots[epoch & 1] = Slot{&fn, tasks};
  g_done.store(0, std::memory_order_relaxed);
  g_next.store(static_cast<std::uint64_t>(epoch) << 32, std::memory_order_release);
  g_wake.store(static_cast<std::int32_t>(epoch), std::memory_order_release);
  __builtin_wasm_memory_atomic_notify(reinterpret_cast<int*>(&g_wake), ~0u);
  t_in_job = true;
  work(epoch);
  t_in_job = false;
  // Spin a little (the workers' last tasks usually end about when ours does), then sleep, so
  // that on a busy machine the core goes to the worker we wait for.
  for (int i = 0; i < 200000 && g_done.load(std::memory_order_acquire) < tasks; ++i) {
  }
  for (int d; (d = g_done.load(std::memory_order_acquire)) < tasks;) {
    // A worker that died (a kernel aborted in it) never finishes its task: fail this call (the
    // host sees a RuntimeError) rather than wait forever, and run later jobs on this thread.
    if (g_failed.load(std::memory_order_acquire) != 0) {
      g_threads.store(1, std::memory_order_relaxed);
      __builtin_trap();
    }
    if (g_main_waits) __builtin_wasm_memory_atomic_wait32(reinterpret_cast<int*>(&g_done), d, -1);
  }
}

}  // namespace

int num_threads() { return g_threads.load(std::memory_order_relaxed); }

// The number of threads taking part in a job: the main thread plus the workers the host started
// (it calls this once they run). Fewer than started is fine; more would only leave tasks to the
// ones that exist.
void set_num_threads(int n) { g_threads.store(std::max(1, std::min(n, 256)), std::memory_order_relaxed); }

bool in_parallel_region() { return t_in_job; }

// Whether the thread that calls parallel_for may block in memory.atomic.wait32 (a worker or
// Node's main thread may; a browser page's main thread may not, and then spins).
void set_main_thread_waits(bool waits) { g_main_waits = waits; }

void parallel_tasks(int tasks, const std::function<void(int)>& fn) { run(tasks, fn); }

void parallel_for(i64 n, i64 grain, const std::function<void(i64, i64)>& fn) {
  if (n <= 0) return;
  const i64 g = std::max<i64>(1, grain);
  const i64 chunks = std::min<i64>((n + g - 1) / g, t_in_job ? 1 : num_threads());
  if (chunks <= 1) {
    fn(0, n);
    return;
  }
  parallel_tasks(static_cast<int>(chunks), [&](int t) {
    const i64 b = n * t / chunks, e = n * (t + 1) / chunks;
    if (b < e) fn(b, e);
  });
}

void pool_worker_failed() {
  g_failed.store(1, std::memory_order_release);
  __builtin_wasm_memory_atomic_notify(reinterpret_cast<int*>(&g_done), 1);
}

[[noreturn]] void run_pool_worker() {
  t_in_job = true;
  std::int32_t seen = g_wake.load(std::memory_order_acquire);
  for (;;) {
    // Spin a little (about 0.1 ms, as thread_pool.cc does) before sleeping: a training step
    // issues many short jobs back to back, and waking from wait32 costs about as much.
    for (int i = 0; i < 100000 && g_wake.load(std::memory_order_acquire) == seen; ++i) {
    }
    while (g_wake.load(std::memory_order_acquire) == seen)
      __builtin_wasm_memory_atomic_wait32(reinterpret_cast<int*>(&g_wake), seen, -1);
    seen = g_wake.load(std::memory_order_acquire);
    work(static_cast<std::uint32_t>(seen));
  }
}

}  // namespace mge
