namespace RawDiffusion.Spectrum;

/// <summary>
/// The Marchenko–Pastur law for an N×M matrix (N ≥ M) of i.i.d. entries with variance σ²: the M eigenvalues of
/// WᵀW/N fill [σ²(1−√q)², σ²(1+√q)²], q = M/N, with density
/// p(λ) = √((λ₊−λ)(λ−λ₋)) / (2π σ² q λ); equivalently the singular values of W lie in σ(√N ± √M).
/// </summary>
public static class MarchenkoPastur
{
    private const int GridPoints = 4096;

    /// <summary>Density of the eigenvalues λ of WᵀW/N at <paramref name="lambda"/> (0 outside the bulk).</summary>
    public static double Density(double lambda, double q, double variance)
    {
        (double lower, double upper) = Edges(q, variance);
        if (lambda <= lower || lambda >= upper || lambda <= 0)
        {
            return 0;
        }
        return Math.Sqrt((upper - lambda) * (lambda - lower)) / (2 * Math.PI * variance * q * lambda);
    }

    /// <summary>The bulk edges λ₋ = σ²(1−√q)², λ₊ = σ²(1+√q)².</summary>
    public static (double Lower, double Upper) Edges(double q, double variance)
    {
        double root = Math.Sqrt(q);
        return (variance * (1 - root) * (1 - root), variance * (1 + root) * (1 + root));
    }

    /// <summary>
    /// Quantiles of the law with σ² = 1 at the probabilities <paramref name="probabilities"/> (ascending).
    /// </summary>
    public static double[] Quantiles(double q, IReadOnlyList<double> probabilities)
    {
        (double[] lambda, double[] cdf) = CdfGrid(q);
        var result = new double[probabilities.Count];
        int j = 0;
        for (int k = 0; k < result.Length; k++)
        {
            double target = probabilities[k];
            while (j < GridPoints - 1 && cdf[j + 1] < target)
            {
                j++;
            }
            result[k] = Interpolate(cdf, lambda, j, target);
        }
        return result;
    }

    /// <summary>The law's CDF (σ² = 1) at the ascending points <paramref name="lambdas"/>.</summary>
    public static double[] Cdf(double q, IReadOnlyList<double> lambdas)
    {
        (double[] lambda, double[] cdf) = CdfGrid(q);
        var result = new double[lambdas.Count];
        int j = 0;
        for (int k = 0; k < result.Length; k++)
        {
            double x = lambdas[k];
            if (x <= lambda[0])
            {
                result[k] = 0;
                continue;
            }
            if (x >= lambda[GridPoints])
            {
                result[k] = 1;
                continue;
            }
            while (j < GridPoints - 1 && lambda[j + 1] < x)
            {
                j++;
            }
            result[k] = Interpolate(lambda, cdf, j, x);
        }
        return result;
    }

    private static double Interpolate(double[] from, double[] to, int j, double x)
    {
        double span = from[j + 1] - from[j];
        double t = span > 0 ? Math.Clamp((x - from[j]) / span, 0, 1) : 0;
        return to[j] + t * (to[j + 1] - to[j]);
    }

    /// <summary>
    /// The CDF (σ² = 1) on a grid, integrated under the substitution λ = λ₋ + (λ₊−λ₋)(1−cos θ)/2, which removes the
    /// square-root edges: p(λ) dλ = h² sin²θ / (2π q λ) dθ with h = (λ₊−λ₋)/2.
    /// </summary>
    private static (double[] Lambda, double[] Cdf) CdfGrid(double q)
    {
        (double lower, double upper) = Edges(q, 1);
        double half = (upper - lower) / 2;
        var lambda = new double[GridPoints + 1];
        var cdf = new double[GridPoints + 1];
        double previous = 0;
        for (int i = 0; i <= GridPoints; i++)
        {
            double theta = Math.PI * i / GridPoints;
            lambda[i] = lower + half * (1 - Math.Cos(theta));
            double sine = Math.Sin(theta);
            // At λ = 0 (q = 1, θ = 0) the integrand tends to h² θ² / (2π q h θ²/2) = h / (π q).
            double integrand = lambda[i] > 0 ? half * half * sine * sine / (2 * Math.PI * q * lambda[i]) : half / (Math.PI * q);
            if (i > 0)
            {
                cdf[i] = cdf[i - 1] + (previous + integrand) / 2 * (Math.PI / GridPoints);
            }
            previous = integrand;
        }
        double total = cdf[GridPoints];
        for (int i = 0; i <= GridPoints; i++)
        {
            cdf[i] /= total;
        }
        return (lambda, cdf);
    }
}
