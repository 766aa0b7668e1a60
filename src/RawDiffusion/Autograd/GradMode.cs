namespace RawDiffusion;

/// <summary>Whether operations record the autograd graph on this thread.
/// <code>using (GradMode.NoGrad()) { ... }</code></summary>
public static class GradMode
{
    [ThreadStatic] static int disabledDepth;

    public static bool IsEnabled => disabledDepth == 0;

    public static IDisposable NoGrad()
    {
        disabledDepth++;
        return new Restore();
    }

    sealed class Restore : IDisposable
    {
        bool done;
        public void Dispose()
        {
            if (done) return;
            done = true;
            disabledDepth--;
        }
    }
}
