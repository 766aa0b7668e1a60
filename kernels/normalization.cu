// Layer, group and batch normalisation (IBackend.Normalization.cs), the twins of
// Backends/Cpu/CpuBackend.Normalization.cs. A contiguous tensor is read as [outer, channels, inner]; a mean/variance
// pair covers group_size consecutive channels, separately per outer index unless `shared` (batch norm).
// rstd = 1 / sqrt(variance + eps) is formed in double and rounded to the element type, as on the CPU, and
// x̂ = (x − mean)·rstd. Sums are accumulated in double.
//
// The per-element kernels tile rows as rows.cuh describes, with the CPU's two row shapes: inner > 1 (group and
// batch norm of feature maps) takes rows (outer, channel) of inner elements, which share one statistic and one
// weight; inner == 1 (layer norm) takes rows of channels. Each thread reloads a statistic's coefficients only when
// the statistic changes.
#include "rows.cuh"

struct NormShape {
    int outer, channels, inner, group_size, shared;
    __forceinline__ int groups() const { return channels / group_size; }
    __forceinline__ int stat_index(long long o, int c) const { return (shared ? 0 : (int)o * groups()) + c / group_size; }
    __forceinline__ int stat_count() const { return shared ? groups() : outer * groups(); }
    __forceinline__ long long group_count() const { return (long long)group_size * inner * (shared ? outer : 1); }
};
static_assert(sizeof(NormShape) == 20, "NormShape must match NormalizationShape (Kernels/NormalizationShape.cs)");

template <typename T>
__forceinline__ T rstd(T variance, double eps) { return (T)(1.0 / sqrt((double)variance + eps)); }

// Mean and biased variance of every statistic group: rows are the groups, each one contiguous segment of
// group_size·inner elements per outer index (all outer indices when shared). Two passes, the second summing
// squared deviations from the mean rounded to T, as the CPU does.
template <typename T>
__forceinline__ void norm_statistics(const T* x, NormShape s, T* mean, T* variance) {
    const long long segment = (long long)s.group_size * s.inner, stride = (long long)s.channels * s.inner;
    const int segments = s.shared ? s.outer : 1;
    const double count = (double)s.group_count();
    for_each_row_tile(s.stat_count(), [&](long long k, bool active) {
        double sum = 0;
        if (active)
            for (int o = 0; o < segments; o++) {
                const T* xs = x + o * stride + k * segment;
                for (long long e = threadIdx.x; e < segment; e += blockDim.x) sum += (double)xs[e];
            }
        sum = row_allreduce(sum, SumOp());
        const T m = (T)(sum / count);
        double squares = 0;
        if (active)
            for (int o = 0; o < segments; o++) {
                const T* xs = x + o * stride + k * segment;
                for (long long e = threadIdx.x; e < segment; e += blockDim.x) {
                    T d = xs[e] - m;
                    squares += (double)(d * d);
                }
            }
        squares = row_allreduce(squares, SumOp());
        if (active && threadIdx.x == 0) {
            mean[k] = m;
            variance[k] = (T)(squares / count);
        }
    });
}

// y = x̂·weight + bias (weight and bias may be null).
// NormActivation (IBackend.Normalization.cs): the activation fused into the normalising pass, so GroupNorm + SiLU
// costs one pass and one launch instead of two. `pre`, when not null, receives the value before the activation
// (what SiLU's backward needs); the activation is unary.cu's formula.
enum NormActivation { NORM_ACTIVATION_NONE = 0, NORM_ACTIVATION_SILU = 1 };

template <typename T>
__forceinline__ T norm_activate(T v, int activation) { return activation == NORM_ACTIVATION_SILU ? v / (T(1) + exp(-v)) : v; }

