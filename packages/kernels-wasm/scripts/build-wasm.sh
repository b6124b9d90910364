#!/bin/sh
# Builds wasm/mge_kernels.wasm (one thread) and wasm/mge_kernels_mt.wasm (threads over a shared
# memory) from @mge/kernels-cpu's kernel sources plus native/, with Debian's emscripten
# (apt-get install emscripten). Users never run this: both modules are committed, and CI rebuilds
# them and checks they match (scripts/check-wasm.sh).
#   sh scripts/build-wasm.sh [out-dir]     (default: wasm/)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cpu="$here/../kernels-cpu/native"
out="${1:-$here/wasm}"

# The kernel translation units of kernels-cpu compiled for wasm. Not here: addon.cc (N-API
# glue), memory.cc (external ArrayBuffers), thread_pool.cc (std::thread; its twins
# thread_pool_serial.cc and thread_pool_wasm.cc replace it), and the x86-only *_avx2/*_avx512 files.
KERNELS="gemm.cc gemm_kernel_wasm.cc conv_direct_wasm.cc epilogue.cc matmul.cc elementwise.cc reduce.cc layout.cc conv.cc conv_winograd.cc grouped.cc pool.cc"

srcs="$here/native/wasm_api.cc $here/native/memcpy_wasm.cc"
for f in $KERNELS; do srcs="$srcs $cpu/$f"; done

mkdir -p "$out"
common="-std=c++17 -O3 -msimd128 -msse2 -fno-math-errno -DNDEBUG -I$cpu --no-entry -sSTANDALONE_WASM
  -sALLOW_MEMORY_GROWTH -sINITIAL_MEMORY=33554432 -sMAXIMUM_MEMORY=4294967296 -sTOTAL_STACK=1048576"
# emscripten's JS optimiser loads acorn from Debian's node modules.
export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"

# shellcheck disable=SC2086
emcc $common $srcs "$cpu/thread_pool_serial.cc" -sEXPORTED_FUNCTIONS=_malloc,_free -o "$out/mge_kernels.wasm"
echo "built $out/mge_kernels.wasm ($(wc -c <"$out/mge_kernels.wasm") bytes)"

# Threads: emscripten 3.1.6 refuses -pthread with STANDALONE_WASM, so the module is built with
# atomics and imports a shared memory; the host instantiates it once per worker (src/threads.ts).
# libc and libc++ are the single-thread builds (no atomics feature), hence --no-check-features;
# they hold no state the kernels share between threads except malloc's. Thread-locals stay
# thread-local (each instance gets a block from mge_thread_init) and malloc & co. go through the
# lock in native/threads_wasm.cc.
wrap="-Wl,--wrap=malloc -Wl,--wrap=free -Wl,--wrap=calloc -Wl,--wrap=realloc -Wl,--wrap=memalign -Wl,--wrap=posix_memalign"
# shellcheck disable=SC2086
emcc $common -matomics -mbulk-memory $srcs "$cpu/thread_pool_wasm.cc" "$here/native/threads_wasm.cc" \
  -sIMPORTED_MEMORY -Wl,--shared-memory -Wl,--no-check-features $wrap -o "$out/mge_kernels_mt.wasm"
echo "built $out/mge_kernels_mt.wasm ($(wc -c <"$out/mge_kernels_mt.wasm") bytes)"
