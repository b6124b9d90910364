// A persistent pool of worker threads. The calling thread takes part in every
// job, so a pool of size 1 has no workers and runs everything inline.
#pragma once
#include <functional>

#include "common.h"

namespace mge {

int num_threads();
void set_num_threads(int n);

// Runs fn(task) for every task in [0, tasks). Tasks run in parallel when the pool has
// workers and this is not already inside a job (nested calls run inline).
void parallel_tasks(int tasks, const std::function<void(int)>& fn);

// Splits [0, n) into contiguous ranges of at least `grain` items, one job per thread at most.
void parallel_for(i64 n, i64 grain, const std::function<void(i64, i64)>& fn);

// True inside a parallel job (so callers can avoid nested splitting).
bool in_parallel_region();

}  // namespace mge
