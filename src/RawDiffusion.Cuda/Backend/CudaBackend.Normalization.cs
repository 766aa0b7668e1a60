using RawDiffusion.Backends;
using RawDiffusion.Cuda.Kernels;

namespace RawDiffusion.Cuda;

/// <summary>Layer, group and batch normalisation passes (kernels/normalization.cu) on contiguous operands, as on the
/// CPU; optional operands (weight, bias, the sums) are 0 when absent. The per-element passes tile rows: (outer,
/// channel) rows of Inner elements when Inner &gt; 1, rows of Channels elements when Inner == 1.</summary>
public sealed partial class CudaBackend
{
    public void NormStatistics(StridedView x, NormLayout layout, StridedView mean, StridedView variance)
    {
        var dtype = FloatingDType(x.Buffer, "normalisation");
        NormStatistics(dtype, Dense(x, layout.Numel, dtype), layout, Dense(mean, layout.StatCount, dtype), Dense(variance, layout.StatCount, dtype));
    }

    public void NormForward(StridedView x, StridedView mean, StridedView variance, double eps, StridedView? weight, StridedView? bias,
                            NormLayout layout, StridedView y, NormActivation activation = NormActivation.None, StridedView? preActivation = null)
    {
        var dtype = FloatingDType(x.Buffer, "normalisation");
        if (!Enum.IsDefined(activation)) throw new ArgumentOutOfRangeException(nameof(activation), activation, "unknown normalisation activation");
        NormForward(dtype, Dense(x, layout.Numel, dtype), Dense(mean, layout.StatCount, dtype), Dense(variance, layout.StatCount, dtype), eps,
            Dense(weight, layout.Channels, dtype), Dense(bias, layout.Channels, dtype), layout, Dense(y, layout.Numel, dtype),
            activation, activation == NormActivation.None ? 0 : Dense(preActivation, layout.Numel, dtype));
    }

    public void NormBackwardSums(StridedView x, StridedView gradient, StridedView mean, StridedView variance, double eps, StridedView? weight,
                                 NormLayout layout, StridedView? statGradSum, StridedView? statGradXhatSum,
                                 StridedView? channelGradSum, StridedView? channelGradXhatSum)
    {
        var dtype = FloatingDType(x.Buffer, "normalisation");
        NormBackwardSums(dtype, Dense(x, layout.Numel, dtype), Dense(gradient, layout.Numel, dtype),
            Dense(mean, layout.StatCount, dtype), Dense(variance, layout.StatCount, dtype), eps, Dense(weight, layout.Channels, dtype), layout,
            Dense(statGradSum, layout.StatCount, dtype), Dense(statGradXhatSum, layout.StatCount, dtype),
            Dense(channelGradSum, layout.Channels, dtype), Dense(channelGradXhatSum, layout.Channels, dtype));
    }

    public void NormBackward(StridedView x, StridedView gradient, StridedView mean, StridedView variance, double eps, StridedView? weight,
                             StridedView? statGradSum, StridedView? statGradXhatSum, NormLayout layout, StridedView dx)
    {
        var dtype = FloatingDType(x.Buffer, "normalisation");
        NormBackward(dtype, Dense(x, layout.Numel, dtype), Dense(gradient, layout.Numel, dtype),
            Dense(mean, layout.StatCount, dtype), Dense(variance, layout.StatCount, dtype), eps, Dense(weight, layout.Channels, dtype),
            Dense(statGradSum, layout.StatCount, dtype), Dense(statGradXhatSum, layout.StatCount, dtype), layout, Dense(dx, layout.Numel, dtype));
    }

    /// <summary>Fewest outer indices a block of the column-sum kernel takes.</summary>
    const int MinColumnSegmentRows = 64;
    const int MaxGridDimY = 65535;

