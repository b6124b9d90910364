// The N-API surface of the cpu backend. Every entry point checks its buffers'
// types and lengths against the parameters before any kernel runs, and reports
// a bad call as a JS exception naming the operator and argument: a wrong call
// from JavaScript must never crash the process.
#include <napi.h>

#include <cmath>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "depthwise.h"
#include "attention.h"
#include "fused_elementwise.h"
#include "gelu.h"
#include "layernorm.h"
#include "cross_entropy.h"
#include "gemm.h"
#include "indexing.h"
#include "memory.h"
#include "ops.h"
#include "pointwise.h"
#include "pool_max.h"
#include "elementwise_program.h"
#include "thread_pool.h"
#include "topk.h"

namespace mge {
namespace {

struct Arr {
  void* data;
  i64 length;
  int dtype;  // kF32 / kI32 / kBool, or -1 for any other typed array
};

[[noreturn]] void fail(const Napi::Env& env, const std::string& op, const std::string& msg) {
  throw Napi::Error::New(env, "cpu." + op + ": " + msg);
}

Arr get_arr(const Napi::CallbackInfo& info, std::size_t i, const char* op, const char* name) {
  Napi::Env env = info.Env();
  if (i >= info.Length() || !info[i].IsTypedArray()) {
    fail(env, op, std::string("argument '") + name + "' must be a typed array");
  }
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, info[i], &type, &length, &data, &ab, &offset) != napi_ok) {
    fail(env, op, std::string("argument '") + name + "' could not be read");
  }
  int dt = -1;
  if (type == napi_float32_array) dt = kF32;
  if (type == napi_int32_array) dt = kI32;
  if (type == napi_uint8_array) dt = kBool;
  if (length > 0 && data == nullptr) fail(env, op, std::string("argument '") + name + "' is detached");
  return Arr{data, static_cast<i64>(length), dt};
}

const char* dtype_name(int dt) {
  switch (dt) {
    case kF32: return "float32 (Float32Array)";
    case kI32: return "int32 (Int32Array)";
    case kBool: return "bool (Uint8Array)";
  }
  return "an unsupported typed array";
}

void expect_dtype(const Napi::Env& env, const char* op, const char* name, const Arr& a, int dt) {
  if (a.dtype != dt) {
    fail(env, op, std::string("argument '") + name + "' must be " + dtype_name(dt) + ", got " + dtype_name(a.dtype));
  }
}

void expect_len(const Napi::Env& env, const char* op, const char* name, const Arr& a, i64 n) {
  if (a.length != n) {
    fail(env, op,
         std::string("argument '") + name + "' must have " + std::to_string(n) + " elements, got " +
             std::to_string(a.length));
  }
}

// Integer parameters arrive in an Int32Array.
struct Params {
  const std::int32_t* v;
  i64 n;
};

Params get_params(const Napi::CallbackInfo& info, std::size_t i, const char* op, i64 min_len) {
  Arr a = get_arr(info, i, op, "params");
  expect_dtype(info.Env(), op, "params", a, kI32);
  if (a.length < min_len) {
    fail(info.Env(), op,
         "argument 'params' must have at least " + std::to_string(min_len) + " entries, got " +
             std::to_string(a.length));
  }
  return Params{static_cast<const std::int32_t*>(a.data), a.length};
}

i64 get_int(const Napi::CallbackInfo& info, std::size_t i, const char* op, const char* name) {
  if (i >= info.Length() || !info[i].IsNumber()) fail(info.Env(), op, std::string("argument '") + name + "' must be a number");
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v == std::floor(v)) || std::fabs(v) > 9007199254740991.0) {
    fail(info.Env(), op, std::string("argument '") + name + "' must be an integer, got " + std::to_string(v));
  }
  return static_cast<i64>(v);
}

// Product of dims with range checks: no dim negative, and the product of the non-zero
// dims stays below 2^53, so no size computed from them can overflow.
i64 checked_size(const Napi::Env& env, const char* op, const char* what, const i64* dims, int rank) {
  i64 s = 1, nz = 1;
  for (int d = 0; d < rank; ++d) {
    if (dims[d] < 0) fail(env, op, std::string(what) + " has a negative dimension " + std::to_string(dims[d]));
    if (dims[d] == 0) {
      s = 0;
      continue;
    }
    if (nz > (i64(1) << 53) / dims[d]) fail(env, op, std::string(what) + " is too large");
    nz *= dims[d];
    s *= dims[d];
  }
  return s;
}

i64 checked_size(const Napi::Env& env, const char* op, const char* what, std::initializer_list<i64> dims) {
  return checked_size(env, op, what, dims.begin(), static_cast<int>(dims.size()));
}

int get_rank(const Napi::Env& env, const char* op, i64 r) {
  if (r < 0 || r > kMaxRank) {
    fail(env, op, "rank must be between 0 and " + std::to_string(kMaxRank) + ", got " + std::to_string(r));
  }
  return static_cast<int>(r);
}

// ---- memory-free entry points ---------------------------------------------------

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("isa", gemm_isa());
  o.Set("threads", num_threads());
  return o;
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  i64 n = get_int(info, 0, "setNumThreads", "n");
  if (n < 1 || n > 256) fail(info.Env(), "setNumThreads", "argument 'n' must be in [1, 256], got " + std::to_string(n));
  set_num_threads(static_cast<int>(n));
  return Napi::Number::New(info.Env(), num_threads());
}

Napi::Value FmaPeak(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), fma_peak_gflops());
}

Napi::Value SetGemmIsa(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) fail(info.Env(), "setGemmIsa", "argument 'isa' must be a string");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  if (name != "avx512" && name != "avx2" && name != "neon" && name != "portable") {
    fail(info.Env(), "setGemmIsa", "argument 'isa' must be avx512, avx2, neon or portable, got " + name);
  }
  return Napi::Boolean::New(info.Env(), set_gemm_isa(name.c_str()));
}

// ---- storage -----------------------------------------------------------------------

// Who frees a block is decided once: napi_create_external_arraybuffer may call the
// finalizer itself when it fails (Node does so for lengths past its Buffer limit) or may
// not, so the finalizer records that it ran and Alloc frees the block only if it did not.
struct Block {
  std::size_t bytes;
  bool handed_to_js = false;
  bool given_back = false;
};

void release_block(napi_env, void* data, void* hint) {
  Block* b = static_cast<Block*>(hint);
  mem_give(data, b->bytes);
  if (b->handed_to_js) delete b;
  else b->given_back = true;  // creation failed; Alloc deletes b
}

Napi::Value AllocImpl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const i64 bytes = get_int(info, 0, "alloc", "bytes");
  if (bytes <= 0 || bytes > (i64(1) << 40)) fail(env, "alloc", "argument 'bytes' must be in [1, 2^40], got " + std::to_string(bytes));
  std::unique_ptr<Block> block(new Block{static_cast<std::size_t>(bytes)});
  void* p = mem_take(block->bytes);
  napi_value ab;
  napi_status st = napi_create_external_arraybuffer(env, p, block->bytes, release_block, block.get(), &ab);
  if (st != napi_ok) {
    if (!block->given_back) mem_give(p, block->bytes);
    // Node leaves its own RangeError pending for a length past its limit; ours says more.
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
    }
    throw Napi::RangeError::New(env, "cpu.alloc: cannot make a buffer of " + std::to_string(bytes) +
                                         " bytes: this runtime refuses external ArrayBuffers of that size");
  }
  block.release()->handed_to_js = true;
  return Napi::Value(env, ab);
}

// alloc(bytes) → ArrayBuffer over native memory, contents unspecified (every kernel writes
// all of its output; the JS side zero-fills where a zeroed buffer is needed). Allocation
// failure is a RangeError, as a failed `new ArrayBuffer` is in JS.
Napi::Value Alloc(const Napi::CallbackInfo& info) {
  try {
    return AllocImpl(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    const double bytes = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0;
    throw Napi::RangeError::New(info.Env(), "cpu.alloc: out of memory allocating " + std::to_string(static_cast<long long>(bytes)) + " bytes");
  }
}

Napi::Value CachedBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(mem_cached_bytes()));
}

Napi::Value TrimCache(const Napi::CallbackInfo& info) {
  mem_trim();
  return info.Env().Undefined();
}

// ---- elementwise -----------------------------------------------------------------

// unary(op, x, out)
void Unary(const Napi::CallbackInfo& info) {
  const char* op = "unary";
  Napi::Env env = info.Env();
  i64 code = get_int(info, 0, op, "op");
  if (code < 0 || code >= kUnaryCount) fail(env, op, "unknown op code " + std::to_string(code));
  Arr x = get_arr(info, 1, op, "x");
  Arr out = get_arr(info, 2, op, "out");
  if (x.dtype < 0) fail(env, op, "argument 'x' must be a Float32Array, Int32Array or Uint8Array");
  const int c = static_cast<int>(code);
  if (!is_logical_unary(c) && x.dtype != kF32 && !(x.dtype == kI32 && has_int_kernel(c))) {
    fail(env, op, std::string("argument 'x' of '") + kUnaryNames[c] + "' must be float32" +
                      (has_int_kernel(c) ? " or int32" : "") + ", got " + dtype_name(x.dtype));
  }
  expect_dtype(env, op, "out", out, is_logical_unary(c) ? kBool : x.dtype);
  expect_len(env, op, "out", out, x.length);
  unary(static_cast<int>(code), x.dtype, x.data, out.data, out.dtype, x.length);
}

