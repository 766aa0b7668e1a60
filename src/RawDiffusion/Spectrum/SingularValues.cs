namespace RawDiffusion.Spectrum;

/// <summary>
/// Singular values of matrices on the CPU, all in float64 arithmetic whatever the stored type. A matrix is reduced to the
/// Gram matrix of its smaller side (<see cref="GramMatrix"/>, float64 GEMMs) whose eigenvalues
/// (<see cref="SymmetricEigenvalues"/>) are the squared singular values. Squaring costs accuracy only for singular values
/// below about √ε·σmax ≈ 1e-8·σmax, far under what a spectrum of float32/bfloat16 weights can resolve. Batches of
/// small matrices use one-sided Jacobi per matrix instead, in parallel.
/// </summary>
public static class SingularValues
{
    /// <summary>Singular values in descending order, min(rows, columns) of them.</summary>
    public static double[] Compute(IMatrixSource source)
    {
        double[] gram = GramMatrix.Compute(source, out int order);
        double[] eigenvalues;
        try
        {
            eigenvalues = SymmetricEigenvalues.Compute(gram, order);
        }
        finally
        {
            System.Buffers.ArrayPool<double>.Shared.Return(gram);
        }
        for (int i = 0; i < eigenvalues.Length; i++)
        {
            // Rounding can leave eigenvalues of a positive semi-definite matrix slightly negative.
            eigenvalues[i] = Math.Sqrt(Math.Max(0, eigenvalues[i]));
        }
        return eigenvalues;
    }

    public static double[] Compute(float[] matrix, int rows, int columns) => Compute(new ArrayMatrix<float>(matrix, rows, columns));

    public static double[] Compute(double[] matrix, int rows, int columns) => Compute(new ArrayMatrix<double>(matrix, rows, columns));

    /// <summary>
    /// Singular values of each of <paramref name="batch"/> row-major rows×columns matrices stored one after another
    /// (e.g. attention heads, or convolution kernels as out × in·k·k), by one-sided Jacobi in parallel.
    /// </summary>
    public static double[][] ComputeBatched(ReadOnlySpan<float> matrices, int batch, int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        long size = (long)rows * columns;
        if (matrices.Length != batch * size)
        {
            throw new ArgumentException($"{matrices.Length} values do not make {batch} matrices of {rows}x{columns}", nameof(matrices));
        }
        double[] values = new double[matrices.Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = matrices[i];
            if (!double.IsFinite(values[i]))
            {
                throw new InvalidDataException($"matrix {i / size} of the batch holds a non-finite value at element {i % size}");
            }
        }
        var results = new double[batch][];
        Parallel.For(0, batch, () => new double[size], (item, _, work) =>
        {
            results[item] = JacobiSingularValues.Compute(values.AsSpan((int)(item * size), (int)size), rows, columns, work);
            return work;
        }, _ => { });
        return results;
    }
}
