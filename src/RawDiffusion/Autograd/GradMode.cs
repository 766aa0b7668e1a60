namespace RawDiffusion;

/// <summary>Whether operations record the autograd graph on this thread.
/// <code>using (GradMode.NoGrad()) { ... }</code></summary>
public static class GradMode
{
    [ThreadStatic] static int disabledDepth;

    public static bool IsEnabled => disabledDepth == 0;

    public static IDisposable NoGrad() => Set(disabledDepth + 1);

    /// <summary>Records the graph again inside a <see cref="NoGrad"/> region (torch.enable_grad), e.g. for a gradient
    /// that steers sampling; the outer setting returns on Dispose.</summary>
    public static IDisposable EnableGrad() => Set(0);

    static IDisposable Set(int depth)
    {
        var restore = new Restore(disabledDepth);
        disabledDepth = depth;
        return restore;
    }

    sealed class Restore(int previous) : IDisposable
    {
        bool done;
        public void Dispose()
        {
            if (done) return;
            done = true;
            disabledDepth = previous;
        }
    }
}
