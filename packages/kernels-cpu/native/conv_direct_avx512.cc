// The direct convolutions (conv_direct.h) and the depthwise inner loop (depthwise_simd.h) for AVX-512, built with -mavx512f in its own library.
#define MGE_SIMD_AVX512 1
#include "conv_direct.h"
#include "conv_direct_entry.h"
#include "depthwise_simd.h"

MGE_CONV_DIRECT_ENTRIES(avx512, Avx512)
MGE_DEPTHWISE_ENTRY(avx512, Avx512)
