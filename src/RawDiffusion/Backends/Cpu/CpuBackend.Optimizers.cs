using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RawDiffusion.Backends.Cpu;

internal sealed partial class CpuBackend
{
    /// <summary>Elements per parallel work item of the update kernels: large enough to amortise scheduling,
    /// small enough that both cores stay busy on mid-sized parameters.</summary>
    const int UpdateChunk = 1 << 14;

    /// <summary>The unfused composition the GPU's multi-tensor kernel is tested against: each entry's own step.</summary>
    public void AdamStepMany(ReadOnlySpan<AdamTensors> tensors, double lr, double beta1, double beta2, double eps, double weightDecay,
                             bool decoupledWeightDecay)
    {
        foreach (var t in tensors)
            AdamStep(t.Param, t.ParamOffset, t.Grad, t.GradOffset, t.ExpAvg, t.ExpAvgOffset, t.ExpAvgSq, t.ExpAvgSqOffset, t.Length,
                lr, beta1, beta2, eps, weightDecay, decoupledWeightDecay, t.Step);
    }

    public void AdamStep(DeviceBuffer param, long paramOffset, DeviceBuffer grad, long gradOffset,
                         DeviceBuffer expAvg, long expAvgOffset, DeviceBuffer expAvgSq, long expAvgSqOffset, long n,
                         double lr, double beta1, double beta2, double eps, double weightDecay, bool decoupledWeightDecay, long step)
    {
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), step, "AdamStep counts steps from 1");
        CheckUpdateBuffers(nameof(AdamStep), n, (param, paramOffset), (grad, gradOffset), (expAvg, expAvgOffset), (expAvgSq, expAvgSqOffset));
        var s = new AdamScalars(
            ParamScale: decoupledWeightDecay ? 1 - lr * weightDecay : 1,
            L2: decoupledWeightDecay ? 0 : weightDecay,
            Beta1: beta1, Beta2: beta2,
            StepSize: lr / (1 - Math.Pow(beta1, step)),
            BiasCorrection2Sqrt: Math.Sqrt(1 - Math.Pow(beta2, step)),
            Eps: eps);
        if (param.DType == DType.Float32)
            ForChunks(n, (start, count) => AdamRun<float>(Cpu(param).Array<float>().AsSpan((int)(paramOffset + start), count),
                Cpu(grad).Array<float>().AsSpan((int)(gradOffset + start), count), Cpu(expAvg).Array<float>().AsSpan((int)(expAvgOffset + start), count),
                Cpu(expAvgSq).Array<float>().AsSpan((int)(expAvgSqOffset + start), count), s));
        else
            ForChunks(n, (start, count) => AdamRun<double>(Cpu(param).Array<double>().AsSpan((int)(paramOffset + start), count),
                Cpu(grad).Array<double>().AsSpan((int)(gradOffset + start), count), Cpu(expAvg).Array<double>().AsSpan((int)(expAvgOffset + start), count),
                Cpu(expAvgSq).Array<double>().AsSpan((int)(expAvgSqOffset + start), count), s));
    }

    readonly record struct AdamScalars(double ParamScale, double L2, double Beta1, double Beta2, double StepSize, double BiasCorrection2Sqrt, double Eps);

    static void AdamRun<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, AdamScalars s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = T.CreateChecked(s.ParamScale), l2 = T.CreateChecked(s.L2);
        T oneMinusBeta1 = T.CreateChecked(1 - s.Beta1), beta2 = T.CreateChecked(s.Beta2), oneMinusBeta2 = T.CreateChecked(1 - s.Beta2);
        T stepSize = T.CreateChecked(s.StepSize), bc2 = T.CreateChecked(s.BiasCorrection2Sqrt), eps = T.CreateChecked(s.Eps);
        ref T pr = ref MemoryMarshal.GetReference(p);
        ref T gr = ref MemoryMarshal.GetReference(g);
        ref T mr = ref MemoryMarshal.GetReference(m);
        ref T vr = ref MemoryMarshal.GetReference(v);
        int i = 0, w = Vector<T>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            var epsV = new Vector<T>(eps);
            for (; i <= p.Length - w; i += w)
            {
                var pv = Vector.LoadUnsafe(ref Unsafe.Add(ref pr, i)) * scale;
                var gv = Vector.LoadUnsafe(ref Unsafe.Add(ref gr, i));
                gv += pv * l2;
                var mv = Vector.LoadUnsafe(ref Unsafe.Add(ref mr, i));
                mv += (gv - mv) * oneMinusBeta1;
                var vv = Vector.LoadUnsafe(ref Unsafe.Add(ref vr, i)) * beta2 + gv * gv * oneMinusBeta2;
                var denom = Vector.SquareRoot(vv) / new Vector<T>(bc2) + epsV;
                pv -= mv * stepSize / denom;
                mv.StoreUnsafe(ref Unsafe.Add(ref mr, i));
                vv.StoreUnsafe(ref Unsafe.Add(ref vr, i));
                pv.StoreUnsafe(ref Unsafe.Add(ref pr, i));
            }
        }
        for (; i < p.Length; i++)
        {
            T pi = p[i] * scale;
            T gi = g[i] + pi * l2;
            T mi = m[i] + (gi - m[i]) * oneMinusBeta1;
            T vi = v[i] * beta2 + gi * gi * oneMinusBeta2;
            m[i] = mi;
            v[i] = vi;
            p[i] = pi - mi * stepSize / (T.Sqrt(vi) / bc2 + eps);
        }
    }

    public void SgdStep(DeviceBuffer param, long paramOffset, DeviceBuffer grad, long gradOffset,
                        DeviceBuffer? momentumBuffer, long momentumOffset, long n,
                        double lr, double momentum, double dampening, double weightDecay, bool nesterov, bool firstStep)
    {
        if (momentum != 0)
        {
            if (momentumBuffer == null) throw new ArgumentNullException(nameof(momentumBuffer), "SgdStep with momentum needs a momentum buffer");
            CheckUpdateBuffers(nameof(SgdStep), n, (param, paramOffset), (grad, gradOffset), (momentumBuffer, momentumOffset));
        }
        else CheckUpdateBuffers(nameof(SgdStep), n, (param, paramOffset), (grad, gradOffset));
        var s = new SgdScalars(lr, momentum, 1 - dampening, weightDecay, nesterov, firstStep);
        if (param.DType == DType.Float32)
            ForChunks(n, (start, count) => SgdRun<float>(Cpu(param).Array<float>().AsSpan((int)(paramOffset + start), count),
                Cpu(grad).Array<float>().AsSpan((int)(gradOffset + start), count),
                momentum != 0 ? Cpu(momentumBuffer!).Array<float>().AsSpan((int)(momentumOffset + start), count) : default, s));
        else
            ForChunks(n, (start, count) => SgdRun<double>(Cpu(param).Array<double>().AsSpan((int)(paramOffset + start), count),
                Cpu(grad).Array<double>().AsSpan((int)(gradOffset + start), count),
                momentum != 0 ? Cpu(momentumBuffer!).Array<double>().AsSpan((int)(momentumOffset + start), count) : default, s));
    }

    readonly record struct SgdScalars(double Lr, double Momentum, double OneMinusDampening, double WeightDecay, bool Nesterov, bool FirstStep);

    static void SgdRun<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> buf, SgdScalars s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T lr = T.CreateChecked(s.Lr), mom = T.CreateChecked(s.Momentum), keep = T.CreateChecked(s.OneMinusDampening), wd = T.CreateChecked(s.WeightDecay);
        bool useMomentum = s.Momentum != 0, nesterov = s.Nesterov, first = s.FirstStep;
        ref T pr = ref MemoryMarshal.GetReference(p);
        ref T gr = ref MemoryMarshal.GetReference(g);
        ref T br = ref MemoryMarshal.GetReference(buf);
        int i = 0, w = Vector<T>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= p.Length - w; i += w)
            {
                var pv = Vector.LoadUnsafe(ref Unsafe.Add(ref pr, i));
                var d = Vector.LoadUnsafe(ref Unsafe.Add(ref gr, i)) + pv * wd;
                if (useMomentum)
                {
                    var b = first ? d : Vector.LoadUnsafe(ref Unsafe.Add(ref br, i)) * mom + d * keep;
                    b.StoreUnsafe(ref Unsafe.Add(ref br, i));
                    d = nesterov ? d + b * mom : b;
                }
                (pv - d * lr).StoreUnsafe(ref Unsafe.Add(ref pr, i));
            }
        }
        for (; i < p.Length; i++)
        {
            T d = g[i] + p[i] * wd;
            if (useMomentum)
            {
                T b = first ? d : buf[i] * mom + d * keep;
                buf[i] = b;
                d = nesterov ? d + b * mom : b;
            }
            p[i] -= d * lr;
        }
    }

    public void EmaUpdate(DeviceBuffer average, long averageOffset, DeviceBuffer source, long sourceOffset, long n, double decay)
    {
        CheckUpdateBuffers(nameof(EmaUpdate), n, (average, averageOffset), (source, sourceOffset));
        if (average.DType == DType.Float32)
            ForChunks(n, (start, count) => EmaRun<float>(Cpu(average).Array<float>().AsSpan((int)(averageOffset + start), count),
                Cpu(source).Array<float>().AsSpan((int)(sourceOffset + start), count), (float)(1 - decay)));
        else
            ForChunks(n, (start, count) => EmaRun<double>(Cpu(average).Array<double>().AsSpan((int)(averageOffset + start), count),
                Cpu(source).Array<double>().AsSpan((int)(sourceOffset + start), count), 1 - decay));
    }

    static void EmaRun<T>(Span<T> a, ReadOnlySpan<T> x, T oneMinusDecay) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T ar = ref MemoryMarshal.GetReference(a);
        ref T xr = ref MemoryMarshal.GetReference(x);
        int i = 0, w = Vector<T>.Count;
        if (Vector.IsHardwareAccelerated)
            for (; i <= a.Length - w; i += w)
            {
                var av = Vector.LoadUnsafe(ref Unsafe.Add(ref ar, i));
                (av - (av - Vector.LoadUnsafe(ref Unsafe.Add(ref xr, i))) * oneMinusDecay).StoreUnsafe(ref Unsafe.Add(ref ar, i));
            }
        for (; i < a.Length; i++) a[i] -= (a[i] - x[i]) * oneMinusDecay;
    }

    /// <summary>Runs <paramref name="body"/>(start, count) over [0, n) in chunks, in parallel when n is large.</summary>
    static void ForChunks(long n, Action<long, int> body)
    {
        if (n <= 0) return;
        if (n < ParallelThreshold)
        {
            body(0, (int)n);
            return;
        }
        long chunks = (n + UpdateChunk - 1) / UpdateChunk;
        Parallel.For(0L, chunks, c =>
        {
            long start = c * UpdateChunk;
            body(start, (int)Math.Min(UpdateChunk, n - start));
        });
    }

    static void CheckUpdateBuffers(string primitive, long n, params (DeviceBuffer Buffer, long Offset)[] operands)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, $"{primitive}: negative element count");
        var dtype = operands[0].Buffer.DType;
        if (!dtype.IsFloating()) throw new ArgumentException($"{primitive} needs floating-point buffers, got {dtype}");
        foreach (var (buffer, offset) in operands)
        {
            ArgumentNullException.ThrowIfNull(buffer);
            if (buffer.DType != dtype) throw new ArgumentException($"{primitive}: buffers mix dtypes {dtype} and {buffer.DType}");
            if (offset < 0 || offset + n > buffer.Length)
                throw new ArgumentOutOfRangeException(nameof(n), $"{primitive}: elements [{offset}, {offset + n}) lie outside a buffer of {buffer.Length}");
        }
    }
}
