// Shared types for the cpu backend's kernels. Kernels trust their arguments:
// addon.cc validates every size against the buffers before calling them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace mge {

using i64 = std::int64_t;

// Element types as the JS side numbers them (see src/native.ts).
enum DType : int { kF32 = 0, kI32 = 1, kBool = 2 };

inline std::size_t dtype_size(int dt) { return dt == kBool ? 1 : 4; }

// The largest rank a kernel accepts; deeper tensors are rejected with an error.
constexpr int kMaxRank = 16;

// Thrown by kernels' own argument checks; addon.cc turns it into a JS Error.
struct KernelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace mge
