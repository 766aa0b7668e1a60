using RawDiffusion.Nn;
using RawDiffusion.Tests.Testing;
using RawDiffusion.Training.Optimizers;
using RawDiffusion.Training.Schedules;

namespace RawDiffusion.Tests.Training;

public class OptimizerTests
{
    interface IReferenceRule
    {
        void Step(double[] p, double[] g);
    }

    /// <summary>torch.optim.SGD's update for one parameter, written out in doubles.</summary>
    sealed class ReferenceSgd(double lr, double momentum, double dampening, double wd, bool nesterov) : IReferenceRule
    {
        double[]? buf;

        public void Step(double[] p, double[] g)
        {
            var d = new double[p.Length];
            for (int i = 0; i < p.Length; i++) d[i] = g[i] + wd * p[i];
            if (momentum != 0)
            {
                if (buf == null) buf = (double[])d.Clone();
                else for (int i = 0; i < p.Length; i++) buf[i] = momentum * buf[i] + (1 - dampening) * d[i];
                for (int i = 0; i < p.Length; i++) d[i] = nesterov ? d[i] + momentum * buf[i] : buf[i];
            }
            for (int i = 0; i < p.Length; i++) p[i] -= lr * d[i];
        }
    }

    /// <summary>torch.optim.Adam / AdamW's update for one parameter, written out in doubles.</summary>
    sealed class ReferenceAdam(double lr, double beta1, double beta2, double eps, double wd, bool decoupled) : IReferenceRule
    {
        double[]? m, v;
        int step;

        public void Step(double[] p, double[] gradient)
        {
            m ??= new double[p.Length];
            v ??= new double[p.Length];
            step++;
            double bias1 = 1 - Math.Pow(beta1, step), bias2 = 1 - Math.Pow(beta2, step);
            for (int i = 0; i < p.Length; i++)
            {
                double g = gradient[i];
                if (decoupled) p[i] *= 1 - lr * wd;
                else g += wd * p[i];
                m[i] = beta1 * m[i] + (1 - beta1) * g;
                v[i] = beta2 * v[i] + (1 - beta2) * g * g;
                p[i] -= lr / bias1 * m[i] / (Math.Sqrt(v[i]) / Math.Sqrt(bias2) + eps);
            }
        }
    }

