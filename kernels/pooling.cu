// Max and sum pooling over contiguous planes [planes, height, width], forward and backward (IBackend.Pooling.cs), the
// twins of Backends/Cpu/CpuBackend.Pooling.cs. Windows are clipped to the image, so padding is never read. Every
// kernel writes each output from one thread, in the CPU's summation order: the backward passes gather over the
// windows that cover a pixel rather than scatter with atomics, so results are deterministic and equal the CPU's.
#include "rows.cuh"

// The geometry of Pool2dGeometry.cs, with its derived output size.
struct PoolGeometry {
    int height, width;
    int kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w;
    int out_h, out_w;
};
static_assert(sizeof(PoolGeometry) == 40, "PoolGeometry must match PoolingGeometry in CudaPrimitives.Pooling.cs");

__forceinline__ int floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// The windows [first, last) along one dimension that contain input position i: o·stride − pad ≤ i < o·stride − pad + kernel.
__forceinline__ void covering_windows(int i, int kernel, int stride, int pad, int outputs, int& first, int& last) {
    first = max(0, floor_div(i + pad - kernel, stride) + 1);
    last = min(outputs, (i + pad) / stride + 1);
}

// One thread per output: the window's maximum and its position ih·width + iw, scanning rows then columns; v > best
// or a NaN takes over, exactly the CPU's test.
template <typename T>
__forceinline__ void max_pool2d(const T* __restrict__ x, T* __restrict__ y, int* __restrict__ indices, PoolGeometry g, int planes) {
    const long long outputs = (long long)g.out_h * g.out_w;
    for_each_flat(planes * outputs, [&](auto i) {
        auto t = i / g.out_w;
        int ow = (int)(i - t * g.out_w);
        int oh = (int)(t % g.out_h);
        auto p = t / g.out_h;
        int h0 = max(0, oh * g.stride_h - g.pad_h), h1 = min(g.height, oh * g.stride_h - g.pad_h + g.kernel_h);
        int w0 = max(0, ow * g.stride_w - g.pad_w), w1 = min(g.width, ow * g.stride_w - g.pad_w + g.kernel_w);
        const T* plane = x + (long long)p * g.height * g.width;
        T best = negative_infinity<T>();
        int at = h0 * g.width + w0;
        for (int ih = h0; ih < h1; ih++)
            for (int iw = w0; iw < w1; iw++) {
                T v = plane[ih * g.width + iw];
                if (v > best || isnan(v)) {
                    best = v;
                    at = ih * g.width + iw;
                }
            }
        y[i] = best;
        indices[i] = at;
    });
}

// One thread per input pixel: the gradients of the outputs whose recorded maximum it is, in output order (the
// order in which the CPU adds them into the cleared plane). Indices are as max_pool2d writes them, each inside its
// own window, so only the windows covering the pixel can name it.
template <typename T>
__forceinline__ void max_pool2d_backward(const T* __restrict__ gy, const int* __restrict__ indices, T* __restrict__ gx, PoolGeometry g, int planes) {
    const long long outputs = (long long)g.out_h * g.out_w;
    for_each_flat((long long)planes * g.height * g.width, [&](auto i) {
        auto t = i / g.width;
        int iw = (int)(i - t * g.width);
        int ih = (int)(t % g.height);
        auto p = t / g.height;
        int oh0, oh1, ow0, ow1;
        covering_windows(ih, g.kernel_h, g.stride_h, g.pad_h, g.out_h, oh0, oh1);
        covering_windows(iw, g.kernel_w, g.stride_w, g.pad_w, g.out_w, ow0, ow1);
        const int at = ih * g.width + iw;
        const long long first = (long long)p * outputs;
        T sum = T(0);
        for (int oh = oh0; oh < oh1; oh++)
            for (int ow = ow0; ow < ow1; ow++) {
                long long o = first + (long long)oh * g.out_w + ow;
                if (indices[o] == at) sum += gy[o];
            }
        gx[i] = sum;
    });
}

