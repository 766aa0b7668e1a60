using RawDiffusion.Backends;
using RawDiffusion.Cuda.Kernels;

namespace RawDiffusion.Cuda;

/// <summary>Gather and scatter-add along one axis of [outer, n, inner] blocks with Int32 indices
/// (kernels/indexing.cu). The kernels assume every index lies in [0, n): <see cref="FindIndexOutOfRange"/>checks
/// first, as on every backend; the adds accumulate repeated indices with atomics.</summary>
public sealed partial class CudaBackend
{
    /// <summary>Waits for the kernel to learn the answer.</summary>
    public long FindIndexOutOfRange(DeviceBuffer indices, long offset, long count, int limit) =>
        FindIndexOutOfRange(At(indices, offset, count, DType.Int32), count, limit);

    public void IndexSelect(DeviceBuffer source, long sourceOffset, DeviceBuffer index, long indexOffset,
                            DeviceBuffer destination, long destinationOffset, int outer, int n, int k, int inner)
    {
        var dtype = source.DType;
        IndexSelect(dtype, At(source, sourceOffset, (long)outer * n * inner, dtype), At(index, indexOffset, k, DType.Int32),
            At(destination, destinationOffset, (long)outer * k * inner, dtype), outer, n, k, inner);
    }

    public void IndexAdd(DeviceBuffer source, long sourceOffset, DeviceBuffer index, long indexOffset,
                         DeviceBuffer destination, long destinationOffset, int outer, int n, int k, int inner)
    {
        var dtype = FloatingDType(source, nameof(IndexAdd));
        IndexAdd(dtype, At(source, sourceOffset, (long)outer * k * inner, dtype), At(index, indexOffset, k, DType.Int32),
            At(destination, destinationOffset, (long)outer * n * inner, dtype), outer, n, k, inner);
    }

    public void Gather(DeviceBuffer source, long sourceOffset, DeviceBuffer index, long indexOffset,
                       DeviceBuffer destination, long destinationOffset, int outer, int n, int k, int inner)
    {
        var dtype = source.DType;
        long selected = (long)outer * k * inner;
        Gather(dtype, At(source, sourceOffset, (long)outer * n * inner, dtype), At(index, indexOffset, selected, DType.Int32),
            At(destination, destinationOffset, selected, dtype), outer, n, k, inner);
    }

    public void ScatterAdd(DeviceBuffer source, long sourceOffset, DeviceBuffer index, long indexOffset,
                           DeviceBuffer destination, long destinationOffset, int outer, int n, int k, int inner)
    {
        var dtype = FloatingDType(source, nameof(ScatterAdd));
        long scattered = (long)outer * k * inner;
        ScatterAdd(dtype, At(source, sourceOffset, scattered, dtype), At(index, indexOffset, scattered, DType.Int32),
            At(destination, destinationOffset, (long)outer * n * inner, dtype), outer, n, k, inner);
    }

    /// <summary>Position of the first of <paramref name="count"/> Int32 indices outside [0, <paramref name="limit"/>), or
    /// −1. Reading the answer waits for the kernel.</summary>
    public long FindIndexOutOfRange(nint indices, long count, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count == 0) return -1;
        var firstBad = allocator.Allocate(sizeof(ulong));
        try
        {
            context.SetWords(firstBad.Pointer, uint.MaxValue, 2);
            var arguments = new KernelArguments();
            arguments.Add(indices);
            arguments.Add(count);
            arguments.Add(limit);
            arguments.Add(firstBad.Pointer);
            launcher.Launch("find_index_out_of_range_i32", launcher.Linear(count), ref arguments);
            Span<ulong> answer = stackalloc ulong[1];
            context.CopyToHost<ulong>(firstBad.Pointer, answer);
            return answer[0] == ulong.MaxValue ? -1 : (long)answer[0];
        }
        finally
        {
            allocator.Free(firstBad);
        }
    }

    /// <summary>destination[o, j, i] = source[o, index[j], i]; any dtype.</summary>
    public void IndexSelect(DType dtype, nint source, nint index, nint destination, int outer, int n, int k, int inner) =>
        LaunchIndexing("index_select", dtype, source, index, destination, outer, n, k, inner);

    /// <summary>destination[o, index[j], i] += source[o, j, i]; float or double.</summary>
    public void IndexAdd(DType dtype, nint source, nint index, nint destination, int outer, int n, int k, int inner)
    {
        RequireFloating(dtype, nameof(IndexAdd));
        LaunchIndexing("index_add", dtype, source, index, destination, outer, n, k, inner);
    }

    /// <summary>destination[o, j, i] = source[o, index[o, j, i], i]; any dtype.</summary>
    public void Gather(DType dtype, nint source, nint index, nint destination, int outer, int n, int k, int inner) =>
        LaunchIndexing("gather", dtype, source, index, destination, outer, n, k, inner);

    /// <summary>destination[o, index[o, j, i], i] += source[o, j, i]; float or double.</summary>
    public void ScatterAdd(DType dtype, nint source, nint index, nint destination, int outer, int n, int k, int inner)
    {
        RequireFloating(dtype, nameof(ScatterAdd));
        LaunchIndexing("scatter_add", dtype, source, index, destination, outer, n, k, inner);
    }

    void LaunchIndexing(string family, DType dtype, nint source, nint index, nint destination, int outer, int n, int k, int inner)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(outer);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfNegative(inner);
        long elements = (long)outer * k * inner;
        if (elements == 0) return;
        var arguments = new KernelArguments();
        arguments.Add(source);
        arguments.Add(index);
        arguments.Add(destination);
        arguments.Add(outer);
        arguments.Add(n);
        arguments.Add(k);
        arguments.Add(inner);
        launcher.Launch(Typed(family, dtype), launcher.Linear(elements), ref arguments);
    }
}
