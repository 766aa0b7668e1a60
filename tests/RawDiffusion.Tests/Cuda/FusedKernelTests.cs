using RawDiffusion.Backends;
using RawDiffusion.Cuda;
using RawDiffusion.Training.Optimizers;

namespace RawDiffusion.Tests.Cuda;

/// <summary>The fused kernels against the unfused compositions they replace: the multi-tensor Adam step (on the GPU
/// against the CPU's per-parameter steps, more parameters than one launch holds, zero-length and offset ones among
/// them; through the optimizer on the CPU against AdamStep per parameter) and GroupNorm + SiLU in one pass (on the GPU
/// against the CPU; on the CPU, values and gradients against F.Silu(F.GroupNorm), and finite differences), and a
/// linear layer's bias + activation in one pass (the same pairs of checks).</summary>
[Collection(CudaDeviceCollection.Name)]
public class FusedKernelTests(CudaDeviceFixture fixture)
{
    static readonly IBackend Cpu = Backend.Cpu;

    [Theory]
    [InlineData(DType.Float32, true)]
    [InlineData(DType.Float64, false)]
    public void OneLaunchPerSixtyFourParametersMatchesAdamStepOnEach(DType dtype, bool decoupled)
    {
        var gpu = fixture.RequireBackend();
        var (atol, rtol) = BackendTolerance.For(dtype, 1, 64);
        // 150 parameters: three launches, lengths from 0 to 5,000, each at offset 3 in its buffers, steps 1 to 4.
        int[] lengths = Enumerable.Range(0, 150).Select(i => i % 37 == 0 ? 0 : 1 + i * 97 % 5000).ToArray();
        var buffers = lengths.Select((n, i) => (
            P: TwinBuffer.Random(gpu, dtype, n + 3, 10 + i), G: TwinBuffer.Random(gpu, dtype, n + 3, 1000 + i),
            M: TwinBuffer.Random(gpu, dtype, n + 3, 2000 + i, -0.1, 0.1), V: TwinBuffer.Random(gpu, dtype, n + 3, 3000 + i, 0, 0.01))).ToArray();
        try
        {
            AdamTensors Entry(int i, bool onGpu)
            {
                var b = buffers[i];
                DeviceBuffer Pick(TwinBuffer t) => onGpu ? t.Gpu : t.Cpu;
                return new AdamTensors(Pick(b.P), 3, Pick(b.G), 3, Pick(b.M), 3, Pick(b.V), 3, lengths[i], 1 + i % 4);
            }
            Cpu.AdamStepMany(Enumerable.Range(0, lengths.Length).Select(i => Entry(i, false)).ToArray(), 1e-2, 0.9, 0.999, 1e-8, 0.05, decoupled);
            gpu.AdamStepMany(Enumerable.Range(0, lengths.Length).Select(i => Entry(i, true)).ToArray(), 1e-2, 0.9, 0.999, 1e-8, 0.05, decoupled);
            for (int i = 0; i < lengths.Length; i++)
            {
                buffers[i].P.AssertMatchesCpu(atol, rtol, $"param {i}");
                buffers[i].M.AssertMatchesCpu(atol, rtol, $"exp_avg {i}");
                buffers[i].V.AssertMatchesCpu(atol, rtol, $"exp_avg_sq {i}");
            }
        }
        finally
        {
            foreach (var b in buffers) { b.P.Dispose(); b.G.Dispose(); b.M.Dispose(); b.V.Dispose(); }
        }
    }

