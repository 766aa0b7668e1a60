// Elementwise maps: every UnaryOp and BinaryOp of src/RawDiffusion/Backends/ElementwiseOps.cs, forward and
// backward side by side, for float and double. Each formula is the CPU kernel's (Backends/Cpu/UnaryKernels.cs,
// BinaryKernels.cs) so the two backends agree to rounding. The op is a kernel argument and is switched on per
// element: the branch is uniform across the grid and costs a few instructions against a memory-bound loop, while
// specialising every loop per op made this file ten times slower to compile (20 s instead of 2 s) and five times
// larger.
#include "common.cuh"

// Codes are the C# enum values (a test checks these lists against UnaryOp and BinaryOp).
enum UnaryOpCode {
    UNARY_COPY = 0,
    UNARY_NEG = 1,
    UNARY_ADD_SCALAR = 2,
    UNARY_MUL_SCALAR = 3,
    UNARY_POW_SCALAR = 4,
    UNARY_RECIPROCAL = 5,
    UNARY_EXP = 6,
    UNARY_LOG = 7,
    UNARY_SQRT = 8,
    UNARY_RSQRT = 9,
    UNARY_ABS = 10,
    UNARY_SIGN = 11,
    UNARY_SQUARE = 12,
    UNARY_RELU = 13,
    UNARY_LEAKY_RELU = 14,
    UNARY_SIGMOID = 15,
    UNARY_TANH = 16,
    UNARY_SILU = 17,
    UNARY_GELU = 18,
    UNARY_CLAMP = 19,
};

enum BinaryOpCode {
    BINARY_ADD = 0,
    BINARY_SUB = 1,
    BINARY_MUL = 2,
    BINARY_DIV = 3,
    BINARY_POW = 4,
    BINARY_MAXIMUM = 5,
    BINARY_MINIMUM = 6,
    BINARY_EQUAL = 7,
    BINARY_GREATER = 8,
    BINARY_RELU_BACKWARD = 9,
    BINARY_LEAKY_RELU_BACKWARD = 10,
    BINARY_SIGMOID_BACKWARD = 11,
    BINARY_TANH_BACKWARD = 12,
    BINARY_SILU_BACKWARD = 13,
    BINARY_GELU_BACKWARD = 14,
    BINARY_CLAMP_BACKWARD = 15,
};

// GELU is evaluated in double for both element types, as the CPU does, so float results match it to rounding.
__forceinline__ double normal_pdf(double x) { return 0.39894228040143267794 * exp(-0.5 * x * x); }

// ---- unary: y = f(x; alpha, beta) ----
template <typename T>
__forceinline__ T apply_unary(int op, T x, T alpha, T beta) {
    switch (op) {
    case UNARY_COPY: return x;
    case UNARY_NEG: return -x;
    case UNARY_ADD_SCALAR: return x + alpha;
    case UNARY_MUL_SCALAR: return x * alpha;
    case UNARY_POW_SCALAR: return pow(x, alpha);
    case UNARY_RECIPROCAL: return T(1) / x;
    case UNARY_EXP: return exp(x);
    case UNARY_LOG: return log(x);
    case UNARY_SQRT: return sqrt(x);
    case UNARY_RSQRT: return T(1) / sqrt(x);
    case UNARY_ABS: return fabs(x);
    case UNARY_SIGN: return x > T(0) ? T(1) : x < T(0) ? T(-1) : T(0);
    case UNARY_SQUARE: return x * x;
    case UNARY_RELU: return x > T(0) ? x : T(0);
    case UNARY_LEAKY_RELU: return x > T(0) ? x : x * alpha;
    case UNARY_SIGMOID: return T(1) / (T(1) + exp(-x));
    case UNARY_TANH: return tanh(x);
    case UNARY_SILU: return x / (T(1) + exp(-x));
    case UNARY_GELU: return x * (T)normcdf((double)x);
    case UNARY_CLAMP: return x < alpha ? alpha : x > beta ? beta : x;
    default: return x;
    }
}

