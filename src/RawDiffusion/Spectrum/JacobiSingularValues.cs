namespace RawDiffusion.Spectrum;

/// <summary>
/// One-sided (Hestenes) Jacobi SVD in float64, singular values only: columns are rotated in pairs until all are mutually
/// orthogonal, and their norms are the singular values. Accurate to float64 rounding even for tiny singular values, and
/// independent per matrix, which makes it the method for batches of small matrices (attention heads, convolution
/// kernels). <c>kernels/spectrum.cu</c>'s <c>jacobi_singular_values</c> is its CUDA twin (one thread block per matrix).
/// </summary>
public static class JacobiSingularValues
{
    public const int MaxSweeps = 60;

    /// <summary>Relative orthogonality at which a pair counts as converged.</summary>
    public const double Tolerance = 1e-15;

    /// <summary>
    /// Singular values (descending) of the row-major rows×columns matrix in <paramref name="matrix"/>.
    /// <paramref name="work"/> needs rows·columns values and is overwritten.
    /// </summary>
    public static double[] Compute(ReadOnlySpan<double> matrix, int rows, int columns, Span<double> work)
    {
        Arrange(matrix, rows, columns, work);
        (int length, int count) = Layout(rows, columns);
        Orthogonalise(work, length, count);
        var values = new double[count];
        for (int j = 0; j < count; j++)
        {
            double sum = 0;
            foreach (double x in work.Slice(j * length, length))
            {
                sum += x * x;
            }
            values[j] = Math.Sqrt(sum);
        }
        Array.Sort(values, (x, y) => y.CompareTo(x));
        return values;
    }

    /// <summary>
    /// The vectors that are rotated: the columns of the tall orientation (the shorter side, so fewer pairs), each
    /// <c>length</c> long, <c>count</c> of them.
    /// </summary>
    public static (int Length, int Count) Layout(int rows, int columns) => rows < columns ? (columns, rows) : (rows, columns);

    /// <summary>Writes the matrix's vectors one after another (vector j at j·length), so each rotation streams two contiguous runs.</summary>
    public static void Arrange(ReadOnlySpan<double> matrix, int rows, int columns, Span<double> vectors)
    {
        bool transpose = rows < columns;
        (int length, _) = Layout(rows, columns);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                vectors[transpose ? r * length + c : c * length + r] = matrix[r * columns + c];
            }
        }
    }

    /// <summary>Cyclic sweeps over all pairs until every pair is orthogonal to <see cref="Tolerance"/>.</summary>
    public static void Orthogonalise(Span<double> vectors, int length, int count)
    {
        for (int sweep = 0; sweep < MaxSweeps; sweep++)
        {
            bool rotated = false;
            for (int p = 0; p < count - 1; p++)
            {
                Span<double> x = vectors.Slice(p * length, length);
                for (int q = p + 1; q < count; q++)
                {
                    Span<double> y = vectors.Slice(q * length, length);
                    double alpha = 0, beta = 0, gamma = 0;
                    for (int i = 0; i < length; i++)
                    {
                        alpha += x[i] * x[i];
                        beta += y[i] * y[i];
                        gamma += x[i] * y[i];
                    }
                    if (gamma == 0 || Math.Abs(gamma) <= Tolerance * Math.Sqrt(alpha * beta))
                    {
                        continue;
                    }
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.CopySign(1, zeta) / (Math.Abs(zeta) + Math.Sqrt(1 + zeta * zeta));
                    double c = 1 / Math.Sqrt(1 + t * t);
                    double s = c * t;
                    for (int i = 0; i < length; i++)
                    {
                        double xi = x[i], yi = y[i];
                        x[i] = c * xi - s * yi;
                        y[i] = s * xi + c * yi;
                    }
                }
            }
            if (!rotated)
            {
                return;
            }
        }
    }
}