// elementwiseProgram(code, inputs, out): code is an Int32Array of [kind, op, a, b] per instruction
// (kind 0 unary, 1 binary; an operand k >= 0 is an earlier instruction's result, k < 0 input -1 - k);
// inputs are Float32Arrays of out's length or of one value (broadcast). float32 arithmetic only.
void ElementwiseProgram(const Napi::CallbackInfo& info) {
  const char* op = "elementwiseProgram";
  Napi::Env env = info.Env();
  Arr code = get_arr(info, 0, op, "code");
  expect_dtype(env, op, "code", code, kI32);
  if (info.Length() < 2 || !info[1].IsArray()) fail(env, op, "argument 'inputs' must be an array of Float32Arrays");
  Arr out = get_arr(info, 2, op, "out");
  expect_dtype(env, op, "out", out, kF32);
  const i64 count = code.length / 4;
  if (code.length % 4 != 0 || count < 1 || count > 64) {
    fail(env, op, "argument 'code' must hold 1 to 64 instructions of 4 integers, got " + std::to_string(code.length) + " integers");
  }
  Napi::Array list = info[1].As<Napi::Array>();
  const int nin = static_cast<int>(list.Length());
  if (nin > 64) fail(env, op, "argument 'inputs' may hold at most 64 arrays, got " + std::to_string(nin));
  std::vector<const float*> ptrs(nin);
  std::vector<char> scalar(nin);
  for (int k = 0; k < nin; ++k) {
    Napi::Value v = list.Get(static_cast<std::uint32_t>(k));
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    napi_value ab;
    size_t off;
    if (!v.IsTypedArray() || napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &off) != napi_ok ||
        type != napi_float32_array) {
      fail(env, op, "inputs[" + std::to_string(k) + "] must be a Float32Array");
    }
    if (static_cast<i64>(length) != out.length && length != 1) {
      fail(env, op, "inputs[" + std::to_string(k) + "] must have " + std::to_string(out.length) + " elements or 1, got " +
                        std::to_string(length));
    }
    if (data == nullptr) fail(env, op, "inputs[" + std::to_string(k) + "] is detached");
    const char* d0 = static_cast<const char*>(data);
    const char* o0 = static_cast<const char*>(out.data);
    if (out.length > 0 && d0 < o0 + out.length * 4 && o0 < d0 + length * 4) {
      fail(env, op, "inputs[" + std::to_string(k) + "] must not share memory with the output");
    }
    ptrs[k] = static_cast<const float*>(data);
    scalar[k] = length == 1 && out.length != 1;
  }
  const std::int32_t* c = static_cast<const std::int32_t*>(code.data);
  std::vector<FusedInstr> prog(static_cast<std::size_t>(count));
  for (i64 j = 0; j < count; ++j) {
    const int kind = c[4 * j], o = c[4 * j + 1], a = c[4 * j + 2], b = c[4 * j + 3];
    const std::string at = "instruction " + std::to_string(j) + ": ";
    if (kind == 0) {
      if (o < 0 || o >= kUnaryCount || is_logical_unary(o)) fail(env, op, at + "unknown float32 unary op code " + std::to_string(o));
    } else if (kind == 1) {
      if (o < 0 || o >= kBinaryCount || is_comparison(o)) fail(env, op, at + "unknown float32 binary op code " + std::to_string(o));
    } else {
      fail(env, op, at + "kind must be 0 (unary) or 1 (binary), got " + std::to_string(kind));
    }
    for (int k = 0; k < (kind == 0 ? 1 : 2); ++k) {
      const int v = k == 0 ? a : b;
      if (v >= j || v < -nin) {
        fail(env, op, at + "operand " + std::to_string(v) + " is neither an earlier instruction nor one of the " +
                          std::to_string(nin) + " inputs");
      }
    }
    prog[static_cast<std::size_t>(j)] = FusedInstr{kind, o, a, kind == 0 ? a : b};
  }
  bool flags[64];
  for (int k = 0; k < nin; ++k) flags[k] = scalar[k] != 0;
  elementwise_program(prog.data(), static_cast<int>(count), ptrs.data(), flags, nin, static_cast<float*>(out.data), out.length);
}

// Reads `count` shapes of rank params[0] that follow it and checks each input dim is 1 or the output's.
struct Shapes {
  int rank;
  i64 dims[5][kMaxRank];
  i64 sizes[5];
};

Shapes read_shapes(const Napi::CallbackInfo& info, std::size_t pidx, const char* op, int count) {
  Napi::Env env = info.Env();
  Params p = get_params(info, pidx, op, 1);
  Shapes s;
  s.rank = get_rank(env, op, p.v[0]);
  if (p.n < 1 + count * s.rank) fail(env, op, "argument 'params' is too short for rank " + std::to_string(s.rank));
  for (int k = 0; k < count; ++k) {
    for (int d = 0; d < s.rank; ++d) s.dims[k][d] = p.v[1 + k * s.rank + d];
    s.sizes[k] = checked_size(env, op, "a shape", s.dims[k], s.rank);
  }
  const int o = count - 1;
  for (int k = 0; k < o; ++k)
    for (int d = 0; d < s.rank; ++d)
      if (s.dims[k][d] != 1 && s.dims[k][d] != s.dims[o][d]) {
        fail(env, op,
             "input " + std::to_string(k) + " dim " + std::to_string(d) + " is " + std::to_string(s.dims[k][d]) +
                 ", which does not broadcast to " + std::to_string(s.dims[o][d]));
      }
  return s;
}

// binary(op, a, b, out, params = [rank, ...aShape, ...bShape, ...outShape])
void Binary(const Napi::CallbackInfo& info) {
  const char* op = "binary";
  Napi::Env env = info.Env();
  i64 code = get_int(info, 0, op, "op");
  if (code < 0 || code >= kBinaryCount) fail(env, op, "unknown op code " + std::to_string(code));
  Arr a = get_arr(info, 1, op, "a");
  Arr b = get_arr(info, 2, op, "b");
  Arr out = get_arr(info, 3, op, "out");
  Shapes s = read_shapes(info, 4, op, 3);
  if (a.dtype < 0) fail(env, op, "argument 'a' must be a Float32Array, Int32Array or Uint8Array");
  expect_dtype(env, op, "b", b, a.dtype);
  expect_dtype(env, op, "out", out, is_comparison(static_cast<int>(code)) ? kBool : a.dtype);
  expect_len(env, op, "a", a, s.sizes[0]);
  expect_len(env, op, "b", b, s.sizes[1]);
  expect_len(env, op, "out", out, s.sizes[2]);
  if (s.sizes[2] == 0) return;
  binary(static_cast<int>(code), a.dtype, Operand{a.data, a.dtype, s.dims[0]}, Operand{b.data, b.dtype, s.dims[1]},
         out.data, s.rank, s.dims[2]);
}

// Two float32 inputs and a float32 output of one length, arguments 0, 1 and 2 (named as the
// operator's signature names them in errors): the fused passes and the elementwise gradients.
struct F32Operands {
  const float* a;
  const float* b;
  float* out;
  i64 n;
};
F32Operands get_f32_operands(const Napi::CallbackInfo& info, const char* op, const char* a_name = "a", const char* b_name = "b",
                             const char* out_name = "out") {
  Napi::Env env = info.Env();
  Arr a = get_arr(info, 0, op, a_name);
  Arr b = get_arr(info, 1, op, b_name);
  Arr out = get_arr(info, 2, op, out_name);
  expect_dtype(env, op, a_name, a, kF32);
  expect_dtype(env, op, b_name, b, kF32);
  expect_dtype(env, op, out_name, out, kF32);
  expect_len(env, op, b_name, b, a.length);
  expect_len(env, op, out_name, out, a.length);
  return {static_cast<const float*>(a.data), static_cast<const float*>(b.data), static_cast<float*>(out.data), a.length};
}

// scaledAdd(a, b, out, alpha, beta): out = alpha·a + beta·b
void ScaledAdd(const Napi::CallbackInfo& info) {
  const char* op = "scaledAdd";
  const F32Operands o = get_f32_operands(info, op);
  if (info.Length() < 5 || !info[3].IsNumber() || !info[4].IsNumber()) fail(info.Env(), op, "arguments 'alpha' and 'beta' must be numbers");
  const float alpha = static_cast<float>(info[3].As<Napi::Number>().DoubleValue());
  const float beta = static_cast<float>(info[4].As<Napi::Number>().DoubleValue());
  scaled_add(o.a, o.b, o.out, o.n, alpha, beta);
}

// mulSign(a, b, out): out = a·sign(b)
void MulSign(const Napi::CallbackInfo& info) {
  const F32Operands o = get_f32_operands(info, "mulSign");
  mul_sign(o.a, o.b, o.out, o.n);
}

// The self-attention passes' shape: params = [batch, seq, heads, dim, causal], then the scale.
AttentionShape read_attention(const Napi::CallbackInfo& info, std::size_t i, const char* op) {
  Napi::Env env = info.Env();
  Params pr = get_params(info, i, op, 5);
  AttentionShape s{pr.v[0], pr.v[1], pr.v[2], pr.v[3], pr.v[4] != 0, 0.0f};
  for (i64 v : {s.batch, s.seq, s.heads, s.dim})
    if (v < 0) fail(env, op, "batch, seq, heads and dim must be non-negative, got " + std::to_string(v));
  checked_size(env, op, "batch·seq·3·heads·dim", {s.batch, s.seq, 3, s.heads, s.dim});
  // each thread keeps two seq×seq score blocks: bounded so that they never fail to allocate
  if (s.seq > 8192) fail(env, op, "seq must be at most 8192 on the cpu backend (two seq×seq scratch blocks per thread), got " + std::to_string(s.seq));
  if (s.batch * s.heads > 2147483647) fail(env, op, "batch·heads must fit in 31 bits");
  if (i + 1 >= info.Length() || !info[i + 1].IsNumber()) fail(env, op, "argument 'scale' must be a number");
  const double scale = info[i + 1].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(scale)) fail(env, op, "argument 'scale' must be finite, got " + std::to_string(scale));
  s.scale = static_cast<float>(scale);
  return s;
}

