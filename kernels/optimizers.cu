// Fused parameter updates (IBackend.Optimizers.cs, CpuBackend.Optimizers.cs): one pass over a parameter and its state per
// step. Scalars arrive already derived on the host in double and rounded to the element type, exactly as the CPU
// backend derives them (bias corrections, 1 − β, decoupled decay factor), and the per-element formulas are the
// CPU's in the same order, so the backends differ only where the GPU fuses a multiply and an add.
#include "common.cuh"

// Adam / AdamW: param_scale = 1 − lr·wd (decoupled) or 1; l2 = wd (coupled) or 0; step_size = lr / (1 − β1^t);
// bias_correction2_sqrt = sqrt(1 − β2^t).
template <typename T>
__forceinline__ void adam_step(T* __restrict__ p, const T* __restrict__ g, T* __restrict__ m, T* __restrict__ v, long long n,
                               T param_scale, T l2, T one_minus_beta1, T beta2, T one_minus_beta2, T step_size,
                               T bias_correction2_sqrt, T eps) {
    for_each_index(n, [&](long long i) {
        T pi = p[i] * param_scale;
        T gi = g[i] + pi * l2;
        T mi = m[i] + (gi - m[i]) * one_minus_beta1;
        T vi = v[i] * beta2 + gi * gi * one_minus_beta2;
        m[i] = mi;
        v[i] = vi;
        p[i] = pi - mi * step_size / (sqrt(vi) / bias_correction2_sqrt + eps);
    });
}

// SGD with optional momentum (buffer ignored, and may be null, when use_momentum is 0), dampening and Nesterov;
// first_step initialises the buffer to the step direction instead of reading it.
template <typename T>
__forceinline__ void sgd_step(T* __restrict__ p, const T* __restrict__ g, T* __restrict__ buffer, long long n,
                              T lr, T momentum, T one_minus_dampening, T weight_decay, int use_momentum, int nesterov, int first_step) {
    for_each_index(n, [&](long long i) {
        T d = g[i] + p[i] * weight_decay;
        if (use_momentum) {
            T b = first_step ? d : buffer[i] * momentum + d * one_minus_dampening;
            buffer[i] = b;
            d = nesterov ? d + b * momentum : b;
        }
        p[i] -= d * lr;
    });
}

// average −= (1 − decay)·(average − source).
template <typename T>
__forceinline__ void ema_update(T* __restrict__ average, const T* __restrict__ source, long long n, T one_minus_decay) {
    for_each_index(n, [&](long long i) { average[i] -= (average[i] - source[i]) * one_minus_decay; });
}

// Multi-tensor Adam / AdamW: up to ADAM_TENSORS parameters in one launch, passed by value in the kernel's parameter
// space (no table upload, so nothing to order against earlier work). blockIdx.y picks the parameter, the x blocks
// stride over its elements with adam_step's formula. The bias corrections differ per parameter (a parameter
// without a gradient in some step has taken fewer steps), so each entry carries its own, derived on the host in
// double as for adam_step and rounded to T here.
#define ADAM_TENSORS 64
struct AdamTensor {
    void* p;
    const void* g;
    void* m;
    void* v;
    long long n;
    double step_size;
    double bias_correction2_sqrt;
};
struct AdamTensorList {
    AdamTensor tensors[ADAM_TENSORS];
    int count;
};
static_assert(sizeof(AdamTensor) == 56, "AdamTensor must match its C# twin (AdamTensorArgument)");
static_assert(sizeof(AdamTensorList) == 3592, "AdamTensorList must match its C# twin (AdamTensorListArgument)");

template <typename T>
__forceinline__ void adam_step_many(const AdamTensorList& list, T param_scale, T l2, T one_minus_beta1, T beta2, T one_minus_beta2, T eps) {
    if ((int)blockIdx.y >= list.count) return;
    const AdamTensor& t = list.tensors[blockIdx.y];
    T* __restrict__ p = (T*)t.p;
    const T* __restrict__ g = (const T*)t.g;
    T* __restrict__ m = (T*)t.m;
    T* __restrict__ v = (T*)t.v;
    const T step_size = (T)t.step_size, bias_correction2_sqrt = (T)t.bias_correction2_sqrt;
    const long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < t.n; i += stride) {
        T pi = p[i] * param_scale;
        T gi = g[i] + pi * l2;
        T mi = m[i] + (gi - m[i]) * one_minus_beta1;
        T vi = v[i] * beta2 + gi * gi * one_minus_beta2;
        m[i] = mi;
        v[i] = vi;
        p[i] = pi - mi * step_size / (sqrt(vi) / bias_correction2_sqrt + eps);
    }
}

extern "C" {
__global__ void adam_step_many_f32(AdamTensorList list, float param_scale, float l2, float one_minus_beta1, float beta2,
                                   float one_minus_beta2, float eps) {
    adam_step_many<float>(list, param_scale, l2, one_minus_beta1, beta2, one_minus_beta2, eps);
}
__global__ void adam_step_many_f64(AdamTensorList list, double param_scale, double l2, double one_minus_beta1, double beta2,
                                   double one_minus_beta2, double eps) {
    adam_step_many<double>(list, param_scale, l2, one_minus_beta1, beta2, one_minus_beta2, eps);
}
__global__ void adam_step_f32(float* p, const float* g, float* m, float* v, long long n, float param_scale, float l2,
                              float one_minus_beta1, float beta2, float one_minus_beta2, float step_size,
                              float bias_correction2_sqrt, float eps) {
    adam_step<float>(p, g, m, v, n, param_scale, l2, one_minus_beta1, beta2, one_minus_beta2, step_size, bias_correction2_sqrt, eps);
}
__global__ void adam_step_f64(double* p, const double* g, double* m, double* v, long long n, double param_scale, double l2,
                              double one_minus_beta1, double beta2, double one_minus_beta2, double step_size,
                              double bias_correction2_sqrt, double eps) {
    adam_step<double>(p, g, m, v, n, param_scale, l2, one_minus_beta1, beta2, one_minus_beta2, step_size, bias_correction2_sqrt, eps);
}
__global__ void sgd_step_f32(float* p, const float* g, float* buffer, long long n, float lr, float momentum,
                             float one_minus_dampening, float weight_decay, int use_momentum, int nesterov, int first_step) {
    sgd_step<float>(p, g, buffer, n, lr, momentum, one_minus_dampening, weight_decay, use_momentum, nesterov, first_step);
}
__global__ void sgd_step_f64(double* p, const double* g, double* buffer, long long n, double lr, double momentum,
                             double one_minus_dampening, double weight_decay, int use_momentum, int nesterov, int first_step) {
    sgd_step<double>(p, g, buffer, n, lr, momentum, one_minus_dampening, weight_decay, use_momentum, nesterov, first_step);
}
__global__ void ema_update_f32(float* average, const float* source, long long n, float one_minus_decay) { ema_update<float>(average, source, n, one_minus_decay); }
__global__ void ema_update_f64(double* average, const double* source, long long n, double one_minus_decay) { ema_update<double>(average, source, n, one_minus_decay); }
}
