// Negative log-likelihood of rows of log-probabilities at Int32 targets, with label smoothing s, forward and
// backward (IBackend.Loss.cs), the twins of Backends/Cpu/CpuBackend.Loss.cs: the loss is formed in double from the
// target entry and (when s > 0) the row sum taken in the element type, then rounded once.
#include "rows.cuh"

// loss[r] = −(1 − s)·logp[r, t_r] − (s / classes)·Σ_c logp[r, c]. Rows are tiled as rows.cuh describes (one thread
// per row when s = 0: no sum is needed). A row whose target lies outside [0, classes) lowers *first_bad (set to
// INT_MAX by the host) to its index and writes no loss.
template <typename T>
__forceinline__ void nll_loss_rows(const T* logp, const int* targets, T* loss, int rows, int classes, double smoothing, int* first_bad) {
    for_each_row_tile(rows, [&](long long row, bool active) {
        const T* lr = logp + row * classes;
        T sum = T(0);
        if (active && smoothing > 0)
            for (int c = threadIdx.x; c < classes; c += blockDim.x) sum += lr[c];
        sum = row_allreduce(sum, SumOp());
        if (!active || threadIdx.x != 0) return;
        int target = targets[row];
        if ((unsigned int)target >= (unsigned int)classes) {
            atomicMin(first_bad, (int)row);
            return;
        }
        double value = -(1 - smoothing) * (double)lr[target];
        if (smoothing > 0) value -= smoothing / classes * (double)sum;
        loss[row] = (T)value;
    });
}

// Writes the whole gradient block: dlogp[r, c] = −scale·g[r·g_stride]·((1 − s)·[c = t_r] + s / classes), in double
// as on the CPU. A g_stride of 0 broadcasts one output gradient to every row.
template <typename T>
__forceinline__ void nll_loss_backward_rows(const int* targets, const T* g, long long g_stride, double scale, T* grad,
                                            int rows, int classes, double smoothing) {
    for_each_flat((long long)rows * classes, [&](auto i) {
        auto r = i / classes;
        int c = (int)(i - r * classes);
        double gr = -scale * (double)g[(long long)r * g_stride];
        grad[i] = (T)(c == targets[r] ? gr * (1 - smoothing + smoothing / classes) : gr * smoothing / classes);
    });
}

extern "C" {
__global__ void ROW_TILED nll_loss_rows_f32(const float* logp, const int* targets, float* loss, int rows, int classes, double smoothing, int* first_bad) {
    nll_loss_rows<float>(logp, targets, loss, rows, classes, smoothing, first_bad);
}
__global__ void ROW_TILED nll_loss_rows_f64(const double* logp, const int* targets, double* loss, int rows, int classes, double smoothing, int* first_bad) {
    nll_loss_rows<double>(logp, targets, loss, rows, classes, smoothing, first_bad);
}
__global__ void nll_loss_backward_rows_f32(const int* targets, const float* g, long long g_stride, double scale, float* grad,
                                           int rows, int classes, double smoothing) {
    nll_loss_backward_rows<float>(targets, g, g_stride, scale, grad, rows, classes, smoothing);
}
__global__ void nll_loss_backward_rows_f64(const int* targets, const double* g, long long g_stride, double scale, double* grad,
                                           int rows, int classes, double smoothing) {
    nll_loss_backward_rows<double>(targets, g, g_stride, scale, grad, rows, classes, smoothing);
}
}
