using RawDiffusion.Cuda.Memory;
using static RawDiffusion.Cuda.Native.CudaDriver;

namespace RawDiffusion.Cuda;

/// <summary>
/// A fixed piece of GPU work recorded once (CUDA stream capture) and replayed with one launch: for small networks the
/// host's per-kernel launch cost (microseconds each) dominates a step, and a replay pays it once. Opt-in, through
/// <see cref="CudaBackend.CaptureGraph"/>, for work whose shapes and buffers do not change between replays:
/// <list type="bullet">
/// <item>inputs and outputs are tensors created before the capture (or kept from it) and alive while the graph is:
/// a replay reads and writes the same addresses, so new inputs are copied into the captured input tensors;</item>
/// <item>the captured work must not read back to the host (<c>Item()</c>, <c>ToArray()</c>, an index check), which a
/// capture forbids, and host-side values baked into kernel arguments (a learning rate, Adam's bias correction of the
/// step) stay those of the capture, so an optimizer step is not replayable as it stands;</item>
/// <item>temporaries freed during the capture are held by the graph until it is disposed, so nothing else reuses
/// memory a replay writes.</item>
/// </list>
/// Not yet run on a GPU: `Bench gpu --only launch` measures it there and the GPU tests check replay against eager runs.
/// </summary>
public sealed class CudaGraph : IDisposable
{
    readonly CudaContext context;
    readonly CudaCachingAllocator allocator;
    readonly IReadOnlyList<DeviceBlock> held;
    nint graph, exec;
    bool disposed;

    CudaGraph(CudaContext context, CudaCachingAllocator allocator, nint graph, nint exec, IReadOnlyList<DeviceBlock> held, int nodes)
    {
        this.context = context;
        this.allocator = allocator;
        this.graph = graph;
        this.exec = exec;
        this.held = held;
        Nodes = nodes;
    }

    /// <summary>How many operations (kernels, copies, memsets) one replay runs.</summary>
    public int Nodes { get; }

    internal static unsafe CudaGraph Capture(CudaContext context, CudaCachingAllocator allocator, Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        context.Synchronize();
        context.MakeCurrent();
        allocator.HoldFrees();
        nint graph = 0;
        try
        {
            Check(cuStreamBeginCapture_v2(context.Stream, CU_STREAM_CAPTURE_MODE_RELAXED));
            try
            {
                work();
            }
            finally
            {
                // Ends the capture even when the work failed, so the stream is usable again.
                var ended = cuStreamEndCapture(context.Stream, out graph);
                if (ended != Native.CUresult.CUDA_SUCCESS && graph == 0) throw Error(ended, "cuStreamEndCapture");
            }
            Check(cuGraphGetNodes(graph, null, out nuint nodes));
            Check(cuGraphInstantiateWithFlags(out nint exec, graph, 0));
            return new CudaGraph(context, allocator, graph, exec, allocator.StopHoldingFrees(), (int)nodes);
        }
        catch
        {
            if (graph != 0) cuGraphDestroy(graph);
            foreach (var block in allocator.StopHoldingFrees()) allocator.Free(block);
            throw;
        }
    }

    /// <summary>Queues one replay on the context's stream (asynchronous, like a kernel launch).</summary>
    public void Launch()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        context.MakeCurrent();
        Check(cuGraphLaunch(exec, context.Stream));
    }

    /// <summary>Waits for queued replays, destroys the graph and returns the temporaries it held to the cache.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        context.Synchronize();
        context.MakeCurrent();
        Check(cuGraphExecDestroy(exec));
        Check(cuGraphDestroy(graph));
        exec = graph = 0;
        foreach (var block in held) allocator.Free(block);
    }
}
