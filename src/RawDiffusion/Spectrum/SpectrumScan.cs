using System.Diagnostics;

namespace RawDiffusion.Spectrum;

/// <summary>Computes singular values on some device (the CPU, or CUDA in RawDiffusion.Cuda).</summary>
public interface ISingularValueSolver
{
    string Device { get; }

    /// <summary>Singular values in descending order.</summary>
    double[] Compute(IMatrixSource matrix);
}

/// <summary>The CPU solver: <see cref="SingularValues.Compute(IMatrixSource)"/>.</summary>
public sealed class CpuSingularValueSolver : ISingularValueSolver
{
    public string Device => "cpu";

    public double[] Compute(IMatrixSource matrix) => SingularValues.Compute(matrix);
}

/// <summary>One analysed matrix.</summary>
public sealed record MatrixResult(CheckpointTensor Tensor, MatrixSpectrum Spectrum, double[] SingularValues, double Seconds);

/// <summary>Progress of a scan: tensors done (analysed or skipped) of the total, and the one being analysed next.</summary>
public readonly record struct ScanProgress(int Done, int Total, string Current, TimeSpan Elapsed);

/// <summary>Analyses every matrix of a checkpoint, one tensor at a time (only one tensor's Gram matrix is ever in memory).</summary>
public static class SpectrumScan
{
    private const long LargeMatrixElements = 1L << 22;

    /// <param name="layers">Only layers with index below this (null: all); tensors without a layer number are kept.</param>
    /// <param name="match">Only tensors whose name contains this (null: all).</param>
    public static SpectrumReport Run(CheckpointMatrices checkpoint, ISingularValueSolver solver, int? layers = null, string? match = null,
        IProgress<ScanProgress>? progress = null, CancellationToken cancel = default)
    {
        var selected = checkpoint.Tensors.Where(t => (layers is null || t.Module.Layer is null || t.Module.Layer < layers)
            && (match is null || t.Name.Contains(match, StringComparison.Ordinal))).ToList();
        var results = new List<MatrixResult>();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < selected.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            CheckpointTensor tensor = selected[i];
            progress?.Report(new ScanProgress(i, selected.Count, tensor.Name, clock.Elapsed));
            if (tensor.SkipReason is not null)
            {
                continue;
            }
            long start = Stopwatch.GetTimestamp();
            double[] values;
            using (SafeTensorMatrix matrix = checkpoint.Matrix(tensor))
            {
                values = solver.Compute(matrix);
            }
            MatrixSpectrum spectrum = MatrixSpectrum.Analyse(values, tensor.Rows, tensor.Columns);
            results.Add(new MatrixResult(tensor, spectrum, values, Stopwatch.GetElapsedTime(start).TotalSeconds));
            if ((long)tensor.Rows * tensor.Columns >= LargeMatrixElements)
            {
                // A large matrix leaves a Gram matrix of up to hundreds of MiB behind; collect it now so the next one's
                // does not come on top, which keeps the scan's peak at one tensor's working set.
                GC.Collect();
            }
        }
        progress?.Report(new ScanProgress(selected.Count, selected.Count, "", clock.Elapsed));
        return new SpectrumReport(checkpoint.Path, solver.Device, results,
            selected.Where(t => t.SkipReason is not null).ToList(), clock.Elapsed.TotalSeconds);
    }
}
