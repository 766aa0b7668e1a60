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
    public static T Apply(T a, T b, T p, T q) => a > b ? a : b;
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> a, Vector<T> b, T p, T q) => Vector.Max(a, b);
}

internal struct MinimumK<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T a, T b, T p, T q) => a < b ? a : b;
    public static bool Vectorized => true;
    public static Vector<T> Apply(Vector<T> a, Vector<T> b, T p, T q) => Vector.Min(a, b);
}

internal struct EqualK<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T a, T b, T p, T q) => a == b ? T.One : T.Zero;
}

internal struct GreaterK<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T a, T b, T p, T q) => a > b ? T.One : T.Zero;
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

/// <summary>a = input x: d/dx x·σ(x) = σ(x)·(1 + x·(1 − σ(x))).</summary>
internal struct SiluBackwardK<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T g, T p, T q)
    {
        var s = T.One / (T.One + T.Exp(-x));
        return g * s * (T.One + x * (T.One - s));
    }
}

/// <summary>a = input x: d/dx x·Φ(x) = Φ(x) + x·φ(x).</summary>
internal struct GeluBackwardK<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T g, T p, T q)
    {
        double xd = double.CreateTruncating(x);
        return g * T.CreateTruncating(SpecialFunctions.NormalCdf(xd) + xd * SpecialFunctions.NormalPdf(xd));
    }
}

internal struct ClampBackwardK<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T g, T lo, T hi) => x >= lo && x <= hi ? g : T.Zero;
}
