// Shared by every kernel file: the strided layout the host passes by value, index arithmetic and grid-stride loops.
// Compiled by NVRTC with -default-device, so helper functions need no __device__ annotation. No standard headers:
// NVRTC 11.x ships none, and the kernels need none.
#pragma once

#define RD_MAX_DIMS 6
#define RD_MAX_OPERANDS 3

// Up to three strided views (operand 0 is the destination) of one shape, after the host has coalesced dimensions
// (StridedLayout.cs, which must match this struct byte for byte: the size is asserted here, the field offsets
// (8, 152, 156) by a C# test; NVRTC has no offsetof).
// Strides are in elements and already exclude each operand's offset, which the host folds into the pointer.
struct StridedLayout {
    long long numel;
    long long strides[RD_MAX_OPERANDS][RD_MAX_DIMS];
    int rank;
    int sizes[RD_MAX_DIMS];
};
static_assert(sizeof(StridedLayout) == 184, "StridedLayout must match StridedLayout.cs");

// Element offsets of linear (row-major) index i in the first Operands views. Index is unsigned int when the host
// promises numel < 2^31 (32-bit division is several times cheaper than 64-bit), unsigned long long otherwise.
template <int Operands, typename Index>
__forceinline__ void strided_offsets(const StridedLayout& layout, Index i, long long (&offsets)[Operands]) {
#pragma unroll
    for (int k = 0; k < Operands; k++) offsets[k] = 0;
#pragma unroll
    for (int d = RD_MAX_DIMS - 1; d >= 0; d--) {
        if (d < layout.rank) {
            Index size = (Index)layout.sizes[d];
            Index coordinate = i % size;
            i /= size;
#pragma unroll
            for (int k = 0; k < Operands; k++) offsets[k] += (long long)coordinate * layout.strides[k][d];
        }
    }
}

// Calls body(offsets) for every element of the layout, each thread taking a grid-stride share.
template <int Operands, typename Body>
__forceinline__ void for_each_strided(const StridedLayout& layout, Body body) {
    if (layout.numel < (1LL << 31)) {
        unsigned int stride = blockDim.x * gridDim.x;
        for (unsigned int i = blockIdx.x * blockDim.x + threadIdx.x; i < (unsigned int)layout.numel; i += stride) {
            long long offsets[Operands];
            strided_offsets<Operands, unsigned int>(layout, i, offsets);
            body(offsets);
        }
    } else {
        unsigned long long stride = (unsigned long long)blockDim.x * gridDim.x;
        for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
             i < (unsigned long long)layout.numel; i += stride) {
            long long offsets[Operands];
            strided_offsets<Operands, unsigned long long>(layout, i, offsets);
            body(offsets);
        }
    }
}

// Calls body(i) for i in [0, n), each thread taking a grid-stride share.
template <typename Body>
__forceinline__ void for_each_index(long long n, Body body) {
    long long stride = (long long)blockDim.x * gridDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) body(i);
}