// selfAttention(qkv, out, params, scale): qkv [B, T, 3, H, E] → out [B, T, H, E]
void SelfAttention(const Napi::CallbackInfo& info) {
  const char* op = "selfAttention";
  Napi::Env env = info.Env();
  Arr qkv = get_arr(info, 0, op, "qkv");
  Arr out = get_arr(info, 1, op, "out");
  const AttentionShape s = read_attention(info, 2, op);
  expect_dtype(env, op, "qkv", qkv, kF32);
  expect_dtype(env, op, "out", out, kF32);
  expect_len(env, op, "qkv", qkv, s.batch * s.seq * 3 * s.heads * s.dim);
  expect_len(env, op, "out", out, s.batch * s.seq * s.heads * s.dim);
  self_attention(static_cast<const float*>(qkv.data), static_cast<float*>(out.data), s);
}

// selfAttentionBackward(qkv, dy, dqkv, params, scale)
void SelfAttentionBackward(const Napi::CallbackInfo& info) {
  const char* op = "selfAttentionBackward";
  Napi::Env env = info.Env();
  Arr qkv = get_arr(info, 0, op, "qkv");
  Arr dy = get_arr(info, 1, op, "dy");
  Arr dqkv = get_arr(info, 2, op, "dqkv");
  const AttentionShape s = read_attention(info, 3, op);
  expect_dtype(env, op, "qkv", qkv, kF32);
  expect_dtype(env, op, "dy", dy, kF32);
  expect_dtype(env, op, "dqkv", dqkv, kF32);
  expect_len(env, op, "qkv", qkv, s.batch * s.seq * 3 * s.heads * s.dim);
  expect_len(env, op, "dy", dy, s.batch * s.seq * s.heads * s.dim);
  expect_len(env, op, "dqkv", dqkv, s.batch * s.seq * 3 * s.heads * s.dim);
  self_attention_backward(static_cast<const float*>(qkv.data), static_cast<const float*>(dy.data),
                          static_cast<float*>(dqkv.data), s);
}

// gelu(x, y): y = x·Φ(x), float32 of one length
void Gelu(const Napi::CallbackInfo& info) {
  const char* op = "gelu";
  Napi::Env env = info.Env();
  Arr x = get_arr(info, 0, op, "x");
  Arr y = get_arr(info, 1, op, "y");
  expect_dtype(env, op, "x", x, kF32);
  expect_dtype(env, op, "y", y, kF32);
  expect_len(env, op, "y", y, x.length);
  gelu(static_cast<const float*>(x.data), static_cast<float*>(y.data), x.length);
}

// geluBackward(x, dy, dx)
void GeluBackward(const Napi::CallbackInfo& info) {
  const F32Operands o = get_f32_operands(info, "geluBackward", "x", "dy", "dx");
  gelu_backward(o.a, o.b, o.out, o.n);
}

// The standardisation's row count, row length and eps, from arguments i, i+1, i+2; the arrays
// must hold rows·cols elements.
struct RowsShape {
  i64 rows, cols;
  float eps;
};
RowsShape read_rows(const Napi::CallbackInfo& info, std::size_t i, const char* op, i64 length) {
  Napi::Env env = info.Env();
  const i64 rows = get_int(info, i, op, "rows");
  const i64 cols = get_int(info, i + 1, op, "cols");
  if (rows < 0 || cols < 0) fail(env, op, "rows and cols must be non-negative, got " + std::to_string(rows) + " and " + std::to_string(cols));
  if (checked_size(env, op, "rows·cols", {rows, cols}) != length)
    fail(env, op, "rows·cols (" + std::to_string(rows) + "·" + std::to_string(cols) + ") must equal the length of x, " + std::to_string(length));
  if (i + 2 >= info.Length() || !info[i + 2].IsNumber()) fail(env, op, "argument 'eps' must be a number");
  const double eps = info[i + 2].As<Napi::Number>().DoubleValue();
  if (!(eps > 0) || !std::isfinite(eps)) fail(env, op, "argument 'eps' must be a positive finite number, got " + std::to_string(eps));
  return {rows, cols, static_cast<float>(eps)};
}

// standardize(x, y, rows, cols, eps)
void Standardize(const Napi::CallbackInfo& info) {
  const char* op = "standardize";
  Napi::Env env = info.Env();
  Arr x = get_arr(info, 0, op, "x");
  Arr y = get_arr(info, 1, op, "y");
  expect_dtype(env, op, "x", x, kF32);
  expect_dtype(env, op, "y", y, kF32);
  expect_len(env, op, "y", y, x.length);
  const RowsShape r = read_rows(info, 2, op, x.length);
  standardize(static_cast<const float*>(x.data), static_cast<float*>(y.data), r.rows, r.cols, r.eps);
}

// standardizeBackward(x, dy, dx, rows, cols, eps)
void StandardizeBackward(const Napi::CallbackInfo& info) {
  const char* op = "standardizeBackward";
  const F32Operands o = get_f32_operands(info, op, "x", "dy", "dx");
  const RowsShape r = read_rows(info, 3, op, o.n);
  standardize_backward(o.a, o.b, o.out, r.rows, r.cols, r.eps);
}

// standardizeAffine(x, w, b, y, rows, cols, eps): y = x̂·w + b, w and b of cols values
void StandardizeAffine(const Napi::CallbackInfo& info) {
  const char* op = "standardizeAffine";
  Napi::Env env = info.Env();
  Arr x = get_arr(info, 0, op, "x");
  Arr w = get_arr(info, 1, op, "weight");
  Arr b = get_arr(info, 2, op, "bias");
  Arr y = get_arr(info, 3, op, "y");
  for (const auto& [name, a] : {std::pair<const char*, const Arr*>{"x", &x}, {"weight", &w}, {"bias", &b}, {"y", &y}})
    expect_dtype(env, op, name, *a, kF32);
  expect_len(env, op, "y", y, x.length);
  const RowsShape r = read_rows(info, 4, op, x.length);
  expect_len(env, op, "weight", w, r.cols);
  expect_len(env, op, "bias", b, r.cols);
  standardize_affine(static_cast<const float*>(x.data), static_cast<const float*>(w.data), static_cast<const float*>(b.data),
                     static_cast<float*>(y.data), r.rows, r.cols, r.eps);
}

// standardizeAffineBackward(x, w, dy, dx, rows, cols, eps)
void StandardizeAffineBackward(const Napi::CallbackInfo& info) {
  const char* op = "standardizeAffineBackward";
  Napi::Env env = info.Env();
  Arr x = get_arr(info, 0, op, "x");
  Arr w = get_arr(info, 1, op, "weight");
  Arr dy = get_arr(info, 2, op, "dy");
  Arr dx = get_arr(info, 3, op, "dx");
  for (const auto& [name, a] : {std::pair<const char*, const Arr*>{"x", &x}, {"weight", &w}, {"dy", &dy}, {"dx", &dx}})
    expect_dtype(env, op, name, *a, kF32);
  expect_len(env, op, "dy", dy, x.length);
  expect_len(env, op, "dx", dx, x.length);
  const RowsShape r = read_rows(info, 4, op, x.length);
  expect_len(env, op, "weight", w, r.cols);
  standardize_affine_backward(static_cast<const float*>(x.data), static_cast<const float*>(w.data), static_cast<const float*>(dy.data),
                              static_cast<float*>(dx.data), r.rows, r.cols, r.eps);
}

// standardizeWeightGrad(x, dy, dw, rows, cols, eps): dw (cols values) = Σ over rows of dy·x̂
void StandardizeWeightGrad(const Napi::CallbackInfo& info) {
  const char* op = "standardizeWeightGrad";
  Napi::Env env = info.Env();
  Arr x = get_arr(info, 0, op, "x");
  Arr dy = get_arr(info, 1, op, "dy");
  Arr dw = get_arr(info, 2, op, "dw");
  for (const auto& [name, a] : {std::pair<const char*, const Arr*>{"x", &x}, {"dy", &dy}, {"dw", &dw}}) expect_dtype(env, op, name, *a, kF32);
  expect_len(env, op, "dy", dy, x.length);
  const RowsShape r = read_rows(info, 3, op, x.length);
  expect_len(env, op, "dw", dw, r.cols);
  standardize_weight_grad(static_cast<const float*>(x.data), static_cast<const float*>(dy.data), static_cast<float*>(dw.data), r.rows,
                          r.cols, r.eps);
}

