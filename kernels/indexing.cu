// Gather and scatter-add along one axis of contiguous blocks seen as [outer, n, inner], with Int32 index buffers
// (IBackend.Indexing.cs), the twins of Backends/Cpu/CpuBackend.Indexing.cs. Selections copy any dtype; the adds
// (the selections' gradients) are float or double and use atomics, so repeated indices accumulate in an order
// that may differ from the CPU's (only the rounding of those sums differs).
#include "rows.cuh"

// *first_bad (all bits set by the host) becomes the position of the first index outside [0, limit).
__forceinline__ void find_index_out_of_range(const int* indices, long long count, int limit, unsigned long long* first_bad) {
    for_each_index(count, [&](long long i) {
        if ((unsigned int)indices[i] >= (unsigned int)limit) atomicMin(first_bad, (unsigned long long)i);
    });
}

// destination[o, j, i] = source[o, index[j], i]: one thread per destination element.
template <typename T>
__forceinline__ void index_select(const T* __restrict__ source, const int* __restrict__ index, T* __restrict__ destination,
                                  int outer, int n, int k, int inner) {
    for_each_flat((long long)outer * k * inner, [&](auto e) {
        auto row = e / inner;
        auto i = e - row * inner;
        auto o = row / k;
        auto j = row - o * k;
        destination[e] = source[((long long)o * n + index[j]) * inner + i];
    });
}

// destination[o, index[j], i] += source[o, j, i]: one thread per source element.
template <typename T>
__forceinline__ void index_add(const T* __restrict__ source, const int* __restrict__ index, T* __restrict__ destination,
                               int outer, int n, int k, int inner) {
    for_each_flat((long long)outer * k * inner, [&](auto e) {
        auto row = e / inner;
        auto i = e - row * inner;
        auto o = row / k;
        auto j = row - o * k;
        atomicAdd(destination + ((long long)o * n + index[j]) * inner + i, source[e]);
    });
}

// destination[o, j, i] = source[o, index[o, j, i], i] (torch.gather): one thread per destination element.
template <typename T>
__forceinline__ void gather(const T* __restrict__ source, const int* __restrict__ index, T* __restrict__ destination,
                            int outer, int n, int k, int inner) {
    for_each_flat((long long)outer * k * inner, [&](auto e) {
        auto row = e / inner;
        auto i = e - row * inner;
        auto o = row / k;
        destination[e] = source[((long long)o * n + index[e]) * inner + i];
    });
}

// destination[o, index[o, j, i], i] += source[o, j, i]: one thread per source element.
template <typename T>
__forceinline__ void scatter_add(const T* __restrict__ source, const int* __restrict__ index, T* __restrict__ destination,
                                 int outer, int n, int k, int inner) {
    for_each_flat((long long)outer * k * inner, [&](auto e) {
        auto row = e / inner;
        auto i = e - row * inner;
        auto o = row / k;
        atomicAdd(destination + ((long long)o * n + index[e]) * inner + i, source[e]);
    });
}

extern "C" {
__global__ void find_index_out_of_range_i32(const int* indices, long long count, int limit, unsigned long long* first_bad) {
    find_index_out_of_range(indices, count, limit, first_bad);
}

__global__ void index_select_f32(const float* source, const int* index, float* destination, int outer, int n, int k, int inner) {
    index_select<float>(source, index, destination, outer, n, k, inner);
}
__global__ void index_select_f64(const double* source, const int* index, double* destination, int outer, int n, int k, int inner) {
    index_select<double>(source, index, destination, outer, n, k, inner);
}
__global__ void index_select_i32(const int* source, const int* index, int* destination, int outer, int n, int k, int inner) {
    index_select<int>(source, index, destination, outer, n, k, inner);
}
__global__ void index_add_f32(const float* source, const int* index, float* destination, int outer, int n, int k, int inner) {
    index_add<float>(source, index, destination, outer, n, k, inner);
}
__global__ void index_add_f64(const double* source, const int* index, double* destination, int outer, int n, int k, int inner) {
    index_add<double>(source, index, destination, outer, n, k, inner);
}

__global__ void gather_f32(const float* source, const int* index, float* destination, int outer, int n, int k, int inner) {
    gather<float>(source, index, destination, outer, n, k, inner);
}
__global__ void gather_f64(const double* source, const int* index, double* destination, int outer, int n, int k, int inner) {
    gather<double>(source, index, destination, outer, n, k, inner);
}
__global__ void gather_i32(const int* source, const int* index, int* destination, int outer, int n, int k, int inner) {
    gather<int>(source, index, destination, outer, n, k, inner);
}
__global__ void scatter_add_f32(const float* source, const int* index, float* destination, int outer, int n, int k, int inner) {
    scatter_add<float>(source, index, destination, outer, n, k, inner);
}
__global__ void scatter_add_f64(const double* source, const int* index, double* destination, int outer, int n, int k, int inner) {
    scatter_add<double>(source, index, destination, outer, n, k, inner);
}
}
