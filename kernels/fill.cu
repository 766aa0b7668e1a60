// Fill: every element of a view set to one value. Contiguous 4-byte fills (float32, int32) go through
// cuMemsetD32Async with the value's bit pattern instead; float64 and strided views need these kernels.
#include "common.cuh"

template <typename T>
__forceinline__ void fill_strided(T* y, const StridedLayout& layout, T value) {
    for_each_strided<1>(layout, [&](const long long (&o)[1]) { y[o[0]] = value; });
}

extern "C" {
__global__ void fill_f64(double* __restrict__ y, long long n, double value) {
    for_each_index(n, [&](long long i) { y[i] = value; });
}
__global__ void fill_strided_f32(float* y, StridedLayout layout, float value) { fill_strided<float>(y, layout, value); }
__global__ void fill_strided_f64(double* y, StridedLayout layout, double value) { fill_strided<double>(y, layout, value); }
__global__ void fill_strided_i32(int* y, StridedLayout layout, int value) { fill_strided<int>(y, layout, value); }
}
