namespace RawDiffusion.Nn;

/// <summary>Base class of every model part: it owns parameters (trainable leaf tensors), buffers (state that is saved
/// but not trained, such as running statistics) and child modules, each registered under a name. Names compose with
/// dots in registration order exactly like PyTorch's state_dict ("down.0.conv.weight"), so checkpoints and
/// reference weights line up key for key.
/// <para>A subclass registers everything in its constructor:</para>
/// <code>
/// Weight = RegisterParameter("weight", Tensor.Empty([outFeatures, inFeatures]));
/// Conv = RegisterModule("conv", new Conv2d(...));
/// </code>
/// <para>Registered tensors are taken out of every <see cref="DisposeScope"/>: the module owns them and frees them in
/// <see cref="Dispose"/>.</para></summary>
public abstract class Module : IDisposable
{
    readonly List<KeyValuePair<string, Tensor>> parameters = [];
    readonly List<KeyValuePair<string, Tensor>> buffers = [];
    readonly List<KeyValuePair<string, Module>> children = [];
    bool disposed;

    /// <summary>True in training mode (the default), false after <see cref="Eval"/>; layers such as dropout and
    /// batch norm read it.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Registers a trainable parameter: a contiguous floating-point leaf that from now on requires grad.</summary>
    protected Tensor RegisterParameter(string name, Tensor parameter)
    {
        CheckNewName(name);
        ArgumentNullException.ThrowIfNull(parameter);
        parameter.ThrowIfDisposed();
        if (!parameter.IsLeaf)
            throw new ArgumentException($"parameter '{name}' must be a leaf tensor (create it directly or Detach() it), not the result of {parameter.GradFn!.Name}", nameof(parameter));
        if (!parameter.DType.IsFloating())
            throw new ArgumentException($"parameter '{name}' must be floating point, got {parameter.DType}", nameof(parameter));
        if (!parameter.IsContiguous)
            throw new ArgumentException($"parameter '{name}' must be contiguous (optimizers update it in place as one flat block)", nameof(parameter));
        DisposeScope.Detach(parameter);
        parameter.RequiresGrad = true;
        parameter.Name ??= name;
        parameters.Add(new(name, parameter));
        return parameter;
    }

    /// <summary>Registers a buffer: saved in the state dict and loaded with it, but never trained.</summary>
    protected Tensor RegisterBuffer(string name, Tensor buffer)
    {
        CheckNewName(name);
        ArgumentNullException.ThrowIfNull(buffer);
        buffer.ThrowIfDisposed();
        if (buffer.RequiresGrad)
            throw new ArgumentException($"buffer '{name}' requires grad; register it as a parameter or Detach() it", nameof(buffer));
        if (!buffer.IsContiguous)
            throw new ArgumentException($"buffer '{name}' must be contiguous", nameof(buffer));
        DisposeScope.Detach(buffer);
        buffer.Name ??= name;
        buffers.Add(new(name, buffer));
        return buffer;
    }