// The rows and classes of softmaxCrossEntropy from arguments i, i+1: logits hold rows·cols values,
// labels rows.
std::pair<i64, i64> read_softmax_rows(const Napi::CallbackInfo& info, std::size_t i, const char* op, const Arr& x, const Arr& labels) {
  Napi::Env env = info.Env();
  const i64 rows = get_int(info, i, op, "rows");
  const i64 cols = get_int(info, i + 1, op, "cols");
  if (rows < 0 || cols < 1) fail(env, op, "rows must be non-negative and cols positive, got " + std::to_string(rows) + " and " + std::to_string(cols));
  if (checked_size(env, op, "rows·cols", {rows, cols}) != x.length)
    fail(env, op, "rows·cols (" + std::to_string(rows) + "·" + std::to_string(cols) + ") must equal the length of logits, " + std::to_string(x.length));
  expect_dtype(env, op, "labels", labels, kI32);
  expect_len(env, op, "labels", labels, rows);
  return {rows, cols};
}

// softmaxCrossEntropy(logits, labels, loss, rows, cols)
void SoftmaxCrossEntropy(const Napi::CallbackInfo& info) {
  const char* op = "softmaxCrossEntropy";
  Napi::Env env = info.Env();
  Arr x = get_arr(info, 0, op, "logits");
  Arr labels = get_arr(info, 1, op, "labels");
  Arr loss = get_arr(info, 2, op, "loss");
  expect_dtype(env, op, "logits", x, kF32);
  expect_dtype(env, op, "loss", loss, kF32);
  const auto [rows, cols] = read_softmax_rows(info, 3, op, x, labels);
  expect_len(env, op, "loss", loss, rows);
  softmax_cross_entropy(static_cast<const float*>(x.data), static_cast<const std::int32_t*>(labels.data), static_cast<float*>(loss.data),
                        rows, cols);
}

// softmaxCrossEntropyBackward(logits, labels, dloss, dx, rows, cols)
void SoftmaxCrossEntropyBackward(const Napi::CallbackInfo& info) {
  const char* op = "softmaxCrossEntropyBackward";
  Napi::Env env = info.Env();
  Arr x = get_arr(info, 0, op, "logits");
  Arr labels = get_arr(info, 1, op, "labels");
  Arr dloss = get_arr(info, 2, op, "dloss");
  Arr dx = get_arr(info, 3, op, "dx");
  expect_dtype(env, op, "logits", x, kF32);
  expect_dtype(env, op, "dloss", dloss, kF32);
  expect_dtype(env, op, "dx", dx, kF32);
  const auto [rows, cols] = read_softmax_rows(info, 4, op, x, labels);
  expect_len(env, op, "dloss", dloss, rows);
  expect_len(env, op, "dx", dx, x.length);
  softmax_cross_entropy_backward(static_cast<const float*>(x.data), static_cast<const std::int32_t*>(labels.data),
                                 static_cast<const float*>(dloss.data), static_cast<float*>(dx.data), rows, cols);
}

void Where(const Napi::CallbackInfo& info) {
  const char* op = "where";
  Napi::Env env = info.Env();
  Arr c = get_arr(info, 0, op, "cond");
  Arr a = get_arr(info, 1, op, "a");
  Arr b = get_arr(info, 2, op, "b");
  Arr out = get_arr(info, 3, op, "out");
  Shapes s = read_shapes(info, 4, op, 4);
  expect_dtype(env, op, "cond", c, kBool);
  if (a.dtype < 0) fail(env, op, "argument 'a' must be a Float32Array, Int32Array or Uint8Array");
  expect_dtype(env, op, "b", b, a.dtype);
  expect_dtype(env, op, "out", out, a.dtype);
  expect_len(env, op, "cond", c, s.sizes[0]);
  expect_len(env, op, "a", a, s.sizes[1]);
  expect_len(env, op, "b", b, s.sizes[2]);
  expect_len(env, op, "out", out, s.sizes[3]);
  if (s.sizes[3] == 0) return;
  where(Operand{c.data, kBool, s.dims[0]}, Operand{a.data, a.dtype, s.dims[1]}, Operand{b.data, b.dtype, s.dims[2]},
        a.dtype, out.data, s.rank, s.dims[3]);
}

// cast(x, out): the dtypes are the arrays' own.
void Cast(const Napi::CallbackInfo& info) {
  const char* op = "cast";
  Napi::Env env = info.Env();
  Arr x = get_arr(info, 0, op, "x");
  Arr out = get_arr(info, 1, op, "out");
  if (x.dtype < 0) fail(env, op, "argument 'x' must be a Float32Array, Int32Array or Uint8Array");
  if (out.dtype < 0) fail(env, op, "argument 'out' must be a Float32Array, Int32Array or Uint8Array");
  expect_len(env, op, "out", out, x.length);
  cast(x.dtype, x.data, out.dtype, out.data, x.length);
}

// ---- reductions -------------------------------------------------------------------

// reduce(op, x, out, params = [rank, ...shape, ...reducedFlags])
void Reduce(const Napi::CallbackInfo& info) {
  const char* op = "reduce";
  Napi::Env env = info.Env();
  i64 code = get_int(info, 0, op, "op");
  if (code < 0 || code >= kReduceCount) fail(env, op, "unknown op code " + std::to_string(code));
  Arr x = get_arr(info, 1, op, "x");
  Arr out = get_arr(info, 2, op, "out");
  Params p = get_params(info, 3, op, 1);
  int rank = get_rank(env, op, p.v[0]);
  if (p.n < 1 + 2 * rank) fail(env, op, "argument 'params' is too short");
  i64 shape[kMaxRank];
  bool reduced[kMaxRank];
  i64 out_shape[kMaxRank];
  for (int d = 0; d < rank; ++d) {
    shape[d] = p.v[1 + d];
    reduced[d] = p.v[1 + rank + d] != 0;
    out_shape[d] = reduced[d] ? 1 : shape[d];
  }
  if (x.dtype != kF32 && x.dtype != kI32) fail(env, op, "argument 'x' must be float32 or int32");
  expect_dtype(env, op, "out", out, x.dtype);
  expect_len(env, op, "x", x, checked_size(env, op, "x's shape", shape, rank));
  expect_len(env, op, "out", out, checked_size(env, op, "out's shape", out_shape, rank));
  reduce(static_cast<int>(code), x.dtype, x.data, rank, shape, reduced, out.data);
}

// argReduce(isMax, x, out, outer, len, inner)
void ArgReduce(const Napi::CallbackInfo& info) {
  const char* op = "argReduce";
  Napi::Env env = info.Env();
  bool is_max = get_int(info, 0, op, "isMax") != 0;
  Arr x = get_arr(info, 1, op, "x");
  Arr out = get_arr(info, 2, op, "out");
  i64 dims[3] = {get_int(info, 3, op, "outer"), get_int(info, 4, op, "len"), get_int(info, 5, op, "inner")};
  if (x.dtype < 0) fail(env, op, "argument 'x' must be a Float32Array, Int32Array or Uint8Array");
  expect_dtype(env, op, "out", out, kI32);
  expect_len(env, op, "x", x, checked_size(env, op, "x's shape", dims, 3));
  expect_len(env, op, "out", out, dims[0] * dims[2]);
  if (dims[1] > 2147483647) fail(env, op, "the reduced axis is too long for int32 indices");
  arg_reduce(is_max, x.dtype, x.data, dims[0], dims[1], dims[2], static_cast<std::int32_t*>(out.data));
}

// ---- layout -----------------------------------------------------------------------

// strided(x, out, offset, params = [rank, ...outShape, ...strides])
void Strided(const Napi::CallbackInfo& info) {
  const char* op = "strided";
  Napi::Env env = info.Env();
  Arr x = get_arr(info, 0, op, "x");
  Arr out = get_arr(info, 1, op, "out");
  i64 offset = get_int(info, 2, op, "offset");
  Params p = get_params(info, 3, op, 1);
  int rank = get_rank(env, op, p.v[0]);
  if (p.n < 1 + 2 * rank) fail(env, op, "argument 'params' is too short");
  i64 shape[kMaxRank], strides[kMaxRank];
  for (int d = 0; d < rank; ++d) {
    shape[d] = p.v[1 + d];
    strides[d] = p.v[1 + rank + d];
  }
  if (x.dtype < 0) fail(env, op, "argument 'x' must be a Float32Array, Int32Array or Uint8Array");
  expect_dtype(env, op, "out", out, x.dtype);
  i64 n = checked_size(env, op, "outShape", shape, rank);
  expect_len(env, op, "out", out, n);
  if (n == 0) return;
  // Every index the view can reach must lie inside x.
  i64 lo = offset, hi = offset;
  for (int d = 0; d < rank; ++d) {
    const i64 span = (shape[d] - 1) * strides[d];
    if (span < 0) lo += span; else hi += span;
  }
  if (lo < 0 || hi >= x.length) {
    fail(env, op,
         "the view reaches elements [" + std::to_string(lo) + ", " + std::to_string(hi) + "] but x has " +
             std::to_string(x.length) + " elements");
  }
  strided(dtype_size(x.dtype), x.data, rank, shape, strides, offset, out.data);
}

