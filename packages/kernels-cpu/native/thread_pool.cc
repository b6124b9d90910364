#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MGE_PAUSE() _mm_pause()
#else
#define MGE_PAUSE() std::this_thread::yield()
#endif

namespace mge {
namespace {

thread_local bool t_in_job = false;

class Pool {
 public:
  Pool() {
    int n = static_cast<int>(std::thread::hardware_concurrency());
    if (const char* env = std::getenv("MGE_NUM_THREADS")) {
      int v = std::atoi(env);
      if (v > 0) n = v;
    }
    resize(std::max(1, n));
  }
  ~Pool() { stop_workers(); }

  int size() const { return size_; }

  void resize(int n) {
    n = std::max(1, std::min(n, 256));
    if (n == size_) return;
    stop_workers();
    size_ = n;
    stopping_ = false;
    for (int i = 1; i < n; ++i) workers_.emplace_back([this] { worker_loop(); });
  }

  void run(int tasks, const std::function<void(int)>& fn) {
    if (tasks <= 0) return;
    if (tasks == 1 || size_ == 1 || t_in_job) {
      bool was = t_in_job;
      t_in_job = true;
      for (int t = 0; t < tasks; ++t) fn(t);
      t_in_job = was;
      return;
    }
    std::lock_guard<std::mutex> run_lock(run_mutex_);  // one job at a time
    fn_.store(&fn, std::memory_order_relaxed);
    tasks_.store(tasks, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    unsigned epoch;
    {
      std::lock_guard<std::mutex> lk(mutex_);
      epoch = generation_.load(std::memory_order_relaxed) + 1;
      // Tasks are claimed from (epoch, index) so a worker still leaving an older job cannot take one.
      next_.store(static_cast<std::uint64_t>(epoch) << 32, std::memory_order_release);
      generation_.store(epoch, std::memory_order_release);
    }
    cv_.notify_all();
    t_in_job = true;
    work(epoch);
    t_in_job = false;
    // Wait for workers still finishing a task: spin briefly, then yield so that on an
    // oversubscribed machine the worker we wait for can get the core.
    for (int spins = 0; done_.load(std::memory_order_acquire) < tasks; ++spins) {
      if (spins < 4000) {
        MGE_PAUSE();
      } else {
        std::this_thread::yield();
      }
    }
  }

 private:
  void work(unsigned epoch) {
    std::uint64_t v = next_.load(std::memory_order_acquire);
    for (;;) {
      if ((v >> 32) != epoch) return;
      int t = static_cast<int>(v & 0xffffffffu);
      if (t >= tasks_.load(std::memory_order_relaxed)) return;
      if (!next_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      (*fn_.load(std::memory_order_relaxed))(t);
      done_.fetch_add(1, std::memory_order_acq_rel);
      v = next_.load(std::memory_order_acquire);
    }
  }

  void worker_loop() {
    t_in_job = true;
    unsigned seen = generation_.load(std::memory_order_acquire);
    for (;;) {
      // Spin a little before sleeping: training loops issue many short jobs back to back.
      bool got = false;
      for (int i = 0; i < 4000; ++i) {
        if (generation_.load(std::memory_order_acquire) != seen || stopping_) {
          got = true;
          break;
        }
        MGE_PAUSE();
      }
      if (!got) {
        std::unique_lock<std::mutex> lk(mutex_);
        cv_.wait(lk, [&] { return generation_.load(std::memory_order_acquire) != seen || stopping_; });
      }
      if (stopping_) return;
      seen = generation_.load(std::memory_order_acquire);
      work(seen);
    }
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lk(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  int size_ = 0;
  std::vector<std::thread> workers_;
  std::mutex mutex_, run_mutex_;
  std::condition_variable cv_;
  std::atomic<unsigned> generation_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<const std::function<void(int)>*> fn_{nullptr};
  std::atomic<int> tasks_{0};
  std::atomic<std::uint64_t> next_{0};
  std::atomic<int> done_{0};
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: workers may outlive static destruction order
  return *p;
}

}  // namespace

int num_threads() { return pool().size(); }
void set_num_threads(int n) { pool().resize(n); }
bool in_parallel_region() { return t_in_job; }

void parallel_tasks(int tasks, const std::function<void(int)>& fn) { pool().run(tasks, fn); }

void parallel_for(i64 n, i64 grain, const std::function<void(i64, i64)>& fn) {
  if (n <= 0) return;
  i64 g = std::max<i64>(1, grain);
  i64 chunks = std::min<i64>((n + g - 1) / g, t_in_job ? 1 : num_threads());
  if (chunks <= 1) {
    fn(0, n);
    return;
  }
  parallel_tasks(static_cast<int>(chunks), [&](int t) {
    i64 b = n * t / chunks, e = n * (t + 1) / chunks;
    if (b < e) fn(b, e);
  });
}

}  // namespace mge