template <typename T>
__forceinline__ void norm_forward(const T* x, const T* mean, const T* variance, double eps, const T* weight, const T* bias, NormShape s, T* y,
                                  int activation, T* pre) {
    const bool channel_rows = s.inner > 1;
    const long long rows = channel_rows ? (long long)s.outer * s.channels : s.outer;
    const int length = channel_rows ? s.inner : s.channels;
    for_each_row_tile(rows, [&](long long row, bool active) {
        if (!active) return;
        const T* xr = x + row * length;
        T* yr = y + row * length;
        if (channel_rows) {
            int c = (int)(row % s.channels), k = s.stat_index(row / s.channels, c);
            const T m = mean[k], scale = rstd(variance[k], eps) * (weight ? weight[c] : T(1)), shift = bias ? bias[c] : T(0);
            T* pr = pre ? pre + row * length : nullptr;
            for (int e = threadIdx.x; e < length; e += blockDim.x) {
                T v = (xr[e] - m) * scale + shift;
                if (pr) pr[e] = v;
                yr[e] = norm_activate(v, activation);
            }
            return;
        }
        int cached = -1;
        T m = T(0), r = T(0);
        for (int c = threadIdx.x; c < length; c += blockDim.x) {
            int k = s.stat_index(row, c);
            if (k != cached) {
                cached = k;
                m = mean[k];
                r = rstd(variance[k], eps);
            }
            T v = (xr[c] - m) * (weight ? r * weight[c] : r);
            if (bias) v += bias[c];
            if (pre) pre[row * length + c] = v;
            yr[c] = norm_activate(v, activation);
        }
    });
}

// The first pass of NormBackwardSums, per row in double: inner > 1, rows (outer, channel): Σ g and rstd·Σ g·(x − m);
// inner == 1, rows (outer, group) of group_size channels: Σ g·w and rstd·Σ g·w·(x − m) (w = 1 when null).
template <typename T>
__forceinline__ void norm_backward_row_sums(const T* x, const T* g, const T* mean, const T* variance, double eps, const T* weight,
                                            NormShape s, double* row_g, double* row_gx) {
    const bool channel_rows = s.inner > 1;
    const long long rows = channel_rows ? (long long)s.outer * s.channels : (long long)s.outer * s.groups();
    const int length = channel_rows ? s.inner : s.group_size;
    for_each_row_tile(rows, [&](long long row, bool active) {
        int k = 0, first_channel = 0;
        if (channel_rows) k = s.stat_index(row / s.channels, (int)(row % s.channels));
        else {
            long long o = row / s.groups();
            first_channel = (int)(row - o * s.groups()) * s.group_size;
            k = s.stat_index(o, first_channel);
        }
        double sum_g = 0, sum_gx = 0;
        if (active) {
            const T* xr = x + row * length;
            const T* gr = g + row * length;
            const T m = mean[k];
            for (int e = threadIdx.x; e < length; e += blockDim.x) {
                T wg = channel_rows || !weight ? gr[e] : gr[e] * weight[first_channel + e];
                sum_g += (double)wg;
                sum_gx += (double)(wg * (xr[e] - m));
            }
        }
        sum_g = row_allreduce(sum_g, SumOp());
        sum_gx = row_allreduce(sum_gx, SumOp());
        if (active && threadIdx.x == 0) {
            row_g[row] = sum_g;
            row_gx[row] = sum_gx * (double)rstd(variance[k], eps);
        }
    });
}

// inner == 1 only: per channel, Σ g and Σ g·(x − m)·rstd down the outer axis. Blocks of (32, 8) threads take 32
// adjacent channels of one segment of `segment_rows` outer indices (blockIdx.y), meet in shared memory, and add
// into column_g / column_gx (zeroed by the host) with double atomics.
#define COLUMN_BLOCK_X 32
#define COLUMN_BLOCK_Y 8
template <typename T>
__forceinline__ void norm_backward_column_sums(const T* x, const T* g, const T* mean, const T* variance, double eps, NormShape s,
                                               int segment_rows, double* column_g, double* column_gx) {
    __shared__ double partial_g[COLUMN_BLOCK_Y][COLUMN_BLOCK_X + 1];
    __shared__ double partial_gx[COLUMN_BLOCK_Y][COLUMN_BLOCK_X + 1];
    const long long begin = (long long)blockIdx.y * segment_rows;
    const long long end = min((long long)s.outer, begin + segment_rows);
    for (int tile = blockIdx.x * COLUMN_BLOCK_X; tile < s.channels; tile += gridDim.x * COLUMN_BLOCK_X) {
        const int c = tile + threadIdx.x;
        double sum_g = 0, sum_gx = 0;
        if (c < s.channels)
            for (long long o = begin + threadIdx.y; o < end; o += COLUMN_BLOCK_Y) {
                int k = s.stat_index(o, c);
                T gv = g[o * s.channels + c];
                sum_g += (double)gv;
                sum_gx += (double)(gv * (x[o * s.channels + c] - mean[k]) * rstd(variance[k], eps));
            }
        partial_g[threadIdx.y][threadIdx.x] = sum_g;
        partial_gx[threadIdx.y][threadIdx.x] = sum_gx;
        __syncthreads();
        if (threadIdx.y == 0 && c < s.channels) {
            for (int r = 1; r < COLUMN_BLOCK_Y; r++) {
                sum_g += partial_g[r][threadIdx.x];
                sum_gx += partial_gx[r][threadIdx.x];
            }
            atomicAdd(column_g + c, sum_g);
            atomicAdd(column_gx + c, sum_gx);
        }
        __syncthreads();
    }
}

