using RawDiffusion.Backends;
using RawDiffusion.Cuda;

namespace RawDiffusion.Tests.Cuda;

/// <summary>The backend object itself: availability, memory transfers, the checks that keep kernels inside their
/// buffers, and the primitives older than the backend (fills, maps, reductions, GEMM, random fills, optimizer steps)
/// reached through IBackend. Skipped without a GPU except where noted.</summary>
[Collection(CudaDeviceCollection.Name)]
public class CudaBackendTests(CudaDeviceFixture fixture)
{
    static readonly IBackend Cpu = Backend.Cpu;

    /// <summary>Runs everywhere: on a machine without a GPU, TryCreate declines and says why.</summary>
    [Fact]
    public void TryCreateOpensAGpuOrExplainsWhyNot()
    {
        bool available = CudaBackend.IsAvailable(out var why);
        bool created = CudaBackend.TryCreate(out var backend, out var reason);
        using (backend)
        {
            Assert.Equal(available, created);
            if (!created)
            {
                Assert.Null(backend);
                Assert.False(string.IsNullOrWhiteSpace(reason));
                Assert.Equal(why, reason);
                return;
            }
            Assert.Equal("cuda", backend!.Name);
            Assert.False(backend.AllowTf32);
        }
        Assert.False(CudaBackend.IsAvailable(out var missing, ordinal: 1000));
        Assert.Contains("1000", missing);
    }

    [Fact]
    public void UploadsAndDownloadsRoundTripAtOffsets()
    {
        var gpu = fixture.RequireBackend();
        using var buffer = gpu.Allocate(DType.Float64, 100);
        Assert.Same(gpu, buffer.Backend);
        var values = Testing.Reference.RandomArray(60, 81);
        gpu.Upload<double>(values, buffer, 25);
        var back = new double[40];
        gpu.Download<double>(buffer, 35, back);
        Assert.Equal(values[10..50], back);

        using var ints = gpu.Allocate(DType.Int32, 10);
        gpu.Upload<int>([1, 2, 3], ints, 7);
        var tail = new int[3];
        gpu.Download<int>(ints, 7, tail);
        Assert.Equal([1, 2, 3], tail);
        gpu.Synchronize();
    }

