using RawDiffusion.Backends;
using RawDiffusion.Cuda;

namespace RawDiffusion.Tests.Cuda;

/// <summary>Each kernel family against the CPU backend on identical inputs. Skipped without a GPU.</summary>
[Collection(CudaDeviceCollection.Name)]
public class CudaKernelTests(CudaDeviceFixture fixture)
{
    static readonly IBackend Cpu = Backend.Cpu;

    public static TheoryData<UnaryOp, DType> UnaryCases => Cases<UnaryOp>();
    public static TheoryData<BinaryOp, DType> BinaryCases => Cases<BinaryOp>();

    static TheoryData<TOp, DType> Cases<TOp>() where TOp : struct, Enum
    {
        var data = new TheoryData<TOp, DType>();
        foreach (var op in Enum.GetValues<TOp>())
        {
            data.Add(op, DType.Float32);
            data.Add(op, DType.Float64);
        }
        return data;
    }

    static (double Atol, double Rtol) Tolerance(DType dtype) => dtype == DType.Float32 ? (1e-6, 3e-6) : (1e-14, 1e-12);

    /// <summary>GELU's Φ: CUDA's normcdf is accurate to a few ulps, the CPU's series for erf loses about five digits
    /// to cancellation near |x| ≈ 3.5 (1.7e-11 relative there), which only float64 can see.</summary>
    static (double Atol, double Rtol) GeluTolerance(DType dtype) => dtype == DType.Float32 ? Tolerance(dtype) : (1e-14, 1e-10);

    static (double Alpha, double Beta, double Low, double High) UnaryParameters(UnaryOp op) => op switch
    {
        UnaryOp.AddScalar => (1.5, 0, -3, 3),
        UnaryOp.MulScalar => (-2, 0, -3, 3),
        UnaryOp.PowScalar => (1.7, 0, 0.1, 3),
        UnaryOp.Log or UnaryOp.Sqrt or UnaryOp.Rsqrt => (0, 0, 0.05, 4),
        UnaryOp.LeakyRelu => (0.1, 0, -3, 3),
        UnaryOp.Clamp => (-0.5, 0.7, -3, 3),
        _ => (0, 0, -4, 4),
    };

    [Theory]
    [MemberData(nameof(UnaryCases))]
    public void UnaryMapsMatchTheCpuOnContiguousAndStridedViews(UnaryOp op, DType dtype)
    {
        var device = fixture.Require();
        var (alpha, beta, low, high) = UnaryParameters(op);
        var (atol, rtol) = op == UnaryOp.Gelu ? GeluTolerance(dtype) : Tolerance(dtype);

        using var x = MirroredBuffer.Random(device, dtype, 1003, 1, low, high);
        using var y = MirroredBuffer.Random(device, dtype, 1003, 2);
        Cpu.Unary(op, StridedView.Contiguous(x.Cpu, 0, [1003]), StridedView.Contiguous(y.Cpu, 0, [1003]), alpha, beta);
        fixture.RequireBackend().Unary(op, dtype, [1003], x.At(0), [1], y.At(0), [1], alpha, beta);
        y.AssertMatchesCpu(atol, rtol, $"{op} {dtype} contiguous");

        // x: a [7, 11, 13] block read transposed as [13, 11, 7]; y: every other column of a [13, 11, 14] block, offset 1.
        using var xs = MirroredBuffer.Random(device, dtype, 7 * 11 * 13, 3, low, high);
        using var ys = MirroredBuffer.Random(device, dtype, 13 * 11 * 14, 4);
        int[] shape = [13, 11, 7];
        long[] xStrides = [1, 13, 143], yStrides = [154, 14, 2];
        Cpu.Unary(op, new StridedView(xs.Cpu, 0, shape, xStrides), new StridedView(ys.Cpu, 1, shape, yStrides), alpha, beta);
        fixture.RequireBackend().Unary(op, dtype, shape, xs.At(0), xStrides, ys.At(1), yStrides, alpha, beta);
        ys.AssertMatchesCpu(atol, rtol, $"{op} {dtype} strided");
    }

