// Binary maps z = f(a, b; alpha, beta): every BinaryOp of src/RawDiffusion/Backends/ElementwiseOps.cs for float and
// double — arithmetic and comparisons, and the activation gradients (the *Backward ops, beside the activations'
// forward maps in unary.cu). Each formula is the CPU kernel's (Backends/Cpu/BinaryKernels.cs). The op is switched
// on per element, as in unary.cu.
#include "common.cuh"

// Codes are the C# BinaryOp values (a test checks this list against the enum).
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

// φ(x), in double as on the CPU.
__forceinline__ double normal_pdf(double x) { return 0.39894228040143267794 * exp(-0.5 * x * x); }

// The *Backward ops take a = the activation's saved input x (its output y for sigmoid and tanh), b = incoming gradient.
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

// No __restrict__: in-place updates (y = a) are legal, each element being read and written by the same thread.
template <typename T>
__forceinline__ void binary_contiguous(int op, const T* a, const T* b, T* y, long long n, T alpha, T beta) {
    for_each_index(n, [&](long long i) { y[i] = apply_binary<T>(op, a[i], b[i], alpha, beta); });
}

// Any views of one shape: a and b may broadcast (0 strides), y may be a strided slice.
template <typename T>
__forceinline__ void binary_strided(int op, const T* a, const T* b, T* y, const StridedLayout& layout, T alpha, T beta) {
    for_each_strided<3>(layout, [&](const long long (&o)[3]) { y[o[0]] = apply_binary<T>(op, a[o[1]], b[o[2]], alpha, beta); });
}

extern "C" {
__global__ void binary_f32(int op, const float* a, const float* b, float* y, long long n, float alpha, float beta) { binary_contiguous<float>(op, a, b, y, n, alpha, beta); }
__global__ void binary_f64(int op, const double* a, const double* b, double* y, long long n, double alpha, double beta) { binary_contiguous<double>(op, a, b, y, n, alpha, beta); }
__global__ void binary_strided_f32(int op, const float* a, const float* b, float* y, StridedLayout layout, float alpha, float beta) { binary_strided<float>(op, a, b, y, layout, alpha, beta); }
__global__ void binary_strided_f64(int op, const double* a, const double* b, double* y, StridedLayout layout, double alpha, double beta) { binary_strided<double>(op, a, b, y, layout, alpha, beta); }
}
