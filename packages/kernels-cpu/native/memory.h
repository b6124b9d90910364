// Tensor storage for the JS side: 64-byte aligned blocks that become external
// ArrayBuffers. When the GC collects one, its block returns to a size-keyed cache
// (bounded), so steady-state training reuses memory that is already mapped and
// faulted in, instead of asking the OS for fresh zeroed pages on every op.
#pragma once
#include <cstddef>

namespace mge {

void* mem_take(std::size_t bytes);
void mem_give(void* p, std::size_t bytes);  // thread-safe: V8 may run deleters off the JS thread
std::size_t mem_cached_bytes();
void mem_trim();

}  // namespace mge
