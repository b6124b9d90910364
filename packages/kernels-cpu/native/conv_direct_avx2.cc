// The direct convolutions (conv_direct.h) and the depthwise inner loop (depthwise_simd.h) for AVX2+FMA, built with -mavx2 -mfma in its own library.
#define MGE_SIMD_AVX2 1
#include "conv_direct.h"
#include "conv_direct_entry.h"
#include "depthwise_simd.h"

MGE_CONV_DIRECT_ENTRIES(avx2, Avx2)
MGE_DEPTHWISE_ENTRY(avx2, Avx2)