// concat(xs: typed array[], out, params = [outer, ...chunk per input])
void Concat(const Napi::CallbackInfo& info) {
  const char* op = "concat";
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) fail(env, op, "argument 'xs' must be an array of typed arrays");
  Napi::Array list = info[0].As<Napi::Array>();
  Arr out = get_arr(info, 1, op, "out");
  const int count = static_cast<int>(list.Length());
  Params p = get_params(info, 2, op, 1 + count);
  const i64 outer = p.v[0];
  if (outer < 0) fail(env, op, "outer must be non-negative");
  std::vector<const void*> ptrs(count);
  std::vector<i64> chunks(count);
  i64 row = 0;
  for (int i = 0; i < count; ++i) {
    Napi::Value v = list.Get(static_cast<std::uint32_t>(i));
    if (!v.IsTypedArray()) fail(env, op, "xs[" + std::to_string(i) + "] must be a typed array");
    napi_typedarray_type type;
    size_t length;
    void* data;
    napi_value ab;
    size_t off;
    napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &off);
    int dt = type == napi_float32_array ? kF32 : type == napi_int32_array ? kI32 : type == napi_uint8_array ? kBool : -1;
    if (dt != out.dtype) fail(env, op, "xs[" + std::to_string(i) + "] must have the dtype of out");
    chunks[i] = p.v[1 + i];
    if (chunks[i] < 0) fail(env, op, "chunk sizes must be non-negative");
    if (static_cast<i64>(length) != outer * chunks[i]) {
      fail(env, op,
           "xs[" + std::to_string(i) + "] must have " + std::to_string(outer * chunks[i]) + " elements, got " +
               std::to_string(length));
    }
    if (length > 0 && data == nullptr) fail(env, op, "xs[" + std::to_string(i) + "] is detached");
    ptrs[i] = data;
    row += chunks[i];
  }
  if (out.dtype < 0) fail(env, op, "argument 'out' must be a Float32Array, Int32Array or Uint8Array");
  expect_len(env, op, "out", out, outer * row);
  if (outer * row == 0) return;
  concat(dtype_size(out.dtype), count, ptrs.data(), chunks.data(), outer, out.data);
}

// pad(x, out, value, params = [rank, ...shape, ...before, ...after])
void Pad(const Napi::CallbackInfo& info) {
  const char* op = "pad";
  Napi::Env env = info.Env();
  Arr x = get_arr(info, 0, op, "x");
  Arr out = get_arr(info, 1, op, "out");
  if (info.Length() < 3 || !info[2].IsNumber()) fail(env, op, "argument 'value' must be a number");
  double value = info[2].As<Napi::Number>().DoubleValue();
  Params p = get_params(info, 3, op, 1);
  int rank = get_rank(env, op, p.v[0]);
  if (p.n < 1 + 3 * rank) fail(env, op, "argument 'params' is too short");
  i64 shape[kMaxRank], before[kMaxRank], after[kMaxRank], out_shape[kMaxRank];
  for (int d = 0; d < rank; ++d) {
    shape[d] = p.v[1 + d];
    before[d] = p.v[1 + rank + d];
    after[d] = p.v[1 + 2 * rank + d];
    if (before[d] < 0 || after[d] < 0) fail(env, op, "pads must be non-negative");
    out_shape[d] = shape[d] + before[d] + after[d];
  }
  if (x.dtype < 0) fail(env, op, "argument 'x' must be a Float32Array, Int32Array or Uint8Array");
  expect_dtype(env, op, "out", out, x.dtype);
  expect_len(env, op, "x", x, checked_size(env, op, "x's shape", shape, rank));
  expect_len(env, op, "out", out, checked_size(env, op, "out's shape", out_shape, rank));
  pad(x.dtype, x.data, rank, shape, before, after, value, out.data);
}

// ---- GEMM-based -------------------------------------------------------------------

// The optional fused epilogue that follows the parameters: bias (a Float32Array of `channels`
// values, or undefined/null), then relu (0/1, or undefined) — or, when `extended` (conv2d's
// epilogue), the activation (0 none, 1 relu, 2 relu6, 3 hardswish, or undefined) and a residual
// (a Float32Array of the output's length, or undefined/null). The bias may not overlap the output,
// which the epilogue rewrites while it still reads the bias.
Epilogue get_epilogue(const Napi::CallbackInfo& info, std::size_t i, const char* op, i64 channels, const Arr& out,
                      bool extended = true) {
  Napi::Env env = info.Env();
  Epilogue ep;
  if (i < info.Length() && !info[i].IsUndefined() && !info[i].IsNull()) {
    Arr bias = get_arr(info, i, op, "bias");
    expect_dtype(env, op, "bias", bias, kF32);
    expect_len(env, op, "bias", bias, channels);
    const char* b0 = static_cast<const char*>(bias.data);
    const char* o0 = static_cast<const char*>(out.data);
    if (channels > 0 && out.length > 0 && b0 < o0 + out.length * 4 && o0 < b0 + channels * 4) {
      fail(env, op, "argument 'bias' must not share memory with the output");
    }
    ep.bias = static_cast<const float*>(bias.data);
  }
  if (!extended && i + 1 < info.Length() && !info[i + 1].IsUndefined()) {
    const i64 relu = get_int(info, i + 1, op, "relu");
    if (relu != 0 && relu != 1) fail(env, op, "argument 'relu' must be 0 or 1, got " + std::to_string(relu));
    ep.relu = relu == 1;
    ep.act = ep.relu ? Act::kRelu : Act::kNone;
  } else if (i + 1 < info.Length() && !info[i + 1].IsUndefined()) {
    const i64 act = get_int(info, i + 1, op, "activation");
    if (act < 0 || act > 3) {
      fail(env, op, "argument 'activation' must be 0 (none), 1 (relu), 2 (relu6) or 3 (hardswish), got " + std::to_string(act));
    }
    ep.act = static_cast<Act>(act);
    ep.relu = ep.act == Act::kRelu;
  }
  // residual: a Float32Array of the output's length added before the activation
  if (extended && i + 2 < info.Length() && !info[i + 2].IsUndefined() && !info[i + 2].IsNull()) {
    Arr res = get_arr(info, i + 2, op, "residual");
    expect_dtype(env, op, "residual", res, kF32);
    expect_len(env, op, "residual", res, out.length);
    const char* r0 = static_cast<const char*>(res.data);
    const char* o0 = static_cast<const char*>(out.data);
    if (out.length > 0 && r0 < o0 + out.length * 4 && o0 < r0 + out.length * 4) {
      fail(env, op, "argument 'residual' must not share memory with the output");
    }
    ep.residual = static_cast<const float*>(res.data);
    ep.out = static_cast<const float*>(out.data);
  }
  return ep;
}

// matmul(a, b, out, params = [batch, m, n, k, transA, transB, batchA, batchB], bias?, relu?)
void Matmul(const Napi::CallbackInfo& info) {
  const char* op = "matmul";
  Napi::Env env = info.Env();
  Arr a = get_arr(info, 0, op, "a");
  Arr b = get_arr(info, 1, op, "b");
  Arr out = get_arr(info, 2, op, "out");
  Params pr = get_params(info, 3, op, 8);
  MatmulParams p{pr.v[0], pr.v[1], pr.v[2], pr.v[3], pr.v[4] != 0, pr.v[5] != 0, pr.v[6], pr.v[7]};
  checked_size(env, op, "batch·m·n·k", {p.batch, p.m, p.n, p.k});
  if (p.batch_a != 1 && p.batch_a != p.batch) fail(env, op, "batchA must be 1 or batch, got " + std::to_string(p.batch_a));
  if (p.batch_b != 1 && p.batch_b != p.batch) fail(env, op, "batchB must be 1 or batch, got " + std::to_string(p.batch_b));
  expect_dtype(env, op, "a", a, kF32);
  expect_dtype(env, op, "b", b, kF32);
  expect_dtype(env, op, "out", out, kF32);
  expect_len(env, op, "a", a, p.batch_a * p.m * p.k);
  expect_len(env, op, "b", b, p.batch_b * p.k * p.n);
  expect_len(env, op, "out", out, p.batch * p.m * p.n);
  const Epilogue ep = get_epilogue(info, 4, op, p.n, out, false);
  matmul(static_cast<const float*>(a.data), static_cast<const float*>(b.data), static_cast<float*>(out.data), p, ep);
}

ConvParams read_conv(const Napi::CallbackInfo& info, std::size_t i, const char* op) {
  Napi::Env env = info.Env();
  Params pr = get_params(info, i, op, 16);
  ConvParams p{pr.v[0], pr.v[1], pr.v[2], pr.v[3], pr.v[4], pr.v[5], pr.v[6], pr.v[7],
               pr.v[8], pr.v[9], pr.v[10], pr.v[11], pr.v[12], pr.v[13], pr.v[14], pr.v[15]};
  const i64 all[16] = {p.n, p.c, p.h, p.w, p.o, p.kh, p.kw, p.oh, p.ow, p.sh, p.sw, p.ph, p.pw, p.dh, p.dw, p.groups};
  for (i64 v : all)
    if (v < 0) fail(env, op, "convolution parameters must be non-negative, got " + std::to_string(v));
  if (p.sh < 1 || p.sw < 1 || p.dh < 1 || p.dw < 1 || p.groups < 1 || p.kh < 1 || p.kw < 1) {
    fail(env, op, "stride, dilation, kernel size and groups must be at least 1");
  }
  if (p.c % p.groups != 0 || p.o % p.groups != 0) fail(env, op, "groups must divide both c and o");
  return p;
}

void check_conv_buffers(const Napi::Env& env, const char* op, const ConvParams& p, const Arr& x, const char* xn,
                        const Arr& w, const char* wn, const Arr& y, const char* yn, int order) {
  // order: which of (x, w, y) the three arrays are, as sizes: 0 = x, 1 = w, 2 = y.
  const i64 xs = checked_size(env, op, "x", {p.n, p.c, p.h, p.w});
  const i64 ws = checked_size(env, op, "w", {p.o, p.c / p.groups, p.kh, p.kw});
  const i64 ys = checked_size(env, op, "y", {p.n, p.o, p.oh, p.ow});
  checked_size(env, op, "the im2col matrix", {p.c, p.kh, p.kw, p.oh, p.ow});
  const i64 sizes[3] = {xs, ws, ys};
  const int roles[3][3] = {{0, 1, 2}, {2, 1, 0}, {0, 2, 1}};
  const Arr* arrs[3] = {&x, &w, &y};
  const char* names[3] = {xn, wn, yn};
  for (int k = 0; k < 3; ++k) {
    expect_dtype(env, op, names[k], *arrs[k], kF32);
    expect_len(env, op, names[k], *arrs[k], sizes[roles[order][k]]);
  }
}

