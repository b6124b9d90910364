// The thread pool of a build without threads (the single-thread WebAssembly module): every
// job runs inline on the calling thread. Same interface as thread_pool.cc.
#include "thread_pool.h"

namespace mge {
namespace {
bool g_in_job = false;
}

int num_threads() { return 1; }
void set_num_threads(int) {}
bool in_parallel_region() { return g_in_job; }

void parallel_tasks(int tasks, const std::function<void(int)>& fn) {
  const bool was = g_in_job;
  g_in_job = true;
  for (int t = 0; t < tasks; ++t) fn(t);
  g_in_job = was;
}

void parallel_for(i64 n, i64, const std::function<void(i64, i64)>& fn) {
  if (n <= 0) return;
  const bool was = g_in_job;
  g_in_job = true;
  fn(0, n);
  g_in_job = was;
}

}  // namespace mge
