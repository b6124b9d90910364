// The pre-packed 1×1 convolution's register tile (pointwise_simd.h) for AVX-512, built with -mavx512f in its own library.
#define MGE_PW_AVX512 1
#include "pointwise_simd.h"

MGE_POINTWISE_ENTRY(avx512)