// conv2d(x, w, y, params[16], bias?, relu?) — params in Conv2dParams' field order.
void Conv2d(const Napi::CallbackInfo& info) {
  const char* op = "conv2d";
  Arr x = get_arr(info, 0, op, "x"), w = get_arr(info, 1, op, "w"), y = get_arr(info, 2, op, "y");
  ConvParams p = read_conv(info, 3, op);
  check_conv_buffers(info.Env(), op, p, x, "x", w, "w", y, "y", 0);
  const Epilogue ep = get_epilogue(info, 4, op, p.o, y);
  conv2d(static_cast<const float*>(x.data), static_cast<const float*>(w.data), static_cast<float*>(y.data), p, ep);
}

// conv2dBackwardInput(dy, w, dx, params[16])
void Conv2dBackwardInput(const Napi::CallbackInfo& info) {
  const char* op = "conv2dBackwardInput";
  Arr dy = get_arr(info, 0, op, "dy"), w = get_arr(info, 1, op, "w"), dx = get_arr(info, 2, op, "dx");
  ConvParams p = read_conv(info, 3, op);
  check_conv_buffers(info.Env(), op, p, dy, "dy", w, "w", dx, "dx", 1);
  conv2d_backward_input(static_cast<const float*>(dy.data), static_cast<const float*>(w.data),
                        static_cast<float*>(dx.data), p);
}

// conv2dBackwardFilter(x, dy, dw, params[16])
void Conv2dBackwardFilter(const Napi::CallbackInfo& info) {
  const char* op = "conv2dBackwardFilter";
  Arr x = get_arr(info, 0, op, "x"), dy = get_arr(info, 1, op, "dy"), dw = get_arr(info, 2, op, "dw");
  ConvParams p = read_conv(info, 3, op);
  check_conv_buffers(info.Env(), op, p, x, "x", dy, "dy", dw, "dw", 2);
  conv2d_backward_filter(static_cast<const float*>(x.data), static_cast<const float*>(dy.data),
                         static_cast<float*>(dw.data), p);
}

// depthwiseConv2d / …BackwardInput / …BackwardFilter: the conv2d entry points for groups == c
// (depthwise.cc); same arguments as conv2d and its gradients.
void check_depthwise(const Napi::Env& env, const char* op, const ConvParams& p) {
  if (p.groups != p.c) fail(env, op, "groups must equal the input channels, got groups " + std::to_string(p.groups) + " and c " + std::to_string(p.c));
}

void DepthwiseConv2d(const Napi::CallbackInfo& info) {
  const char* op = "depthwiseConv2d";
  Arr x = get_arr(info, 0, op, "x"), w = get_arr(info, 1, op, "w"), y = get_arr(info, 2, op, "y");
  ConvParams p = read_conv(info, 3, op);
  check_depthwise(info.Env(), op, p);
  check_conv_buffers(info.Env(), op, p, x, "x", w, "w", y, "y", 0);
  const Epilogue ep = get_epilogue(info, 4, op, p.o, y);
  depthwise_conv2d(static_cast<const float*>(x.data), static_cast<const float*>(w.data), static_cast<float*>(y.data), p, ep);
}

void DepthwiseConv2dBackwardInput(const Napi::CallbackInfo& info) {
  const char* op = "depthwiseConv2dBackwardInput";
  Arr dy = get_arr(info, 0, op, "dy"), w = get_arr(info, 1, op, "w"), dx = get_arr(info, 2, op, "dx");
  ConvParams p = read_conv(info, 3, op);
  check_depthwise(info.Env(), op, p);
  check_conv_buffers(info.Env(), op, p, dy, "dy", w, "w", dx, "dx", 1);
  depthwise_conv2d_backward_input(static_cast<const float*>(dy.data), static_cast<const float*>(w.data),
                                  static_cast<float*>(dx.data), p);
}

void DepthwiseConv2dBackwardFilter(const Napi::CallbackInfo& info) {
  const char* op = "depthwiseConv2dBackwardFilter";
  Arr x = get_arr(info, 0, op, "x"), dy = get_arr(info, 1, op, "dy"), dw = get_arr(info, 2, op, "dw");
  ConvParams p = read_conv(info, 3, op);
  check_depthwise(info.Env(), op, p);
  check_conv_buffers(info.Env(), op, p, x, "x", dy, "dy", dw, "dw", 2);
  depthwise_conv2d_backward_filter(static_cast<const float*>(x.data), static_cast<const float*>(dy.data),
                                   static_cast<float*>(dw.data), p);
}

// A [rows, cols] float32 weight checked and packed once by `pack` into `packed_length(rows, cols)`
// floats: the shared body of packPointwise and packLinear.
Napi::Value PackWeight(const Napi::CallbackInfo& info, const char* op, const char* rows_name, const char* cols_name,
                       i64 (*packed_length)(i64, i64), void (*pack)(const float*, i64, i64, float*)) {
  Napi::Env env = info.Env();
  Arr w = get_arr(info, 0, op, "w");
  const i64 r = get_int(info, 1, op, rows_name), c = get_int(info, 2, op, cols_name);
  if (r < 1 || c < 1 || r > 2147483647 || c > 2147483647) {
    fail(env, op, std::string("arguments '") + rows_name + "' and '" + cols_name + "' must be in [1, 2^31 - 1], got " + rows_name +
                      " " + std::to_string(r) + " and " + cols_name + " " + std::to_string(c));
  }
  expect_dtype(env, op, "w", w, kF32);
  expect_len(env, op, "w", w, checked_size(env, op, "w", {r, c}));
  const i64 len = packed_length(r, c);
  checked_size(env, op, "the packed weight", {len, 4});
  Napi::Float32Array packed = Napi::Float32Array::New(env, static_cast<std::size_t>(len));
  pack(static_cast<const float*>(w.data), r, c, packed.Data());
  return packed;
}

// packPointwise(w, o, c) → the [o, c] filter of a 1×1 convolution packed for pointwiseConv2d
// (the register tile's row panels of the ISA in use), made once per traced inference layer.
Napi::Value PackPointwise(const Napi::CallbackInfo& info) {
  return PackWeight(info, "packPointwise", "o", "c", pointwise_packed_length, pointwise_pack);
}

// pointwiseConv2d(x, packed, y, params[16], bias?, activation?, residual?) → whether it ran: an
// ungrouped conv2d with its [o, c·kh·kw] filter from packPointwise (1×1 unpadded as a GEMM per
// image, of the sampled pixels when strided; any other geometry by output rows of patches). false (nothing
// written) when the filter was packed for another ISA's tile (after setGemmIsa): pack it again.
Napi::Value PointwiseConv2d(const Napi::CallbackInfo& info) {
  const char* op = "pointwiseConv2d";
  Napi::Env env = info.Env();
  Arr x = get_arr(info, 0, op, "x"), packed = get_arr(info, 1, op, "packed"), y = get_arr(info, 2, op, "y");
  ConvParams p = read_conv(info, 3, op);
  // 1×1 stride-1 unpadded: a GEMM per image; any other ungrouped geometry: output rows of patches
  const bool gemm = p.kh == 1 && p.kw == 1 && p.sh == 1 && p.sw == 1 && p.ph == 0 && p.pw == 0 && p.oh == p.h && p.ow == p.w;
  // strided 1×1 unpadded with every sampled pixel inside the image: gathered, then that GEMM
  const bool sampled = !gemm && p.kh == 1 && p.kw == 1 && p.ph == 0 && p.pw == 0 && p.oh > 0 && p.ow > 0 &&
                       (p.oh - 1) * p.sh < p.h && (p.ow - 1) * p.sw < p.w;
  if (p.groups != 1) fail(env, op, "expected an ungrouped convolution, got groups " + std::to_string(p.groups));
  const i64 kdim = checked_size(env, op, "the filter", {p.c, p.kh, p.kw});
  const i64 xs = checked_size(env, op, "x", {p.n, p.c, p.h, p.w});
  const i64 ys = checked_size(env, op, "y", {p.n, p.o, p.oh, p.ow});
  expect_dtype(env, op, "x", x, kF32);
  expect_dtype(env, op, "y", y, kF32);
  expect_dtype(env, op, "packed", packed, kF32);
  expect_len(env, op, "x", x, xs);
  expect_len(env, op, "y", y, ys);
  const int ok = pointwise_packed_check(static_cast<const float*>(packed.data), packed.length, p.o, kdim);
  if (ok < 0) fail(env, op, "argument 'packed' is not a filter of " + std::to_string(p.o) + "×" + std::to_string(kdim) + " made by packPointwise");
  if (ok == 0) return Napi::Boolean::New(env, false);
  const char* x0 = static_cast<const char*>(x.data);
  const char* y0 = static_cast<const char*>(y.data);
  const char* p0 = static_cast<const char*>(packed.data);
  if (xs > 0 && ys > 0 && x0 < y0 + ys * 4 && y0 < x0 + xs * 4) fail(env, op, "argument 'x' must not share memory with the output");
  if (ys > 0 && p0 < y0 + ys * 4 && y0 < p0 + packed.length * 4) fail(env, op, "argument 'packed' must not share memory with the output");
  const Epilogue ep = get_epilogue(info, 4, op, p.o, y);
  if (gemm)
    pointwise_conv2d(static_cast<const float*>(x.data), static_cast<const float*>(packed.data), static_cast<float*>(y.data),
                     p.n, p.c, p.h * p.w, p.o, ep);
  else if (sampled)
    pointwise_conv2d_strided(static_cast<const float*>(x.data), static_cast<const float*>(packed.data),
                             static_cast<float*>(y.data), p, ep);
  else
    rowconv_conv2d(static_cast<const float*>(x.data), static_cast<const float*>(packed.data), static_cast<float*>(y.data), p, ep);
  return Napi::Boolean::New(env, true);
}

