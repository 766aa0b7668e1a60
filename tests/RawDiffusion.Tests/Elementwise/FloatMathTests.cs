using System.Runtime.Intrinsics;
using RawDiffusion.Backends.Cpu;
using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.Elementwise;

/// <summary>The float32 SIMD exp family against double-precision references, over dense sweeps that reach
/// both tails, and the guarantee that a value's result does not depend on the path it takes through a row.</summary>
public class FloatMathTests
{
    /// <summary>Every <paramref name="stepBits"/>-th float bit pattern between 0 and the limit on both signs (so tiny,
    /// mid and tail magnitudes are all sampled densely in ulp terms), plus an evenly spaced grid over [low, high].</summary>
    static float[] Sweep(float low, float high, int stepBits)
    {
        var values = new List<float>();
        for (int bits = 0; bits <= BitConverter.SingleToInt32Bits(high); bits += stepBits) values.Add(BitConverter.Int32BitsToSingle(bits));
        for (int bits = 0; bits <= BitConverter.SingleToInt32Bits(-low); bits += stepBits) values.Add(-BitConverter.Int32BitsToSingle(bits));
        const int grid = 100_000;
        for (int i = 0; i <= grid; i++) values.Add(low + (high - low) * i / grid);
        return [.. values];
    }

    /// <summary>|actual − expected| in units of the float spacing at the expected value (subnormal spacing below
    /// the normal range); an infinite result counts as 2^128.</summary>
    static double UlpError(float actual, double expected)
    {
        double a = float.IsInfinity(actual) ? Math.CopySign(TwoTo128, actual) : actual;
        double magnitude = Math.Abs(expected);
        int exponent = magnitude < SmallestNormal ? -126 : Math.ILogB(magnitude);
        return Math.Abs(a - expected) / Math.ScaleB(1, exponent - 23);
    }

    const double SmallestNormal = 1.1754943508222875e-38, TwoTo128 = 3.402823669209385e38;

    static float[] Run(Func<Tensor, Tensor> op, float[] x) => op(Tensor.FromArray(x, x.Length)).ToFloat32Array();

    static double MaxUlpError(float[] x, float[] y, Func<double, double> reference)
    {
        double worst = 0;
        for (int i = 0; i < x.Length; i++) worst = Math.Max(worst, UlpError(y[i], reference(x[i])));
        return worst;
    }

