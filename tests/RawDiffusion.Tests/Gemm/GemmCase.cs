namespace RawDiffusion.Tests.Gemm;

/// <summary>
/// One GEMM problem with deterministic random operands. Padding elements of A, B and C (the columns
/// between the logical width and the leading dimension) hold NaN or a sentinel so that tests notice a
/// kernel that reads or writes them.
/// </summary>
internal sealed record GemmCase(
    bool TransA, bool TransB, int M, int N, int K,
    double Alpha, double Beta, int PadA = 0, int PadB = 0, int PadC = 0, int Seed = 1)
{
    public const double PaddingSentinel = 12345.0;

    // CBLAS requires ld >= 1 even for an empty row.
    public int Lda => Math.Max(1, TransA ? M : K) + PadA;
    public int Ldb => Math.Max(1, TransB ? K : N) + PadB;
    public int Ldc => Math.Max(1, N) + PadC;
    private int RowsOfA => TransA ? K : M;
    private int RowsOfB => TransB ? N : K;

    public double[] CreateA() => CreateMatrix(RowsOfA, TransA ? M : K, Lda, Seed * 3 + 0, double.NaN);
    public double[] CreateB() => CreateMatrix(RowsOfB, TransB ? K : N, Ldb, Seed * 3 + 1, double.NaN);

    /// <summary>C before the call: NaN inside the matrix when beta is zero (it must not be read), random otherwise.</summary>
    public double[] CreateC()
    {
        double[] c = CreateMatrix(M, N, Ldc, Seed * 3 + 2, PaddingSentinel);
        if (Beta == 0)
        {
            ForEachElement(M, N, Ldc, index => c[index] = double.NaN);
        }

        return c;
    }

    /// <summary>alpha * op(A) * op(B) + beta * C, accumulated in double, plus the magnitude bound of each element.</summary>
    public (double[] Expected, double[] Magnitude) Reference(double[] a, double[] b, double[] c)
    {
        // Dense copies of op(A) (row-major) and op(B) transposed, so the inner loop walks both contiguously.
        var opA = new double[M * K];
        var opBTransposed = new double[N * K];
        for (int p = 0; p < K; p++)
        {
            for (int i = 0; i < M; i++)
            {
                opA[i * K + p] = TransA ? a[p * Lda + i] : a[i * Lda + p];
            }

            for (int j = 0; j < N; j++)
            {
                opBTransposed[j * K + p] = TransB ? b[j * Ldb + p] : b[p * Ldb + j];
            }
        }

        var expected = (double[])c.Clone();
        var magnitude = new double[c.Length];
        for (int i = 0; i < M; i++)
        {
            for (int j = 0; j < N; j++)
            {
                double sum = 0, absoluteSum = 0;
                for (int p = 0; p < K; p++)
                {
                    double product = opA[i * K + p] * opBTransposed[j * K + p];
                    sum += product;
                    absoluteSum += Math.Abs(product);
                }

                int index = i * Ldc + j;
                double scaledC = Beta == 0 ? 0 : Beta * c[index];
                expected[index] = Alpha * sum + scaledC;
                magnitude[index] = Math.Abs(Alpha) * absoluteSum + Math.Abs(scaledC);
            }
        }

        return (expected, magnitude);
    }

    /// <summary>Checks every element against the reference within <paramref name="unitRoundoff"/> * (k + 2) * magnitude, and that padding is untouched.</summary>
    public void AssertMatches(double[] a, double[] b, double[] cBefore, IReadOnlyList<double> actual, double unitRoundoff)
    {
        var (expected, magnitude) = Reference(a, b, cBefore);
        Assert.Equal(expected.Length, actual.Count);
        for (int index = 0; index < expected.Length; index++)
        {
            bool inside = index % Ldc < N;
            if (!inside)
            {
                if (actual[index] != PaddingSentinel)
                {
                    Assert.Fail($"{this}: padding of C at {index} was overwritten with {actual[index]}.");
                }

                continue;
            }

            double tolerance = unitRoundoff * (K + 2) * magnitude[index] + 1e-30;
            double error = Math.Abs(actual[index] - expected[index]);
            // Negated so that NaN fails too; the message is built only on failure because this runs per element.
            if (!(error <= tolerance))
            {
                Assert.Fail($"{this}: C[{index / Ldc},{index % Ldc}] = {actual[index]}, expected {expected[index]} (error {error:E2} > {tolerance:E2}).");
            }
        }
    }

    public void AssertSingleMatches(double[] a, double[] b, double[] cBefore, float[] actual) =>
        AssertMatches(a, b, cBefore, Array.ConvertAll(actual, value => (double)value), FloatRoundoff);

    /// <summary>Unit roundoff of float, doubled to allow for the rounding of the inputs to float.</summary>
    public const double FloatRoundoff = 2 * 6e-8;

    /// <summary>Unit roundoff of double, doubled for the same reason.</summary>
    public const double DoubleRoundoff = 2 * 1.2e-16;

    public static float[] ToSingle(double[] values) => Array.ConvertAll(values, value => (float)value);

    private static double[] CreateMatrix(int rows, int columns, int ld, int seed, double padding)
    {
        var random = new Random(seed);
        var data = new double[rows == 0 || columns == 0 ? 0 : (rows - 1) * ld + columns];
        Array.Fill(data, padding);
        // Values on a float grid so that float and double runs see identical inputs.
        ForEachElement(rows, columns, ld, index => data[index] = (float)(random.NextDouble() * 2 - 1));
        return data;
    }

    private static void ForEachElement(int rows, int columns, int ld, Action<int> action)
    {
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                action(i * ld + j);
            }
        }
    }
}
