#!/bin/sh
# Builds wasm/mge_kernels.wasm from @mge/kernels-cpu's kernel sources plus native/wasm_api.cc,
# with Debian's emscripten (apt-get install emscripten). Users never run this: the .wasm is
# committed, and CI rebuilds it and checks it matches (scripts/check-wasm.sh).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cpu="$here/../kernels-cpu/native"
out="${1:-$here/wasm/mge_kernels.wasm}"

# The kernel translation units of kernels-cpu compiled for wasm. Not here: addon.cc (N-API
# glue), memory.cc (external ArrayBuffers), thread_pool.cc (std::thread; the serial twin
# thread_pool_serial.cc replaces it), and the x86-only *_avx2/*_avx512 files.
KERNELS="gemm.cc gemm_kernel_wasm.cc conv_direct_wasm.cc epilogue.cc matmul.cc elementwise.cc reduce.cc layout.cc conv.cc conv_winograd.cc grouped.cc pool.cc
  thread_pool_serial.cc"

srcs="$here/native/wasm_api.cc $here/native/memcpy_wasm.cc"
for f in $KERNELS; do srcs="$srcs $cpu/$f"; done

mkdir -p "$(dirname "$out")"
# emscripten's JS optimiser loads acorn from Debian's node modules.
NODE_PATH="${NODE_PATH:-/usr/share/nodejs}" \
  emcc -std=c++17 -O3 -msimd128 -msse2 -fno-math-errno -DNDEBUG -I"$cpu" $srcs \
  --no-entry -sSTANDALONE_WASM -sALLOW_MEMORY_GROWTH -sINITIAL_MEMORY=33554432 -sMAXIMUM_MEMORY=4294967296 \
  -sTOTAL_STACK=1048576 -sEXPORTED_FUNCTIONS=_malloc,_free -o "$out"
echo "built $out ($(wc -c <"$out") bytes)"
