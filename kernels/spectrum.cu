// Singular values of a batch of small matrices by one-sided (Hestenes) Jacobi in float64, the twin of
// src/RawDiffusion/Spectrum/JacobiSingularValues.cs: one thread block per matrix, whose `count` vectors of `length`
// values lie one after another (JacobiSingularValues.Arrange). Each pair (p, q) is rotated in the CPU's cyclic order;
// the block's threads share the three dot products and the rotation. Only the summation order differs from the CPU,
// so the results agree to rounding.

#define JACOBI_THREADS 128
#define JACOBI_WARPS (JACOBI_THREADS / 32)

// Sums a, b and g over the block; every thread gets the same totals (they are added in the same order everywhere).
__device__ __forceinline__ void block_sums(double& a, double& b, double& g, double (*partial)[JACOBI_WARPS]) {
    for (int offset = 16; offset > 0; offset /= 2) {
        a += __shfl_down_sync(0xffffffffu, a, offset);
        b += __shfl_down_sync(0xffffffffu, b, offset);
        g += __shfl_down_sync(0xffffffffu, g, offset);
    }
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    if (lane == 0) {
        partial[0][warp] = a;
        partial[1][warp] = b;
        partial[2][warp] = g;
    }
    __syncthreads();
    a = 0;
    b = 0;
    g = 0;
    for (int w = 0; w < JACOBI_WARPS; w++) {
        a += partial[0][w];
        b += partial[1][w];
        g += partial[2][w];
    }
    __syncthreads();
}

// vectors: batch x count x length (overwritten); values: batch x count column norms (unsorted; the host sorts them).
// Launch with JACOBI_THREADS threads per block and one block per matrix.
extern "C" __global__ void jacobi_singular_values_f64(double* vectors, double* values, int length, int count,
                                                      int max_sweeps, double tolerance) {
    __shared__ double partial[3][JACOBI_WARPS];
    __shared__ int rotated;
    double* v = vectors + (long long)blockIdx.x * count * length;
    for (int sweep = 0; sweep < max_sweeps; sweep++) {
        if (threadIdx.x == 0) rotated = 0;
        __syncthreads();
        for (int p = 0; p < count - 1; p++) {
            for (int q = p + 1; q < count; q++) {
                double* x = v + (long long)p * length;
                double* y = v + (long long)q * length;
                double alpha = 0, beta = 0, gamma = 0;
                for (int i = threadIdx.x; i < length; i += JACOBI_THREADS) {
                    double xi = x[i], yi = y[i];
                    alpha += xi * xi;
                    beta += yi * yi;
                    gamma += xi * yi;
                }
                block_sums(alpha, beta, gamma, partial);
                if (gamma == 0 || fabs(gamma) <= tolerance * sqrt(alpha * beta)) continue;
                if (threadIdx.x == 0) rotated = 1;
                double zeta = (beta - alpha) / (2 * gamma);
                double t = copysign(1.0, zeta) / (fabs(zeta) + sqrt(1 + zeta * zeta));
                double c = 1 / sqrt(1 + t * t);
                double s = c * t;
                for (int i = threadIdx.x; i < length; i += JACOBI_THREADS) {
                    double xi = x[i], yi = y[i];
                    x[i] = c * xi - s * yi;
                    y[i] = s * xi + c * yi;
                }
                __syncthreads();
            }
        }
        __syncthreads();
        const int any = rotated;
        __syncthreads();
        if (!any) break;
    }
    for (int j = 0; j < count; j++) {
        double* x = v + (long long)j * length;
        double sum = 0, unused_b = 0, unused_g = 0;
        for (int i = threadIdx.x; i < length; i += JACOBI_THREADS) sum += x[i] * x[i];
        block_sums(sum, unused_b, unused_g, partial);
        if (threadIdx.x == 0) values[(long long)blockIdx.x * count + j] = sqrt(sum);
    }
}