    [Fact]
    public void ForeignBuffersAndOutOfRangeAccessAreRejected()
    {
        var gpu = fixture.RequireBackend();
        using var buffer = gpu.Allocate(DType.Float32, 10);
        var cpuBuffer = Cpu.Allocate(DType.Float32, 10);
        Assert.Throws<ArgumentOutOfRangeException>(() => gpu.Upload<float>(new float[5], buffer, 6));
        Assert.Throws<ArgumentOutOfRangeException>(() => gpu.Download<float>(buffer, -1, new float[2]));
        var foreign = Assert.Throws<ArgumentException>(() => gpu.SoftmaxRows(cpuBuffer, 0, buffer, 0, 2, 5, log: false));
        Assert.Contains("cpu", foreign.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => gpu.SoftmaxRows(buffer, 0, buffer, 1, 2, 5, log: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => gpu.Fill(new StridedView(buffer, 0, [3, 4], [4, 1]), 0));
        using var doubles = gpu.Allocate(DType.Float64, 10);
        Assert.Throws<ArgumentException>(() => gpu.SoftmaxRows(doubles, 0, buffer, 0, 2, 5, log: false));
    }

    [Fact]
    public void TensorsCreatedOnTheBackendComputeOnIt()
    {
        var gpu = fixture.RequireBackend();
        using var scope = DisposeScope.Enter();
        var a = Tensor.FromSpan<float>([1, 2, 3, 4, 5, 6], [2, 3], DType.Float32, gpu);
        var b = Tensor.FromSpan<float>([1, 0, 0, 1, 1, 1], [3, 2], DType.Float32, gpu);
        var c = (a.MatMul(b) * 2 + 1).Sum(1);
        Assert.Same(gpu, c.Backend);
        // a·b = [[4, 5], [10, 11]], doubled plus one = [[9, 11], [21, 23]].
        Assert.Equal([20f, 44f], c.ToArray<float>());
        Assert.Equal([1, 1, 1], a.Transpose(0, 1).ArgMax(1).ToArray<int>());
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void FillMapsReduceAndGemmMatchTheCpuThroughTheBackend(DType dtype)
    {
        var gpu = fixture.RequireBackend();
        var (atol, rtol) = BackendTolerance.For(dtype, 1, 64);
        // Fill, a strided unary map and a broadcast binary map.
        using var y = TwinBuffer.Output(gpu, dtype, 60);
        foreach (var backend in new[] { Cpu, gpu })
        {
            var buffer = backend == Cpu ? y.Cpu : y.Gpu;
            backend.Fill(StridedView.Contiguous(buffer, 0, [60]), 0.5);
            backend.Fill(new StridedView(buffer, 1, [5, 4], [12, 3]), -2);
        }
        y.AssertMatchesCpu(0, 0, $"fill {dtype}");
        using var x = TwinBuffer.Random(gpu, dtype, 60, 91);
        using var mapped = TwinBuffer.Output(gpu, dtype, 60);
        Cpu.Unary(UnaryOp.Tanh, new StridedView(x.Cpu, 0, [6, 10], [1, 6]), StridedView.Contiguous(mapped.Cpu, 0, [6, 10]));
        gpu.Unary(UnaryOp.Tanh, new StridedView(x.Gpu, 0, [6, 10], [1, 6]), StridedView.Contiguous(mapped.Gpu, 0, [6, 10]));
        mapped.AssertMatchesCpu(atol, rtol, $"tanh {dtype}");
        Cpu.Binary(BinaryOp.Mul, StridedView.Contiguous(x.Cpu, 0, [6, 10]), new StridedView(y.Cpu, 0, [6, 10], [0, 1]), StridedView.Contiguous(mapped.Cpu, 0, [6, 10]));
        gpu.Binary(BinaryOp.Mul, StridedView.Contiguous(x.Gpu, 0, [6, 10]), new StridedView(y.Gpu, 0, [6, 10], [0, 1]), StridedView.Contiguous(mapped.Gpu, 0, [6, 10]));
        mapped.AssertMatchesCpu(atol, rtol, $"broadcast mul {dtype}");

        // A column reduction, a strided-batched GEMM and a random fill.
        using var sums = TwinBuffer.Output(gpu, dtype, 15);
        Cpu.Reduce(ReduceOp.Sum, x.Cpu, 0, sums.Cpu, 0, 3, 4, 5);
        gpu.Reduce(ReduceOp.Sum, x.Gpu, 0, sums.Gpu, 0, 3, 4, 5);
        sums.AssertMatchesCpu(atol, rtol, $"sum {dtype}");
        using var product = TwinBuffer.Output(gpu, dtype, 2 * 4 * 5);
        Cpu.Gemm(false, true, 4, 5, 6, 1, x.Cpu, 0, 6, 24, x.Cpu, 0, 6, 30, 0, product.Cpu, 0, 5, 20, 2);
        gpu.Gemm(false, true, 4, 5, 6, 1, x.Gpu, 0, 6, 24, x.Gpu, 0, 6, 30, 0, product.Gpu, 0, 5, 20, 2);
        product.AssertMatchesCpu(atol, rtol, $"gemm {dtype}");
        using var noise = TwinBuffer.Output(gpu, dtype, 103);
        Cpu.FillRandom(RandomDistribution.Uniform, noise.Cpu, 0, 103, 17, 5, -1, 1);
        gpu.FillRandom(RandomDistribution.Uniform, noise.Gpu, 0, 103, 17, 5, -1, 1);
        noise.AssertMatchesCpu(0, 0, $"uniform {dtype}");

        // One AdamW step and one EMA update.
        using var p = TwinBuffer.Random(gpu, dtype, 50, 92);
        using var grad = TwinBuffer.Random(gpu, dtype, 50, 93);
        using var m = TwinBuffer.Create(gpu, dtype, new double[50]);
        using var v = TwinBuffer.Create(gpu, dtype, new double[50]);
        Cpu.AdamStep(p.Cpu, 0, grad.Cpu, 0, m.Cpu, 0, v.Cpu, 0, 50, 1e-2, 0.9, 0.999, 1e-8, 0.01, true, 1);
        gpu.AdamStep(p.Gpu, 0, grad.Gpu, 0, m.Gpu, 0, v.Gpu, 0, 50, 1e-2, 0.9, 0.999, 1e-8, 0.01, true, 1);
        p.AssertMatchesCpu(atol, rtol, $"adam {dtype}");
        Cpu.EmaUpdate(grad.Cpu, 0, p.Cpu, 0, 50, 0.9);
        gpu.EmaUpdate(grad.Gpu, 0, p.Gpu, 0, 50, 0.9);
        grad.AssertMatchesCpu(atol, rtol, $"ema {dtype}");
    }
}
