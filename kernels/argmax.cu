// Index of the largest element along the middle axis of a contiguous [outer, n, inner] block, as Int32
// (IBackend.ArgMax.cs), the twin of Backends/Cpu/CpuBackend.ArgMax.cs: ties give the first index and NaN counts as
// larger than any number (the first NaN wins), as in PyTorch.
#include "rows.cuh"

// The CPU's Beats: strictly larger, or the first NaN.
template <typename T>
__forceinline__ bool beats(T candidate, T best) { return candidate > best || (isnan(candidate) && !isnan(best)); }

// Of two (value, index) candidates from different parts of a row, the one the sequential scan would keep: the larger
// value (NaN above every number), the smaller index among equal values or two NaNs. Associative, so the partial
// winners of a row's threads can be combined in any tree.
template <typename T>
__forceinline__ void keep_winner(T& value, int& index, T other_value, int other_index) {
    bool nan = isnan(value), other_nan = isnan(other_value);
    bool other_wins = nan != other_nan ? other_nan
                    : !nan && value != other_value ? other_value > value
                    : other_index < index;
    if (other_wins) {
        value = other_value;
        index = other_index;
    }
}

// row_allreduce (rows.cuh) for a (value, index) pair.
template <typename T>
__forceinline__ void row_allreduce_winner(T& value, int& index) {
    const unsigned int width = blockDim.x;
    const unsigned int lanes = width < 32 ? width : 32;
    for (unsigned int offset = lanes / 2; offset > 0; offset /= 2) {
        T other_value = __shfl_xor_sync(0xffffffffu, value, offset, lanes);
        int other_index = __shfl_xor_sync(0xffffffffu, index, offset, lanes);
        keep_winner(value, index, other_value, other_index);
    }
    if (width > 32) {
        __shared__ T warp_values[32];
        __shared__ int warp_indices[32];
        const unsigned int warps = width / 32, first = threadIdx.y * warps;
        if (threadIdx.x % 32 == 0) {
            warp_values[first + threadIdx.x / 32] = value;
            warp_indices[first + threadIdx.x / 32] = index;
        }
        __syncthreads();
        value = warp_values[first];
        index = warp_indices[first];
        for (unsigned int w = 1; w < warps; w++) keep_winner(value, index, warp_values[first + w], warp_indices[first + w]);
        __syncthreads();
    }
}

// inner == 1: rows tiled as rows.cuh describes; each thread scans its share of the row in order, then the row's
// threads combine their winners.
template <typename T>
__forceinline__ void argmax_rows(const T* x, int* indices, int outer, int n) {
    for_each_row_tile(outer, [&](long long row, bool active) {
        const T* xr = x + row * n;
        // A thread without elements holds a candidate every real element beats or ties with a smaller index.
        T value = negative_infinity<T>();
        int index = 0x7fffffff;
        if (active)
            for (int j = threadIdx.x; j < n; j += blockDim.x)
                if (index == 0x7fffffff || beats(xr[j], value)) {
                    value = xr[j];
                    index = j;
                }
        row_allreduce_winner(value, index);
        if (active && threadIdx.x == 0) indices[row] = index;
    });
}

// inner > 1: one thread per (outer, inner) column, scanning down the axis; neighbouring threads read neighbouring
// columns, so every step is one coalesced row read.
template <typename T>
__forceinline__ void argmax_columns(const T* x, int* indices, int outer, int n, int inner) {
    for_each_flat((long long)outer * inner, [&](auto i) {
        auto o = i / inner;
        auto column = i - o * inner;
        const T* xc = x + (long long)o * n * inner + column;
        T best = xc[0];
        int winner = 0;
        for (int j = 1; j < n; j++) {
            T v = xc[(long long)j * inner];
            if (beats(v, best)) {
                best = v;
                winner = j;
            }
        }
        indices[i] = winner;
    });
}

extern "C" {
__global__ void ROW_TILED argmax_rows_f32(const float* x, int* indices, int outer, int n) { argmax_rows<float>(x, indices, outer, n); }
__global__ void ROW_TILED argmax_rows_f64(const double* x, int* indices, int outer, int n) { argmax_rows<double>(x, indices, outer, n); }
__global__ void argmax_columns_f32(const float* x, int* indices, int outer, int n, int inner) { argmax_columns<float>(x, indices, outer, n, inner); }
__global__ void argmax_columns_f64(const double* x, int* indices, int outer, int n, int inner) { argmax_columns<double>(x, indices, outer, n, inner); }
}
