namespace RawDiffusion.Spectrum;

/// <summary>
/// Every figure of one matrix's spectrum analysis. Singular values are those of the matrix as stored; eigenvalues are
/// λ = s²/N of WᵀW/N with N = max(rows, columns), M = min(rows, columns), q = M/N.
/// </summary>
/// <param name="SpectrumSigma">Spectrum's robust noise scale of the singular values, (Q75 − Q25)/1.349.</param>
/// <param name="SpectrumThreshold">Spectrum's threshold SpectrumSigma·(1 + √q).</param>
/// <param name="SpectrumSnr">Spectrum's SNR: (Σ s above the threshold / Σ s at or below) / s_max; +∞ when nothing is at or below.</param>
/// <param name="NoiseStd">Per-entry noise standard deviation σ of the Marchenko–Pastur fit of the bulk; null when the matrix has fewer than <see cref="MarchenkoPasturFit.MinimumValues"/> singular values.</param>
/// <param name="BulkEdge">Upper bulk edge of the fit in singular values, σ(√N + √M) (the paper's ε₊).</param>
/// <param name="SpikeThreshold">BulkEdge plus a Tracy–Widom margin (4 scales) for finite-size fluctuations; singular values above it are spikes.</param>
/// <param name="Spikes">Number of singular values above SpikeThreshold.</param>
/// <param name="SpikeMass">Fraction of spectral mass Σ s² in the spikes.</param>
/// <param name="PaperSnr">D2NWG Eq. 8: Σ s ≥ BulkEdge / Σ s below it; +∞ when nothing is below.</param>
/// <param name="FitError">Kolmogorov–Smirnov distance between the bulk's eigenvalues and the fitted law.</param>
public sealed record MatrixSpectrum(
    int Rows,
    int Columns,
    double AspectRatio,
    double LargestSingularValue,
    double SpectrumSigma,
    double SpectrumThreshold,
    double SpectrumSnr,
    double? NoiseStd,
    double? BulkEdge,
    double? SpikeThreshold,
    int Spikes,
    double SpikeMass,
    double? PaperSnr,
    double? FitError)
{
    /// <summary>Analyses the singular values (any order) of a rows×columns matrix.</summary>
    public static MatrixSpectrum Analyse(IReadOnlyList<double> singularValues, int rows, int columns)
    {
        double[] s = singularValues.OrderByDescending(x => x).ToArray();
        int n = Math.Max(rows, columns), m = Math.Min(rows, columns);
        double q = (double)m / n;
        double largest = s.Length > 0 ? s[0] : 0;

        // Spectrum (cognitivecomputations/spectrum): torch.quantile's linear interpolation.
        double sigma = (Quantile(s, 0.75) - Quantile(s, 0.25)) / 1.349;
        double threshold = sigma * (1 + Math.Sqrt(q));
        double signal = s.Where(x => x > threshold).Sum();
        double noise = s.Where(x => x <= threshold).Sum();
        double spectrumSnr = noise == 0 ? double.PositiveInfinity : signal / noise / largest;

        MarchenkoPasturFit? fit = MarchenkoPasturFit.TryFit(s, n, m);
        if (fit is null)
        {
            return new MatrixSpectrum(rows, columns, q, largest, sigma, threshold, spectrumSnr, null, null, null, 0, 0, null, null);
        }
        double edge = fit.BulkEdgeSingularValue;
        double above = s.Where(x => x >= edge).Sum();
        double below = s.Where(x => x < edge).Sum();
        double energy = s.Sum(x => x * x);
        double spikeEnergy = s.Take(fit.Spikes).Sum(x => x * x);
        return new MatrixSpectrum(rows, columns, q, largest, sigma, threshold, spectrumSnr,
            fit.NoiseStd, edge, fit.SpikeThresholdSingularValue, fit.Spikes, energy > 0 ? spikeEnergy / energy : 0,
            below == 0 ? double.PositiveInfinity : above / below, fit.KolmogorovSmirnov);
    }

    /// <summary>torch.quantile (linear interpolation between order statistics) of values sorted descending.</summary>
    private static double Quantile(double[] descending, double p)
    {
        if (descending.Length == 0)
        {
            return 0;
        }
        double position = p * (descending.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, descending.Length - 1);
        double low = descending[descending.Length - 1 - below];
        double high = descending[descending.Length - 1 - above];
        return low + (position - below) * (high - low);
    }
}
