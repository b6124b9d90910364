// The direct convolutions (conv_direct.h) and the depthwise inner loop (depthwise_simd.h) for WebAssembly SIMD (the @mge/kernels-wasm build only).
#define MGE_SIMD_WASM128 1
#include "conv_direct.h"
#include "conv_direct_entry.h"
#include "depthwise_simd.h"

MGE_CONV_DIRECT_ENTRIES(wasm, Wasm128)
MGE_DEPTHWISE_ENTRY(wasm, Wasm128)
