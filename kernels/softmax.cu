// Softmax and log-softmax of contiguous rows [rows, n], forward and backward (IBackend.Softmax.cs), the twins of
// Backends/Cpu/CpuBackend.Softmax.cs: the row maximum is subtracted first, softmax scales by the reciprocal of the
// sum, log-softmax subtracts max + log(sum). Rows are tiled as rows.cuh describes; every pass reads an element
// before the same thread writes it, and the reductions end in a barrier, so y may be x and dx may be g.
#include "rows.cuh"

template <typename T>
__forceinline__ void softmax_rows(const T* x, T* y, int rows, int n, bool log_softmax) {
    for_each_row_tile(rows, [&](long long row, bool active) {
        const T* xr = x + row * n;
        T* yr = y + row * n;
        T max = negative_infinity<T>();
        if (active)
            for (int j = threadIdx.x; j < n; j += blockDim.x) max = MaxOp()(max, xr[j]);
        max = row_allreduce(max, MaxOp());
        T sum = T(0);
        if (active)
            for (int j = threadIdx.x; j < n; j += blockDim.x) sum += exp(xr[j] - max);
        sum = row_allreduce(sum, SumOp());
        if (!active) return;
        if (log_softmax) {
            const T shift = -(max + log(sum));
            for (int j = threadIdx.x; j < n; j += blockDim.x) yr[j] = xr[j] + shift;
        } else {
            const T scale = T(1) / sum;
            for (int j = threadIdx.x; j < n; j += blockDim.x) yr[j] = exp(xr[j] - max) * scale;
        }
    });
}

// softmax: dx = y ⊙ (g − Σ g·y); log-softmax: dx = g − exp(y) · Σ g.
template <typename T>
__forceinline__ void softmax_backward_rows(const T* y, const T* g, T* dx, int rows, int n, bool log_softmax) {
    for_each_row_tile(rows, [&](long long row, bool active) {
        const T* yr = y + row * n;
        const T* gr = g + row * n;
        T* dr = dx + row * n;
        T sum = T(0);
        if (active)
            for (int j = threadIdx.x; j < n; j += blockDim.x) sum += log_softmax ? gr[j] : gr[j] * yr[j];
        sum = row_allreduce(sum, SumOp());
        if (!active) return;
        if (log_softmax)
            for (int j = threadIdx.x; j < n; j += blockDim.x) dr[j] = gr[j] - exp(yr[j]) * sum;
        else
            for (int j = threadIdx.x; j < n; j += blockDim.x) dr[j] = yr[j] * (gr[j] - sum);
    });
}

extern "C" {
__global__ void ROW_TILED softmax_rows_f32(const float* x, float* y, int rows, int n, int log_softmax) { softmax_rows<float>(x, y, rows, n, log_softmax != 0); }
__global__ void ROW_TILED softmax_rows_f64(const double* x, double* y, int rows, int n, int log_softmax) { softmax_rows<double>(x, y, rows, n, log_softmax != 0); }
__global__ void ROW_TILED softmax_backward_rows_f32(const float* y, const float* g, float* dx, int rows, int n, int log_softmax) {
    softmax_backward_rows<float>(y, g, dx, rows, n, log_softmax != 0);
}
__global__ void ROW_TILED softmax_backward_rows_f64(const double* y, const double* g, double* dx, int rows, int n, int log_softmax) {
    softmax_backward_rows<double>(y, g, dx, rows, n, log_softmax != 0);
}
}
