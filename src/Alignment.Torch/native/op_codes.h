// The one table of the bridge's elementwise op codes: each row is a code's name and its number. tensor_ops.cpp builds
// its enums from these rows; the C# side (Tensor.UnaryOp and Tensor.BinaryOp in Tensor.Math.cs) carries the same
// numbers, and atg_op_name returns the name of a code so a test (tests/Alignment.Torch.Tests/OpCodeTests.cs) compares
// both sides through the compiled bridge and fails when an entry differs or is swapped.
#pragma once

#define ATG_UNARY_OPS(X)                                                                              \
    X(NEG, 0) X(EXP, 1) X(LOG, 2) X(SQRT, 3) X(RSQRT, 4) X(TANH, 5) X(SIGMOID, 6) X(SILU, 7)         \
    X(GELU, 8) X(GELU_TANH, 9) X(LOGSIGMOID, 10) X(ABS, 11) X(RELU, 12) X(SIN, 13) X(COS, 14)        \
    X(LOG1P, 15) X(EXPM1, 16) X(SIGN, 17) X(FLOOR, 18) X(CEIL, 19) X(ROUND, 20) X(LOGICAL_NOT, 21)   \
    X(RECIPROCAL, 22) X(SQUARE, 23) X(ISNAN, 24) X(ISINF, 25)

// Tensor-tensor and tensor-scalar ops share these codes.
#define ATG_BINARY_OPS(X)                                                                             \
    X(ADD, 0) X(SUB, 1) X(MUL, 2) X(DIV, 3) X(POW, 4) X(EQ, 5) X(NE, 6) X(LT, 7) X(LE, 8) X(GT, 9)   \
    X(GE, 10) X(MAXIMUM, 11) X(MINIMUM, 12) X(LOGICAL_AND, 13) X(LOGICAL_OR, 14) X(REMAINDER, 15)    \
    X(FLOOR_DIVIDE, 16)

// Reversed forms that exist only with a scalar left operand (scalar - t, scalar / t, scalar ^ t).
#define ATG_SCALAR_ONLY_OPS(X) X(RSUB, 100) X(RDIV, 101) X(RPOW, 102)
