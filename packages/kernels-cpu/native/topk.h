// topk: the first k of argsort along one axis, without sorting the whole axis.
#pragma once
#include "common.h"

namespace mge {

// int32 positions of the k first elements in stable sorted order along the middle axis of
// [outer, n, inner] (NaN last); out is [outer, k, inner]. 0 < k <= n is checked by addon.cc.
void topk(int dtype, const void* x, i64 outer, i64 n, i64 inner, i64 k, bool descending, std::int32_t* out);

}  // namespace mge