// packLinear(w, n, k) → a linear layer's [n, k] weight packed for linearPacked.
Napi::Value PackLinear(const Napi::CallbackInfo& info) {
  return PackWeight(info, "packLinear", "n", "k", linear_packed_length, linear_pack);
}

// linearPacked(x, packed, y, m, n, k, bias?, relu?) → whether it ran: y [m, n] = x [m, k] · wᵀ
// (+ bias, relu) with w from packLinear; false (nothing written) when w was packed for another
// ISA (after setGemmIsa).
Napi::Value LinearPacked(const Napi::CallbackInfo& info) {
  const char* op = "linearPacked";
  Napi::Env env = info.Env();
  Arr x = get_arr(info, 0, op, "x"), packed = get_arr(info, 1, op, "packed"), y = get_arr(info, 2, op, "y");
  const i64 m = get_int(info, 3, op, "m"), n = get_int(info, 4, op, "n"), k = get_int(info, 5, op, "k");
  if (m < 0 || n < 1 || k < 1) {
    fail(env, op, "expected m ≥ 0, n ≥ 1 and k ≥ 1, got m " + std::to_string(m) + ", n " + std::to_string(n) + ", k " + std::to_string(k));
  }
  expect_dtype(env, op, "x", x, kF32);
  expect_dtype(env, op, "y", y, kF32);
  expect_dtype(env, op, "packed", packed, kF32);
  const i64 xs = checked_size(env, op, "x", {m, k}), ys = checked_size(env, op, "y", {m, n});
  expect_len(env, op, "x", x, xs);
  expect_len(env, op, "y", y, ys);
  const int ok = linear_packed_check(static_cast<const float*>(packed.data), packed.length, n, k);
  if (ok < 0) fail(env, op, "argument 'packed' is not a weight of " + std::to_string(n) + "×" + std::to_string(k) + " made by packLinear");
  if (ok == 0) return Napi::Boolean::New(env, false);
  const char* x0 = static_cast<const char*>(x.data);
  const char* y0 = static_cast<const char*>(y.data);
  const char* p0 = static_cast<const char*>(packed.data);
  if (xs > 0 && ys > 0 && x0 < y0 + ys * 4 && y0 < x0 + xs * 4) fail(env, op, "argument 'x' must not share memory with the output");
  if (ys > 0 && p0 < y0 + ys * 4 && y0 < p0 + packed.length * 4) fail(env, op, "argument 'packed' must not share memory with the output");
  const Epilogue ep = get_epilogue(info, 6, op, n, y, false);
  linear_packed(static_cast<const float*>(x.data), static_cast<const float*>(packed.data), static_cast<float*>(y.data), m, n,
                k, ep);
  return Napi::Boolean::New(env, true);
}

PoolParams read_pool(const Napi::CallbackInfo& info, std::size_t i, const char* op) {
  Params pr = get_params(info, i, op, 12);
  PoolParams p{pr.v[0], pr.v[1], pr.v[2], pr.v[3], pr.v[4], pr.v[5],
               pr.v[6], pr.v[7], pr.v[8], pr.v[9], pr.v[10], pr.v[11]};
  const i64 all[12] = {p.n, p.c, p.h, p.w, p.kh, p.kw, p.oh, p.ow, p.sh, p.sw, p.ph, p.pw};
  for (i64 v : all)
    if (v < 0) fail(info.Env(), op, "pooling parameters must be non-negative, got " + std::to_string(v));
  if (p.sh < 1 || p.sw < 1 || p.kh < 1 || p.kw < 1) fail(info.Env(), op, "stride and kernel size must be at least 1");
  return p;
}

// pool2d(isMax, x, y, params[12])
void Pool2d(const Napi::CallbackInfo& info) {
  const char* op = "pool2d";
  Napi::Env env = info.Env();
  bool is_max = get_int(info, 0, op, "isMax") != 0;
  Arr x = get_arr(info, 1, op, "x"), y = get_arr(info, 2, op, "y");
  PoolParams p = read_pool(info, 3, op);
  expect_dtype(env, op, "x", x, kF32);
  expect_dtype(env, op, "y", y, kF32);
  expect_len(env, op, "x", x, checked_size(env, op, "x", {p.n, p.c, p.h, p.w}));
  expect_len(env, op, "y", y, checked_size(env, op, "y", {p.n, p.c, p.oh, p.ow}));
  const float* xd = static_cast<const float*>(x.data);
  float* yd = static_cast<float*>(y.data);
  if (!(is_max && max_pool2d_rows(xd, yd, p))) pool2d(is_max, xd, yd, p);
}

// pool2dBackward(isMax, x, dy, dx, params[12])
void Pool2dBackward(const Napi::CallbackInfo& info) {
  const char* op = "pool2dBackward";
  Napi::Env env = info.Env();
  bool is_max = get_int(info, 0, op, "isMax") != 0;
  Arr x = get_arr(info, 1, op, "x"), dy = get_arr(info, 2, op, "dy"), dx = get_arr(info, 3, op, "dx");
  PoolParams p = read_pool(info, 4, op);
  expect_dtype(env, op, "x", x, kF32);
  expect_dtype(env, op, "dy", dy, kF32);
  expect_dtype(env, op, "dx", dx, kF32);
  const i64 xs = checked_size(env, op, "x", {p.n, p.c, p.h, p.w});
  expect_len(env, op, "x", x, xs);
  expect_len(env, op, "dy", dy, checked_size(env, op, "dy", {p.n, p.c, p.oh, p.ow}));
  expect_len(env, op, "dx", dx, xs);
  pool2d_backward(is_max, static_cast<const float*>(x.data), static_cast<const float*>(dy.data),
                  static_cast<float*>(dx.data), p);
}

// maxPool2dSignBackward(x, dy, dx, params[12]): the max pool's gradient times sign(x)
void MaxPool2dSignBackward(const Napi::CallbackInfo& info) {
  const char* op = "maxPool2dSignBackward";
  Napi::Env env = info.Env();
  Arr x = get_arr(info, 0, op, "x"), dy = get_arr(info, 1, op, "dy"), dx = get_arr(info, 2, op, "dx");
  PoolParams p = read_pool(info, 3, op);
  expect_dtype(env, op, "x", x, kF32);
  expect_dtype(env, op, "dy", dy, kF32);
  expect_dtype(env, op, "dx", dx, kF32);
  const i64 xs = checked_size(env, op, "x", {p.n, p.c, p.h, p.w});
  expect_len(env, op, "x", x, xs);
  expect_len(env, op, "dy", dy, checked_size(env, op, "dy", {p.n, p.c, p.oh, p.ow}));
  expect_len(env, op, "dx", dx, xs);
  max_pool2d_sign_backward(static_cast<const float*>(x.data), static_cast<const float*>(dy.data),
                           static_cast<float*>(dx.data), p);
}

// ---- indexing -----------------------------------------------------------------------

// Reads [rank, axis, xShape…, indexShape…] and checks that index fits x outside `axis`.
void read_index_params(const Napi::CallbackInfo& info, std::size_t i, const char* op, int* rank, int* axis, i64* x_shape,
                       i64* index_shape) {
  Napi::Env env = info.Env();
  Params p = get_params(info, i, op, 2);
  *rank = get_rank(env, op, p.v[0]);
  if (p.n < 2 + 2 * *rank) fail(env, op, "argument 'params' is too short for rank " + std::to_string(*rank));
  *axis = p.v[1];
  if (*rank == 0 || *axis < 0 || *axis >= *rank) fail(env, op, "axis " + std::to_string(*axis) + " is out of range");
  for (int d = 0; d < *rank; ++d) {
    x_shape[d] = p.v[2 + d];
    index_shape[d] = p.v[2 + *rank + d];
    if (d != *axis && index_shape[d] > x_shape[d]) fail(env, op, "index is longer than x on axis " + std::to_string(d));
  }
}

// gather(x, index, out, params)
void Gather(const Napi::CallbackInfo& info) {
  const char* op = "gather";
  Napi::Env env = info.Env();
  Arr x = get_arr(info, 0, op, "x"), index = get_arr(info, 1, op, "index"), out = get_arr(info, 2, op, "out");
  int rank, axis;
  i64 xs[kMaxRank], is[kMaxRank];
  read_index_params(info, 3, op, &rank, &axis, xs, is);
  if (x.dtype < 0) fail(env, op, "argument 'x' must be a Float32Array, Int32Array or Uint8Array");
  expect_dtype(env, op, "index", index, kI32);
  expect_dtype(env, op, "out", out, x.dtype);
  expect_len(env, op, "x", x, checked_size(env, op, "x's shape", xs, rank));
  const i64 n = checked_size(env, op, "index's shape", is, rank);
  expect_len(env, op, "index", index, n);
  expect_len(env, op, "out", out, n);
  gather(x.dtype, x.data, xs, static_cast<const std::int32_t*>(index.data), is, rank, axis, out.data);
}

