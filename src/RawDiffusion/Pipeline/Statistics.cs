namespace RawDiffusion.Pipeline;

/// <summary>The summary statistics the report prints: mean, sample standard deviation, and the half-width of a 95%
/// Student-t confidence interval of the mean.</summary>
public static class Statistics
{
    public static double Mean(IReadOnlyCollection<double> values) =>
        values.Count == 0 ? throw new ArgumentException("no values to average") : values.Sum() / values.Count;

    /// <summary>Sample standard deviation (n - 1 in the denominator); 0 for a single value.</summary>
    public static double Std(IReadOnlyCollection<double> values)
    {
        if (values.Count < 2) return 0;
        double mean = Mean(values);
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    /// <summary>Half-width of the 95% confidence interval of the mean: t(0.975, n - 1) * s / sqrt(n); 0 for n &lt; 2.</summary>
    public static double Ci95(IReadOnlyCollection<double> values) =>
        values.Count < 2 ? 0 : StudentT975(values.Count - 1) * Std(values) / Math.Sqrt(values.Count);

    /// <summary>The 97.5% quantile of Student's t with <paramref name="degrees"/> degrees of freedom (table to 30, then
    /// the Cornish–Fisher expansion, exact to 3 decimals).</summary>
    public static double StudentT975(int degrees)
    {
        if (degrees < 1) throw new ArgumentOutOfRangeException(nameof(degrees), degrees, "degrees of freedom must be at least 1");
        double[] table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
                          2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042];
        if (degrees <= table.Length) return table[degrees - 1];
        const double z = 1.959963984540054;
        double n = degrees, z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
        return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n) + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * n * n * n);
    }
}