    [Fact]
    public void TheOptimizersBatchedStepEqualsAdamStepPerParameterOnTheCpu()
    {
        // Parameters in two groups (different learning rates), one of them without a gradient in the second step, so
        // the batched call mixes step counts: the result must be AdamStep per parameter with its own step, bit for bit.
        var generator = new Generator(5);
        using var a = Tensor.Randn([7, 3], generator);
        using var b = Tensor.Randn([11], generator);
        using var c = Tensor.Randn([2, 2], generator);
        foreach (var t in new[] { a, b, c }) t.RequiresGrad = true;
        var initial = new[] { a.ToArray<float>(), b.ToArray<float>(), c.ToArray<float>() };
        using var optimizer = new AdamW([new ParameterGroup([a, b]), new ParameterGroup([c], learningRate: 0.3)], learningRate: 0.1, weightDecay: 0.02);
        var gradients = new List<float[][]>();
        for (int step = 0; step < 2; step++)
        {
            optimizer.ZeroGrad();
            using (DisposeScope.Enter())
            {
                var loss = (a * a).Sum() + (c * 3).Sum();
                if (step == 0) loss = loss + (b * b * b).Sum();
                loss.Backward();
            }
            gradients.Add([a.Grad!.ToArray<float>(), b.Grad?.ToArray<float>() ?? [], c.Grad!.ToArray<float>()]);
            optimizer.Step();
        }

        float[] Expected(int index, double lr, int[] steps)
        {
            using var p = Tensor.FromArray(initial[index], initial[index].Length);
            using var m = Tensor.Zeros([initial[index].Length]);
            using var v = Tensor.Zeros([initial[index].Length]);
            foreach (int step in steps)
            {
                using var g = Tensor.FromArray(gradients[step - 1][index], initial[index].Length);
                Cpu.AdamStep(p.Storage.Buffer, 0, g.Storage.Buffer, 0, m.Storage.Buffer, 0, v.Storage.Buffer, 0, p.Numel, lr, 0.9, 0.999, 1e-8, 0.02, true, step);
            }
            return p.ToArray<float>();
        }
        Assert.Equal(Expected(0, 0.1, [1, 2]), a.ToArray<float>());
        Assert.Equal(Expected(1, 0.1, [1]), b.ToArray<float>());
        Assert.Equal(Expected(2, 0.3, [1, 2]), c.ToArray<float>());
    }

    [Theory]
    [InlineData(DType.Float32, 4, 8, 16, 4)]
    [InlineData(DType.Float64, 3, 6, 1, 3)]
    public void NormalisingWithSiluMatchesTheCpuOnTheGpu(DType dtype, int outer, int channels, int inner, int groupSize)
    {
        var gpu = fixture.RequireBackend();
        var (atol, rtol) = BackendTolerance.For(dtype, 1, 64);
        var layout = new NormLayout(outer, channels, inner, groupSize, SharedAcrossOuter: false);
        int n = outer * channels * inner, k = layout.StatCount;
        using var x = TwinBuffer.Random(gpu, dtype, n, 41, -3, 3);
        using var w = TwinBuffer.Random(gpu, dtype, channels, 42);
        using var b = TwinBuffer.Random(gpu, dtype, channels, 43);
        using var mean = TwinBuffer.Output(gpu, dtype, k);
        using var variance = TwinBuffer.Output(gpu, dtype, k);
        using var y = TwinBuffer.Output(gpu, dtype, n);
        using var pre = TwinBuffer.Output(gpu, dtype, n);
        foreach (var backend in new[] { Cpu, gpu })
        {
            DeviceBuffer Pick(TwinBuffer t) => backend == Cpu ? t.Cpu : t.Gpu;
            StridedView View(TwinBuffer t, int length) => StridedView.Contiguous(Pick(t), 0, [length]);
            backend.NormStatistics(View(x, n), layout, View(mean, k), View(variance, k));
            backend.NormForward(View(x, n), View(mean, k), View(variance, k), 1e-5, View(w, channels), View(b, channels), layout, View(y, n),
                NormActivation.Silu, View(pre, n));
        }
        y.AssertMatchesCpu(atol, rtol, $"group norm + silu {dtype}");
        pre.AssertMatchesCpu(atol, rtol, $"group norm before silu {dtype}");
    }

    [Fact]
    public void GroupNormSiluIsTheCompositionBitForBitOnTheCpu()
    {
        var x = Testing.Reference.Leaf(51, 3, 8, 5);
        var w = Testing.Reference.Leaf(52, 8);
        var b = Testing.Reference.Leaf(53, 8);
        var inputs = new[] { x, w, b };
        (double[] Y, double[][] Grads) Run(Func<Tensor> f)
        {
            foreach (var t in inputs) t.Grad = null;
            var y = f();
            (y * y).Sum().Backward();
            return (y.ToArray<double>(), inputs.Select(t => t.Grad!.ToArray<double>()).ToArray());
        }
        var fused = Run(() => F.GroupNormSilu(x, 4, w, b));
        var composed = Run(() => F.Silu(F.GroupNorm(x, 4, w, b)));
        Assert.Equal(composed.Y, fused.Y);
        for (int i = 0; i < inputs.Length; i++) Assert.Equal(composed.Grads[i], fused.Grads[i]);
        Testing.GradCheck.Check(t => F.GroupNormSilu(t[0], 2, t[1], t[2]), [x, w, b]);
        using (GradMode.NoGrad()) Assert.Equal(composed.Y, F.GroupNormSilu(x, 4, w, b).ToArray<double>());
    }

