using MathNet.Numerics.LinearAlgebra;
using RawDiffusion.Spectrum;

namespace RawDiffusion.Tests.Spectrum;

/// <summary>Our singular values against MathNet.Numerics' SVD in float64, relative to the largest singular value.</summary>
public sealed class SingularValuesTests
{
    public static TheoryData<int, int> Shapes => new()
    {
        { 60, 150 },   // wide
        { 170, 70 },   // tall
        { 130, 130 },  // square, several bands and panels
        { 1, 40 },     // one row
        { 40, 1 },     // one column
        { 2, 3 },
        { 97, 300 },   // order just above the small-matrix band width rule
        { 300, 420 },  // several Gram blocks, and the band reduction's symmetric product on two threads
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float64MatchesMathNet(int rows, int columns)
    {
        double[] a = Gaussian(rows * columns, seed: rows * 1000 + columns);
        AssertMatches(Reference(a, rows, columns), SingularValues.Compute(a, rows, columns), 1e-5);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float32MatchesMathNet(int rows, int columns)
    {
        float[] a = Gaussian(rows * columns, seed: rows * 7 + columns).Select(x => (float)x).ToArray();
        double[] exact = Reference(a.Select(x => (double)x).ToArray(), rows, columns);
        AssertMatches(exact, SingularValues.Compute(a, rows, columns), 1e-3);
    }

    [Fact]
    public void RankDeficientHasZeroSingularValues()
    {
        // 120x200 of rank 7: product of 120x7 and 7x200 Gaussians.
        double[] left = Gaussian(120 * 7, 1), right = Gaussian(7 * 200, 2);
        var a = new double[120 * 200];
        for (int r = 0; r < 120; r++)
            for (int c = 0; c < 200; c++)
                for (int k = 0; k < 7; k++)
                    a[r * 200 + c] += left[r * 7 + k] * right[k * 200 + c];
        double[] ours = SingularValues.Compute(a, 120, 200);
        AssertMatches(Reference(a, 120, 200), ours, 1e-5);
        Assert.All(ours.Skip(7), s => Assert.True(s < 1e-5 * ours[0]));
        Assert.All(ours.Take(7), s => Assert.True(s > 1e-3 * ours[0]));
    }

    [Fact]
    public void IllConditionedMatchesMathNet()
    {
        // U diag(10^-k) Vᵀ with singular values from 1 down to 1e-10, built from random orthogonal factors.
        int n = 90;
        var random = new System.Random(3);
        var u = Matrix<double>.Build.Dense(n, n, (_, _) => Normal(random)).QR().Q;
        var v = Matrix<double>.Build.Dense(n, n, (_, _) => Normal(random)).QR().Q;
        var s = Matrix<double>.Build.DenseOfDiagonalArray(Enumerable.Range(0, n).Select(i => Math.Pow(10, -10.0 * i / (n - 1))).ToArray());
        double[] a = (u * s * v.Transpose()).ToRowMajorArray();
        AssertMatches(Reference(a, n, n), SingularValues.Compute(a, n, n), 1e-5);
    }

    [Theory]
    [InlineData(3, 1_500_000)] // wide: the columns are read in two slabs
    [InlineData(1_500_000, 3)] // tall: the rows are read in two slabs
    public void MatrixReadInSlabsMatchesItsGramMatrix(int rows, int columns)
    {
        // The first slab's product overwrites the (pooled, stale) Gram matrix and the second adds to it.
        double[] a = Gaussian(rows * columns, seed: 5);
        int order = Math.Min(rows, columns);
        var gram = Matrix<double>.Build.Dense(order, order, (i, j) =>
        {
            double sum = 0;
            for (int k = 0; k < Math.Max(rows, columns); k++)
            {
                sum += rows < columns ? a[i * columns + k] * a[j * columns + k] : a[k * columns + i] * a[k * columns + j];
            }
            return sum;
        });
        double[] expected = gram.Evd(Symmetricity.Symmetric).EigenValues.Select(e => Math.Sqrt(Math.Max(0, e.Real)))
            .OrderDescending().ToArray();
        AssertMatches(expected, SingularValues.Compute(a, rows, columns), 1e-10);
    }

    [Fact]
    public void PooledWorkArraysDoNotCarryOver()
    {
        // The Gram matrix and the eigensolver's work arrays are reused from call to call.
        double[] large = Gaussian(300 * 420, 11).Select(x => 1e6 * x).ToArray();
        SingularValues.Compute(large, 300, 420);
        double[] a = Gaussian(300 * 420, 12);
        AssertMatches(Reference(a, 300, 420), SingularValues.Compute(a, 300, 420), 1e-5);
    }

    [Fact]
    public void ZeroMatrixHasZeroSingularValues()
    {
        Assert.All(SingularValues.Compute(new double[12], 3, 4), s => Assert.Equal(0, s));
    }

    [Fact]
    public void BatchedJacobiMatchesMathNetPerItem()
    {
        int batch = 9, rows = 12, columns = 27;
        float[] a = Gaussian(batch * rows * columns, 5).Select(x => (float)x).ToArray();
        double[][] ours = SingularValues.ComputeBatched(a, batch, rows, columns);
        for (int item = 0; item < batch; item++)
        {
            double[] slice = a.Skip(item * rows * columns).Take(rows * columns).Select(x => (double)x).ToArray();
            AssertMatches(Reference(slice, rows, columns), ours[item], 1e-12);
        }
    }

    [Fact]
    public void NonFiniteEntryIsNamed()
    {
        double[] a = Gaussian(50, 4);
        a[23] = double.NaN;
        var error = Assert.Throws<InvalidDataException>(() => SingularValues.Compute(new ArrayMatrix<double>(a, 5, 10, "tensor 'w' in f.safetensors")));
        Assert.Contains("tensor 'w' in f.safetensors", error.Message);
        Assert.Contains("NaN at row 2, column 3", error.Message);
    }

    internal static double[] Reference(double[] a, int rows, int columns) =>
        Matrix<double>.Build.DenseOfRowMajor(rows, columns, a).Svd(computeVectors: false).S.ToArray();

    internal static void AssertMatches(double[] expected, double[] actual, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * scale,
                $"singular value {i}: expected {expected[i]:R}, got {actual[i]:R} (max {scale:R})");
        }
    }

    internal static double[] Gaussian(int count, int seed)
    {
        var random = new System.Random(seed);
        return Enumerable.Range(0, count).Select(_ => Normal(random)).ToArray();
    }

    private static double Normal(System.Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
