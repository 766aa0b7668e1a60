namespace RawDiffusion;

/// <summary>Collects every tensor created on this thread while it is the innermost scope and disposes them
/// at the end, so device memory never waits for the garbage collector (TorchSharp's lesson).
/// <code>using (DisposeScope.Enter()) { var loss = ...; loss.Backward(); optimizer.Step(); }</code>
/// Tensors that must outlive the scope are moved out with <see cref="MoveToOuter"/>.</summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] static DisposeScope? current;

    readonly DisposeScope? parent;
    readonly bool suspended;
    readonly List<Tensor> tensors = [];
    bool disposed;

    DisposeScope(DisposeScope? parent, bool suspended)
    {
        this.parent = parent;
        this.suspended = suspended;
    }

    public static DisposeScope? Current => current is { suspended: false } ? current : null;

    /// <summary>Opens a scope that disposes the tensors created inside it.</summary>
    public static DisposeScope Enter() => current = new DisposeScope(current, suspended: false);

    /// <summary>Opens a region whose tensors belong to no scope (parameters, optimizer state, gradients).</summary>
    public static DisposeScope Suspend() => current = new DisposeScope(current, suspended: true);

    internal static void Register(Tensor tensor)
    {
        if (current is { suspended: false } scope) scope.tensors.Add(tensor);
    }

    /// <summary>Hands <paramref name="tensor"/> to the enclosing scope (or to no scope), so it survives this one.</summary>
    public Tensor MoveToOuter(Tensor tensor)
    {
        tensors.Remove(tensor);
        var outer = parent;
        while (outer is { suspended: true }) outer = outer.parent;
        outer?.tensors.Add(tensor);
        return tensor;
    }

    /// <summary>Removes <paramref name="tensor"/> from every scope: the caller now owns it.</summary>
    public static Tensor Detach(Tensor tensor)
    {
        for (var s = current; s != null; s = s.parent) s.tensors.Remove(tensor);
        return tensor;
    }

    public int Count => tensors.Count;

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (current != this)
            throw new InvalidOperationException("DisposeScope disposed out of order: scopes must be closed innermost first");
        current = parent;
        foreach (var t in tensors) t.Dispose();
        tensors.Clear();
    }
}