// ---- binary: z = f(a, b; alpha, beta) ----
// The *Backward ops take a = the activation's saved input x (output y for sigmoid and tanh), b = incoming gradient g.
template <typename T>
__forceinline__ T apply_binary(int op, T a, T b, T alpha, T beta) {
    switch (op) {
    case BINARY_ADD: return a + b;
    case BINARY_SUB: return a - b;
    case BINARY_MUL: return a * b;
    case BINARY_DIV: return a / b;
    case BINARY_POW: return pow(a, b);
    case BINARY_MAXIMUM: return a > b ? a : b;
    case BINARY_MINIMUM: return a < b ? a : b;
    case BINARY_EQUAL: return a == b ? T(1) : T(0);
    case BINARY_GREATER: return a > b ? T(1) : T(0);
    case BINARY_RELU_BACKWARD: return a > T(0) ? b : T(0);
    case BINARY_LEAKY_RELU_BACKWARD: return a > T(0) ? b : b * alpha;
    case BINARY_SIGMOID_BACKWARD: return b * a * (T(1) - a);
    case BINARY_TANH_BACKWARD: return b * (T(1) - a * a);
    case BINARY_SILU_BACKWARD: {
        // d/dx x·σ(x) = σ(x)·(1 + x·(1 − σ(x))).
        T s = T(1) / (T(1) + exp(-a));
        return b * s * (T(1) + a * (T(1) - s));
    }
    case BINARY_GELU_BACKWARD: {
        // d/dx x·Φ(x) = Φ(x) + x·φ(x).
        double x = (double)a;
        return b * (T)(normcdf(x) + x * normal_pdf(x));
    }
    case BINARY_CLAMP_BACKWARD: return a >= alpha && a <= beta ? b : T(0);
    default: return a;
    }
}

// ---- loops ----
// Contiguous forms serve the common case (every operand dense, same order); the strided forms take any views,
// including broadcast (stride 0) operands and strided destinations. No __restrict__: in-place updates (y = x)
// are legal, each element being read and written by the same thread.
template <typename T>
__forceinline__ void unary_contiguous(int op, const T* x, T* y, long long n, T alpha, T beta) {
    for_each_index(n, [&](long long i) { y[i] = apply_unary<T>(op, x[i], alpha, beta); });
}

template <typename T>
__forceinline__ void unary_strided(int op, const T* x, T* y, const StridedLayout& layout, T alpha, T beta) {
    for_each_strided<2>(layout, [&](const long long (&o)[2]) { y[o[0]] = apply_unary<T>(op, x[o[1]], alpha, beta); });
}

template <typename T>
__forceinline__ void binary_contiguous(int op, const T* a, const T* b, T* y, long long n, T alpha, T beta) {
    for_each_index(n, [&](long long i) { y[i] = apply_binary<T>(op, a[i], b[i], alpha, beta); });
}

template <typename T>
__forceinline__ void binary_strided(int op, const T* a, const T* b, T* y, const StridedLayout& layout, T alpha, T beta) {
    for_each_strided<3>(layout, [&](const long long (&o)[3]) { y[o[0]] = apply_binary<T>(op, a[o[1]], b[o[2]], alpha, beta); });
}

template <typename T>
__forceinline__ void copy_strided(const T* x, T* y, const StridedLayout& layout) {
    for_each_strided<2>(layout, [&](const long long (&o)[2]) { y[o[0]] = x[o[1]]; });
}

// ---- entry points (names listed in KernelCatalog.cs) ----
extern "C" {
__global__ void unary_f32(int op, const float* x, float* y, long long n, float alpha, float beta) { unary_contiguous<float>(op, x, y, n, alpha, beta); }
__global__ void unary_f64(int op, const double* x, double* y, long long n, double alpha, double beta) { unary_contiguous<double>(op, x, y, n, alpha, beta); }
__global__ void unary_strided_f32(int op, const float* x, float* y, StridedLayout layout, float alpha, float beta) { unary_strided<float>(op, x, y, layout, alpha, beta); }
__global__ void unary_strided_f64(int op, const double* x, double* y, StridedLayout layout, double alpha, double beta) { unary_strided<double>(op, x, y, layout, alpha, beta); }

__global__ void binary_f32(int op, const float* a, const float* b, float* y, long long n, float alpha, float beta) { binary_contiguous<float>(op, a, b, y, n, alpha, beta); }
__global__ void binary_f64(int op, const double* a, const double* b, double* y, long long n, double alpha, double beta) { binary_contiguous<double>(op, a, b, y, n, alpha, beta); }
__global__ void binary_strided_f32(int op, const float* a, const float* b, float* y, StridedLayout layout, float alpha, float beta) { binary_strided<float>(op, a, b, y, layout, alpha, beta); }
__global__ void binary_strided_f64(int op, const double* a, const double* b, double* y, StridedLayout layout, double alpha, double beta) { binary_strided<double>(op, a, b, y, layout, alpha, beta); }

// Int32 tensors support copy only (UnaryOp.Copy); contiguous int copies use cuMemcpyDtoDAsync.
__global__ void copy_strided_i32(const int* x, int* y, StridedLayout layout) { copy_strided<int>(x, y, layout); }
}
