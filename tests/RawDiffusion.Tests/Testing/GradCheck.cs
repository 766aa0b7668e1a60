using RawDiffusion.Backends.Cpu;

namespace RawDiffusion.Tests.Testing;

/// <summary>Finite-difference gradient checks in float64: the loss is the output contracted with fixed random
/// weights, so every output element contributes; each input element is perturbed by ±eps and the central
/// difference is compared with what Backward() accumulated.</summary>
public static class GradCheck
{
    /// <param name="f">Builds the output from the inputs (called many times; must be deterministic).</param>
    /// <param name="inputs">Float64 CPU tensors; those with RequiresGrad are checked. They may be non-contiguous views.</param>
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-7, double rtol = 1e-5, ulong seed = 17)
    {
        foreach (var x in inputs)
            if (x.DType != DType.Float64) throw new ArgumentException("gradient checks need float64 inputs");
        Tensor projection;
        using (GradMode.NoGrad())
        {
            var probe = f(inputs);
            projection = Tensor.Randn(probe.Shape, new Generator(seed), dtype: DType.Float64);
        }
        foreach (var x in inputs) x.ZeroGrad();
        var loss = (f(inputs) * projection).Sum();
        loss.Backward();

        for (int i = 0; i < inputs.Length; i++)
        {
            var x = inputs[i];
            if (!x.RequiresGrad) continue;
            Assert.True(x.Grad != null, $"input {i} received no gradient");
            var analytic = x.Grad!.ToFloat64Array();
            var data = ((CpuBuffer)x.Storage.Buffer).Array<double>();
            var offsets = ElementOffsets(x);
            for (int j = 0; j < offsets.Length; j++)
            {
                long o = offsets[j];
                double saved = data[o];
                data[o] = saved + eps;
                double plus = Loss(f, inputs, projection);
                data[o] = saved - eps;
                double minus = Loss(f, inputs, projection);
                data[o] = saved;
                double numeric = (plus - minus) / (2 * eps);
                double tol = atol + rtol * Math.Max(Math.Abs(numeric), Math.Abs(analytic[j]));
                Assert.True(Math.Abs(numeric - analytic[j]) <= tol,
                    $"input {i} element {j}: analytic {analytic[j]:G10} vs numeric {numeric:G10} (|diff| {Math.Abs(numeric - analytic[j]):G3} > tol {tol:G3})");
            }
        }
    }

    static double Loss(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor projection)
    {
        using (GradMode.NoGrad()) return (f(inputs) * projection).Sum().Item();
    }

    /// <summary>Buffer offsets of a view's elements in row-major order.</summary>
    public static long[] ElementOffsets(Tensor x)
    {
        var result = new long[x.Numel];
        var index = new int[x.Rank];
        for (long e = 0; e < result.Length; e++)
        {
            long o = x.Offset;
            for (int d = 0; d < x.Rank; d++) o += index[d] * x.Strides[d];
            result[e] = o;
            for (int d = x.Rank - 1; d >= 0; d--)
            {
                if (++index[d] < x.Shape[d]) break;
                index[d] = 0;
            }
        }
        return result;
    }
}
