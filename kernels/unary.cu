// Unary maps y = f(x; alpha, beta): every UnaryOp of src/RawDiffusion/Backends/ElementwiseOps.cs for float and
// double, and the Int32 copy. Each formula is the CPU kernel's (Backends/Cpu/UnaryKernels.cs), so the backends
// agree to rounding. Gradients of the activations are binary ops (binary.cu).
//
// The op is a kernel argument switched on per element: the branch is uniform across the grid and costs a few
// instructions against a memory-bound loop, while a loop specialised per op made the elementwise kernels ten
// times slower to compile (20 s instead of 2 s) and five times larger.
#include "common.cuh"

// Codes are the C# UnaryOp values (a test checks this list against the enum).
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
    // Exact GELU x·Φ(x), with Φ in double for both element types as on the CPU.
    case UNARY_GELU: return x * (T)normcdf((double)x);
    case UNARY_CLAMP: return x < alpha ? alpha : x > beta ? beta : x;
    default: return x;
    }
}

// No __restrict__: in-place maps (y = x) are legal, each element being read and written by the same thread.
template <typename T>
__forceinline__ void unary_contiguous(int op, const T* x, T* y, long long n, T alpha, T beta) {
    for_each_index(n, [&](long long i) { y[i] = apply_unary<T>(op, x[i], alpha, beta); });
}

// Any views of one shape: x may broadcast (0 strides), y may be a strided slice.
template <typename T>
__forceinline__ void unary_strided(int op, const T* x, T* y, const StridedLayout& layout, T alpha, T beta) {
    for_each_strided<2>(layout, [&](const long long (&o)[2]) { y[o[0]] = apply_unary<T>(op, x[o[1]], alpha, beta); });
}

extern "C" {
__global__ void unary_f32(int op, const float* x, float* y, long long n, float alpha, float beta) { unary_contiguous<float>(op, x, y, n, alpha, beta); }
__global__ void unary_f64(int op, const double* x, double* y, long long n, double alpha, double beta) { unary_contiguous<double>(op, x, y, n, alpha, beta); }
__global__ void unary_strided_f32(int op, const float* x, float* y, StridedLayout layout, float alpha, float beta) { unary_strided<float>(op, x, y, layout, alpha, beta); }
__global__ void unary_strided_f64(int op, const double* x, double* y, StridedLayout layout, double alpha, double beta) { unary_strided<double>(op, x, y, layout, alpha, beta); }

// Bias + activation (IBackend.BiasActivation): y = f(y + bias) in place over the rows of a contiguous [rows, n]
// block, bias [n]; pre (when not null) receives y + bias, which the activation's backward needs. One pass where a
// linear layer's broadcast add and its activation took two.
__global__ void bias_activation_f32(int op, float* y, const float* bias, long long rows, int n, float alpha, float* pre) {
    for_each_index(rows * n, [&](long long i) {
        float v = y[i] + bias[i % n];
        if (pre) pre[i] = v;
        y[i] = apply_unary<float>(op, v, alpha, 0.0f);
    });
}
__global__ void bias_activation_f64(int op, double* y, const double* bias, long long rows, int n, double alpha, double* pre) {
    for_each_index(rows * n, [&](long long i) {
        double v = y[i] + bias[i % n];
        if (pre) pre[i] = v;
        y[i] = apply_unary<double>(op, v, alpha, 0.0);
    });
}

// Int32 tensors support copy only; a contiguous copy is a cuMemcpyDtoDAsync.
__global__ void copy_strided_i32(const int* x, int* y, StridedLayout layout) {
    for_each_strided<2>(layout, [&](const long long (&o)[2]) { y[o[0]] = x[o[1]]; });
}
}
