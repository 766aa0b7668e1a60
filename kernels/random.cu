// Philox4x32-10 fills (IBackend.FillRandom), bit-compatible with the CPU backend (src/RawDiffusion/Random/Philox.cs,
// Backends/Cpu/CpuBackend.Random.cs): element i of the range uses counter block counter + i / 4, lane i % 4, with
// the key = seed. Values are computed in double and rounded once, as on the CPU. Uniform values are bit-identical
// to the CPU's in both dtypes (the _rn intrinsics forbid fusing into an FMA, which C# never does); normal values
// differ only by the last-place differences between CUDA's and the C runtime's log, sin and cos.
#include "common.cuh"

// One Philox4x32-10 block for a 64-bit key and a 64-bit counter (upper counter words zero).
__forceinline__ void philox4x32_10(unsigned long long key, unsigned long long counter, unsigned int (&out)[4]) {
    const unsigned int M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
    unsigned int k0 = (unsigned int)key, k1 = (unsigned int)(key >> 32);
    unsigned int c0 = (unsigned int)counter, c1 = (unsigned int)(counter >> 32), c2 = 0, c3 = 0;
#pragma unroll
    for (int round = 0; round < 10; round++) {
        unsigned int hi0 = __umulhi(M0, c0), lo0 = M0 * c0;
        unsigned int hi1 = __umulhi(M1, c2), lo1 = M1 * c2;
        unsigned int n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
        k0 += W0;
        k1 += W1;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

// Philox.ToUnit: 32 random bits to [0, 1).
__forceinline__ double to_unit(unsigned int bits) { return bits * (1.0 / 4294967296.0); }

// Each thread fills one counter block (four elements), blocks striding over the range.
template <typename T, bool Normal>
__forceinline__ void philox_fill(T* __restrict__ y, long long length, unsigned long long seed, unsigned long long counter, double a, double b) {
    const double two_pi = 2 * 3.14159265358979323846;
    long long blocks = (length + 3) / 4;
    for_each_index(blocks, [&](long long block) {
        unsigned int bits[4];
        philox4x32_10(seed, counter + (unsigned long long)block, bits);
        double values[4];
        if (Normal) {
#pragma unroll
            for (int i = 0; i < 4; i += 2) {
                // Box–Muller on a lane pair; 1 − u keeps the logarithm's argument in (0, 1].
                double r = sqrt(-2 * log(1 - to_unit(bits[i])));
                double theta = two_pi * to_unit(bits[i + 1]);
                values[i] = a + b * r * cos(theta);
                values[i + 1] = a + b * r * sin(theta);
            }
        } else {
#pragma unroll
            for (int i = 0; i < 4; i++) values[i] = __dadd_rn(a, __dmul_rn(b - a, to_unit(bits[i])));
        }
        long long start = block * 4;
#pragma unroll
        for (int i = 0; i < 4; i++)
            if (start + i < length) y[start + i] = (T)values[i];
    });
}

extern "C" {
__global__ void philox_uniform_f32(float* y, long long length, unsigned long long seed, unsigned long long counter, double low, double high) { philox_fill<float, false>(y, length, seed, counter, low, high); }
__global__ void philox_uniform_f64(double* y, long long length, unsigned long long seed, unsigned long long counter, double low, double high) { philox_fill<double, false>(y, length, seed, counter, low, high); }
__global__ void philox_normal_f32(float* y, long long length, unsigned long long seed, unsigned long long counter, double mean, double std) { philox_fill<float, true>(y, length, seed, counter, mean, std); }
__global__ void philox_normal_f64(double* y, long long length, unsigned long long seed, unsigned long long counter, double mean, double std) { philox_fill<double, true>(y, length, seed, counter, mean, std); }
}
