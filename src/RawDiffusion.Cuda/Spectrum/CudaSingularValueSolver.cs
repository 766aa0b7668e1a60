using RawDiffusion.Backends;
using RawDiffusion.Spectrum;

namespace RawDiffusion.Cuda;

/// <summary>
/// Singular values with the GPU doing the O(m n²) part: the float64 Gram matrix of the smaller side is accumulated on the
/// device by cuBLAS DGEMM over slabs of the matrix (read from the memory-mapped file and uploaded one slab at a time),
/// then copied back and solved by <see cref="SymmetricEigenvalues"/> on the host. Batches of small matrices run through
/// the one-sided Jacobi kernel (kernels/spectrum.cu), one thread block per matrix.
/// </summary>
public sealed class CudaSingularValueSolver(CudaBackend backend) : ISingularValueSolver
{
    /// <summary>Values per uploaded slab (32 MiB of float64), as on the CPU.</summary>
    private const int SlabElements = 1 << 22;

    public string Device => $"cuda ({backend.Name})";

    public double[] Compute(IMatrixSource matrix)
    {
        int rows = matrix.Rows, columns = matrix.Columns;
        bool wide = rows <= columns;
        int order = wide ? rows : columns, length = wide ? columns : rows;
        if (order == 0)
        {
            return [];
        }
        if ((long)order * order > Array.MaxLength)
        {
            throw new ArgumentException($"{matrix.Description} is {rows}x{columns}; its {order}x{order} Gram matrix exceeds one .NET array");
        }
        int slab = Math.Clamp(SlabElements / order, 1, length);
        var host = new double[(long)order * slab];
        DeviceBuffer gram = backend.Allocate(DType.Float64, (long)order * order);
        DeviceBuffer block = backend.Allocate(DType.Float64, (long)order * slab);
        try
        {
            for (int start = 0; start < length; start += slab)
            {
                int count = Math.Min(slab, length - start);
                int values = order * count;
                if (wide)
                {
                    matrix.ReadBlock(0, rows, start, count, host);
                }
                else
                {
                    matrix.ReadBlock(start, count, 0, columns, host);
                }
                MatrixEntries.RequireFinite(matrix, host.AsSpan(0, values), wide ? count : columns, wide ? 0 : start, wide ? start : 0);
                backend.Upload<double>(host.AsSpan(0, values), block, 0);
                double beta = start == 0 ? 0 : 1;
                if (wide)
                {
                    // B is order×count: G += B Bᵀ.
                    backend.Gemm(false, true, order, order, count, 1, block, 0, count, 0, block, 0, count, 0, beta, gram, 0, order, 0, 1);
                }
                else
                {
                    // B is count×order: G += Bᵀ B.
                    backend.Gemm(true, false, order, order, count, 1, block, 0, order, 0, block, 0, order, 0, beta, gram, 0, order, 0, 1);
                }
            }
            var g = new double[(long)order * order];
            backend.Download<double>(gram, 0, g);
            double[] eigenvalues = SymmetricEigenvalues.Compute(g, order);
            return eigenvalues.Select(x => Math.Sqrt(Math.Max(0, x))).ToArray();
        }
        finally
        {
            block.Dispose();
            gram.Dispose();
        }
    }

    /// <summary>Singular values (descending) of each of <paramref name="batch"/> row-major rows×columns matrices, by the
    /// Jacobi kernel.</summary>
    public double[][] ComputeBatched(ReadOnlySpan<float> matrices, int batch, int rows, int columns)
    {
        int size = rows * columns;
        if (matrices.Length != (long)batch * size)
        {
            throw new ArgumentException($"{matrices.Length} values do not make {batch} matrices of {rows}x{columns}", nameof(matrices));
        }
        (int length, int count) = JacobiSingularValues.Layout(rows, columns);
        var vectors = new double[(long)batch * size];
        var item = new double[size];
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < size; i++)
            {
                item[i] = matrices[b * size + i];
                if (!double.IsFinite(item[i]))
                {
                    throw new InvalidDataException($"matrix {b} of the batch holds a non-finite value at element {i}");
                }
            }
            JacobiSingularValues.Arrange(item, rows, columns, vectors.AsSpan(b * size, size));
        }
        using DeviceBuffer device = backend.Allocate(DType.Float64, vectors.Length);
        using DeviceBuffer values = backend.Allocate(DType.Float64, (long)batch * count);
        backend.Upload<double>(vectors, device, 0);
        backend.JacobiSingularValues(device, values, batch, length, count);
        var result = new double[(long)batch * count];
        backend.Download<double>(values, 0, result);
        return Enumerable.Range(0, batch).Select(b => result.AsSpan(b * count, count).ToArray().OrderDescending().ToArray()).ToArray();
    }
}