    static (Optimizer Optimizer, IReferenceRule[] Rules) Make(string kind, Tensor[] ps) => kind switch
    {
        "sgd" => (new Sgd(ps, 0.1), ps.Select(_ => (IReferenceRule)new ReferenceSgd(0.1, 0, 0, 0, false)).ToArray()),
        "sgd-momentum" => (new Sgd(ps, 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01),
            ps.Select(_ => (IReferenceRule)new ReferenceSgd(0.05, 0.9, 0.1, 0.01, false)).ToArray()),
        "sgd-nesterov" => (new Sgd(ps, 0.05, momentum: 0.8, weightDecay: 0.05, nesterov: true),
            ps.Select(_ => (IReferenceRule)new ReferenceSgd(0.05, 0.8, 0, 0.05, true)).ToArray()),
        "adam" => (new Adam(ps, 0.01), ps.Select(_ => (IReferenceRule)new ReferenceAdam(0.01, 0.9, 0.999, 1e-8, 0, false)).ToArray()),
        "adam-l2" => (new Adam(ps, 0.02, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1),
            ps.Select(_ => (IReferenceRule)new ReferenceAdam(0.02, 0.8, 0.99, 1e-6, 0.1, false)).ToArray()),
        "adamw" => (new AdamW(ps, 0.02, weightDecay: 0.1), ps.Select(_ => (IReferenceRule)new ReferenceAdam(0.02, 0.9, 0.999, 1e-8, 0.1, true)).ToArray()),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    static Tensor Parameter(double[] values, int[] shape, DType dtype)
    {
        var t = dtype == DType.Float64 ? Tensor.FromArray(values, shape) : Tensor.FromArray(Array.ConvertAll(values, v => (float)v), shape);
        t.RequiresGrad = true;
        return t;
    }

    static void SetGradient(Tensor p, double[] g) =>
        p.Grad = p.DType == DType.Float64 ? Tensor.FromArray(g, p.ShapeArray) : Tensor.FromArray(Array.ConvertAll(g, v => (float)v), p.ShapeArray);

    /// <summary>Runs the optimizer and the reference side by side for several steps with fresh random gradients.</summary>
    static void CompareWithReference(string kind, DType dtype, int[][] shapes, int steps, double atol, double rtol)
    {
        var initial = shapes.Select((s, i) => Reference.RandomArray((int)ShapeMath.Numel(s), 100 + i)).ToArray();
        // The reference starts from exactly the values the tensor holds (float32 rounding included).
        var ps = shapes.Select((s, i) => Parameter(initial[i], s, dtype)).ToArray();
        var expected = ps.Select(p => p.ToFloat64Array()).ToArray();
        var (optimizer, rules) = Make(kind, ps);
        using (optimizer)
            for (int step = 0; step < steps; step++)
            {
                for (int i = 0; i < ps.Length; i++)
                {
                    var g = Reference.RandomArray(expected[i].Length, 1000 * step + i, -2, 2);
                    SetGradient(ps[i], g);
                    rules[i].Step(expected[i], ps[i].Grad!.ToFloat64Array());
                }
                optimizer.Step();
                for (int i = 0; i < ps.Length; i++)
                    Reference.Close(expected[i], ps[i].ToFloat64Array(), atol, rtol, $"{kind} step {step + 1} parameter {i}");
                optimizer.ZeroGrad();
            }
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("sgd-momentum")]
    [InlineData("sgd-nesterov")]
    [InlineData("adam")]
    [InlineData("adam-l2")]
    [InlineData("adamw")]
    public void UpdatesMatchPyTorchsRuleInFloat64(string kind) =>
        CompareWithReference(kind, DType.Float64, [[37], [3, 5], [1]], steps: 6, atol: 1e-13, rtol: 1e-11);

    [Theory]
    [InlineData("sgd-momentum")]
    [InlineData("sgd-nesterov")]
    [InlineData("adam-l2")]
    [InlineData("adamw")]
    public void UpdatesMatchPyTorchsRuleInFloat32IncludingTheParallelPath(string kind) =>
        CompareWithReference(kind, DType.Float32, [[41], [200, 211]], steps: 4, atol: 2e-6, rtol: 2e-6);

    [Fact]
    public void ParametersWithoutAGradientAreLeftAloneAndKeepNoState()
    {
        var a = Parameter([1, 2, 3], [3], DType.Float64);
        var b = Parameter([4, 5], [2], DType.Float64);
        using var optimizer = new Adam([a, b], 0.1);
        SetGradient(a, [1, 1, 1]);
        optimizer.Step();
        Assert.Equal([4.0, 5.0], b.ToFloat64Array());
        Assert.NotEqual([1.0, 2.0, 3.0], a.ToFloat64Array());
        var state = optimizer.StateDict();
        Assert.Equal(1, state.StepCount);
        Assert.Equal(1, state.Parameters[0]!.Step);
        Assert.Null(state.Parameters[1]);
        Assert.Equal(["exp_avg", "exp_avg_sq"], state.Parameters[0]!.Buffers.Keys.Order());
    }

    [Fact]
    public void GroupsHaveTheirOwnLearningRateAndWeightDecay()
    {
        var a = Parameter([1, -1], [2], DType.Float64);
        var b = Parameter([2, -2], [2], DType.Float64);
        using var optimizer = new Sgd([new ParameterGroup([a]), new ParameterGroup([b], learningRate: 0.5, weightDecay: 0)], learningRate: 0.1, weightDecay: 1);
        Assert.Equal(0.1, optimizer.ParamGroups[0].LearningRate);
        Assert.Equal(1, optimizer.ParamGroups[0].WeightDecay);
        Assert.Equal(0.5, optimizer.ParamGroups[1].LearningRate);
        SetGradient(a, [1, 1]);
        SetGradient(b, [1, 1]);
        optimizer.Step();
        Reference.Close([1 - 0.1 * (1 + 1), -1 - 0.1 * (1 - 1)], a.ToFloat64Array(), 1e-15);
        Reference.Close([2 - 0.5, -2 - 0.5], b.ToFloat64Array(), 1e-15);

        optimizer.LearningRate = 0.25;
        Assert.All(optimizer.ParamGroups, g => Assert.Equal(0.25, g.LearningRate));
        Assert.Equal([a, b], optimizer.Parameters);
    }

    [Fact]
    public void NonContiguousGradientsAreUsedInRowMajorOrder()
    {
        var p = Parameter([0, 0, 0, 0, 0, 0], [2, 3], DType.Float64);
        using var optimizer = new Sgd([p], 1);
        p.Grad = Tensor.FromArray(new double[] { 1, 2, 3, 4, 5, 6 }, 3, 2).Transpose(0, 1);
        optimizer.Step();
        Assert.Equal([-1.0, -3, -5, -2, -4, -6], p.ToFloat64Array());
    }

    [Fact]
    public void StateDictRoundTripContinuesExactlyLikeTheUninterruptedOptimizer()
    {
        foreach (var kind in new[] { "sgd-momentum", "adamw" })
        {
            var init = Reference.RandomArray(50, 1);
            var p1 = Parameter(init, [5, 10], DType.Float32);
            var p2 = Parameter(init, [5, 10], DType.Float32);
            var (first, _) = Make(kind, [p1]);
            for (int s = 0; s < 3; s++)
            {
                SetGradient(p1, Reference.RandomArray(50, 10 + s));
                first.Step();
            }
            var (second, _) = Make(kind, [p2]);
            second.LearningRate = 123;
            p2.CopyFrom(p1);
            second.LoadStateDict(first.StateDict());
            Assert.Equal(first.StepCount, second.StepCount);
            Assert.Equal(first.LearningRate, second.LearningRate);
            for (int s = 3; s < 6; s++)
            {
                var g = Reference.RandomArray(50, 10 + s);
                SetGradient(p1, g);
                SetGradient(p2, g);
                first.Step();
                second.Step();
                Assert.Equal(p1.ToFloat32Array(), p2.ToFloat32Array());
            }
            first.Dispose();
            second.Dispose();
        }
    }

    [Fact]
    public void LoadingOwnStateDictKeepsTheState()
    {
        var p = Parameter([1, 2], [2], DType.Float64);
        using var optimizer = new Adam([p], 0.1);
        SetGradient(p, [1, -1]);
        optimizer.Step();
        var before = optimizer.StateDict().Parameters[0]!.Buffers["exp_avg"].ToFloat64Array();
        optimizer.LoadStateDict(optimizer.StateDict());
        Assert.Equal(before, optimizer.StateDict().Parameters[0]!.Buffers["exp_avg"].ToFloat64Array());
    }

    [Fact]
    public void MismatchedStateIsRejectedBeforeAnythingChanges()
    {
        var p = Parameter([1, 2, 3], [3], DType.Float64);
        var q = Parameter([1, 2], [2], DType.Float64);
        using var adam = new Adam([p]);
        SetGradient(p, [1, 1, 1]);
        adam.Step();
        using var other = new Adam([q]);
        SetGradient(q, [1, 1]);
        other.Step();
        var error = Assert.Throws<ArgumentException>(() => adam.LoadStateDict(other.StateDict())).Message;
        Assert.Contains("buffer 'exp_avg' of parameter 0 has shape [2], the parameter has [3]", error);
        Assert.Equal(1, adam.StateDict().Parameters[0]!.Step);

        using var sgd = new Sgd([p]);
        Assert.Contains("saved by Adam, cannot load it into Sgd", Assert.Throws<ArgumentException>(() => sgd.LoadStateDict(adam.StateDict())).Message);
        using var adamW = new AdamW([p]);
        Assert.Contains("saved by Adam, cannot load it into AdamW", Assert.Throws<ArgumentException>(() => adamW.LoadStateDict(adam.StateDict())).Message);
        using var two = new Adam([p, q]);
        Assert.Contains("parameter groups of sizes [1], this optimizer has [2]", Assert.Throws<ArgumentException>(() => two.LoadStateDict(adam.StateDict())).Message);
    }

    [Fact]
    public void InvalidConfigurationsAreRejected()
    {
        var p = Parameter([1], [1], DType.Float64);
        Assert.Contains("Nesterov", Assert.Throws<ArgumentException>(() => new Sgd([p], momentum: 0, nesterov: true)).Message);
        Assert.Contains("Nesterov", Assert.Throws<ArgumentException>(() => new Sgd([p], momentum: 0.9, dampening: 0.1, nesterov: true)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam([p], beta1: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam([p], learningRate: -1));
        Assert.Contains("more than once", Assert.Throws<ArgumentException>(() => new Sgd([p, p])).Message);
        var notLeaf = p * 2;
        Assert.Contains("leaf", Assert.Throws<ArgumentException>(() => new Sgd([notLeaf])).Message);

        using var optimizer = new Sgd([p]);
        p.Grad = Tensor.FromArray(new double[] { 1, 2 }, 2);
        Assert.Contains("gradient of shape [2]", Assert.Throws<InvalidOperationException>(() => optimizer.Step()).Message);
    }

    [Fact]
    public void ATinyRegressionConvergesWithEachOptimizer()
    {
        // y = x·[2, -3, 0.5] + 1 on 64 fixed samples; a Linear(3, 1) must find it.
        var xs = Reference.RandomArray(64 * 3, 7);
        var ys = Enumerable.Range(0, 64).Select(i => 2 * xs[3 * i] - 3 * xs[3 * i + 1] + 0.5 * xs[3 * i + 2] + 1).ToArray();
        var x = Tensor.FromArray(Array.ConvertAll(xs, v => (float)v), 64, 3);
        var y = Tensor.FromArray(Array.ConvertAll(ys, v => (float)v), 64, 1);
        foreach (var kind in new[] { "sgd-nesterov", "adam", "adamw" })
        {
            using var model = new Linear(3, 1, generator: new Generator(3));
            using var optimizer = kind switch
            {
                "sgd-nesterov" => (Optimizer)new Sgd(model.Parameters(), 0.1, momentum: 0.9, nesterov: true),
                "adam" => new Adam(model.Parameters(), 0.05),
                _ => new AdamW(model.Parameters(), 0.05, weightDecay: 1e-4),
            };
            var schedule = new WarmupCosineSchedule(optimizer.LearningRate, 10, 400, floor: optimizer.LearningRate / 10);
            double loss = double.NaN;
            for (int step = 0; step < 400; step++)
                using (DisposeScope.Enter())
                {
                    optimizer.ZeroGrad();
                    var diff = model.Forward(x) - y;
                    var mse = (diff * diff).Sum() / 64.0;
                    mse.Backward();
                    schedule.Apply(optimizer);
                    optimizer.Step();
                    loss = mse.Item();
                }
            Assert.True(loss < 1e-4, $"{kind}: loss {loss} after 400 steps");
            Reference.Close([2f, -3f, 0.5f], model.Weight.ToFloat32Array(), 2e-2, 0, kind);
            Reference.Close([1f], model.Bias!.ToFloat32Array(), 2e-2, 0, kind);
        }
    }
}
