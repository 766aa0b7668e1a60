// Lowering of convolutions to GEMM (IBackend.Convolution.cs), the twins of Backends/Cpu/CpuBackend.Convolution.cs.
// The column matrix of a run of images is [channels·kh·kw, images, out_h·out_w]: row (c, i, j) holds, for every
// image and output pixel, the input pixel that kernel tap (i, j) of channel c reads, 0 in the padding.
#include "rows.cuh"

// The geometry of Conv2dGeometry.cs, with its derived output size.
struct ConvGeometry {
    int channels, height, width;
    int kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
    int out_h, out_w;
};
static_assert(sizeof(ConvGeometry) == 52, "ConvGeometry must match ConvolutionGeometry in CudaPrimitives.Convolution.cs");

// One thread per column entry, in column order: the writes are coalesced and neighbouring threads read
// neighbouring pixels of one image row.
template <typename T>
__forceinline__ void im2col(const T* __restrict__ image, T* __restrict__ columns, ConvGeometry g, int images) {
    const long long total = (long long)g.channels * g.kernel_h * g.kernel_w * images * g.out_h * g.out_w;
    for_each_flat(total, [&](auto i) {
        auto t = i / g.out_w;
        int ow = (int)(i - t * g.out_w);
        int oh = (int)(t % g.out_h);
        t /= g.out_h;
        int n = (int)(t % images);
        t /= images;
        int j = (int)(t % g.kernel_w);
        t /= g.kernel_w;
        int tap_row = (int)(t % g.kernel_h);
        int c = (int)(t / g.kernel_h);
        int ih = oh * g.stride_h - g.pad_h + tap_row * g.dilation_h;
        int iw = ow * g.stride_w - g.pad_w + j * g.dilation_w;
        columns[i] = ih >= 0 && ih < g.height && iw >= 0 && iw < g.width
            ? image[(((long long)n * g.channels + c) * g.height + ih) * g.width + iw]
            : T(0);
    });
}

// The adjoint, in gather form: one thread per image pixel adds the column entries that read it, taps in (i, j)
// order from 0 — the order in which the CPU adds each tap's block into the cleared plane, so the sums are the same
// to the bit and no two threads write one pixel. The image block is overwritten.
template <typename T>
__forceinline__ void col2im(const T* __restrict__ columns, T* __restrict__ image, ConvGeometry g, int images) {
    const long long plane = (long long)g.out_h * g.out_w;
    const long long total = (long long)images * g.channels * g.height * g.width;
    for_each_flat(total, [&](auto i) {
        auto t = i / g.width;
        int w = (int)(i - t * g.width);
        int h = (int)(t % g.height);
        t /= g.height;
        int c = (int)(t % g.channels);
        int n = (int)(t / g.channels);
        T sum = T(0);
        for (int tap_row = 0; tap_row < g.kernel_h; tap_row++) {
            int y = h + g.pad_h - tap_row * g.dilation_h;
            if (y < 0 || y % g.stride_h != 0 || y / g.stride_h >= g.out_h) continue;
            int oh = y / g.stride_h;
            for (int j = 0; j < g.kernel_w; j++) {
                int x = w + g.pad_w - j * g.dilation_w;
                if (x < 0 || x % g.stride_w != 0 || x / g.stride_w >= g.out_w) continue;
                long long row = ((long long)c * g.kernel_h + tap_row) * g.kernel_w + j;
                sum += columns[(row * images + n) * plane + (long long)oh * g.out_w + x / g.stride_w];
            }
        }
        image[i] = sum;
    });
}

extern "C" {
__global__ void im2col_f32(const float* image, float* columns, ConvGeometry geometry, int images) { im2col<float>(image, columns, geometry, images); }
__global__ void im2col_f64(const double* image, double* columns, ConvGeometry geometry, int images) { im2col<double>(image, columns, geometry, images); }
__global__ void col2im_f32(const float* columns, float* image, ConvGeometry geometry, int images) { col2im<float>(columns, image, geometry, images); }
__global__ void col2im_f64(const double* columns, double* image, ConvGeometry geometry, int images) { col2im<double>(columns, image, geometry, images); }
}