// scatterAdd(x, index, src, out, params)
void ScatterAdd(const Napi::CallbackInfo& info) {
  const char* op = "scatterAdd";
  Napi::Env env = info.Env();
  Arr x = get_arr(info, 0, op, "x"), index = get_arr(info, 1, op, "index"), src = get_arr(info, 2, op, "src");
  Arr out = get_arr(info, 3, op, "out");
  int rank, axis;
  i64 xs[kMaxRank], is[kMaxRank];
  read_index_params(info, 4, op, &rank, &axis, xs, is);
  if (x.dtype < 0) fail(env, op, "argument 'x' must be a Float32Array, Int32Array or Uint8Array");
  expect_dtype(env, op, "index", index, kI32);
  expect_dtype(env, op, "src", src, x.dtype);
  expect_dtype(env, op, "out", out, x.dtype);
  const i64 size = checked_size(env, op, "x's shape", xs, rank);
  expect_len(env, op, "x", x, size);
  expect_len(env, op, "out", out, size);
  const i64 n = checked_size(env, op, "index's shape", is, rank);
  expect_len(env, op, "index", index, n);
  expect_len(env, op, "src", src, n);
  scatter_add(x.dtype, x.data, xs, static_cast<const std::int32_t*>(index.data), is, src.data, rank, axis, out.data);
}

// argsort(descending, x, out, outer, len, inner)
void Argsort(const Napi::CallbackInfo& info) {
  const char* op = "argsort";
  Napi::Env env = info.Env();
  bool descending = get_int(info, 0, op, "descending") != 0;
  Arr x = get_arr(info, 1, op, "x"), out = get_arr(info, 2, op, "out");
  i64 dims[3] = {get_int(info, 3, op, "outer"), get_int(info, 4, op, "len"), get_int(info, 5, op, "inner")};
  if (x.dtype < 0) fail(env, op, "argument 'x' must be a Float32Array, Int32Array or Uint8Array");
  expect_dtype(env, op, "out", out, kI32);
  const i64 size = checked_size(env, op, "x's shape", dims, 3);
  expect_len(env, op, "x", x, size);
  expect_len(env, op, "out", out, size);
  if (dims[1] > 2147483647) fail(env, op, "the sorted axis is too long for int32 positions");
  argsort(x.dtype, x.data, dims[0], dims[1], dims[2], descending, static_cast<std::int32_t*>(out.data));
}

// topk(descending, x, out, outer, len, inner, k)
void Topk(const Napi::CallbackInfo& info) {
  const char* op = "topk";
  Napi::Env env = info.Env();
  bool descending = get_int(info, 0, op, "descending") != 0;
  Arr x = get_arr(info, 1, op, "x"), out = get_arr(info, 2, op, "out");
  i64 dims[3] = {get_int(info, 3, op, "outer"), get_int(info, 4, op, "len"), get_int(info, 5, op, "inner")};
  const i64 k = get_int(info, 6, op, "k");
  if (x.dtype < 0) fail(env, op, "argument 'x' must be a Float32Array, Int32Array or Uint8Array");
  expect_dtype(env, op, "out", out, kI32);
  expect_len(env, op, "x", x, checked_size(env, op, "x's shape", dims, 3));
  if (dims[1] > 2147483647) fail(env, op, "the selected axis is too long for int32 positions");
  if (k < 1 || k > dims[1]) fail(env, op, "argument 'k' must be in [1, " + std::to_string(dims[1]) + "], got " + std::to_string(k));
  i64 out_dims[3] = {dims[0], k, dims[2]};
  expect_len(env, op, "out", out, checked_size(env, op, "out's shape", out_dims, 3));
  topk(x.dtype, x.data, dims[0], dims[1], dims[2], k, descending, static_cast<std::int32_t*>(out.data));
}

// The same for entry points that return a value.
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value wrap_value(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(info.Env(), "cpu: out of memory");
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string("cpu: ") + e.what());
  }
}

template <void (*F)(const Napi::CallbackInfo&)>
Napi::Value wrap(const Napi::CallbackInfo& info) {
  try {
    F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(info.Env(), "cpu: out of memory");
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string("cpu: ") + e.what());
  }
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
  exports.Set("setGemmIsa", Napi::Function::New(env, SetGemmIsa));
  exports.Set("fmaPeak", Napi::Function::New(env, FmaPeak));
  exports.Set("alloc", Napi::Function::New(env, Alloc));
  exports.Set("cachedBytes", Napi::Function::New(env, CachedBytes));
  exports.Set("trimCache", Napi::Function::New(env, TrimCache));
  // The operator names in code order, for the TypeScript side to check against core's table.
  Napi::Array unary_ops = Napi::Array::New(env, kUnaryCount);
  for (int i = 0; i < kUnaryCount; ++i) unary_ops.Set(i, Napi::String::New(env, kUnaryNames[i]));
  Napi::Array binary_ops = Napi::Array::New(env, kBinaryCount);
  for (int i = 0; i < kBinaryCount; ++i) binary_ops.Set(i, Napi::String::New(env, kBinaryNames[i]));
  exports.Set("unaryOps", unary_ops);
  exports.Set("binaryOps", binary_ops);
  exports.Set("unary", Napi::Function::New(env, wrap<Unary>));
  exports.Set("elementwiseProgram", Napi::Function::New(env, wrap<ElementwiseProgram>));
  exports.Set("binary", Napi::Function::New(env, wrap<Binary>));
  exports.Set("where", Napi::Function::New(env, wrap<Where>));
  exports.Set("scaledAdd", Napi::Function::New(env, wrap<ScaledAdd>));
  exports.Set("gelu", Napi::Function::New(env, wrap<Gelu>));
  exports.Set("geluBackward", Napi::Function::New(env, wrap<GeluBackward>));
  exports.Set("standardize", Napi::Function::New(env, wrap<Standardize>));
  exports.Set("standardizeBackward", Napi::Function::New(env, wrap<StandardizeBackward>));
  exports.Set("standardizeAffine", Napi::Function::New(env, wrap<StandardizeAffine>));
  exports.Set("standardizeAffineBackward", Napi::Function::New(env, wrap<StandardizeAffineBackward>));
  exports.Set("standardizeWeightGrad", Napi::Function::New(env, wrap<StandardizeWeightGrad>));
  exports.Set("softmaxCrossEntropy", Napi::Function::New(env, wrap<SoftmaxCrossEntropy>));
  exports.Set("softmaxCrossEntropyBackward", Napi::Function::New(env, wrap<SoftmaxCrossEntropyBackward>));
  exports.Set("selfAttention", Napi::Function::New(env, wrap<SelfAttention>));
  exports.Set("selfAttentionBackward", Napi::Function::New(env, wrap<SelfAttentionBackward>));
  exports.Set("mulSign", Napi::Function::New(env, wrap<MulSign>));
  exports.Set("cast", Napi::Function::New(env, wrap<Cast>));
  exports.Set("reduce", Napi::Function::New(env, wrap<Reduce>));
  exports.Set("argReduce", Napi::Function::New(env, wrap<ArgReduce>));
  exports.Set("strided", Napi::Function::New(env, wrap<Strided>));
  exports.Set("concat", Napi::Function::New(env, wrap<Concat>));
  exports.Set("pad", Napi::Function::New(env, wrap<Pad>));
  exports.Set("matmul", Napi::Function::New(env, wrap<Matmul>));
  exports.Set("conv2d", Napi::Function::New(env, wrap<Conv2d>));
  exports.Set("conv2dBackwardInput", Napi::Function::New(env, wrap<Conv2dBackwardInput>));
  exports.Set("conv2dBackwardFilter", Napi::Function::New(env, wrap<Conv2dBackwardFilter>));
  exports.Set("pool2d", Napi::Function::New(env, wrap<Pool2d>));
  exports.Set("pool2dBackward", Napi::Function::New(env, wrap<Pool2dBackward>));
  exports.Set("maxPool2dSignBackward", Napi::Function::New(env, wrap<MaxPool2dSignBackward>));
  exports.Set("gather", Napi::Function::New(env, wrap<Gather>));
  exports.Set("scatterAdd", Napi::Function::New(env, wrap<ScatterAdd>));
  exports.Set("argsort", Napi::Function::New(env, wrap<Argsort>));
  exports.Set("topk", Napi::Function::New(env, wrap<Topk>));
  exports.Set("depthwiseConv2d", Napi::Function::New(env, wrap<DepthwiseConv2d>));
  exports.Set("packPointwise", Napi::Function::New(env, wrap_value<PackPointwise>));
  exports.Set("pointwiseConv2d", Napi::Function::New(env, wrap_value<PointwiseConv2d>));
  exports.Set("packLinear", Napi::Function::New(env, wrap_value<PackLinear>));
  exports.Set("linearPacked", Napi::Function::New(env, wrap_value<LinearPacked>));
  exports.Set("depthwiseConv2dBackwardInput", Napi::Function::New(env, wrap<DepthwiseConv2dBackwardInput>));
  exports.Set("depthwiseConv2dBackwardFilter", Napi::Function::New(env, wrap<DepthwiseConv2dBackwardFilter>));
  return exports;
}

}  // namespace
}  // namespace mge

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return mge::Init(env, exports); }

NODE_API_MODULE(mge_cpu, InitModule)