    public void NormStatistics(DType dtype, nint x, NormLayout layout, nint mean, nint variance)
    {
        RequireFloating(dtype, nameof(NormStatistics));
        CheckLayout(layout);
        if (layout.StatCount == 0) return;
        var arguments = new KernelArguments();
        arguments.Add(x);
        arguments.Add(NormalizationShape.From(layout));
        arguments.Add(mean);
        arguments.Add(variance);
        launcher.Launch(Typed("norm_statistics", dtype), RowTiles(layout.StatCount, layout.GroupCount), ref arguments);
    }

    public void NormForward(DType dtype, nint x, nint mean, nint variance, double eps, nint weight, nint bias, NormLayout layout, nint y,
                            NormActivation activation = NormActivation.None, nint preActivation = 0)
    {
        RequireFloating(dtype, nameof(NormForward));
        CheckLayout(layout);
        if (layout.Numel == 0) return;
        var arguments = new KernelArguments();
        arguments.Add(x);
        arguments.Add(mean);
        arguments.Add(variance);
        arguments.Add(eps);
        arguments.Add(weight);
        arguments.Add(bias);
        arguments.Add(NormalizationShape.From(layout));
        arguments.Add(y);
        arguments.Add((int)activation);
        arguments.Add(preActivation);
        launcher.Launch(Typed("norm_forward", dtype), ElementRows(layout), ref arguments);
    }

    /// <summary>Σ g·w and Σ g·w·x̂ per statistic, Σ g and Σ g·x̂ per channel (each output 0 when not wanted), in double
    /// through device scratch: a pass per row (and, for Inner == 1, per column), then one thread per output.</summary>
    public void NormBackwardSums(DType dtype, nint x, nint gradient, nint mean, nint variance, double eps, nint weight, NormLayout layout,
                                 nint statGradSum, nint statGradXhatSum, nint channelGradSum, nint channelGradXhatSum)
    {
        RequireFloating(dtype, nameof(NormBackwardSums));
        CheckLayout(layout);
        bool needStats = statGradSum != 0 || statGradXhatSum != 0;
        bool needChannels = channelGradSum != 0 || channelGradXhatSum != 0 || (needStats && layout.SharedAcrossOuter);
        if (!needStats && !needChannels) return;
        var shape = NormalizationShape.From(layout);
        bool channelRows = layout.Inner > 1;
        long rows = channelRows ? (long)layout.Outer * layout.Channels : (long)layout.Outer * layout.Groups;
        bool rowSums = channelRows || (needStats && !layout.SharedAcrossOuter);
        bool columnSums = !channelRows && needChannels;
        var rowScratch = rowSums ? allocator.Allocate(2 * rows * sizeof(double)) : null;
        var columnScratch = columnSums ? allocator.Allocate(2L * layout.Channels * sizeof(double)) : null;
        try
        {
            nint rowG = rowScratch?.Pointer ?? 0, rowGX = rowG == 0 ? 0 : rowG + (nint)(rows * sizeof(double));
            nint columnG = columnScratch?.Pointer ?? 0, columnGX = columnG == 0 ? 0 : columnG + layout.Channels * sizeof(double);
            if (rowSums && rows > 0)
            {
                var arguments = new KernelArguments();
                arguments.Add(x);
                arguments.Add(gradient);
                arguments.Add(mean);
                arguments.Add(variance);
                arguments.Add(eps);
                arguments.Add(weight);
                arguments.Add(shape);
                arguments.Add(rowG);
                arguments.Add(rowGX);
                launcher.Launch(Typed("norm_backward_row_sums", dtype), RowTiles(rows, channelRows ? layout.Inner : layout.GroupSize), ref arguments);
            }
            if (columnSums && layout.Channels > 0)
            {
                context.SetWords(columnG, 0, 4L * layout.Channels);
                if (layout.Outer > 0) LaunchColumnSums(dtype, x, gradient, mean, variance, eps, layout, shape, columnG, columnGX);
            }
            int statOutputs = needStats ? layout.StatCount : 0;
            long outputs = (long)layout.Channels + statOutputs;
            if (outputs == 0) return;
            var finish = new KernelArguments();
            finish.Add(rowG);
            finish.Add(rowGX);
            finish.Add(columnG);
            finish.Add(columnGX);
            finish.Add(weight);
            finish.Add(shape);
            finish.Add(statOutputs);
            finish.Add(statGradSum);
            finish.Add(statGradXhatSum);
            finish.Add(channelGradSum);
            finish.Add(channelGradXhatSum);
            launcher.Launch(Typed("norm_backward_finish", dtype), launcher.Linear(outputs), ref finish);
        }
        finally
        {
            // Safe before the kernels ran: the blocks are only reused by work queued later on the same stream.
            if (rowScratch != null) allocator.Free(rowScratch);
            if (columnScratch != null) allocator.Free(columnScratch);
        }
    }

