namespace RawDiffusion.Backends.Cpu;

/// <summary>Walks up to three strided views of one shape row by row. Dimensions are coalesced first (adjacent
/// dimensions that are contiguous in every view merge, size-1 dimensions vanish), so the common cases become a
/// few long rows whose strides are 1 or 0 and the row kernels can use SIMD.</summary>
internal readonly struct StridedLoop
{
    readonly int[] outerShape;
    readonly long[][] outerStrides;

    public readonly int RowLength;
    public readonly long[] RowStrides;
    public readonly long Rows;

    public StridedLoop(int[] shape, params long[][] strides)
    {
        var dims = new List<int>();
        var strs = strides.Select(_ => new List<long>()).ToArray();
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == 1) continue;
            int last = dims.Count - 1;
            bool merge = last >= 0;
            for (int v = 0; v < strides.Length && merge; v++)
                merge = strs[v][last] == strides[v][i] * shape[i];
            if (merge)
            {
                dims[last] *= shape[i];
                for (int v = 0; v < strides.Length; v++) strs[v][last] = strides[v][i];
            }
            else
            {
                dims.Add(shape[i]);
                for (int v = 0; v < strides.Length; v++) strs[v].Add(strides[v][i]);
            }
        }
        if (ShapeMath.Numel(shape) == 0) { dims.Clear(); dims.Add(0); foreach (var s in strs) { s.Clear(); s.Add(1); } }
        if (dims.Count == 0) { dims.Add(1); foreach (var s in strs) s.Add(1); }
        int r = dims.Count;
        RowLength = dims[r - 1];
        RowStrides = strs.Select(s => s[r - 1]).ToArray();
        outerShape = dims.Take(r - 1).ToArray();
        outerStrides = strs.Select(s => s.Take(r - 1).ToArray()).ToArray();
        Rows = ShapeMath.Numel(outerShape);
    }

    /// <summary>Start offset of row <paramref name="row"/> in view <paramref name="view"/>.</summary>
    public long RowOffset(long row, int view)
    {
        long offset = 0;
        var s = outerStrides[view];
        for (int d = outerShape.Length - 1; d >= 0; d--)
        {
            long idx = row % outerShape[d];
            row /= outerShape[d];
            offset += idx * s[d];
        }
        return offset;
    }

    /// <summary>Runs <paramref name="body"/>(row, firstColumn, columnCount) over every row, split across threads when
    /// the total work is large; a few long rows are cut into column segments so both cores get work.</summary>
    public void ForSegments(Action<long, int, int> body)
    {
        long total = Rows * RowLength;
        if (total < CpuBackend.ParallelThreshold)
        {
            for (long r = 0; r < Rows; r++) body(r, 0, RowLength);
            return;
        }
        int workers = Environment.ProcessorCount * 4;
        if (Rows >= workers)
        {
            long rows = Rows;
            int rowLength = RowLength;
            Parallel.For(0, workers, c =>
            {
                long start = rows * c / workers, end = rows * (c + 1) / workers;
                for (long r = start; r < end; r++) body(r, 0, rowLength);
            });
            return;
        }
        int pieces = (int)((workers + Rows - 1) / Rows);
        int length = RowLength;
        long rowCount = Rows;
        Parallel.For(0, (int)rowCount * pieces, i =>
        {
            long row = i / pieces;
            int p = i % pieces;
            int start = (int)((long)length * p / pieces), end = (int)((long)length * (p + 1) / pieces);
            if (end > start) body(row, start, end - start);
        });
    }
}
