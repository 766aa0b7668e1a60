using RawDiffusion.Cuda.Kernels;

namespace RawDiffusion.Cuda.Primitives;

/// <summary>Gather and scatter-add along one axis of [outer, n, inner] blocks with Int32 indices (kernels/indexing.cu).
/// The kernels assume every index lies in [0, n): callers check with <see cref="FindIndexOutOfRange"/> first.</summary>
internal sealed partial class CudaPrimitives
{
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