    [Theory]
    [MemberData(nameof(BinaryCases))]
    public void BinaryMapsMatchTheCpuOnContiguousAndBroadcastViews(BinaryOp op, DType dtype)
    {
        var device = fixture.Require();
        var (atol, rtol) = op == BinaryOp.GeluBackward ? GeluTolerance(dtype) : Tolerance(dtype);
        double alpha = op == BinaryOp.ClampBackward ? -0.5 : 0.1, beta = 0.5;
        // Quarter steps make Equal, Greater, Maximum and Minimum meet ties; Pow needs a positive base, Div a nonzero divisor.
        double[] Values(int n, int seed, bool operandB)
        {
            var v = Testing.Reference.RandomArray(n, seed, -2, 2).Select(e => Math.Round(e * 4) / 4).ToArray();
            if (op == BinaryOp.Pow && !operandB) return [.. v.Select(e => Math.Abs(e) + 0.25)];
            if (op == BinaryOp.Div && operandB) return [.. v.Select(e => e >= 0 ? e + 0.25 : e - 0.25)];
            if (op is BinaryOp.SigmoidBackward) return [.. v.Select(e => operandB ? e : 1 / (1 + Math.Exp(-e)))];
            return v;
        }

        using var a = MirroredBuffer.Create(device, dtype, Values(1000, 5, false));
        using var b = MirroredBuffer.Create(device, dtype, Values(1000, 6, true));
        using var y = MirroredBuffer.Random(device, dtype, 1000, 7);
        Cpu.Binary(op, StridedView.Contiguous(a.Cpu, 0, [1000]), StridedView.Contiguous(b.Cpu, 0, [1000]), StridedView.Contiguous(y.Cpu, 0, [1000]), alpha, beta);
        fixture.RequireBackend().Binary(op, dtype, [1000], a.At(0), [1], b.At(0), [1], y.At(0), [1], alpha, beta);
        y.AssertMatchesCpu(atol, rtol, $"{op} {dtype} contiguous");

        // a: [4, 1, 5] broadcast along dim 1; b: [3, 5] broadcast along dim 0; y: [4, 3, 5].
        using var ab = MirroredBuffer.Create(device, dtype, Values(20, 8, false));
        using var bb = MirroredBuffer.Create(device, dtype, Values(15, 9, true));
        using var yb = MirroredBuffer.Random(device, dtype, 60, 10);
        int[] shape = [4, 3, 5];
        long[] aStrides = [5, 0, 1], bStrides = [0, 5, 1], yStrides = [15, 5, 1];
        Cpu.Binary(op, new StridedView(ab.Cpu, 0, shape, aStrides), new StridedView(bb.Cpu, 0, shape, bStrides), new StridedView(yb.Cpu, 0, shape, yStrides), alpha, beta);
        fixture.RequireBackend().Binary(op, dtype, shape, ab.At(0), aStrides, bb.At(0), bStrides, yb.At(0), yStrides, alpha, beta);
        yb.AssertMatchesCpu(atol, rtol, $"{op} {dtype} broadcast");
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int32)]
    public void FillsAndCopiesMatchTheCpuForEveryDtype(DType dtype)
    {
        var device = fixture.Require();
        using var y = MirroredBuffer.Create(device, dtype, new double[600]);
        Cpu.Fill(StridedView.Contiguous(y.Cpu, 10, [500]), -7);
        fixture.RequireBackend().Fill(dtype, y.At(10), [500], [1], -7);
        // A strided fill: every third element of a [10, 20] block's first 15 columns.
        Cpu.Fill(new StridedView(y.Cpu, 3, [10, 5], [20, 3]), 4);
        fixture.RequireBackend().Fill(dtype, y.At(3), [10, 5], [20, 3], 4);
        y.AssertMatchesCpu(0, 0, $"fill {dtype}");

        // Copies (the one unary op Int32 supports): contiguous, and a transpose.
        using var x = MirroredBuffer.Create(device, dtype, [.. Enumerable.Range(0, 600).Select(i => (double)(i % 97 - 40))]);
        Cpu.Unary(UnaryOp.Copy, StridedView.Contiguous(x.Cpu, 0, [100]), StridedView.Contiguous(y.Cpu, 200, [100]));
        fixture.RequireBackend().Unary(UnaryOp.Copy, dtype, [100], x.At(0), [1], y.At(200), [1]);
        Cpu.Unary(UnaryOp.Copy, new StridedView(x.Cpu, 0, [20, 30], [1, 20]), StridedView.Contiguous(y.Cpu, 0, [20, 30]));
        fixture.RequireBackend().Unary(UnaryOp.Copy, dtype, [20, 30], x.At(0), [1, 20], y.At(0), [30, 1]);
        y.AssertMatchesCpu(0, 0, $"copy {dtype}");
    }

    [Fact]
    public void ViewsOfMoreThanSixDimensionsRunAsSeveralLaunches()
    {
        var device = fixture.Require();
        int[] shape = [2, 3, 2, 2, 2, 2, 2, 3];
        long[] contiguous = [288, 96, 48, 24, 12, 6, 3, 1];
        long[] reversed = [1, 2, 6, 12, 24, 48, 96, 192];
        using var x = MirroredBuffer.Random(device, DType.Float32, 576, 11);
        using var y = MirroredBuffer.Random(device, DType.Float32, 576, 12);
        Cpu.Unary(UnaryOp.Neg, new StridedView(x.Cpu, 0, shape, reversed), new StridedView(y.Cpu, 0, shape, contiguous));
        fixture.RequireBackend().Unary(UnaryOp.Neg, DType.Float32, shape, x.At(0), reversed, y.At(0), contiguous);
        y.AssertMatchesCpu(0, 0, "8-dim permuted negation");
    }

    public static TheoryData<ReduceOp, DType, int, int, int> ReduceCases()
    {
        var data = new TheoryData<ReduceOp, DType, int, int, int>();
        foreach (var op in Enum.GetValues<ReduceOp>())
            foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            {
                data.Add(op, dtype, 7, 1000, 1);       // rows, several threads per row
                data.Add(op, dtype, 300, 5, 1);        // short rows, several rows per warp
                data.Add(op, dtype, 2, 5000, 1);       // wide rows across warps
                data.Add(op, dtype, 1, 1_000_003, 1);  // one long row, split into segments
                data.Add(op, dtype, 5, 33, 17);        // columns
                data.Add(op, dtype, 1, 200_001, 3);    // few long columns, split into segments
                data.Add(op, dtype, 3, 1, 4);
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(ReduceCases))]
    public void ReductionsMatchTheCpu(ReduceOp op, DType dtype, int outer, int n, int inner)
    {
        var device = fixture.Require();
        using var x = MirroredBuffer.Random(device, dtype, outer * n * inner + 3, outer + n + inner);
        using var y = MirroredBuffer.Random(device, dtype, outer * inner + 2, 1);
        Cpu.Reduce(op, x.Cpu, 3, y.Cpu, 2, outer, n, inner);
        fixture.RequireBackend().Reduce(op, dtype, x.At(3), y.At(2), outer, n, inner);
        // Sums differ by summation order: allow a few ulps per term of magnitude ≤ 1.
        double tolerance = op != ReduceOp.Sum ? 0 : (dtype == DType.Float32 ? 1e-6 : 1e-14) * n;
        y.AssertMatchesCpu(tolerance, 0, $"{op} {dtype} [{outer}, {n}, {inner}]");
    }

    [Fact]
    public void MaxAndMinPropagateNaNAndEmptySumsAreZero()
    {
        var device = fixture.Require();
        var values = Testing.Reference.RandomArray(3 * 50, 13);
        values[60] = double.NaN;
        using var x = MirroredBuffer.Create(device, DType.Float32, values);
        using var y = MirroredBuffer.Create(device, DType.Float32, [0, 0, 0]);
        fixture.RequireBackend().Reduce(ReduceOp.Max, DType.Float32, x.At(0), y.At(0), 3, 50, 1);
        var max = y.GpuValues();
        Assert.True(double.IsNaN(max[1]));
        Assert.False(double.IsNaN(max[0]) || double.IsNaN(max[2]));
        fixture.RequireBackend().Reduce(ReduceOp.Sum, DType.Float32, x.At(0), y.At(0), 3, 0, 1);
        Assert.Equal([0.0, 0, 0], y.GpuValues());
        Assert.Throws<ArgumentException>(() => fixture.RequireBackend().Reduce(ReduceOp.Min, DType.Float32, x.At(0), y.At(0), 3, 0, 1));
    }

    [Theory]
    [InlineData(RandomDistribution.Uniform, DType.Float32)]
    [InlineData(RandomDistribution.Uniform, DType.Float64)]
    [InlineData(RandomDistribution.Normal, DType.Float32)]
    [InlineData(RandomDistribution.Normal, DType.Float64)]
    public void PhiloxFillsMatchTheCpuCounterScheme(RandomDistribution distribution, DType dtype)
    {
        var device = fixture.Require();
        using var y = MirroredBuffer.Create(device, dtype, new double[100_010]);
        (double a, double b) = distribution == RandomDistribution.Uniform ? (-2.0, 3.0) : (1.0, 0.5);
        // An odd length at an offset: the last counter block is partly used.
        Cpu.FillRandom(distribution, y.Cpu, 3, 100_003, 0xDEADBEEF12345678, 77, a, b);
        fixture.RequireBackend().FillRandom(distribution, dtype, y.At(3), 100_003, 0xDEADBEEF12345678, 77, a, b);
        // Uniform values are bit-identical; normal ones differ by the last-place differences of log, sin and cos.
        var (atol, rtol) = distribution == RandomDistribution.Uniform ? (0.0, 0.0) : dtype == DType.Float32 ? (1e-6, 1e-6) : (1e-13, 1e-13);
        y.AssertMatchesCpu(atol, rtol, $"{distribution} {dtype}");
    }

    [Theory]
    [InlineData(DType.Float32, false)]
    [InlineData(DType.Float32, true)]
    [InlineData(DType.Float64, false)]
    [InlineData(DType.Float64, true)]
    public void AdamStepsFollowTheCpuFormula(DType dtype, bool decoupled)
    {
        var device = fixture.Require();
        const int n = 10_000;
        double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, wd = 0.01;
        var p = Testing.Reference.RandomArray(n, 1);
        var m = new double[n];
        var v = new double[n];
        using var pg = MirroredBuffer.Create(device, dtype, p);
        using var mg = MirroredBuffer.Create(device, dtype, m);
        using var vg = MirroredBuffer.Create(device, dtype, v);
        for (int step = 1; step <= 3; step++)
        {
            var g = Testing.Reference.RandomArray(n, 100 + step);
            using var gg = MirroredBuffer.Create(device, dtype, g);
            fixture.RequireBackend().AdamStep(dtype, pg.At(0), gg.At(0), mg.At(0), vg.At(0), n, lr, beta1, beta2, eps, wd, decoupled, step);
            // The CPU backend's scalar loop (CpuBackend.Optimizers.cs), in the element type.
            double scale = decoupled ? 1 - lr * wd : 1, l2 = decoupled ? 0 : wd;
            double stepSize = lr / (1 - Math.Pow(beta1, step)), bc2 = Math.Sqrt(1 - Math.Pow(beta2, step));
            for (int i = 0; i < n; i++)
            {
                double gi = Round(dtype, g[i]);
                double pi = Round(dtype, Round(dtype, p[i]) * Round(dtype, scale));
                gi = Round(dtype, gi + Round(dtype, pi * Round(dtype, l2)));
                m[i] = Round(dtype, m[i] + Round(dtype, Round(dtype, gi - m[i]) * Round(dtype, 1 - beta1)));
                v[i] = Round(dtype, Round(dtype, v[i] * Round(dtype, beta2)) + Round(dtype, Round(dtype, gi * gi) * Round(dtype, 1 - beta2)));
                p[i] = Round(dtype, pi - m[i] * Round(dtype, stepSize) / (Math.Sqrt(v[i]) / Round(dtype, bc2) + Round(dtype, eps)));
            }
        }
        var rtol = dtype == DType.Float32 ? 1e-5 : 1e-12;
        Close(p, pg.GpuValues(), rtol, "param");
        Close(m, mg.GpuValues(), rtol, "exp_avg");
        Close(v, vg.GpuValues(), rtol, "exp_avg_sq");
    }

    [Theory]
    [InlineData(0.0, 0.0, false)]
    [InlineData(0.9, 0.0, false)]
    [InlineData(0.9, 0.1, true)]
    public void SgdStepsAndEmaUpdatesFollowTheCpuFormula(double momentum, double dampening, bool nesterov)
    {
        var device = fixture.Require();
        const int n = 5000;
        double lr = 0.1, wd = 1e-4;
        var p = Testing.Reference.RandomArray(n, 2);
        var buffer = new double[n];
        using var pg = MirroredBuffer.Create(device, DType.Float64, p);
        using var bg = MirroredBuffer.Create(device, DType.Float64, buffer);
        for (int step = 0; step < 3; step++)
        {
            var g = Testing.Reference.RandomArray(n, 200 + step);
            using var gg = MirroredBuffer.Create(device, DType.Float64, g);
            fixture.RequireBackend().SgdStep(DType.Float64, pg.At(0), gg.At(0), momentum != 0 ? bg.At(0) : 0, n, lr, momentum, dampening, wd, nesterov, step == 0);
            for (int i = 0; i < n; i++)
            {
                double d = g[i] + p[i] * wd;
                if (momentum != 0)
                {
                    buffer[i] = step == 0 ? d : buffer[i] * momentum + d * (1 - dampening);
                    d = nesterov ? d + buffer[i] * momentum : buffer[i];
                }
                p[i] -= d * lr;
            }
        }
        Close(p, pg.GpuValues(), 1e-12, "param");

        var average = Testing.Reference.RandomArray(n, 3);
        using var ag = MirroredBuffer.Create(device, DType.Float32, average);
        using var sg = MirroredBuffer.Create(device, DType.Float32, p);
        fixture.RequireBackend().EmaUpdate(DType.Float32, ag.At(0), sg.At(0), n, 0.99);
        for (int i = 0; i < n; i++) average[i] = (float)average[i] - ((float)average[i] - (float)p[i]) * 0.01f;
        Close(average, ag.GpuValues(), 1e-5, "ema");
    }

    static double Round(DType dtype, double value) => dtype == DType.Float32 ? (float)value : value;

    static void Close(double[] expected, double[] actual, double rtol, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= rtol * Math.Max(1e-3, Math.Abs(expected[i])),
                $"{what}[{i}]: GPU {actual[i]:R}, reference {expected[i]:R}");
    }
}