    [Fact]
    public void ExpIsWithinAnUlpAndAHalfOfMathExpAcrossTheWholeFiniteRange()
    {
        var x = Sweep(-103.9f, 88.72f, stepBits: 1499);
        var y = Run(t => t.Exp(), x);
        double worstUlp = 0, worstRelative = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double expected = Math.Exp(x[i]);
            worstUlp = Math.Max(worstUlp, UlpError(y[i], expected));
            if (expected >= SmallestNormal) worstRelative = Math.Max(worstRelative, Math.Abs(y[i] - expected) / expected);
        }
        Assert.True(worstUlp <= 1.5, $"max error {worstUlp:G3} ulp");
        Assert.True(worstRelative <= 1.2e-7, $"max relative error {worstRelative:G3}");
    }

    [Fact]
    public void ExpOverflowsUnderflowsAndPropagatesNaNLikeMathExp()
    {
        // Exact results: saturation to +inf and 0 on both sides of the finite range, and the special values.
        (float X, float Exp)[] exact =
        [
            (0f, 1f), (-0f, 1f), (MathF.BitIncrement(88.72284f), float.PositiveInfinity), (89f, float.PositiveInfinity),
            (1000f, float.PositiveInfinity), (float.MaxValue, float.PositiveInfinity), (float.PositiveInfinity, float.PositiveInfinity),
            (-104f, 0f), (-1000f, 0f), (float.MinValue, 0f), (float.NegativeInfinity, 0f),
        ];
        var y = Run(t => t.Exp(), exact.Select(e => e.X).ToArray());
        for (int i = 0; i < exact.Length; i++) Assert.True(exact[i].Exp.Equals(y[i]), $"exp({exact[i].X:R}) = {y[i]:R}, expected {exact[i].Exp:R}");

        // Just inside the range: the largest finite result, the smallest normal and a subnormal one.
        float[] edges = [88.72283f, -87.33654f, -103.27893f];
        var ye = Run(t => t.Exp(), edges);
        Assert.True(float.IsFinite(ye[0]) && ye[0] > 3.4e38f, $"exp({edges[0]:R}) = {ye[0]:R}");
        for (int i = 0; i < edges.Length; i++) Assert.True(UlpError(ye[i], Math.Exp(edges[i])) <= 1, $"exp({edges[i]:R}) = {ye[i]:R}");
        Assert.True(ye[2] > 0);

        Assert.True(float.IsNaN(Run(t => t.Exp(), [float.NaN])[0]));
    }

    // Below this, e = exp(−|x|) inside SiLU is subnormal and carries fewer bits; SiLU's value there is below
    // 1e-36, so the tail is checked with an absolute bound instead of in ulps.
    const float SubnormalExpTail = -87.3f;
    const double TailAbsoluteError = 1e-42;

    [Fact]
    public void SigmoidTanhAndSiluStayWithinAFewUlpIncludingTheTails()
    {
        var x = Sweep(-100f, 100f, stepBits: 4999);
        double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        var sigmoid = Run(t => t.Sigmoid(), x);
        var tanh = Run(t => t.Tanh(), x);
        var silu = Run(t => t.Silu(), x);
        double sigmoidUlp = MaxUlpError(x, sigmoid, Sigmoid);
        double tanhUlp = MaxUlpError(x, tanh, Math.Tanh);
        double siluUlp = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double expected = x[i] * Sigmoid(x[i]);
            if (x[i] >= SubnormalExpTail) siluUlp = Math.Max(siluUlp, UlpError(silu[i], expected));
            else Assert.True(Math.Abs(silu[i] - expected) <= TailAbsoluteError, $"silu({x[i]:R}) = {silu[i]:G9}, expected {expected:G9}");
        }
        Assert.True(sigmoidUlp <= 3, $"sigmoid max error {sigmoidUlp:G3} ulp");
        Assert.True(tanhUlp <= 2, $"tanh max error {tanhUlp:G3} ulp");
        Assert.True(siluUlp <= 4, $"silu max error {siluUlp:G3} ulp");
    }

    [Fact]
    public void SiluBackwardMatchesTheDoubleDerivative()
    {
        var x = Sweep(-100f, 100f, stepBits: 4999);
        var g = Array.ConvertAll(Reference.RandomArray(x.Length, 3, 0.5, 2), v => (float)v);
        var y = Kernels.Binary(Backends.BinaryOp.SiluBackward, Tensor.FromArray(x, x.Length), Tensor.FromArray(g, g.Length)).ToFloat32Array();
        double worst = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double s = 1 / (1 + Math.Exp(-(double)x[i]));
            double expected = g[i] * s * (1 + x[i] * (1 - s));
            if (x[i] < SubnormalExpTail)
            {
                Assert.True(Math.Abs(y[i] - expected) <= TailAbsoluteError, $"x = {x[i]:R}: expected {expected:G9}, got {y[i]:G9}");
                continue;
            }
            // Relative to the size of the terms: the derivative crosses zero near x = −1.28, where the cancellation
            // in 1 + x(1 − σ) is inherent to float32 whichever way it is computed.
            double scale = Math.Abs(g[i] * s) * (1 + Math.Abs(x[i] * (1 - s)));
            worst = Math.Max(worst, Math.Abs(y[i] - expected) / scale);
        }
        Assert.True(worst <= 4e-7, $"max error {worst:G3} relative to the terms");
    }

    // The exact GELU's normal CDF in double: MathNet's erfc keeps its relative accuracy in the far tail.
    static double NormalCdf(double x) => 0.5 * MathNet.Numerics.SpecialFunctions.Erfc(-x / Math.Sqrt(2));
    static double NormalPdf(double x) => Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);

    // Below this the exp inside Φ(x) is subnormal (GELU itself is below 1e-37) and the check is an absolute bound.
    const float GeluSubnormalTail = -13f;

    [Fact]
    public void GeluAndItsDerivativeStayWithinAFewUlpOfTheDoubleReference()
    {
        var x = Sweep(-20f, 20f, stepBits: 4999);
        var g = Array.ConvertAll(Reference.RandomArray(x.Length, 5, 0.5, 2), v => (float)v);
        var gelu = Run(t => t.Gelu(), x);
        var backward = Kernels.Binary(Backends.BinaryOp.GeluBackward, Tensor.FromArray(x, x.Length), Tensor.FromArray(g, g.Length)).ToFloat32Array();
        double geluUlp = 0, backwardError = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double expected = x[i] * NormalCdf(x[i]);
            double derivative = g[i] * (NormalCdf(x[i]) + x[i] * NormalPdf(x[i]));
            if (x[i] < GeluSubnormalTail)
            {
                Assert.True(Math.Abs(gelu[i] - expected) <= TailAbsoluteError, $"gelu({x[i]:R}) = {gelu[i]:G9}, expected {expected:G9}");
                Assert.True(Math.Abs(backward[i] - derivative) <= TailAbsoluteError, $"gelu'({x[i]:R}) = {backward[i]:G9}, expected {derivative:G9}");
                continue;
            }
            geluUlp = Math.Max(geluUlp, UlpError(gelu[i], expected));
            // Relative to the size of the terms Φ and x·φ: the derivative crosses zero near x = −0.75.
            double scale = Math.Abs(g[i]) * (NormalCdf(x[i]) + Math.Abs(x[i] * NormalPdf(x[i])));
            backwardError = Math.Max(backwardError, Math.Abs(backward[i] - derivative) / scale);
        }
        Assert.True(geluUlp <= 8, $"gelu max error {geluUlp:G3} ulp");
        Assert.True(backwardError <= 1e-6, $"gelu backward max error {backwardError:G3} relative to its terms");
    }

    public static TheoryData<string> LaneOps => ["exp", "sigmoid", "tanh", "silu", "siluBackward", "gelu", "geluBackward"];

    static Tensor Apply(string op, Tensor x, Tensor g) => op switch
    {
        "exp" => x.Exp(),
        "sigmoid" => x.Sigmoid(),
        "tanh" => x.Tanh(),
        "silu" => x.Silu(),
        "gelu" => x.Gelu(),
        "geluBackward" => Kernels.Binary(Backends.BinaryOp.GeluBackward, x, g),
        _ => Kernels.Binary(Backends.BinaryOp.SiluBackward, x, g),
    };

    [Theory]
    [MemberData(nameof(LaneOps))]
    public void ResultsAreBitIdenticalWhicheverPathAValueTakes(string op)
    {
        // Values around every regime of the functions (tiny, splits, saturation, over/underflow, specials).
        var values = new List<float> { 0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0.625f, -0.625f, 88.7f, -88.7f, -103.5f, 1e-30f, -1e-30f };
        values.AddRange(Array.ConvertAll(Reference.RandomArray(1013, 11, -110, 110), v => (float)v));
        values.AddRange(Array.ConvertAll(Reference.RandomArray(1013, 12, -2, 2), v => (float)v));
        var x = values.ToArray();
        int n = x.Length;
        var gValues = Array.ConvertAll(Reference.RandomArray(n, 13, -3, 3), v => (float)v);
        var expected = Map<float, ScalarLanes>(op, x, gValues);

        // One long contiguous row: Vector512 body, a Vector256 block, scalar tail.
        AssertBitEqual(expected, Apply(op, Tensor.FromArray(x, n), Tensor.FromArray(gValues, n)).ToFloat32Array(), "contiguous");

        // Stride-2 views: every element on the scalar path.
        var spreadX = new float[2 * n];
        var spreadG = new float[2 * n];
        for (int i = 0; i < n; i++) { spreadX[2 * i] = x[i]; spreadG[2 * i] = gValues[i]; }
        var stridedX = Tensor.FromArray(spreadX, 2 * n).StridedAs([n], [2], 0);
        var stridedG = Tensor.FromArray(spreadG, 2 * n).StridedAs([n], [2], 0);
        AssertBitEqual(expected, Apply(op, stridedX, stridedG).ToFloat32Array(), "strided");

        // Short unit-stride rows of every length 1..40: each value lands at a different place in body or tail.
        for (int length = 1; length <= 40; length++)
        {
            int rows = n / length;
            var padded = new float[rows * (length + 1)];
            var paddedG = new float[rows * (length + 1)];
            var rowExpected = new float[rows * length];
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < length; c++)
                {
                    padded[r * (length + 1) + c] = x[r * length + c];
                    paddedG[r * (length + 1) + c] = gValues[r * length + c];
                    rowExpected[r * length + c] = expected[r * length + c];
                }
            var xv = Tensor.FromArray(padded, padded.Length).StridedAs([rows, length], [length + 1, 1], 0);
            var gv = Tensor.FromArray(paddedG, paddedG.Length).StridedAs([rows, length], [length + 1, 1], 0);
            AssertBitEqual(rowExpected, Apply(op, xv, gv).ToFloat32Array(), $"rows of {length}");
        }
    }

    [Fact]
    public void SiluBackwardWithABroadcastGradientUsesTheSameLanes()
    {
        var x = Array.ConvertAll(Reference.RandomArray(1000, 21, -20, 20), v => (float)v);
        var y = Kernels.Binary(Backends.BinaryOp.SiluBackward, Tensor.FromArray(x, x.Length), Tensor.FromArray(new[] { 0.7f }, 1)).ToFloat32Array();
        AssertBitEqual(Array.ConvertAll(x, v => FloatMath.SiluBackward<float, ScalarLanes>(v, 0.7f)), y, "broadcast gradient");
    }

    [Theory]
    [MemberData(nameof(LaneOps))]
    public void EachSimdWidthAgreesWithTheScalarLanes(string op)
    {
        var x = Array.ConvertAll(Reference.RandomArray(4096, 31, -120, 120), v => (float)v);
        var g = Array.ConvertAll(Reference.RandomArray(4096, 32, -3, 3), v => (float)v);
        var scalar = Map<float, ScalarLanes>(op, x, g);
        if (Vector512.IsHardwareAccelerated) AssertBitEqual(scalar, Map<Vector512<float>, Lanes512>(op, x, g), "Vector512");
        if (Vector256.IsHardwareAccelerated) AssertBitEqual(scalar, Map<Vector256<float>, Lanes256>(op, x, g), "Vector256");
    }

    static float[] Map<V, L>(string op, float[] x, float[] g) where V : struct where L : IFloatLanes<V>
    {
        var result = new float[x.Length];
        for (int i = 0; i < x.Length; i += L.Count)
        {
            var v = L.Load(ref x[i]);
            var y = op switch
            {
                "exp" => FloatMath.Exp<V, L>(v),
                "sigmoid" => FloatMath.Sigmoid<V, L>(v),
                "tanh" => FloatMath.Tanh<V, L>(v),
                "silu" => FloatMath.Silu<V, L>(v),
                "gelu" => FloatMath.Gelu<V, L>(v),
                "geluBackward" => FloatMath.GeluBackward<V, L>(v, L.Load(ref g[i])),
                _ => FloatMath.SiluBackward<V, L>(v, L.Load(ref g[i])),
            };
            L.Store(y, ref result[i]);
        }
        return result;
    }

    static void AssertBitEqual(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]) && !(float.IsNaN(expected[i]) && float.IsNaN(actual[i])))
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, the scalar lanes give {expected[i]:R}");
    }
}
