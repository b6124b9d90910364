// gather / scatterAdd / argsort along one axis. Shapes are checked by addon.cc; index
// values are not, so kernels skip (gather: write 0 for) any index outside [0, n).
#pragma once
#include "common.h"

namespace mge {

// out (index's shape) = x with coordinate `axis` replaced by index.
void gather(int dtype, const void* x, const i64* x_shape, const std::int32_t* index, const i64* index_shape,
            int rank, int axis, void* out);
// out (x's shape) = x, then src[i] added at x[i with coordinate `axis` = index[i]] (bool: or).
void scatter_add(int dtype, const void* x, const i64* x_shape, const std::int32_t* index, const i64* index_shape,
                 const void* src, int rank, int axis, void* out);
// Stable int32 sorting positions along the middle axis of [outer, n, inner]; NaN sorts last.
void argsort(int dtype, const void* x, i64 outer, i64 n, i64 inner, bool descending, std::int32_t* out);

}  // namespace mge