    [Theory]
    [InlineData(DType.Float32, UnaryOp.Relu, 0)]
    [InlineData(DType.Float32, UnaryOp.Silu, 0)]
    [InlineData(DType.Float64, UnaryOp.LeakyRelu, 0.2)]
    [InlineData(DType.Float64, UnaryOp.Gelu, 0)]
    public void BiasAndActivationMatchTheCpuOnTheGpu(DType dtype, UnaryOp activation, double alpha)
    {
        var gpu = fixture.RequireBackend();
        var (atol, rtol) = BackendTolerance.For(dtype, 1, 64);
        const int rows = 37, n = 45;
        using var y = TwinBuffer.Random(gpu, dtype, rows * n + 2, 61, -3, 3);
        using var bias = TwinBuffer.Random(gpu, dtype, n + 1, 62);
        using var pre = TwinBuffer.Output(gpu, dtype, rows * n);
        foreach (var backend in new[] { Cpu, gpu })
        {
            DeviceBuffer Pick(TwinBuffer t) => backend == Cpu ? t.Cpu : t.Gpu;
            backend.BiasActivation(StridedView.Contiguous(Pick(y), 2, [rows, n]), StridedView.Contiguous(Pick(bias), 1, [n]), rows, n, activation, alpha,
                StridedView.Contiguous(Pick(pre), 0, [rows * n]));
        }
        y.AssertMatchesCpu(atol, rtol, $"bias + {activation} {dtype}");
        pre.AssertMatchesCpu(atol, rtol, $"bias before {activation} {dtype}");
    }

    [Theory]
    [InlineData(UnaryOp.Relu, 0)]
    [InlineData(UnaryOp.LeakyRelu, 0.1)]
    [InlineData(UnaryOp.Silu, 0)]
    [InlineData(UnaryOp.Gelu, 0)]
    public void LinearWithActivationIsTheCompositionBitForBitOnTheCpu(UnaryOp activation, double alpha)
    {
        var x = Testing.Reference.Leaf(71, 2, 3, 6);
        var w = Testing.Reference.Leaf(72, 4, 6);
        var b = Testing.Reference.Leaf(73, 4);
        var inputs = new[] { x, w, b };
        Tensor Activate(Tensor t) => activation switch
        {
            UnaryOp.Relu => F.Relu(t),
            UnaryOp.LeakyRelu => F.LeakyRelu(t, alpha),
            UnaryOp.Silu => F.Silu(t),
            _ => F.Gelu(t),
        };
        (double[] Y, double[][] Grads) Run(Func<Tensor> f)
        {
            foreach (var t in inputs) t.Grad = null;
            var y = f();
            (y * y).Sum().Backward();
            return (y.ToArray<double>(), inputs.Select(t => t.Grad!.ToArray<double>()).ToArray());
        }
        var fused = Run(() => F.Linear(x, w, b, activation, alpha));
        var composed = Run(() => Activate(F.Linear(x, w, b)));
        Assert.Equal(composed.Y, fused.Y);
        for (int i = 0; i < inputs.Length; i++) Assert.Equal(composed.Grads[i], fused.Grads[i]);
        // Smooth activations only: finite differences across ReLU's kink are meaningless.
        if (activation is UnaryOp.Silu or UnaryOp.Gelu) Testing.GradCheck.Check(t => F.Linear(t[0], t[1], t[2], activation, alpha), [x, w, b]);
        using (GradMode.NoGrad()) Assert.Equal(composed.Y, F.Linear(x, w, b, activation, alpha).ToArray<double>());
        Assert.Throws<ArgumentException>(() => F.Linear(x, w, b, UnaryOp.Exp));
    }
}
