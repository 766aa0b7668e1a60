using RawDiffusion.Backends;

namespace RawDiffusion.Tests.Cuda;

/// <summary>Index checks, gathers and scatter-adds along an axis, and ArgMax, through the CUDA backend against the CPU
/// backend on fresh random inputs with poisoned outputs. Skipped without a GPU.</summary>
[Collection(CudaDeviceCollection.Name)]
public class CudaIndexingTests(CudaDeviceFixture fixture)
{
    static readonly IBackend Cpu = Backend.Cpu;

    [Fact]
    public void FindIndexOutOfRangeReportsTheFirstBadPosition()
    {
        var gpu = fixture.RequireBackend();
        var random = new Random(71);
        var values = Enumerable.Range(0, 300_000).Select(_ => random.Next(50)).ToArray();
        using var indices = TwinBuffer.Indices(gpu, values);
        Assert.Equal(-1, gpu.FindIndexOutOfRange(indices.Gpu, 5, 299_995, 50));
        values[250_001] = 50;
        values[123_457] = -1;
        values[200_000] = int.MinValue;
        indices.Set(Array.ConvertAll(values, v => (double)v));
        foreach (var (offset, count) in new[] { (0L, 300_000L), (123_457L, 10L), (123_458L, 176_542L), (7L, 100L) })
            Assert.Equal(Cpu.FindIndexOutOfRange(indices.Cpu, offset, count, 50), gpu.FindIndexOutOfRange(indices.Gpu, offset, count, 50));
        Assert.Equal(-1, gpu.FindIndexOutOfRange(indices.Gpu, 0, 0, 50));
    }

