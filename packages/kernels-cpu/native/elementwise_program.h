// A fused elementwise program (the optional Backend `elementwiseProgram`): a chain of the
// elementwise table's float32 operators evaluated tile by tile, each intermediate living in a
// small per-thread buffer instead of a tensor, so a chain of k operators reads its inputs and
// writes its output once instead of k times. jit's traced programs make these from recorded
// elementwise steps (fuse.ts).
#pragma once
#include "common.h"

namespace mge {

struct FusedInstr {
  int kind;  // 0: unary, 1: binary
  int op;    // UnaryOp / BinaryOp code (ops_generated.h); float32 arithmetic rows only
  // Operands: k >= 0 is the result of instruction k (an earlier one); k < 0 is input -1 - k.
  int a, b;
};

// out[i] = the last instruction's value at element i. An input is either n values or one value
// (scalar[k], broadcast). The caller checked the program (kinds, codes, operand order).
void elementwise_program(const FusedInstr* code, int count, const float* const* inputs, const bool* scalar, int ninputs,
                       float* out, i64 n);

}  // namespace mge
