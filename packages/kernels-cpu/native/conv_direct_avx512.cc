// The direct convolutions (conv_direct.h) for AVX-512, built with -mavx512f in its own library.
#define MGE_SIMD_AVX512 1
#include "conv_direct.h"
#include "conv_direct_entry.h"

MGE_CONV_DIRECT_ENTRIES(avx512, Avx512)
