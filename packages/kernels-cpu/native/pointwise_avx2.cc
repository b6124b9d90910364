// The pre-packed 1×1 convolution's register tile (pointwise_simd.h) for AVX2 + FMA, built with -mavx2 -mfma in its own library.
#define MGE_PW_AVX2 1
#include "pointwise_simd.h"

MGE_POINTWISE_ENTRY(avx2)
