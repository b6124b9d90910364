// memcpy for the wasm build. Emscripten's libc memcpy without bulk memory copies a word at
// a time, and im2col, packing and gathers call it for every short row (LeNet: 28 floats);
// it was the hottest function of a conv. (Bulk memory's memory.copy would do, but LLVM 14
// refuses it next to the kernels' thread_local scratch in a build without atomics.)
#include <wasm_simd128.h>

#include <cstddef>
#include <cstdint>

extern "C" __attribute__((no_builtin("memcpy"))) void* memcpy(void* __restrict dst, const void* __restrict src,
                                                               std::size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  for (; n >= 64; n -= 64, d += 64, s += 64) {
    const v128_t a = wasm_v128_load(s), b = wasm_v128_load(s + 16), c = wasm_v128_load(s + 32),
                 e = wasm_v128_load(s + 48);
    wasm_v128_store(d, a);
    wasm_v128_store(d + 16, b);
    wasm_v128_store(d + 32, c);
    wasm_v128_store(d + 48, e);
  }
  for (; n >= 16; n -= 16, d += 16, s += 16) wasm_v128_store(d, wasm_v128_load(s));
  for (; n >= 4; n -= 4, d += 4, s += 4) {
    std::uint32_t w;
    __builtin_memcpy_inline(&w, s, 4);
    __builtin_memcpy_inline(d, &w, 4);
  }
  for (; n > 0; --n) *d++ = *s++;
  return dst;
}
