using RawDiffusion.IO;

namespace RawDiffusion.Spectrum;

/// <summary>A tensor of a memory-mapped safetensors file seen as a rows×columns matrix; blocks are converted to float64 as read.
/// With <paramref name="ownsFile"/>, disposing it disposes the file.</summary>
public sealed class SafeTensorMatrix(SafeTensorsFile file, string name, int rows, int columns, bool ownsFile = false) : IMatrixSource, IDisposable
{
    public void Dispose()
    {
        if (ownsFile)
        {
            file.Dispose();
        }
    }

    public int Rows { get; } = rows;

    public int Columns { get; } = columns;

    public string Description { get; } = $"tensor '{name}' in {file.Path}";

    public void ReadBlock(int row, int rowCount, int column, int columnCount, Span<double> destination)
    {
        if (column == 0 && columnCount == Columns)
        {
            file.ReadFloat64(name, (long)row * Columns, destination[..(rowCount * columnCount)]);
            return;
        }
        for (int r = 0; r < rowCount; r++)
        {
            file.ReadFloat64(name, (long)(row + r) * Columns + column, destination.Slice(r * columnCount, columnCount));
        }
    }
}
