// Reductions of the middle axis of a contiguous [outer, n, inner] block into a contiguous [outer, inner] block
// (IBackend.Reduce). NaN propagates through Max and Min as on the CPU. The op is switched on once per kernel and
// each (dtype, op) pair gets its own specialised loop: there are only six.
//
// Both kernels can split n into `segments` pieces reduced by different blocks, writing partial results laid out as
// [outer, segments, inner]; a second launch with segments = 1 then reduces those. The host splits only when
// outer·inner alone would leave most of the GPU idle (a full-tensor sum is outer = inner = 1).
#include "common.cuh"

// Codes are the C# ReduceOp values (a test checks this list against the enum).
enum ReduceOpCode {
    REDUCE_SUM = 0,
    REDUCE_MAX = 1,
    REDUCE_MIN = 2,
};

// The column kernel's block shape; CudaPrimitives.Reduce.cs launches it with exactly these dimensions.
#define COLUMN_BLOCK_X 32
#define COLUMN_BLOCK_Y 8

template <typename T> __forceinline__ T infinity();
template <> __forceinline__ float infinity<float>() { return __int_as_float(0x7f800000); }
template <> __forceinline__ double infinity<double>() { return __longlong_as_double(0x7ff0000000000000LL); }

template <typename T, int Op>
__forceinline__ T identity() { return Op == REDUCE_SUM ? T(0) : Op == REDUCE_MAX ? -infinity<T>() : infinity<T>(); }

// The CPU's Combine: a NaN on either side wins.
template <typename T, int Op>
__forceinline__ T combine(T a, T b) {
    if (Op == REDUCE_SUM) return a + b;
    if (Op == REDUCE_MAX) return isnan(a) || a > b ? a : b;
    return isnan(a) || a < b ? a : b;
}

// Piece s of [0, n) split into `segments` nearly equal pieces.
__forceinline__ void segment_range(int n, int segments, int s, int& begin, int& end) {
    int length = (int)(((long long)n + segments - 1) / segments);
    begin = (int)min((long long)s * length, (long long)n);
    end = (int)min((long long)begin + length, (long long)n);
}

// inner == 1: each row (segment) is reduced by blockDim.x threads, a power of two up to 1024; rows shorter than a
// warp share one, several rows to a warp. blockDim.y rows per block, blocks striding over rows; blockIdx.y is the
// segment.
template <typename T, int Op>
__forceinline__ void reduce_rows(const T* __restrict__ x, T* __restrict__ y, int outer, int n, int segments) {
    __shared__ T warp_results[32];
    const int width = blockDim.x;
    const int lanes = width < 32 ? width : 32;
    int begin, end;
    segment_range(n, segments, blockIdx.y, begin, end);
    for (long long first = (long long)blockIdx.x * blockDim.y; first < outer; first += (long long)gridDim.x * blockDim.y) {
        long long row = first + threadIdx.y;
        T acc = identity<T, Op>();
        if (row < outer) {
            const T* values = x + row * n;
            for (int j = begin + threadIdx.x; j < end; j += width) acc = combine<T, Op>(acc, values[j]);
        }
        for (int offset = lanes / 2; offset > 0; offset /= 2)
            acc = combine<T, Op>(acc, __shfl_down_sync(0xffffffffu, acc, offset, lanes));
        if (width > 32) {
            // Rows wider than a warp: each warp's result goes through shared memory to the row's first warp.
            const int warps_per_row = width / 32;
            if (threadIdx.x % 32 == 0) warp_results[threadIdx.y * warps_per_row + threadIdx.x / 32] = acc;
            __syncthreads();
            if (threadIdx.x < 32) {
                acc = threadIdx.x < warps_per_row ? warp_results[threadIdx.y * warps_per_row + threadIdx.x] : identity<T, Op>();
                for (int offset = 16; offset > 0; offset /= 2) acc = combine<T, Op>(acc, __shfl_down_sync(0xffffffffu, acc, offset));
            }
            __syncthreads();
        }
        if (threadIdx.x == 0 && row < outer) y[row * segments + blockIdx.y] = acc;
    }
}

// inner > 1: a block of (COLUMN_BLOCK_X, COLUMN_BLOCK_Y) threads takes 32 adjacent columns of one outer index, so
// reads are coalesced along inner; the COLUMN_BLOCK_Y threads of a column split the segment's rows and meet in
// shared memory. blockIdx.x strides over column tiles, blockIdx.y over outer, blockIdx.z is the segment.
template <typename T, int Op>
__forceinline__ void reduce_columns(const T* __restrict__ x, T* __restrict__ y, int outer, int n, int inner, int segments) {
    __shared__ T partials[COLUMN_BLOCK_Y][COLUMN_BLOCK_X + 1];
    int begin, end;
    segment_range(n, segments, blockIdx.z, begin, end);
    for (int o = blockIdx.y; o < outer; o += gridDim.y) {
        for (long long first = (long long)blockIdx.x * COLUMN_BLOCK_X; first < inner; first += (long long)gridDim.x * COLUMN_BLOCK_X) {
            long long column = first + threadIdx.x;
            T acc = identity<T, Op>();
            if (column < inner) {
                const T* values = x + (long long)o * n * inner + column;
                for (int j = begin + threadIdx.y; j < end; j += COLUMN_BLOCK_Y) acc = combine<T, Op>(acc, values[(long long)j * inner]);
            }
            partials[threadIdx.y][threadIdx.x] = acc;
            __syncthreads();
            if (threadIdx.y == 0) {
                for (int k = 1; k < COLUMN_BLOCK_Y; k++) acc = combine<T, Op>(acc, partials[k][threadIdx.x]);
                if (column < inner) y[((long long)o * segments + blockIdx.z) * inner + column] = acc;
            }
            __syncthreads();
        }
    }
}

template <typename T>
__forceinline__ void reduce_rows_op(int op, const T* x, T* y, int outer, int n, int segments) {
    switch (op) {
    case REDUCE_SUM: reduce_rows<T, REDUCE_SUM>(x, y, outer, n, segments); break;
    case REDUCE_MAX: reduce_rows<T, REDUCE_MAX>(x, y, outer, n, segments); break;
    case REDUCE_MIN: reduce_rows<T, REDUCE_MIN>(x, y, outer, n, segments); break;
    default: break;
    }
}

template <typename T>
__forceinline__ void reduce_columns_op(int op, const T* x, T* y, int outer, int n, int inner, int segments) {
    switch (op) {
    case REDUCE_SUM: reduce_columns<T, REDUCE_SUM>(x, y, outer, n, inner, segments); break;
    case REDUCE_MAX: reduce_columns<T, REDUCE_MAX>(x, y, outer, n, inner, segments); break;
    case REDUCE_MIN: reduce_columns<T, REDUCE_MIN>(x, y, outer, n, inner, segments); break;
    default: break;
    }
}

extern "C" {
__global__ void reduce_rows_f32(int op, const float* x, float* y, int outer, int n, int segments) { reduce_rows_op<float>(op, x, y, outer, n, segments); }
__global__ void reduce_rows_f64(int op, const double* x, double* y, int outer, int n, int segments) { reduce_rows_op<double>(op, x, y, outer, n, segments); }
__global__ void reduce_columns_f32(int op, const float* x, float* y, int outer, int n, int inner, int segments) { reduce_columns_op<float>(op, x, y, outer, n, inner, segments); }
__global__ void reduce_columns_f64(int op, const double* x, double* y, int outer, int n, int inner, int segments) { reduce_columns_op<double>(op, x, y, outer, n, inner, segments); }
}
