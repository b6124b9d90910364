// The three C entry points of one ISA's direct convolutions (declared in conv_direct_api.h).
#pragma once

#define MGE_CONV_DIRECT_ENTRIES(isa, S)                                                                             \
  extern "C" void mge_conv2d_direct_##isa(const float* x, const float* w, float* y, std::int64_t n0,                \
                                          std::int64_t n1, std::int64_t c, std::int64_t h, std::int64_t wd,         \
                                          std::int64_t o, std::int64_t kh, std::int64_t kw, std::int64_t oh,        \
                                          std::int64_t ow, void (*done)(void*, std::int64_t), void* ctx) {          \
    conv_forward<S>(x, w, y, n0, n1, c, h, wd, o, kh, kw, oh, ow, done, ctx);                                       \
  }                                                                                                                 \
  extern "C" void mge_conv2d_input_direct_##isa(const float* dy, const float* w, float* dx, std::int64_t n0,        \
                                                std::int64_t n1, std::int64_t c, std::int64_t h, std::int64_t wd,   \
                                                std::int64_t o, std::int64_t kh, std::int64_t kw, std::int64_t oh,  \
                                                std::int64_t ow) {                                                  \
    conv_input<S>(dy, w, dx, n0, n1, c, h, wd, o, kh, kw, oh, ow);                                                  \
  }                                                                                                                 \
  extern "C" int mge_conv2d_filter_direct_##isa(const float* x, const float* dy, float* dw, std::int64_t n0,        \
                                                std::int64_t n1, std::int64_t c, std::int64_t h, std::int64_t wd,   \
                                                std::int64_t o, std::int64_t kh, std::int64_t kw, std::int64_t oh,  \
                                                std::int64_t ow) {                                                  \
    return conv_filter<S>(x, dy, dw, n0, n1, c, h, wd, o, kh, kw, oh, ow);                                          \
  }