    /// <summary>The column kernel's grid: 32-channel tiles across x, segments of the outer axis across y, enough
    /// blocks to fill the GPU a few times over; each segment at least <see cref="MinColumnSegmentRows"/> rows.</summary>
    void LaunchColumnSums(DType dtype, nint x, nint gradient, nint mean, nint variance, double eps, NormLayout layout, NormalizationShape shape,
                          nint columnG, nint columnGX)
    {
        long maxBlocks = (long)context.MultiprocessorCount * LaunchConfig.BlocksPerMultiprocessor;
        long tiles = Math.Min((layout.Channels + 31) / 32, maxBlocks);
        long wantedSegments = Math.Max(1, (4L * context.MultiprocessorCount + tiles - 1) / tiles);
        long segmentRows = Math.Max(MinColumnSegmentRows, (layout.Outer + wantedSegments - 1) / wantedSegments);
        segmentRows = Math.Max(segmentRows, (layout.Outer + MaxGridDimY - 1) / MaxGridDimY);
        long segments = (layout.Outer + segmentRows - 1) / segmentRows;
        var arguments = new KernelArguments();
        arguments.Add(x);
        arguments.Add(gradient);
        arguments.Add(mean);
        arguments.Add(variance);
        arguments.Add(eps);
        arguments.Add(shape);
        arguments.Add((int)segmentRows);
        arguments.Add(columnG);
        arguments.Add(columnGX);
        var config = new LaunchConfig(new Dim3((uint)tiles, (uint)segments), new Dim3(32, 8));
        launcher.Launch(Typed("norm_backward_column_sums", dtype), config, ref arguments);
    }

    public void NormBackward(DType dtype, nint x, nint gradient, nint mean, nint variance, double eps, nint weight,
                             nint statGradSum, nint statGradXhatSum, NormLayout layout, nint dx)
    {
        RequireFloating(dtype, nameof(NormBackward));
        CheckLayout(layout);
        if (layout.Numel == 0) return;
        var arguments = new KernelArguments();
        arguments.Add(x);
        arguments.Add(gradient);
        arguments.Add(mean);
        arguments.Add(variance);
        arguments.Add(eps);
        arguments.Add(weight);
        arguments.Add(statGradSum);
        arguments.Add(statGradXhatSum);
        arguments.Add(NormalizationShape.From(layout));
        arguments.Add(dx);
        launcher.Launch(Typed("norm_backward", dtype), ElementRows(layout), ref arguments);
    }

    /// <summary>The per-element passes' rows: (outer, channel) rows of Inner elements, or rows of Channels when Inner is 1.</summary>
    LaunchConfig ElementRows(NormLayout layout) => layout.Inner > 1
        ? RowTiles((long)layout.Outer * layout.Channels, layout.Inner)
        : RowTiles(layout.Outer, layout.Channels);

    static void CheckLayout(NormLayout layout)
    {
        bool groupsFit = layout.GroupSize > 0 ? layout.Channels % layout.GroupSize == 0 : layout.GroupSize == 0 && layout.Channels == 0;
        if (layout.Outer < 0 || layout.Channels < 0 || layout.Inner < 0 || !groupsFit)
            throw new ArgumentException($"invalid normalisation layout {layout}: sizes must not be negative and the group size must divide the channels", nameof(layout));
    }
}
