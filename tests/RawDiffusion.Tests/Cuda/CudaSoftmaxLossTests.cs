using RawDiffusion.Backends;

namespace RawDiffusion.Tests.Cuda;

/// <summary>Softmax, log-softmax and the NLL loss through the CUDA backend against the CPU backend, forward and
/// backward, on fresh random inputs with poisoned outputs. Skipped without a GPU.</summary>
[Collection(CudaDeviceCollection.Name)]
public class CudaSoftmaxLossTests(CudaDeviceFixture fixture)
{
    static readonly IBackend Cpu = Backend.Cpu;

    public static TheoryData<DType, int, int, bool> SoftmaxCases()
    {
        var data = new TheoryData<DType, int, int, bool>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            foreach (var log in new[] { false, true })
            {
                data.Add(dtype, 37, 10, log);     // class scores: many narrow rows, several to a warp
                data.Add(dtype, 300, 3, log);
                data.Add(dtype, 64, 64, log);     // attention rows
                data.Add(dtype, 9, 1000, log);    // rows wider than a warp
                data.Add(dtype, 3, 5000, log);    // rows of a whole 1024-thread block
                data.Add(dtype, 1, 1, log);
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(SoftmaxCases))]
    public void SoftmaxRowsAndTheirGradientsMatchTheCpu(DType dtype, int rows, int n, bool log)
    {
        var gpu = fixture.RequireBackend();
        int count = rows * n, seed = rows * 31 + n + (log ? 7 : 0);
        // Logits in [70, 90): exp(90) overflows float32, so the kernel must subtract the row maximum first.
        using var x = TwinBuffer.Random(gpu, dtype, count + 5, seed, 70, 90);
        using var y = TwinBuffer.Output(gpu, dtype, count + 3);
        Cpu.SoftmaxRows(x.Cpu, 5, y.Cpu, 3, rows, n, log);
        gpu.SoftmaxRows(x.Gpu, 5, y.Gpu, 3, rows, n, log);
        var (atol, rtol) = BackendTolerance.For(dtype, log ? 10 : 1.0 / Math.Max(1, n) + 1e-3, n);
        y.AssertMatchesCpu(atol, rtol, $"{(log ? "log-" : "")}softmax {dtype} [{rows}, {n}]", nanAllowed: false, start: 3, count: count);

        using var g = TwinBuffer.Random(gpu, dtype, count + 2, seed + 1);
        using var dx = TwinBuffer.Output(gpu, dtype, count + 1);
        Cpu.SoftmaxBackwardRows(y.Cpu, 3, g.Cpu, 2, dx.Cpu, 1, rows, n, log);
        gpu.SoftmaxBackwardRows(y.Gpu, 3, g.Gpu, 2, dx.Gpu, 1, rows, n, log);
        (atol, rtol) = BackendTolerance.For(dtype, 1, n);
        dx.AssertMatchesCpu(atol, rtol, $"{(log ? "log-" : "")}softmax backward {dtype} [{rows}, {n}]", start: 1, count: count);
    }

    [Theory]
    [InlineData(DType.Float32, false)]
    [InlineData(DType.Float32, true)]
    [InlineData(DType.Float64, false)]
    [InlineData(DType.Float64, true)]
    public void SoftmaxRunsInPlace(DType dtype, bool log)
    {
        var gpu = fixture.RequireBackend();
        const int rows = 50, n = 300;
        using var x = TwinBuffer.Random(gpu, dtype, rows * n, 41, -5, 5);
        Cpu.SoftmaxRows(x.Cpu, 0, x.Cpu, 0, rows, n, log);
        gpu.SoftmaxRows(x.Gpu, 0, x.Gpu, 0, rows, n, log);
        var (atol, rtol) = BackendTolerance.For(dtype, log ? 10 : 1, n);
        x.AssertMatchesCpu(atol, rtol, $"in-place {(log ? "log-" : "")}softmax {dtype}");

        using var g = TwinBuffer.Random(gpu, dtype, rows * n, 42);
        Cpu.SoftmaxBackwardRows(x.Cpu, 0, g.Cpu, 0, g.Cpu, 0, rows, n, log);
        gpu.SoftmaxBackwardRows(x.Gpu, 0, g.Gpu, 0, g.Gpu, 0, rows, n, log);
        (atol, rtol) = BackendTolerance.For(dtype, 1, n);
        g.AssertMatchesCpu(atol, rtol, $"in-place {(log ? "log-" : "")}softmax backward {dtype}");
    }

