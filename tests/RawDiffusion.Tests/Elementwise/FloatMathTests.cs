using System.Runtime.Intrinsics;
using RawDiffusion.Backends.Cpu;
using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.Elementwise;

/// <summary>The float32 SIMD exp family against double-precision references, over dense sweeps that reach
/// both tails, and the guarantee that a value's result does not depend on the path it takes through a row.</summary>
public class FloatMathTests
{
    /// <summary>Every 499th float bit pattern between 0 and |limit| on both signs (so tiny, mid and tail
    /// magnitudes are all sampled densely in ulp terms), plus an evenly spaced grid over [low, high].</summary>
    static float[] Sweep(float low, float high)
    {
        var values = new List<float>();
        int stepBits = 499;
        for (int bits = 0; bits <= BitConverter.SingleToInt32Bits(high); bits += stepBits) values.Add(BitConverter.Int32BitsToSingle(bits));
        for (int bits = 0; bits <= BitConverter.SingleToInt32Bits(-low); bits += stepBits) values.Add(-BitConverter.Int32BitsToSingle(bits));
        const int grid = 200_000;
        for (int i = 0; i <= grid; i++) values.Add(low + (high - low) * i / grid);
        return [.. values];
    }

    /// <summary>|actual − expected| in units of the float spacing at the expected value (subnormal spacing below
    /// the normal range); an infinite result counts as 2^128.</summary>
    static double UlpError(float actual, double expected)
    {
        double a = float.IsInfinity(actual) ? Math.CopySign(Math.Pow(2, 128), actual) : actual;
        double magnitude = Math.Abs(expected);
        int exponent = magnitude < Math.Pow(2, -126) ? -126 : Math.ILogB(magnitude);
        return Math.Abs(a - expected) / Math.ScaleB(1, exponent - 23);
    }

    static float[] Run(Func<Tensor, Tensor> op, float[] x) => op(Tensor.FromArray(x, x.Length)).ToFloat32Array();

    static double MaxUlpError(float[] x, float[] y, Func<double, double> reference, double minMagnitude = 0)
    {
        double worst = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double expected = reference(x[i]);
            if (Math.Abs(expected) < minMagnitude) continue;
            worst = Math.Max(worst, UlpError(y[i], expected));
        }
        return worst;
    }

    [Fact]
    public void ExpIsWithinTwoUlpOfMathExpAcrossTheWholeFiniteRange()
    {
        var x = Sweep(-103.9f, 88.72f);
        var y = Run(t => t.Exp(), x);
        double worstUlp = 0, worstRelative = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double expected = Math.Exp(x[i]);
            worstUlp = Math.Max(worstUlp, UlpError(y[i], expected));
            if (expected >= Math.Pow(2, -126)) worstRelative = Math.Max(worstRelative, Math.Abs(y[i] - expected) / expected);
        }
        Assert.True(worstUlp <= 2, $"max error {worstUlp:G3} ulp");
        Assert.True(worstRelative <= 2.4e-7, $"max relative error {worstRelative:G3}");
    }

    [Fact]
    public void ExpOverflowsUnderflowsAndPropagatesNaNLikeMathExp()
    {
        float maxArgument = 88.72283f;                       // exp is just below float.MaxValue here
        float[] x = [0f, -0f, 1f, maxArgument, MathF.BitIncrement(88.72284f), 89f, 1000f, float.PositiveInfinity,
                     -87.33654f, -103.27893f, -103.97208f, -104f, -1000f, float.NegativeInfinity, float.NaN, float.MaxValue, float.MinValue];
        var y = Run(t => t.Exp(), x);
        Assert.Equal(1f, y[0]);
        Assert.Equal(1f, y[1]);
        Assert.Equal((float)Math.E, y[2]);
        Assert.True(float.IsFinite(y[3]) && y[3] > 3.4e38f, $"exp({maxArgument}) = {y[3]}");
        for (int i = 4; i <= 7; i++) Assert.Equal(float.PositiveInfinity, y[i]);
        Assert.True(UlpError(y[8], Math.Exp(x[8])) <= 2, "near the smallest normal");
        Assert.True(y[9] > 0 && UlpError(y[9], Math.Exp(x[9])) <= 1, "subnormal result");
        Assert.Equal(0f, y[11]);
        Assert.Equal(0f, y[12]);
        Assert.Equal(0f, y[13]);
        Assert.True(float.IsNaN(y[14]));
        Assert.Equal(float.PositiveInfinity, y[15]);
        Assert.Equal(0f, y[16]);
    }

    // Below this, e = exp(−|x|) inside SiLU is subnormal and carries fewer bits; SiLU's value there is below
    // 1e-36, so the tail is checked with an absolute bound instead of in ulps.
    const float SubnormalExpTail = -87.3f;
    const double TailAbsoluteError = 1e-42;

    [Fact]
    public void SigmoidTanhAndSiluStayWithinAFewUlpIncludingTheTails()
    {
        var x = Sweep(-100f, 100f);
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
        Assert.True(tanhUlp <= 3, $"tanh max error {tanhUlp:G3} ulp");
        Assert.True(siluUlp <= 3, $"silu max error {siluUlp:G3} ulp");
    }

    [Fact]
    public void SiluBackwardMatchesTheDoubleDerivative()
    {
        var x = Sweep(-100f, 100f);
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

    public static TheoryData<string> LaneOps => ["exp", "sigmoid", "tanh", "silu", "siluBackward"];

    static Tensor Apply(string op, Tensor x, Tensor g) => op switch
    {
        "exp" => x.Exp(),
        "sigmoid" => x.Sigmoid(),
        "tanh" => x.Tanh(),
        "silu" => x.Silu(),
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
