// Row-parallel building blocks shared by the softmax, loss, normalisation and argmax kernels, and flat index loops
// with cheap index arithmetic.
//
// Row tiling: a block of (blockDim.x, blockDim.y) threads takes blockDim.y rows at a time, blockDim.x threads to a
// row (a power of two, 1 to 1024), blocks striding over the rows. The host (CudaPrimitives.Rows.cs) picks the width
// from the row length and keeps every block a whole number of warps, which the full-mask shuffles below rely on.
#pragma once
#include "common.cuh"

// Row-tiled kernels may run with 1024 threads per block; this caps their registers so such a launch always fits.
#define ROW_TILED __launch_bounds__(1024)

// Calls body(row, active) for every group of blockDim.y rows this block takes. The loop bound is uniform across the
// block, so bodies may use barriers (row_allreduce); threads past the last row run with active = false and must
// not touch memory, only take part in the reductions.
template <typename Body>
__forceinline__ void for_each_row_tile(long long rows, Body body) {
    for (long long first = (long long)blockIdx.x * blockDim.y; first < rows; first += (long long)gridDim.x * blockDim.y) {
        long long row = first + threadIdx.y;
        body(row, row < rows);
    }
}

// Combines v over the blockDim.x threads of each row with op; every thread of the row gets the result. Called by
// every thread of the block: rows wider than a warp meet in shared memory between two barriers.
template <typename T, typename Op>
__forceinline__ T row_allreduce(T v, Op op) {
    const unsigned int width = blockDim.x;
    const unsigned int lanes = width < 32 ? width : 32;
    for (unsigned int offset = lanes / 2; offset > 0; offset /= 2) v = op(v, __shfl_xor_sync(0xffffffffu, v, offset, lanes));
    if (width > 32) {
        // At most 1024 threads, so at most 32 warps in the block.
        __shared__ T warp_results[32];
        const unsigned int warps = width / 32;
        if (threadIdx.x % 32 == 0) warp_results[threadIdx.y * warps + threadIdx.x / 32] = v;
        __syncthreads();
        v = warp_results[threadIdx.y * warps];
        for (unsigned int w = 1; w < warps; w++) v = op(v, warp_results[threadIdx.y * warps + w]);
        __syncthreads();
    }
    return v;
}

struct SumOp {
    template <typename T> __forceinline__ T operator()(T a, T b) const { return a + b; }
};

// The CPU's T.Max: a NaN on either side wins.
struct MaxOp {
    template <typename T> __forceinline__ T operator()(T a, T b) const { return isnan(a) || a > b ? a : b; }
};

template <typename T> __forceinline__ T negative_infinity();
template <> __forceinline__ float negative_infinity<float>() { return __int_as_float(0xff800000); }
template <> __forceinline__ double negative_infinity<double>() { return __longlong_as_double(0xfff0000000000000LL); }

// Calls body(i) for i in [0, n) with a grid-stride loop whose index is 32-bit when n < 2^31: the kernels that split
// a flat index into coordinates do several divisions per element, and 64-bit division costs several times more.
// The body takes the index as a template (auto) parameter.
template <typename Body>
__forceinline__ void for_each_flat(long long n, Body body) {
    if (n < (1LL << 31)) {
        const unsigned int stride = blockDim.x * gridDim.x;
        for (unsigned int i = blockIdx.x * blockDim.x + threadIdx.x; i < (unsigned int)n; i += stride) body(i);
    } else {
        const unsigned long long stride = (unsigned long long)blockDim.x * gridDim.x;
        for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < (unsigned long long)n; i += stride) body(i);
    }
}
