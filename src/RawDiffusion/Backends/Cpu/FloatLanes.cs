using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RawDiffusion.Backends.Cpu;

/// <summary>The float32 operations that the exp-based kernels are written in, at one width: Vector512, Vector256
/// or a single float. A function written once over <c>L : IFloatLanes&lt;V&gt;</c> performs the same sequence of
/// correctly rounded IEEE operations at every width, so each element's result is bit-identical whether it goes
/// through the widest SIMD body, a narrower step, the scalar tail or a strided row.</summary>
internal interface IFloatLanes<V> where V : struct
{
    /// <summary>Whether this width runs natively here (the scalar width always does).</summary>
    static abstract bool IsAccelerated { get; }

    /// <summary>Floats per <typeparamref name="V"/>.</summary>
    static abstract int Count { get; }

    static abstract V Load(ref float source);
    static abstract void Store(V value, ref float destination);
    static abstract V Splat(float value);

    static abstract V Add(V a, V b);
    static abstract V Sub(V a, V b);
    static abstract V Mul(V a, V b);
    static abstract V Div(V a, V b);

    /// <summary>a·b + c with a single rounding.</summary>
    static abstract V MulAdd(V a, V b, V c);

    static abstract V Abs(V a);

    /// <summary>Nearest integer, ties to even.</summary>
    static abstract V Round(V a);

    /// <summary>x·2^n for integral n in [-150, 128] and x within a factor 2 of 1, correctly rounded (subnormal results
    /// included), so every width gives the same bits: AVX-512's vscalefps where there is one, elsewhere two exact
    /// power-of-two factors, the first of which keeps x·2^(n/2) normal so only the second one rounds.</summary>
    static abstract V ScaleByPow2(V x, V n);

    /// <summary>The magnitude of <paramref name="magnitude"/> with the sign bit of <paramref name="sign"/>.</summary>
    static abstract V CopySign(V magnitude, V sign);

    /// <summary>Lane by lane: a &lt; b ? ifLess : otherwise (false, so otherwise, when either is NaN).</summary>
    static abstract V SelectLess(V a, V b, V ifLess, V otherwise);
}

internal readonly struct Lanes512 : IFloatLanes<Vector512<float>>
{
    public static bool IsAccelerated => Vector512.IsHardwareAccelerated;
    public static int Count => Vector512<float>.Count;
    public static Vector512<float> Load(ref float source) => Vector512.LoadUnsafe(ref source);
    public static void Store(Vector512<float> value, ref float destination) => value.StoreUnsafe(ref destination);
    public static Vector512<float> Splat(float value) => Vector512.Create(value);
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    public static Vector512<float> Sub(Vector512<float> a, Vector512<float> b) => a - b;
    public static Vector512<float> Mul(Vector512<float> a, Vector512<float> b) => a * b;
    public static Vector512<float> Div(Vector512<float> a, Vector512<float> b) => a / b;
    public static Vector512<float> MulAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    public static Vector512<float> Abs(Vector512<float> a) => Vector512.Abs(a);
    public static Vector512<float> Round(Vector512<float> a) => Vector512.Round(a);

    public static Vector512<float> ScaleByPow2(Vector512<float> x, Vector512<float> n)
    {
        if (Avx512F.IsSupported) return Avx512F.Scale(x, n);
        var ni = Vector512.ConvertToInt32(n);
        var half = Vector512.ShiftRightArithmetic(ni, 1);
        var bias = Vector512.Create(127);
        var first = Vector512.ShiftLeft(half + bias, 23).AsSingle();
        var second = Vector512.ShiftLeft(ni - half + bias, 23).AsSingle();
        return x * first * second;
    }

    public static Vector512<float> CopySign(Vector512<float> magnitude, Vector512<float> sign) => Vector512.CopySign(magnitude, sign);

    public static Vector512<float> SelectLess(Vector512<float> a, Vector512<float> b, Vector512<float> ifLess, Vector512<float> otherwise) =>
        Vector512.ConditionalSelect(Vector512.LessThan(a, b), ifLess, otherwise);
}

internal readonly struct Lanes256 : IFloatLanes<Vector256<float>>
{
    public static bool IsAccelerated => Vector256.IsHardwareAccelerated;
    public static int Count => Vector256<float>.Count;
    public static Vector256<float> Load(ref float source) => Vector256.LoadUnsafe(ref source);
    public static void Store(Vector256<float> value, ref float destination) => value.StoreUnsafe(ref destination);
    public static Vector256<float> Splat(float value) => Vector256.Create(value);
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    public static Vector256<float> Sub(Vector256<float> a, Vector256<float> b) => a - b;
    public static Vector256<float> Mul(Vector256<float> a, Vector256<float> b) => a * b;
    public static Vector256<float> Div(Vector256<float> a, Vector256<float> b) => a / b;
    public static Vector256<float> MulAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    public static Vector256<float> Abs(Vector256<float> a) => Vector256.Abs(a);
    public static Vector256<float> Round(Vector256<float> a) => Vector256.Round(a);

    public static Vector256<float> ScaleByPow2(Vector256<float> x, Vector256<float> n)
    {
        if (Avx512F.VL.IsSupported) return Avx512F.VL.Scale(x, n);
        var ni = Vector256.ConvertToInt32(n);
        var half = Vector256.ShiftRightArithmetic(ni, 1);
        var bias = Vector256.Create(127);
        var first = Vector256.ShiftLeft(half + bias, 23).AsSingle();
        var second = Vector256.ShiftLeft(ni - half + bias, 23).AsSingle();
        return x * first * second;
    }

    public static Vector256<float> CopySign(Vector256<float> magnitude, Vector256<float> sign) => Vector256.CopySign(magnitude, sign);

    public static Vector256<float> SelectLess(Vector256<float> a, Vector256<float> b, Vector256<float> ifLess, Vector256<float> otherwise) =>
        Vector256.ConditionalSelect(Vector256.LessThan(a, b), ifLess, otherwise);
}

internal readonly struct ScalarLanes : IFloatLanes<float>
{
    public static bool IsAccelerated => true;
    public static int Count => 1;
    public static float Load(ref float source) => source;
    public static void Store(float value, ref float destination) => destination = value;
    public static float Splat(float value) => value;
    public static float Add(float a, float b) => a + b;
    public static float Sub(float a, float b) => a - b;
    public static float Mul(float a, float b) => a * b;
    public static float Div(float a, float b) => a / b;
    public static float MulAdd(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);
    public static float Abs(float a) => MathF.Abs(a);
    public static float Round(float a) => MathF.Round(a, MidpointRounding.ToEven);

    public static float ScaleByPow2(float x, float n)
    {
        int ni = (int)n;
        int half = ni >> 1;
        float first = BitConverter.Int32BitsToSingle((half + 127) << 23);
        float second = BitConverter.Int32BitsToSingle((ni - half + 127) << 23);
        return x * first * second;
    }

    public static float CopySign(float magnitude, float sign) => MathF.CopySign(magnitude, sign);

    public static float SelectLess(float a, float b, float ifLess, float otherwise) => a < b ? ifLess : otherwise;
}
