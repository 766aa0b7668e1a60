using System.Numerics;

namespace RawDiffusion.Backends.Cpu;

internal struct CopyK<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T a, T b) => x;
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> x, T a, T b) => x;
}

internal struct NegK<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T a, T b) => -x;
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> x, T a, T b) => -x;
}

internal struct AddScalarK<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T a, T b) => x + a;
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> x, T a, T b) => x + new Vector<T>(a);
}

internal struct MulScalarK<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T a, T b) => x * a;
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> x, T a, T b) => x * new Vector<T>(a);
}

internal struct PowScalarK<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T a, T b) => T.Pow(x, a);
}

internal struct ReciprocalK<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T a, T b) => T.One / x;
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> x, T a, T b) => Vector<T>.One / x;
}

internal struct ExpK<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T a, T b) => T.Exp(x);
    public static bool HasFloatLanes => true;
    public static V Apply<V, L>(V x, float a, float b) where V : struct where L : IFloatLanes<V> => FloatMath.Exp<V, L>(x);
}

internal struct LogK<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T a, T b) => T.Log(x);
}

internal struct SqrtK<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T a, T b) => T.Sqrt(x);
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> x, T a, T b) => Vector.SquareRoot(x);
}

internal struct RsqrtK<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T a, T b) => T.One / T.Sqrt(x);
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> x, T a, T b) => Vector<T>.One / Vector.SquareRoot(x);
}

internal struct AbsK<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T a, T b) => T.Abs(x);
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> x, T a, T b) => Vector.Abs(x);
}

internal struct SignK<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T a, T b) => x > T.Zero ? T.One : x < T.Zero ? -T.One : T.Zero;
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> x, T a, T b) =>
        Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), Vector<T>.One,
            Vector.ConditionalSelect(Vector.LessThan(x, Vector<T>.Zero), -Vector<T>.One, Vector<T>.Zero));
}

internal struct SquareK<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T a, T b) => x * x;
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> x, T a, T b) => x * x;
}

internal struct ReluK<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T a, T b) => T.Max(x, T.Zero);
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> x, T a, T b) => Vector.Max(x, Vector<T>.Zero);
}

internal struct LeakyReluK<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T a, T b) => x > T.Zero ? x : x * a;
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> x, T a, T b) => Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), x, x * new Vector<T>(a));
}

/// <summary>σ(x) from e = exp(−|x|), which cannot overflow (see <see cref="FloatMath.Sigmoid"/>).</summary>
internal struct SigmoidK<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T a, T b)
    {
        var e = T.Exp(-T.Abs(x));
        return (x < T.Zero ? e : T.One) / (T.One + e);
    }

    public static bool HasFloatLanes => true;
    public static V Apply<V, L>(V x, float a, float b) where V : struct where L : IFloatLanes<V> => FloatMath.Sigmoid<V, L>(x);
}

internal struct TanhK<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T a, T b) => T.Tanh(x);
    public static bool HasFloatLanes => true;
    public static V Apply<V, L>(V x, float a, float b) where V : struct where L : IFloatLanes<V> => FloatMath.Tanh<V, L>(x);
}

internal struct SiluK<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T a, T b)
    {
        var e = T.Exp(-T.Abs(x));
        return x * (x < T.Zero ? e : T.One) / (T.One + e);
    }

    public static bool HasFloatLanes => true;
    public static V Apply<V, L>(V x, float a, float b) where V : struct where L : IFloatLanes<V> => FloatMath.Silu<V, L>(x);
}

/// <summary>Exact GELU, x·Φ(x), as PyTorch's default: float32 through <see cref="FloatMath.Gelu"/>, float64 from the
/// double-precision normal CDF (accurate enough for float64 gradient checks).</summary>
internal struct GeluK<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T a, T b) => x * T.CreateTruncating(SpecialFunctions.NormalCdf(double.CreateTruncating(x)));
    public static bool HasFloatLanes => true;
    public static V Apply<V, L>(V x, float a, float b) where V : struct where L : IFloatLanes<V> => FloatMath.Gelu<V, L>(x);
}

/// <summary>min(max(x, a), b): b wherever a &gt; b (as PyTorch), NaN stays NaN.</summary>
internal struct ClampK<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T a, T b) => T.Min(T.Max(x, a), b);
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> x, T a, T b) => Vector.Min(Vector.Max(x, new Vector<T>(a)), new Vector<T>(b));
}