    /// <summary>Registers a child module; its parameters and buffers appear under "<paramref name="name"/>.".</summary>
    /// <remarks>A child's name may be a dotted path such as "down.0.block.1": it stands for the nested lists of
    /// latent-diffusion modules without a container class per level, and gives the same state-dict keys.</remarks>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckNewName(name, allowPath: true);
        ArgumentNullException.ThrowIfNull(module);
        if (ReferenceEquals(module, this)) throw new ArgumentException($"module '{name}' cannot be registered as its own child", nameof(module));
        children.Add(new(name, module));
        module.Train(IsTraining);
        return module;
    }

    void CheckNewName(string name, bool allowPath = false)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (string.IsNullOrEmpty(name)) throw new ArgumentException("a registered name must not be empty", nameof(name));
        if (allowPath ? name.Split('.').Any(string.IsNullOrEmpty) : name.Contains('.'))
            throw new ArgumentException(allowPath
                ? $"module name '{name}' has an empty segment between dots"
                : $"registered name '{name}' must not contain '.' (dots separate the levels of a state-dict key)", nameof(name));
        if (parameters.Any(p => p.Key == name) || buffers.Any(b => b.Key == name) || children.Any(c => c.Key == name))
            throw new ArgumentException($"{GetType().Name} already has a parameter, buffer or module named '{name}'", nameof(name));
    }

    /// <summary>The direct children in registration order.</summary>
    public IEnumerable<KeyValuePair<string, Module>> NamedChildren() => children;

    /// <summary>This module (with the empty name) and every descendant, depth first in registration order.</summary>
    public IEnumerable<KeyValuePair<string, Module>> NamedModules()
    {
        var stack = new Stack<KeyValuePair<string, Module>>();
        stack.Push(new("", this));
        while (stack.Count > 0)
        {
            var (prefix, module) = stack.Pop();
            yield return new(prefix, module);
            for (int i = module.children.Count - 1; i >= 0; i--)
                stack.Push(new(Join(prefix, module.children[i].Key), module.children[i].Value));
        }
    }

    /// <summary>Every parameter with its dotted name: this module's own first, then each child's in order. A tensor
    /// shared by several modules appears once, under its first name (so an optimizer updates it once).</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> NamedParameters()
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (prefix, module) in NamedModules())
            foreach (var (name, p) in module.parameters)
                if (seen.Add(p)) yield return new(Join(prefix, name), p);
    }

    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Value);

    /// <summary>Every buffer with its dotted name, in the same order as <see cref="NamedParameters"/>.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> NamedBuffers() =>
        NamedModules().SelectMany(m => m.Value.buffers.Select(b => new KeyValuePair<string, Tensor>(Join(m.Key, b.Key), b.Value)));

    /// <summary>Parameters and buffers by dotted name, in PyTorch's order (per module: its parameters, its buffers,
    /// then its children). The tensors are the module's own (not copies): read them, do not dispose them.</summary>
    public IReadOnlyDictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>();
        foreach (var (prefix, module) in NamedModules())
        {
            foreach (var (name, p) in module.parameters) state.Add(Join(prefix, name), p);
            foreach (var (name, b) in module.buffers) state.Add(Join(prefix, name), b);
        }
        return state;
    }

    /// <summary>Copies values from <paramref name="state"/> into this module's parameters and buffers (converting the
    /// dtype or backend when they differ). A shape mismatch is always an error; a missing or unexpected key is an
    /// error when <paramref name="strict"/>, and is reported in the result otherwise. Nothing is changed when an
    /// error is thrown.</summary>
    public StateDictLoadResult LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var own = StateDict();
        var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
        {
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add($"missing key(s) {string.Join(", ", missing.Select(k => $"'{k}'"))}");
            if (unexpected.Count > 0) parts.Add($"unexpected key(s) {string.Join(", ", unexpected.Select(k => $"'{k}'"))}");
            throw new ArgumentException($"LoadStateDict into {GetType().Name}: {string.Join("; ", parts)}", nameof(state));
        }
        foreach (var (key, target) in own)
        {
            if (!state.TryGetValue(key, out var source)) continue;
            if (!ShapeMath.SameShape(source.Shape, target.Shape))
                throw new ArgumentException($"LoadStateDict into {GetType().Name}: '{key}' has shape {ShapeMath.Format(source.Shape)} in the state dict but {ShapeMath.Format(target.Shape)} in the module", nameof(state));
        }
        using (GradMode.NoGrad())
            foreach (var (key, target) in own)
                if (state.TryGetValue(key, out var source)) TensorValues.Assign(target, source);
        return new StateDictLoadResult(missing, unexpected);
    }

    /// <summary>Sets training mode on this module and every descendant.</summary>
    public Module Train(bool training = true)
    {
        foreach (var (_, module) in NamedModules()) module.IsTraining = training;
        return this;
    }

    /// <summary>Evaluation mode: <c>Train(false)</c>.</summary>
    public Module Eval() => Train(false);

    /// <summary>Drops every parameter's gradient (sets it to null, like PyTorch's <c>zero_grad(set_to_none=True)</c>).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.ZeroGrad();
    }

    /// <summary>Total number of parameter elements.</summary>
    public long ParameterCount => Parameters().Sum(p => p.Numel);

    /// <summary>Frees the parameters (and their gradients), buffers and children.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var (_, p) in parameters)
        {
            p.ZeroGrad();
            p.Dispose();
        }
        foreach (var (_, b) in buffers) b.Dispose();
        foreach (var (_, c) in children) c.Dispose();
    }

    static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    public override string ToString() => $"{GetType().Name}({ParameterCount} parameters)";
}

/// <summary>Keys that <see cref="Module.LoadStateDict"/> did not match (only non-empty when not strict).</summary>
public sealed record StateDictLoadResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);
