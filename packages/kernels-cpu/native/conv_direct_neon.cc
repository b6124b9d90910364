// The direct convolutions (conv_direct.h) and the depthwise inner loop (depthwise_simd.h) for aarch64 NEON (part of the aarch64 baseline).
#define MGE_SIMD_NEON 1
#include "conv_direct.h"
#include "conv_direct_entry.h"
#include "depthwise_simd.h"

MGE_CONV_DIRECT_ENTRIES(neon, Neon)
MGE_DEPTHWISE_ENTRY(neon, Neon)
