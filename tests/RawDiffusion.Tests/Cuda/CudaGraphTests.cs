using RawDiffusion.Backends;
using RawDiffusion.Cuda;

namespace RawDiffusion.Tests.Cuda;

/// <summary>CUDA graph capture and replay against eager runs of the same work. Skipped without a GPU.</summary>
[Collection(CudaDeviceCollection.Name)]
public class CudaGraphTests(CudaDeviceFixture fixture)
{
    [Fact]
    public void AReplayRecomputesFromTheCurrentInputs()
    {
        var gpu = fixture.RequireBackend();
        using var x = Tensor.Rand([1000], new Generator(1), backend: gpu);
        using var y = Tensor.Zeros([1000], backend: gpu);
        // y = relu(x)·2 + 1 in three kernels, into the same buffers at every replay.
        void Work()
        {
            gpu.Unary(UnaryOp.Relu, x.View, y.View);
            gpu.Unary(UnaryOp.MulScalar, y.View, y.View, 2);
            gpu.Unary(UnaryOp.AddScalar, y.View, y.View, 1);
        }
        using var graph = gpu.CaptureGraph(Work);
        Assert.Equal(3, graph.Nodes);
        foreach (ulong seed in new ulong[] { 5, 6 })
        {
            gpu.FillRandom(RandomDistribution.Uniform, x.Storage.Buffer, 0, 1000, seed, 0, -1, 1);
            graph.Launch();
            var expected = x.ToArray<float>().Select(v => Math.Max(v, 0f) * 2 + 1).ToArray();
            Assert.Equal(expected, y.ToArray<float>());
        }
    }

    [Fact]
    public void AnMlpForwardReplayMatchesTheEagerForward()
    {
        var gpu = fixture.RequireBackend();
        using var hidden = new Nn.Linear(784, 64, generator: new Generator(2), backend: gpu);
        using var output = new Nn.Linear(64, 10, generator: new Generator(4), backend: gpu);
        using var input = Tensor.Rand([16, 784], new Generator(3), backend: gpu);
        Tensor Forward()
        {
            using var noGrad = GradMode.NoGrad();
            using var scope = DisposeScope.Enter();
            return scope.MoveToOuter(output.Forward(hidden.Forward(input, UnaryOp.Relu)));
        }
        Forward().Dispose();
        Tensor? result = null;
        using var graph = gpu.CaptureGraph(() => result = Forward());
        using var captured = result!;
        gpu.FillRandom(RandomDistribution.Uniform, input.Storage.Buffer, input.Offset, input.Numel, 11, 0, 0, 1);
        graph.Launch();
        using var eager = Forward();
        Assert.Equal(eager.ToArray<float>(), captured.ToArray<float>());
    }

    [Fact]
    public void ReadingBackDuringACaptureFailsAndLeavesTheBackendUsable()
    {
        var gpu = fixture.RequireBackend();
        using var x = Tensor.Ones([8], backend: gpu);
        Assert.ThrowsAny<Exception>(() => gpu.CaptureGraph(() => x.ToArray<float>()));
        using var y = x * 3;
        Assert.Equal(Enumerable.Repeat(3f, 8), y.ToArray<float>());
    }
}
