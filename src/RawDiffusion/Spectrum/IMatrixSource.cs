using System.Runtime.CompilerServices;

namespace RawDiffusion.Spectrum;

/// <summary>
/// A row-major matrix read block by block as float64, so a tensor in a memory-mapped file is never copied whole.
/// </summary>
public interface IMatrixSource
{
    int Rows { get; }

    int Columns { get; }

    /// <summary>Names the matrix in error messages, e.g. "tensor 'x' in model-00001.safetensors".</summary>
    string Description { get; }

    /// <summary>Copies rows [row, row+rowCount) × columns [column, column+columnCount) into
    /// <paramref name="destination"/> (row-major, leading dimension columnCount).</summary>
    void ReadBlock(int row, int rowCount, int column, int columnCount, Span<double> destination);
}

/// <summary>An in-memory row-major matrix of float32 or float64 values.</summary>
public sealed class ArrayMatrix<T> : IMatrixSource where T : unmanaged, System.Numerics.INumberBase<T>
{
    private readonly ReadOnlyMemory<T> data;

    public ArrayMatrix(ReadOnlyMemory<T> data, int rows, int columns, string description = "matrix")
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (data.Length != (long)rows * columns)
        {
            throw new ArgumentException($"{description}: {data.Length} values do not make a {rows}x{columns} matrix", nameof(data));
        }
        this.data = data;
        Rows = rows;
        Columns = columns;
        Description = description;
    }

    public int Rows { get; }

    public int Columns { get; }

    public string Description { get; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ReadBlock(int row, int rowCount, int column, int columnCount, Span<double> destination)
    {
        ReadOnlySpan<T> values = data.Span;
        for (int r = 0; r < rowCount; r++)
        {
            ReadOnlySpan<T> source = values.Slice((row + r) * Columns + column, columnCount);
            Span<double> target = destination.Slice(r * columnCount, columnCount);
            for (int c = 0; c < columnCount; c++)
            {
                target[c] = double.CreateTruncating(source[c]);
            }
        }
    }
}