// One thread per output: scale · the window's sum, taken in row-then-column order from 0.
template <typename T>
__forceinline__ void sum_pool2d(const T* __restrict__ x, T* __restrict__ y, PoolGeometry g, int planes, T scale) {
    const long long outputs = (long long)g.out_h * g.out_w;
    for_each_flat(planes * outputs, [&](auto i) {
        auto t = i / g.out_w;
        int ow = (int)(i - t * g.out_w);
        int oh = (int)(t % g.out_h);
        auto p = t / g.out_h;
        int h0 = max(0, oh * g.stride_h - g.pad_h), h1 = min(g.height, oh * g.stride_h - g.pad_h + g.kernel_h);
        int w0 = max(0, ow * g.stride_w - g.pad_w), w1 = min(g.width, ow * g.stride_w - g.pad_w + g.kernel_w);
        const T* plane = x + (long long)p * g.height * g.width;
        T sum = T(0);
        for (int ih = h0; ih < h1; ih++)
            for (int iw = w0; iw < w1; iw++) sum += plane[ih * g.width + iw];
        y[i] = scale * sum;
    });
}

// One thread per input pixel: scale · the sum of the output gradients of the windows that contain it (0 for a pixel
// no window covers). Nearest-neighbour upsampling is this with kernel = stride = the scale factor.
template <typename T>
__forceinline__ void sum_pool2d_backward(const T* __restrict__ gy, T* __restrict__ gx, PoolGeometry g, int planes, T scale) {
    const long long outputs = (long long)g.out_h * g.out_w;
    for_each_flat((long long)planes * g.height * g.width, [&](auto i) {
        auto t = i / g.width;
        int iw = (int)(i - t * g.width);
        int ih = (int)(t % g.height);
        auto p = t / g.height;
        int oh0, oh1, ow0, ow1;
        covering_windows(ih, g.kernel_h, g.stride_h, g.pad_h, g.out_h, oh0, oh1);
        covering_windows(iw, g.kernel_w, g.stride_w, g.pad_w, g.out_w, ow0, ow1);
        const T* plane = gy + (long long)p * outputs;
        T sum = T(0);
        for (int oh = oh0; oh < oh1; oh++)
            for (int ow = ow0; ow < ow1; ow++) sum += plane[(long long)oh * g.out_w + ow];
        gx[i] = scale * sum;
    });
}

extern "C" {
__global__ void max_pool2d_f32(const float* x, float* y, int* indices, PoolGeometry geometry, int planes) { max_pool2d<float>(x, y, indices, geometry, planes); }
__global__ void max_pool2d_f64(const double* x, double* y, int* indices, PoolGeometry geometry, int planes) { max_pool2d<double>(x, y, indices, geometry, planes); }
__global__ void max_pool2d_backward_f32(const float* gy, const int* indices, float* gx, PoolGeometry geometry, int planes) {
    max_pool2d_backward<float>(gy, indices, gx, geometry, planes);
}
__global__ void max_pool2d_backward_f64(const double* gy, const int* indices, double* gx, PoolGeometry geometry, int planes) {
    max_pool2d_backward<double>(gy, indices, gx, geometry, planes);
}
__global__ void sum_pool2d_f32(const float* x, float* y, PoolGeometry geometry, int planes, float scale) { sum_pool2d<float>(x, y, geometry, planes, scale); }
__global__ void sum_pool2d_f64(const double* x, double* y, PoolGeometry geometry, int planes, double scale) { sum_pool2d<double>(x, y, geometry, planes, scale); }
__global__ void sum_pool2d_backward_f32(const float* gy, float* gx, PoolGeometry geometry, int planes, float scale) {
    sum_pool2d_backward<float>(gy, gx, geometry, planes, scale);
}
__global__ void sum_pool2d_backward_f64(const double* gy, double* gx, PoolGeometry geometry, int planes, double scale) {
    sum_pool2d_backward<double>(gy, gx, geometry, planes, scale);
}
}
