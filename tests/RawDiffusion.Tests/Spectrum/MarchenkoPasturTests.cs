using RawDiffusion.Spectrum;

namespace RawDiffusion.Tests.Spectrum;

public sealed class MarchenkoPasturTests
{
    [Theory]
    [InlineData(0.5)]
    [InlineData(1.0)]
    [InlineData(0.1)]
    public void DensityIntegratesToOneAndMatchesTheCdf(double q)
    {
        (double lower, double upper) = MarchenkoPastur.Edges(q, 2.0);
        // Midpoint rule on a fine grid; the square-root edges and the 1/√λ pole at q = 1 cost a little accuracy.
        int steps = 400_000;
        double h = (upper - lower) / steps, total = 0, half = 0;
        double median = MarchenkoPastur.Quantiles(q, [0.5])[0] * 2.0;
        for (int i = 0; i < steps; i++)
        {
            double x = lower + (i + 0.5) * h;
            double p = MarchenkoPastur.Density(x, q, 2.0) * h;
            total += p;
            if (x < median) half += p;
        }
        Assert.InRange(total, 0.995, 1.005);
        Assert.InRange(half, 0.495, 0.505);
    }

    [Fact]
    public void GaussianMatrixFitsWithoutSpikesAndTheEdgeWithinTwoPercent()
    {
        int rows = 1000, columns = 2000;
        double std = 0.02;
        double[] a = SingularValuesTests.Gaussian(rows * columns, 11).Select(x => x * std).ToArray();
        MatrixSpectrum result = MatrixSpectrum.Analyse(SingularValues.Compute(a, rows, columns), rows, columns);
        double theory = std * (Math.Sqrt(columns) + Math.Sqrt(rows));
        Assert.Equal(0, result.Spikes);
        Assert.InRange(result.BulkEdge!.Value / theory, 0.98, 1.02);
        Assert.InRange(result.NoiseStd!.Value / std, 0.99, 1.01);
        Assert.True(result.FitError < 0.02, $"KS distance {result.FitError}");
    }

    [Theory]
    [InlineData(400, 700, 1)]
    [InlineData(700, 400, 3)]
    [InlineData(500, 500, 6)]
    public void PlantedLowRankSignalGivesExactlyItsSpikes(int rows, int columns, int rank)
    {
        // Noise with unit entries plus Σ θ_i u_i v_iᵀ with θ_i from 2x to 4x the bulk edge (well past the BBP transition).
        var random = new System.Random(rows + columns + rank);
        double[] a = SingularValuesTests.Gaussian(rows * columns, rank);
        double edge = Math.Sqrt(rows) + Math.Sqrt(columns);
        for (int k = 0; k < rank; k++)
        {
            double[] u = UnitVector(rows, random), v = UnitVector(columns, random);
            double theta = edge * (2 + 2.0 * k / Math.Max(1, rank - 1));
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < columns; c++)
                    a[r * columns + c] += theta * u[r] * v[c];
        }
        MatrixSpectrum result = MatrixSpectrum.Analyse(SingularValues.Compute(a, rows, columns), rows, columns);
        Assert.Equal(rank, result.Spikes);
        Assert.InRange(result.NoiseStd!.Value, 0.98, 1.02);
        Assert.True(result.PaperSnr > 0);
        Assert.True(result.SpikeMass > 0);
    }

    [Fact]
    public void SpectrumSnrFollowsItsDefinition()
    {
        // Singular values 1..10 of a 10x20 matrix: Q25 = 3.25, Q75 = 7.75 (linear interpolation),
        // sigma = 4.5/1.349, threshold = sigma (1 + √0.5); SNR = (Σ s > t / Σ s ≤ t) / 10.
        double[] s = Enumerable.Range(1, 10).Select(x => (double)x).ToArray();
        MatrixSpectrum result = MatrixSpectrum.Analyse(s, 10, 20);
        double sigma = 4.5 / 1.349, threshold = sigma * (1 + Math.Sqrt(0.5));
        double signal = s.Where(x => x > threshold).Sum(), noise = s.Where(x => x <= threshold).Sum();
        Assert.Equal(sigma, result.SpectrumSigma, 12);
        Assert.Equal(signal / noise / 10, result.SpectrumSnr, 12);
    }

    private static double[] UnitVector(int length, System.Random random)
    {
        double[] x = Enumerable.Range(0, length).Select(_ => random.NextDouble() - 0.5).ToArray();
        double norm = Math.Sqrt(x.Sum(v => v * v));
        return x.Select(v => v / norm).ToArray();
    }
}
