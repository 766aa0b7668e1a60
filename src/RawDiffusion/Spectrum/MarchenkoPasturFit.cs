namespace RawDiffusion.Spectrum;

/// <summary>
/// A Marchenko–Pastur fit of a spectrum's bulk. The noise variance σ² is the least-squares scale that maps the law's
/// quantiles (σ² = 1) onto the sorted bulk eigenvalues λ = s²/N — eigenvalues are rigid, so this uses the whole bulk
/// and is far more precise than a single order statistic. It starts from the median, counts the eigenvalues above the
/// edge plus a Tracy–Widom margin as spikes, refits on the rest, and repeats until the spike count is stable.
/// </summary>
public sealed record MarchenkoPasturFit(
    double NoiseStd,
    double AspectRatio,
    int LargeDimension,
    int SmallDimension,
    int Spikes,
    double BulkEdgeSingularValue,
    double SpikeThresholdSingularValue,
    double KolmogorovSmirnov)
{
    /// <summary>Fewer singular values than this give no meaningful fit.</summary>
    public const int MinimumValues = 8;

    /// <summary>Tracy–Widom scales above the edge before an eigenvalue counts as a spike (P(TW₁ &gt; 4) ≈ 5e-4 per matrix).</summary>
    public const double TracyWidomMargin = 4;

    private const int MaxIterations = 50;

    /// <summary>Fits the singular values (descending) of an N×M matrix (N = larger side), or null when too few.</summary>
    public static MarchenkoPasturFit? TryFit(IReadOnlyList<double> descending, int large, int small)
    {
        int count = descending.Count;
        if (count < MinimumValues || descending[0] <= 0)
        {
            return null;
        }
        double q = (double)small / large;
        var lambda = new double[count];
        for (int i = 0; i < count; i++)
        {
            lambda[i] = descending[count - 1 - i] * descending[count - 1 - i] / large;   // ascending
        }

        double variance = lambda[count / 2] / MarchenkoPastur.Quantiles(q, [(count / 2 + 0.5) / count])[0];
        int spikes = CountAbove(lambda, SpikeThreshold(variance, large, small, q));
        for (int iteration = 0; iteration < MaxIterations; iteration++)
        {
            int bulk = count - spikes;
            if (bulk < MinimumValues)
            {
                break;
            }
            double[] expected = MarchenkoPastur.Quantiles(q, Enumerable.Range(0, bulk).Select(i => (i + 0.5) / bulk).ToArray());
            double numerator = 0, denominator = 0;
            for (int i = 0; i < bulk; i++)
            {
                numerator += lambda[i] * expected[i];
                denominator += expected[i] * expected[i];
            }
            variance = numerator / denominator;
            int next = CountAbove(lambda, SpikeThreshold(variance, large, small, q));
            if (next == spikes)
            {
                break;
            }
            spikes = next;
        }

        int bulkCount = count - spikes;
        double[] fitted = MarchenkoPastur.Cdf(q, lambda.Take(bulkCount).Select(x => x / variance).ToArray());
        double ks = 0;
        for (int i = 0; i < bulkCount; i++)
        {
            ks = Math.Max(ks, Math.Max(Math.Abs(fitted[i] - (double)i / bulkCount), Math.Abs(fitted[i] - (double)(i + 1) / bulkCount)));
        }
        double std = Math.Sqrt(variance);
        return new MarchenkoPasturFit(std, q, large, small, spikes,
            std * (Math.Sqrt(large) + Math.Sqrt(small)),
            Math.Sqrt(large * SpikeThreshold(variance, large, small, q)), ks);
    }

    /// <summary>
    /// λ₊ plus <see cref="TracyWidomMargin"/> scales of the largest eigenvalue's Tracy–Widom fluctuation
    /// (Johnstone 2001: scale (√N+√M)(1/√N+1/√M)^⅓ for XᵀX, divided by N here).
    /// </summary>
    private static double SpikeThreshold(double variance, int large, int small, double q)
    {
        double root = Math.Sqrt(large) + Math.Sqrt(small);
        double scale = root * Math.Cbrt(1 / Math.Sqrt(large) + 1 / Math.Sqrt(small)) / large;
        return MarchenkoPastur.Edges(q, variance).Upper + TracyWidomMargin * variance * scale;
    }

    private static int CountAbove(double[] ascending, double threshold)
    {
        int above = 0;
        for (int i = ascending.Length - 1; i >= 0 && ascending[i] > threshold; i--)
        {
            above++;
        }
        return above;
    }
}
