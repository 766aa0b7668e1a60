using System.Runtime.CompilerServices;

namespace RawDiffusion.Spectrum;

/// <summary>Checks on blocks read from a <see cref="IMatrixSource"/>.</summary>
public static class MatrixEntries
{
    /// <summary>Throws <see cref="InvalidDataException"/> naming the matrix (tensor and file) and the position of the
    /// first NaN or Inf in <paramref name="block"/>, a row-major block of <paramref name="width"/> columns whose first
    /// element is at (<paramref name="row0"/>, <paramref name="column0"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RequireFinite(IMatrixSource source, ReadOnlySpan<double> block, int width, int row0, int column0)
    {
        for (int index = 0; index < block.Length; index++)
        {
            if (!double.IsFinite(block[index]))
            {
                string what = double.IsNaN(block[index]) ? "NaN" : "Inf";
                throw new InvalidDataException(
                    $"{source.Description} holds {what} at row {row0 + index / width}, column {column0 + index % width}; singular values of a matrix with non-finite entries are undefined");
            }
        }
    }
}
