using RawDiffusion.Backends;

namespace RawDiffusion.Tests.Cuda;

/// <summary>The normalisation passes (statistics, forward, backward sums, input gradient) through the CUDA backend
/// against the CPU backend for layer, group and batch norm layouts, with and without an affine transform, on fresh
/// random inputs with poisoned outputs. Skipped without a GPU.</summary>
[Collection(CudaDeviceCollection.Name)]
public class CudaNormalizationTests(CudaDeviceFixture fixture)
{
    static readonly IBackend Cpu = RawDiffusion.Backends.Backend.Cpu;
    const double Eps = 1e-5;

    public static TheoryData<DType, string, bool> Cases()
    {
        var data = new TheoryData<DType, string, bool>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            foreach (var name in Layouts.Keys)
                foreach (var affine in new[] { true, false })
                    data.Add(dtype, name, affine);
        return data;
    }

    /// <summary>Each code path of the kernels: rows of channels (Inner 1) with one or several groups, rows of feature
    /// maps (Inner &gt; 1), statistics shared across the outer axis (batch norm) in both row shapes, rows wider than a block.</summary>
    static readonly Dictionary<string, NormLayout> Layouts = new()
    {
        ["layer norm [37, 70]"] = new(37, 70, 1, 70, false),
        ["layer norm [5, 3000]"] = new(5, 3000, 1, 3000, false),
        ["group norm [3, 8, 50], 4 groups"] = new(3, 8, 50, 2, false),
        ["group norm [20, 12], 3 groups"] = new(20, 12, 1, 4, false),
        ["batch norm [4, 5, 30]"] = new(4, 5, 30, 1, true),
        ["batch norm [300, 6]"] = new(300, 6, 1, 1, true),
        ["batch norm [300, 6], pairs of channels"] = new(300, 6, 1, 2, true),
        ["group norm [2, 4, 2000], 1 group"] = new(2, 4, 2000, 4, false),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryPassMatchesTheCpu(DType dtype, string name, bool affine)
    {
        var gpu = fixture.RequireBackend();
        var layout = Layouts[name];
        int numel = (int)layout.Numel, stats = layout.StatCount, channels = layout.Channels, seed = numel + stats + (affine ? 1 : 0);
        // Data far from zero: the variance must be taken about the mean, not as E[x²] − E[x]².
        using var x = TwinBuffer.Random(gpu, dtype, numel + 3, seed, 5, 7);
        using var g = TwinBuffer.Random(gpu, dtype, numel + 1, seed + 1);
        using var weight = TwinBuffer.Random(gpu, dtype, channels, seed + 2, 0.5, 1.5);
        using var bias = TwinBuffer.Random(gpu, dtype, channels, seed + 3);
        StridedView View(TwinBuffer t, bool onGpu, long offset, int length) => StridedView.Contiguous(onGpu ? t.Gpu : t.Cpu, offset, [length]);
        StridedView? Optional(TwinBuffer t, bool onGpu, int length) => affine ? View(t, onGpu, 0, length) : null;
        long count = layout.GroupCount;

        using var mean = TwinBuffer.Output(gpu, dtype, stats);
        using var variance = TwinBuffer.Output(gpu, dtype, stats);
        foreach (var onGpu in new[] { false, true })
            On(onGpu).NormStatistics(View(x, onGpu, 3, numel), layout, View(mean, onGpu, 0, stats), View(variance, onGpu, 0, stats));
        Check(mean, dtype, count, $"{name} mean");
        Check(variance, dtype, count, $"{name} variance");

        using var y = TwinBuffer.Output(gpu, dtype, numel);
        foreach (var onGpu in new[] { false, true })
            On(onGpu).NormForward(View(x, onGpu, 3, numel), View(mean, onGpu, 0, stats), View(variance, onGpu, 0, stats), Eps,
                Optional(weight, onGpu, channels), Optional(bias, onGpu, channels), layout, View(y, onGpu, 0, numel));
        Check(y, dtype, count, $"{name} forward");

        using var statSum = TwinBuffer.Output(gpu, dtype, stats);
        using var statXhatSum = TwinBuffer.Output(gpu, dtype, stats);
        using var channelSum = TwinBuffer.Output(gpu, dtype, channels);
        using var channelXhatSum = TwinBuffer.Output(gpu, dtype, channels);
        foreach (var onGpu in new[] { false, true })
            On(onGpu).NormBackwardSums(View(x, onGpu, 3, numel), View(g, onGpu, 1, numel), View(mean, onGpu, 0, stats), View(variance, onGpu, 0, stats), Eps,
                Optional(weight, onGpu, channels), layout, View(statSum, onGpu, 0, stats), View(statXhatSum, onGpu, 0, stats),
                View(channelSum, onGpu, 0, channels), View(channelXhatSum, onGpu, 0, channels));
        long channelCount = (long)layout.Outer * layout.Inner;
        Check(statSum, dtype, count, $"{name} Σ g·w per statistic");
        Check(statXhatSum, dtype, count, $"{name} Σ g·w·x̂ per statistic");
        Check(channelSum, dtype, channelCount, $"{name} Σ g per channel");
        Check(channelXhatSum, dtype, channelCount, $"{name} Σ g·x̂ per channel");

        using var dx = TwinBuffer.Output(gpu, dtype, numel + 2);
        foreach (var onGpu in new[] { false, true })
            On(onGpu).NormBackward(View(x, onGpu, 3, numel), View(g, onGpu, 1, numel), View(mean, onGpu, 0, stats), View(variance, onGpu, 0, stats), Eps,
                Optional(weight, onGpu, channels), View(statSum, onGpu, 0, stats), View(statXhatSum, onGpu, 0, stats), layout, View(dx, onGpu, 2, numel));
        Check(dx, dtype, count, $"{name} input gradient", start: 2, length: numel);

        // Constant statistics (batch norm in eval mode): dx = rstd·w·g.
        dx.Poison();
        foreach (var onGpu in new[] { false, true })
            On(onGpu).NormBackward(View(x, onGpu, 3, numel), View(g, onGpu, 1, numel), View(mean, onGpu, 0, stats), View(variance, onGpu, 0, stats), Eps,
                Optional(weight, onGpu, channels), null, null, layout, View(dx, onGpu, 2, numel));
        // rstd comes from each backend's own variance, so the bound still grows with the group.
        Check(dx, dtype, count, $"{name} input gradient with constant statistics", start: 2, length: numel);
    }

    [Theory]
    [InlineData(DType.Float32, "group norm [3, 8, 50], 4 groups")]
    [InlineData(DType.Float32, "layer norm [37, 70]")]
    [InlineData(DType.Float64, "batch norm [300, 6]")]
    [InlineData(DType.Float64, "batch norm [4, 5, 30]")]
    public void BackwardSumsComputeOnlyTheOutputsAsked(DType dtype, string name)
    {
        var gpu = fixture.RequireBackend();
        var layout = Layouts[name];
        int numel = (int)layout.Numel, stats = layout.StatCount, channels = layout.Channels;
        using var x = TwinBuffer.Random(gpu, dtype, numel, 51, -2, 2);
        using var g = TwinBuffer.Random(gpu, dtype, numel, 52);
        using var weight = TwinBuffer.Random(gpu, dtype, channels, 53, 0.5, 1.5);
        using var mean = TwinBuffer.Output(gpu, dtype, stats);
        using var variance = TwinBuffer.Output(gpu, dtype, stats);
        StridedView View(TwinBuffer t, bool onGpu, int length) => StridedView.Contiguous(onGpu ? t.Gpu : t.Cpu, 0, [length]);
        foreach (var onGpu in new[] { false, true })
            On(onGpu).NormStatistics(View(x, onGpu, numel), layout, View(mean, onGpu, stats), View(variance, onGpu, stats));

        // Statistic sums alone (the input gradient without weight or bias gradients), then one channel sum alone.
        using var statSum = TwinBuffer.Output(gpu, dtype, stats);
        using var statXhatSum = TwinBuffer.Output(gpu, dtype, stats);
        foreach (var onGpu in new[] { false, true })
            On(onGpu).NormBackwardSums(View(x, onGpu, numel), View(g, onGpu, numel), View(mean, onGpu, stats), View(variance, onGpu, stats), Eps,
                View(weight, onGpu, channels), layout, View(statSum, onGpu, stats), View(statXhatSum, onGpu, stats), null, null);
        Check(statSum, dtype, layout.GroupCount, $"{name} Σ g·w alone");
        Check(statXhatSum, dtype, layout.GroupCount, $"{name} Σ g·w·x̂ alone");

        using var channelXhatSum = TwinBuffer.Output(gpu, dtype, channels);
        foreach (var onGpu in new[] { false, true })
            On(onGpu).NormBackwardSums(View(x, onGpu, numel), View(g, onGpu, numel), View(mean, onGpu, stats), View(variance, onGpu, stats), Eps,
                null, layout, null, null, null, View(channelXhatSum, onGpu, channels));
        Check(channelXhatSum, dtype, (long)layout.Outer * layout.Inner, $"{name} Σ g·x̂ alone");
    }

    [Fact]
    public void NonContiguousOperandsAreRejected()
    {
        var gpu = fixture.RequireBackend();
        var layout = new NormLayout(4, 6, 1, 6, false);
        using var x = gpu.Allocate(DType.Float32, 48);
        using var stats = gpu.Allocate(DType.Float32, 8);
        var strided = new StridedView(x, 0, [4, 6], [12, 1]);
        var error = Assert.Throws<ArgumentException>(() =>
            gpu.NormStatistics(strided, layout, StridedView.Contiguous(stats, 0, [4]), StridedView.Contiguous(stats, 4, [4])));
        Assert.Contains("contiguous", error.Message);
    }

    IBackend On(bool onGpu) => onGpu ? fixture.RequireBackend() : Cpu;

    /// <summary>Compares one output, its absolute bound scaled by its largest value and by the terms summed into it.</summary>
    static void Check(TwinBuffer output, DType dtype, long terms, string what, int start = 0, int length = -1)
    {
        var (atol, rtol) = BackendTolerance.For(dtype, Math.Max(1, output.CpuMaxAbs()), terms);
        output.AssertMatchesCpu(atol, rtol, $"{what} ({dtype})", start: start, count: length);
    }
}