    [Fact]
    public void SoftmaxOfARowWithNaNIsNaNAndOtherRowsAreUntouched()
    {
        var gpu = fixture.RequireBackend();
        var values = Testing.Reference.RandomArray(3 * 40, 43);
        values[45] = double.NaN;
        using var x = TwinBuffer.Create(gpu, DType.Float32, values);
        using var y = TwinBuffer.Output(gpu, DType.Float32, 3 * 40);
        Cpu.SoftmaxRows(x.Cpu, 0, y.Cpu, 0, 3, 40, log: false);
        gpu.SoftmaxRows(x.Gpu, 0, y.Gpu, 0, 3, 40, log: false);
        y.AssertMatchesCpu(1e-6, 1e-5, "softmax with a NaN", nanAllowed: true);
        Assert.All(y.GpuValues().Skip(40).Take(40), v => Assert.True(double.IsNaN(v)));
        Assert.All(y.GpuValues().Take(40).Concat(y.GpuValues().Skip(80)), v => Assert.False(double.IsNaN(v)));
    }

    public static TheoryData<DType, int, int, double> NllCases()
    {
        var data = new TheoryData<DType, int, int, double>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            foreach (var smoothing in new[] { 0.0, 0.1 })
            {
                data.Add(dtype, 64, 10, smoothing);
                data.Add(dtype, 7, 1000, smoothing);
                data.Add(dtype, 1, 2, smoothing);
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(NllCases))]
    public void NllLossRowsAndTheirGradientsMatchTheCpu(DType dtype, int rows, int classes, double smoothing)
    {
        var gpu = fixture.RequireBackend();
        int seed = rows + classes + (smoothing > 0 ? 1000 : 0);
        using var logits = TwinBuffer.Random(gpu, dtype, rows * classes, seed, -3, 3);
        using var logp = TwinBuffer.Output(gpu, dtype, rows * classes + 2);
        Cpu.SoftmaxRows(logits.Cpu, 0, logp.Cpu, 2, rows, classes, log: true);
        gpu.SoftmaxRows(logits.Gpu, 0, logp.Gpu, 2, rows, classes, log: true);
        var random = new Random(seed);
        using var targets = TwinBuffer.Indices(gpu, [.. Enumerable.Range(0, rows + 1).Select(_ => random.Next(classes))]);
        using var loss = TwinBuffer.Output(gpu, dtype, rows);
        Assert.Equal(-1, Cpu.NllLossRows(logp.Cpu, 2, targets.Cpu, 1, loss.Cpu, 0, rows, classes, smoothing));
        Assert.Equal(-1, gpu.NllLossRows(logp.Gpu, 2, targets.Gpu, 1, loss.Gpu, 0, rows, classes, smoothing));
        var (atol, rtol) = BackendTolerance.For(dtype, 10, classes);
        loss.AssertMatchesCpu(atol, rtol, $"NLL {dtype} [{rows}, {classes}] smoothing {smoothing}");

        // Per-row output gradients (stride 1), and one broadcast gradient (stride 0, the mean and sum reductions).
        using var g = TwinBuffer.Random(gpu, dtype, rows + 1, seed + 1);
        foreach (var stride in new long[] { 1, 0 })
        {
            using var grad = TwinBuffer.Output(gpu, dtype, rows * classes + 4);
            Cpu.NllLossBackwardRows(targets.Cpu, 1, g.Cpu, 1, stride, 0.25, grad.Cpu, 4, rows, classes, smoothing);
            gpu.NllLossBackwardRows(targets.Gpu, 1, g.Gpu, 1, stride, 0.25, grad.Gpu, 4, rows, classes, smoothing);
            grad.AssertMatchesCpu(0, BackendTolerance.For(dtype).Rtol, $"NLL backward {dtype} stride {stride}", start: 4, count: rows * classes);
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.2)]
    public void NllLossReportsTheFirstRowWithATargetOutOfRange(double smoothing)
    {
        var gpu = fixture.RequireBackend();
        const int rows = 600, classes = 10;
        using var logp = TwinBuffer.Random(gpu, DType.Float32, rows * classes, 44, -3, 0);
        var labels = Enumerable.Range(0, rows).Select(r => r % classes).ToArray();
        labels[517] = -1;
        labels[233] = classes;
        labels[599] = 1 << 30;
        using var targets = TwinBuffer.Indices(gpu, labels);
        using var loss = TwinBuffer.Output(gpu, DType.Float32, rows);
        Assert.Equal(233, Cpu.NllLossRows(logp.Cpu, 0, targets.Cpu, 0, loss.Cpu, 0, rows, classes, smoothing));
        Assert.Equal(233, gpu.NllLossRows(logp.Gpu, 0, targets.Gpu, 0, loss.Gpu, 0, rows, classes, smoothing));
    }
}