    public static TheoryData<DType, int, int, int, int> SelectionCases()
    {
        var data = new TheoryData<DType, int, int, int, int>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64, DType.Int32 })
        {
            data.Add(dtype, 1, 40, 100, 16);   // embedding lookup: repeated rows
            data.Add(dtype, 6, 9, 4, 7);
            data.Add(dtype, 5, 12, 30, 1);     // the last axis
            data.Add(dtype, 1, 3, 0, 5);       // nothing selected
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(SelectionCases))]
    public void IndexSelectAndGatherMatchTheCpuForEveryDtype(DType dtype, int outer, int n, int k, int inner)
    {
        var gpu = fixture.RequireBackend();
        int seed = outer * 1000 + n * 10 + k;
        using var source = TwinBuffer.Create(gpu, dtype, SourceValues(dtype, outer * n * inner + 1, seed));
        var random = new Random(seed);
        using var rowIndex = TwinBuffer.Indices(gpu, [.. Enumerable.Range(0, k + 2).Select(_ => random.Next(n))]);
        using var selected = TwinBuffer.Output(gpu, dtype, outer * k * inner);
        Cpu.IndexSelect(source.Cpu, 1, rowIndex.Cpu, 2, selected.Cpu, 0, outer, n, k, inner);
        gpu.IndexSelect(source.Gpu, 1, rowIndex.Gpu, 2, selected.Gpu, 0, outer, n, k, inner);
        selected.AssertMatchesCpu(0, 0, $"index_select {dtype} [{outer}, {n}, {inner}] k={k}");

        using var elementIndex = TwinBuffer.Indices(gpu, [.. Enumerable.Range(0, outer * k * inner).Select(_ => random.Next(n))]);
        using var gathered = TwinBuffer.Output(gpu, dtype, outer * k * inner + 3);
        Cpu.Gather(source.Cpu, 1, elementIndex.Cpu, 0, gathered.Cpu, 3, outer, n, k, inner);
        gpu.Gather(source.Gpu, 1, elementIndex.Gpu, 0, gathered.Gpu, 3, outer, n, k, inner);
        gathered.AssertMatchesCpu(0, 0, $"gather {dtype} [{outer}, {n}, {inner}] k={k}", start: 3, count: outer * k * inner);
    }

    [Theory]
    [InlineData(DType.Float32, 1, 40, 500, 16)]
    [InlineData(DType.Float32, 6, 9, 4, 7)]
    [InlineData(DType.Float32, 5, 3, 200, 1)]
    [InlineData(DType.Float64, 1, 40, 500, 16)]
    [InlineData(DType.Float64, 5, 3, 200, 1)]
    public void IndexAddAndScatterAddAccumulateRepeatedIndicesAsTheCpu(DType dtype, int outer, int n, int k, int inner)
    {
        var gpu = fixture.RequireBackend();
        int seed = outer * 1000 + n * 10 + k + 5;
        var random = new Random(seed);
        using var source = TwinBuffer.Random(gpu, dtype, outer * k * inner, seed);
        using var rowIndex = TwinBuffer.Indices(gpu, [.. Enumerable.Range(0, k).Select(_ => random.Next(n))]);
        // Adds accumulate into what the destination held: start from values, not poison.
        using var added = TwinBuffer.Random(gpu, dtype, outer * n * inner + 2, seed + 1);
        Cpu.IndexAdd(source.Cpu, 0, rowIndex.Cpu, 0, added.Cpu, 2, outer, n, k, inner);
        gpu.IndexAdd(source.Gpu, 0, rowIndex.Gpu, 0, added.Gpu, 2, outer, n, k, inner);
        // Repeated indices add in another order on the GPU (atomics): a sum of about k / n terms per element.
        var (atol, rtol) = BackendTolerance.For(dtype, 1, k / n + 1);
        added.AssertMatchesCpu(atol, rtol, $"index_add {dtype} [{outer}, {n}, {inner}] k={k}");

        using var elementIndex = TwinBuffer.Indices(gpu, [.. Enumerable.Range(0, outer * k * inner).Select(_ => random.Next(n))]);
        using var scattered = TwinBuffer.Random(gpu, dtype, outer * n * inner, seed + 2);
        Cpu.ScatterAdd(source.Cpu, 0, elementIndex.Cpu, 0, scattered.Cpu, 0, outer, n, k, inner);
        gpu.ScatterAdd(source.Gpu, 0, elementIndex.Gpu, 0, scattered.Gpu, 0, outer, n, k, inner);
        scattered.AssertMatchesCpu(atol, rtol, $"scatter_add {dtype} [{outer}, {n}, {inner}] k={k}");
    }

    public static TheoryData<DType, int, int, int> ArgMaxCases()
    {
        var data = new TheoryData<DType, int, int, int>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            data.Add(dtype, 128, 10, 1);     // class predictions
            data.Add(dtype, 300, 3, 1);
            data.Add(dtype, 4, 5000, 1);     // rows across a whole block
            data.Add(dtype, 7, 33, 45);      // an inner axis
            data.Add(dtype, 2, 1, 9);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ArgMaxCases))]
    public void ArgMaxMatchesTheCpuWithTiesAndNaN(DType dtype, int outer, int n, int inner)
    {
        var gpu = fixture.RequireBackend();
        int count = outer * n * inner, seed = count + outer;
        // A coarse grid of values makes ties common (the first index must win); a few NaNs win over every number,
        // the first NaN over later ones.
        var values = Testing.Reference.RandomArray(count, seed, -3, 3).Select(v => Math.Round(v)).ToArray();
        var random = new Random(seed);
        for (int i = 0; i < Math.Max(1, count / 200); i++) values[random.Next(count)] = double.NaN;
        using var x = TwinBuffer.Create(gpu, dtype, [1, .. values]);
        using var indices = TwinBuffer.Output(gpu, DType.Int32, outer * inner + 1);
        Cpu.ArgMax(x.Cpu, 1, indices.Cpu, 1, outer, n, inner);
        gpu.ArgMax(x.Gpu, 1, indices.Gpu, 1, outer, n, inner);
        indices.AssertMatchesCpu(0, 0, $"argmax {dtype} [{outer}, {n}, {inner}]", start: 1, count: outer * inner);
    }

    static double[] SourceValues(DType dtype, int length, int seed) => dtype == DType.Int32
        ? [.. Enumerable.Range(0, length).Select(i => (double)(i * 7919 % 1000 - 500))]
        : Testing.Reference.RandomArray(length, seed);
}
