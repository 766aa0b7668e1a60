using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.NeuralOps;

/// <summary>Deliberately plain loop references for the neural-network ops, in double precision.</summary>
internal static class Naive
{
    /// <summary>Softmax or log-softmax along <paramref name="axis"/> of a row-major array.</summary>
    public static double[] Softmax(double[] x, int[] shape, int axis, bool log)
    {
        int n = shape[axis];
        long inner = 1;
        for (int d = axis + 1; d < shape.Length; d++) inner *= shape[d];
        long outer = x.Length / Math.Max(1, n * inner);
        var y = new double[x.Length];
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
            {
                long at(int j) => (o * n + j) * inner + i;
                double max = double.NegativeInfinity;
                for (int j = 0; j < n; j++) max = Math.Max(max, x[at(j)]);
                double sum = 0;
                for (int j = 0; j < n; j++) sum += Math.Exp(x[at(j)] - max);
                for (int j = 0; j < n; j++) y[at(j)] = log ? x[at(j)] - max - Math.Log(sum) : Math.Exp(x[at(j)] - max) / sum;
            }
        return y;
    }

    /// <summary>Row-major values of a tensor of the given shape built from a flat-index function.</summary>
    public static double[] Build(int[] shape, Func<int[], double> value)
    {
        var result = new double[ShapeMath.Numel(shape)];
        for (long i = 0; i < result.Length; i++) result[i] = value(Reference.Unravel(i, shape));
        return result;
    }

    public static long Flat(int[] index, int[] shape)
    {
        long flat = 0;
        for (int d = 0; d < shape.Length; d++) flat = flat * shape[d] + index[d];
        return flat;
    }

    public static double[] Values(Tensor t) => t.ToFloat64Array();
}
