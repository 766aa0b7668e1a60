using static RawDiffusion.Cuda.Native.CudaDriver;

namespace RawDiffusion.Cuda;

/// <summary>GPU-side elapsed time between two points of the context's stream (CUDA events), for benchmarks:
/// host timers would measure queueing, not execution.</summary>
public sealed class CudaTimer : IDisposable
{
    readonly CudaContext context;
    readonly nint start, stop;
    bool disposed;

    public CudaTimer(CudaContext context)
    {
        this.context = context;
        context.MakeCurrent();
        Check(cuEventCreate(out start, CU_EVENT_DEFAULT));
        Check(cuEventCreate(out stop, CU_EVENT_DEFAULT));
    }

    /// <summary>Marks the start on the stream (after everything queued so far).</summary>
    public void Start()
    {
        context.MakeCurrent();
        Check(cuEventRecord(start, context.Stream));
    }

    /// <summary>Marks the end, waits for it, and returns milliseconds since <see cref="Start"/>.</summary>
    public float StopMilliseconds()
    {
        context.MakeCurrent();
        Check(cuEventRecord(stop, context.Stream));
        Check(cuEventSynchronize(stop));
        Check(cuEventElapsedTime(out float milliseconds, start, stop));
        return milliseconds;
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        context.MakeCurrent();
        Check(cuEventDestroy_v2(start));
        Check(cuEventDestroy_v2(stop));
    }
}