// The last pass of NormBackwardSums: one thread per output, channels first, then statistics. A channel's sums are
// the sums of its rows in outer order (inner > 1) or the column sums (inner == 1); a statistic's are the weighted
// sums of its channels' (shared across outer) or of its rows (per outer index), each in the CPU's order. Null
// outputs are skipped; stat_outputs is 0 when no statistic sum is wanted.
template <typename T>
__forceinline__ void norm_backward_finish(const double* row_g, const double* row_gx, const double* column_g, const double* column_gx,
                                          const T* weight, NormShape s, int stat_outputs,
                                          T* stat_sum, T* stat_xhat_sum, T* channel_sum, T* channel_xhat_sum) {
    auto channel_sums = [&](int c, double& sum_g, double& sum_gx) {
        if (s.inner == 1) {
            sum_g = column_g[c];
            sum_gx = column_gx[c];
            return;
        }
        sum_g = 0;
        sum_gx = 0;
        for (int o = 0; o < s.outer; o++) {
            sum_g += row_g[(long long)o * s.channels + c];
            sum_gx += row_gx[(long long)o * s.channels + c];
        }
    };
    for_each_index((long long)s.channels + stat_outputs, [&](long long t) {
        double sum_g = 0, sum_gx = 0;
        if (t < s.channels) {
            int c = (int)t;
            if (!channel_sum && !channel_xhat_sum) return;
            channel_sums(c, sum_g, sum_gx);
            if (channel_sum) channel_sum[c] = (T)sum_g;
            if (channel_xhat_sum) channel_xhat_sum[c] = (T)sum_gx;
            return;
        }
        int k = (int)(t - s.channels);
        if (s.shared || s.inner > 1) {
            int group = s.shared ? k : k % s.groups();
            long long row = s.shared ? 0 : (long long)(k / s.groups()) * s.channels;
            for (int c = group * s.group_size; c < (group + 1) * s.group_size; c++) {
                double w = weight ? (double)weight[c] : 1.0, cg, cgx;
                if (s.shared) channel_sums(c, cg, cgx);
                else {
                    cg = row_g[row + c];
                    cgx = row_gx[row + c];
                }
                sum_g += w * cg;
                sum_gx += w * cgx;
            }
        } else {
            sum_g = row_g[k];
            sum_gx = row_gx[k];
        }
        if (stat_sum) stat_sum[k] = (T)sum_g;
        if (stat_xhat_sum) stat_xhat_sum[k] = (T)sum_gx;
    });
}

// dx = rstd·(g·w − stat_sum/m − x̂·stat_xhat_sum/m) with m = group_count, as the CPU forms it:
// dx = a1·g + a2·(x − mean) + a3 with a2 = −rstd²·B/m and a3 = −rstd·A/m in double, rounded to T. Null sums mean
// constant statistics (dx = rstd·w·g).
template <typename T>
__forceinline__ void norm_backward(const T* x, const T* g, const T* mean, const T* variance, double eps, const T* weight,
                                   const T* stat_sum, const T* stat_xhat_sum, NormShape s, T* dx) {
    const bool channel_rows = s.inner > 1;
    const long long rows = channel_rows ? (long long)s.outer * s.channels : s.outer;
    const int length = channel_rows ? s.inner : s.channels;
    const double count = (double)s.group_count();
    for_each_row_tile(rows, [&](long long row, bool active) {
        if (!active) return;
        const T* xr = x + row * length;
        const T* gr = g + row * length;
        T* dr = dx + row * length;
        int cached = -1;
        T r = T(0), a2 = T(0), a3 = T(0), m = T(0);
        auto load = [&](int k) {
            if (k == cached) return;
            cached = k;
            double rd = (double)rstd(variance[k], eps);
            double a = stat_sum ? (double)stat_sum[k] : 0, b = stat_xhat_sum ? (double)stat_xhat_sum[k] : 0;
            r = (T)rd;
            a2 = (T)(-rd * rd * b / count);
            a3 = (T)(-rd * a / count);
            m = mean[k];
        };
        if (channel_rows) {
            int c = (int)(row % s.channels);
            load(s.stat_index(row / s.channels, c));
            const T a1 = r * (weight ? weight[c] : T(1));
            for (int e = threadIdx.x; e < length; e += blockDim.x) dr[e] = a1 * gr[e] + a2 * (xr[e] - m) + a3;
            return;
        }
        for (int c = threadIdx.x; c < length; c += blockDim.x) {
            load(s.stat_index(row, c));
            dr[c] = r * (weight ? gr[c] * weight[c] : gr[c]) + a2 * (xr[c] - m) + a3;
        }
    });
}

