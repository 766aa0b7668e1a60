using RawDiffusion.Nn;

namespace RawDiffusion.Training;

/// <summary>Exponential moving average of a module's parameters (LDM's LitEma): after each optimizer step,
/// <c>shadow -= (1 - decay)·(shadow - parameter)</c>, with the warm-up <c>decay = min(decay, (1 + n) / (10 + n))</c>
/// on the n-th update so early averages are not dominated by the random initialisation. Sampling with the averaged
/// weights: <c>using (ema.AverageWeights()) { ... }</c>. The shadows are owned by this object (outside any scope).</summary>
public sealed class Ema : IDisposable
{
    readonly Module model;
    readonly KeyValuePair<string, Tensor>[] parameters;
    readonly Dictionary<string, Tensor> shadows = [];
    Tensor[]? stored;
    bool disposed;

    public Ema(Module model, double decay = 0.9999, bool useWarmup = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(decay >= 0 && decay <= 1)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "EMA decay must lie in [0, 1]");
        this.model = model;
        Decay = decay;
        UseWarmup = useWarmup;
        parameters = model.NamedParameters().ToArray();
        using (DisposeScope.Suspend())
            foreach (var (name, p) in parameters) shadows[name] = Kernels.Copy(p);
    }

    public double Decay { get; }
    public bool UseWarmup { get; }

    /// <summary>Updates applied so far (drives the warm-up).</summary>
    public long NumUpdates { get; private set; }

    /// <summary>The decay the next <see cref="Update"/> will use.</summary>
    public double NextDecay => UseWarmup ? Math.Min(Decay, (1.0 + NumUpdates + 1) / (10.0 + NumUpdates + 1)) : Decay;

    /// <summary>Moves every shadow towards the model's current parameters (one fused pass per parameter).</summary>
    public void Update()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        double decay = NextDecay;
        NumUpdates++;
        foreach (var (name, p) in parameters)
        {
            var s = shadows[name];
            p.Backend.EmaUpdate(s.Storage.Buffer, s.Offset, p.Storage.Buffer, p.Offset, p.Numel, decay);
        }
    }

    /// <summary>Writes the averaged weights into <paramref name="target"/>'s parameters of the same names (the tracked
    /// model itself, or a separate copy of it used for sampling).</summary>
    public void CopyTo(Module target)
    {
        ArgumentNullException.ThrowIfNull(target);
        ObjectDisposedException.ThrowIf(disposed, this);
        var destination = target.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        foreach (var (name, shadow) in shadows)
        {
            if (!destination.TryGetValue(name, out var p))
                throw new ArgumentException($"EMA CopyTo: {target.GetType().Name} has no parameter '{name}'", nameof(target));
            if (!ShapeMath.SameShape(p.Shape, shadow.Shape))
                throw new ArgumentException($"EMA CopyTo: parameter '{name}' has shape {ShapeMath.Format(p.Shape)}, its average {ShapeMath.Format(shadow.Shape)}", nameof(target));
        }
        foreach (var (name, shadow) in shadows) TensorValues.Assign(destination[name], shadow);
    }

    /// <summary>Saves a copy of the model's current (trained) parameters, to be put back by <see cref="Restore"/>.</summary>
    public void Store()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        DisposeStored();
        using (DisposeScope.Suspend()) stored = parameters.Select(p => Kernels.Copy(p.Value)).ToArray();
    }

    /// <summary>Puts back the parameters saved by <see cref="Store"/>.</summary>
    public void Restore()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (stored == null) throw new InvalidOperationException("EMA Restore without a preceding Store");
        for (int i = 0; i < parameters.Length; i++) parameters[i].Value.CopyFrom(stored[i]);
        DisposeStored();
    }

    /// <summary>Swaps the averaged weights into the model until the returned object is disposed
    /// (<see cref="Store"/>, <see cref="CopyTo"/>, then <see cref="Restore"/> on dispose).</summary>
    public IDisposable AverageWeights()
    {
        Store();
        CopyTo(model);
        return new RestoreOnDispose(this);
    }

    sealed class RestoreOnDispose(Ema ema) : IDisposable
    {
        bool done;

        public void Dispose()
        {
            if (done) return;
            done = true;
            ema.Restore();
        }
    }

    /// <summary>The averaged parameters by name (this object's live tensors: read them, do not dispose them).</summary>
    public IReadOnlyDictionary<string, Tensor> StateDict() => shadows;

    /// <summary>Replaces the averages (every tracked name, same shapes) and the update count, e.g. from a checkpoint.
    /// Everything is checked before anything changes.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> averages, long numUpdates)
    {
        ArgumentNullException.ThrowIfNull(averages);
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(numUpdates);
        foreach (var (name, shadow) in shadows)
        {
            if (!averages.TryGetValue(name, out var source))
                throw new ArgumentException($"EMA state lacks the average of parameter '{name}'", nameof(averages));
            if (!ShapeMath.SameShape(source.Shape, shadow.Shape))
                throw new ArgumentException($"EMA state has '{name}' of shape {ShapeMath.Format(source.Shape)}, the parameter has {ShapeMath.Format(shadow.Shape)}", nameof(averages));
        }
        var unexpected = averages.Keys.Where(k => !shadows.ContainsKey(k)).ToList();
        if (unexpected.Count > 0)
            throw new ArgumentException($"EMA state has averages of unknown parameter(s) {string.Join(", ", unexpected.Select(k => $"'{k}'"))}", nameof(averages));
        foreach (var (name, shadow) in shadows) TensorValues.Assign(shadow, averages[name]);
        NumUpdates = numUpdates;
    }

    void DisposeStored()
    {
        if (stored == null) return;
        foreach (var t in stored) t.Dispose();
        stored = null;
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        DisposeStored();
        foreach (var s in shadows.Values) s.Dispose();
    }
}
