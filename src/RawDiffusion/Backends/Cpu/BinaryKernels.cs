using System.Numerics;

namespace RawDiffusion.Backends.Cpu;

internal struct AddK<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T a, T b, T p, T q) => a + b;
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> a, Vector<T> b, T p, T q) => a + b;
}

internal struct SubK<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T a, T b, T p, T q) => a - b;
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> a, Vector<T> b, T p, T q) => a - b;
}

internal struct MulK<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T a, T b, T p, T q) => a * b;
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> a, Vector<T> b, T p, T q) => a * b;
}

internal struct DivK<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T a, T b, T p, T q) => a / b;
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> a, Vector<T> b, T p, T q) => a / b;
}

internal struct PowK<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T a, T b, T p, T q) => T.Pow(a, b);
}

internal struct MaximumK<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T a, T b, T p, T q) => T.Max(a, b);
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> a, Vector<T> b, T p, T q) => Vector.Max(a, b);
}

internal struct MinimumK<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T a, T b, T p, T q) => T.Min(a, b);
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> a, Vector<T> b, T p, T q) => Vector.Min(a, b);
}

internal struct EqualK<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T a, T b, T p, T q) => a == b ? T.One : T.Zero;
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> a, Vector<T> b, T p, T q) => Vector.ConditionalSelect(Vector.Equals(a, b), Vector<T>.One, Vector<T>.Zero);
}

internal struct GreaterK<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T a, T b, T p, T q) => a > b ? T.One : T.Zero;
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> a, Vector<T> b, T p, T q) => Vector.ConditionalSelect(Vector.GreaterThan(a, b), Vector<T>.One, Vector<T>.Zero);
}

/// <summary>a = input x, b = incoming gradient.</summary>
internal struct ReluBackwardK<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T g, T p, T q) => x > T.Zero ? g : T.Zero;
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> x, Vector<T> g, T p, T q) => Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), g, Vector<T>.Zero);
}

internal struct LeakyReluBackwardK<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T g, T slope, T q) => x > T.Zero ? g : g * slope;
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> x, Vector<T> g, T slope, T q) => Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), g, g * new Vector<T>(slope));
}

/// <summary>a = output y = sigmoid(x).</summary>
internal struct SigmoidBackwardK<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T y, T g, T p, T q) => g * y * (T.One - y);
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> y, Vector<T> g, T p, T q) => g * y * (Vector<T>.One - y);
}

/// <summary>a = output y = tanh(x).</summary>
internal struct TanhBackwardK<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T y, T g, T p, T q) => g * (T.One - y * y);
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> y, Vector<T> g, T p, T q) => g * (Vector<T>.One - y * y);
}

/// <summary>a = input x: d/dx x·σ(x) = σ(x)·(1 + x·(1 − σ(x))), with σ and 1 − σ each from e = exp(−|x|)
/// (see <see cref="FloatMath.SiluBackward"/>).</summary>
internal struct SiluBackwardK<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T g, T p, T q)
    {
        var e = T.Exp(-T.Abs(x));
        var inverse = T.One / (T.One + e);
        var sigmoid = x < T.Zero ? e * inverse : inverse;
        var complement = x < T.Zero ? inverse : e * inverse;
        return g * sigmoid * (T.One + x * complement);
    }

    public static bool HasFloatLanes => true;
    public static V Apply<V, L>(V x, V g, float p, float q) where V : struct where L : IFloatLanes<V> => FloatMath.SiluBackward<V, L>(x, g);
}

/// <summary>a = input x: d/dx x·Φ(x) = Φ(x) + x·φ(x).</summary>
internal struct GeluBackwardK<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T g, T p, T q)
    {
        double xd = double.CreateTruncating(x);
        return g * T.CreateTruncating(SpecialFunctions.NormalCdf(xd) + xd * SpecialFunctions.NormalPdf(xd));
    }

    public static bool HasFloatLanes => true;
    public static V Apply<V, L>(V x, V g, float p, float q) where V : struct where L : IFloatLanes<V> => FloatMath.GeluBackward<V, L>(x, g);
}

internal struct ClampBackwardK<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T g, T lo, T hi) => x >= lo && x <= hi ? g : T.Zero;
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> x, Vector<T> g, T lo, T hi) =>
        Vector.ConditionalSelect(Vector.GreaterThanOrEqual(x, new Vector<T>(lo)) & Vector.LessThanOrEqual(x, new Vector<T>(hi)), g, Vector<T>.Zero);
}