extern "C" {
__global__ void ROW_TILED norm_statistics_f32(const float* x, NormShape shape, float* mean, float* variance) { norm_statistics<float>(x, shape, mean, variance); }
__global__ void ROW_TILED norm_statistics_f64(const double* x, NormShape shape, double* mean, double* variance) { norm_statistics<double>(x, shape, mean, variance); }

__global__ void ROW_TILED norm_forward_f32(const float* x, const float* mean, const float* variance, double eps, const float* weight, const float* bias,
                                 NormShape shape, float* y, int activation, float* pre) {
    norm_forward<float>(x, mean, variance, eps, weight, bias, shape, y, activation, pre);
}
__global__ void ROW_TILED norm_forward_f64(const double* x, const double* mean, const double* variance, double eps, const double* weight, const double* bias,
                                 NormShape shape, double* y, int activation, double* pre) {
    norm_forward<double>(x, mean, variance, eps, weight, bias, shape, y, activation, pre);
}

__global__ void ROW_TILED norm_backward_row_sums_f32(const float* x, const float* g, const float* mean, const float* variance, double eps, const float* weight,
                                           NormShape shape, double* row_g, double* row_gx) {
    norm_backward_row_sums<float>(x, g, mean, variance, eps, weight, shape, row_g, row_gx);
}
__global__ void ROW_TILED norm_backward_row_sums_f64(const double* x, const double* g, const double* mean, const double* variance, double eps, const double* weight,
                                           NormShape shape, double* row_g, double* row_gx) {
    norm_backward_row_sums<double>(x, g, mean, variance, eps, weight, shape, row_g, row_gx);
}

__global__ void norm_backward_column_sums_f32(const float* x, const float* g, const float* mean, const float* variance, double eps, NormShape shape,
                                              int segment_rows, double* column_g, double* column_gx) {
    norm_backward_column_sums<float>(x, g, mean, variance, eps, shape, segment_rows, column_g, column_gx);
}
__global__ void norm_backward_column_sums_f64(const double* x, const double* g, const double* mean, const double* variance, double eps, NormShape shape,
                                              int segment_rows, double* column_g, double* column_gx) {
    norm_backward_column_sums<double>(x, g, mean, variance, eps, shape, segment_rows, column_g, column_gx);
}

__global__ void norm_backward_finish_f32(const double* row_g, const double* row_gx, const double* column_g, const double* column_gx,
                                         const float* weight, NormShape shape, int stat_outputs,
                                         float* stat_sum, float* stat_xhat_sum, float* channel_sum, float* channel_xhat_sum) {
    norm_backward_finish<float>(row_g, row_gx, column_g, column_gx, weight, shape, stat_outputs, stat_sum, stat_xhat_sum, channel_sum, channel_xhat_sum);
}
__global__ void norm_backward_finish_f64(const double* row_g, const double* row_gx, const double* column_g, const double* column_gx,
                                         const double* weight, NormShape shape, int stat_outputs,
                                         double* stat_sum, double* stat_xhat_sum, double* channel_sum, double* channel_xhat_sum) {
    norm_backward_finish<double>(row_g, row_gx, column_g, column_gx, weight, shape, stat_outputs, stat_sum, stat_xhat_sum, channel_sum, channel_xhat_sum);
}

__global__ void ROW_TILED norm_backward_f32(const float* x, const float* g, const float* mean, const float* variance, double eps, const float* weight,
                                  const float* stat_sum, const float* stat_xhat_sum, NormShape shape, float* dx) {
    norm_backward<float>(x, g, mean, variance, eps, weight, stat_sum, stat_xhat_sum, shape, dx);
}
__global__ void ROW_TILED norm_backward_f64(const double* x, const double* g, const double* mean, const double* variance, double eps, const double* weight,
                                  const double* stat_sum, const double* stat_xhat_sum, NormShape shape, double* dx) {
    norm_backward<double>(x, g, mean, variance, eps, weight, stat_sum, stat_xhat_sum, shape, dx);
}
}
