using RawDiffusion.Nn;

namespace RawDiffusion.Training.Optimizers;

/// <summary>Base of the gradient-descent optimizers: holds the parameter groups and the per-parameter state, and on
/// <see cref="Step"/> hands every parameter that has a gradient to the algorithm's fused backend update.
/// <code>
/// using (DisposeScope.Enter()) { optimizer.ZeroGrad(); loss(model).Backward(); optimizer.Step(); }
/// </code></summary>
public abstract class Optimizer : IDisposable
{
    readonly ParameterGroup[] groups;
    readonly Tensor[] parameters;
    readonly Dictionary<Tensor, Slot> slots = new(ReferenceEqualityComparer.Instance);
    bool disposed;

    /// <summary>Mutable per-parameter state: the updates received so far and the algorithm's buffers.</summary>
    protected sealed class Slot
    {
        internal Slot(long step) => Step = step;

        public long Step { get; internal set; }
        public Dictionary<string, Tensor> Buffers { get; } = [];
    }

    protected Optimizer(IEnumerable<ParameterGroup> parameterGroups, double learningRate, double weightDecay)
    {
        ArgumentNullException.ThrowIfNull(parameterGroups);
        CheckNonNegative(learningRate, "learning rate", nameof(learningRate));
        CheckNonNegative(weightDecay, "weight decay", nameof(weightDecay));
        groups = parameterGroups.ToArray();
        if (groups.Length == 0) throw new ArgumentException("an optimizer needs at least one parameter group", nameof(parameterGroups));
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var all = new List<Tensor>();
        foreach (var group in groups)
        {
            group.LearningRate = group.RequestedLearningRate ?? learningRate;
            group.WeightDecay = group.RequestedWeightDecay ?? weightDecay;
            CheckNonNegative(group.LearningRate, "learning rate", nameof(parameterGroups));
            CheckNonNegative(group.WeightDecay, "weight decay", nameof(parameterGroups));
            foreach (var p in group.Parameters)
            {
                ArgumentNullException.ThrowIfNull(p, nameof(parameterGroups));
                string what = $"parameter {all.Count}{(p.Name != null ? $" ('{p.Name}')" : "")} {ShapeMath.Format(p.Shape)}";
                if (!seen.Add(p)) throw new ArgumentException($"{what} appears more than once in the optimizer's parameter groups", nameof(parameterGroups));
                if (!p.IsLeaf || !p.RequiresGrad) throw new ArgumentException($"{what} must be a leaf that requires grad", nameof(parameterGroups));
                if (!p.IsContiguous) throw new ArgumentException($"{what} must be contiguous: it is updated in place as one block", nameof(parameterGroups));
                if (!p.DType.IsFloating()) throw new ArgumentException($"{what} must be floating point, got {p.DType}", nameof(parameterGroups));
                all.Add(p);
            }
        }
        parameters = [.. all];
    }

    protected Optimizer(IEnumerable<Tensor> parameters, double learningRate, double weightDecay)
        : this([new ParameterGroup(parameters)], learningRate, weightDecay) { }

    public IReadOnlyList<ParameterGroup> ParamGroups => groups;

    /// <summary>Every parameter, group by group: the order that indexes <see cref="OptimizerState.Parameters"/>.</summary>
    public IReadOnlyList<Tensor> Parameters => parameters;

    /// <summary>The first group's learning rate; setting it sets every group's (what a schedule does each step).</summary>
    public double LearningRate
    {
        get => groups[0].LearningRate;
        set
        {
            CheckNonNegative(value, "learning rate", nameof(value));
            foreach (var g in groups) g.LearningRate = value;
        }
    }

    /// <summary>How many times <see cref="Step"/> has run.</summary>
    public long StepCount { get; private set; }

    /// <summary>The algorithm's own settings (betas, momentum, ...) by name, as stored in a state dict.</summary>
    public abstract IReadOnlyDictionary<string, double> HyperParameters { get; }

    /// <summary>Restores <see cref="HyperParameters"/> from a state dict (already checked to hold every name).</summary>
    protected abstract void LoadHyperParameters(IReadOnlyDictionary<string, double> values);

    /// <summary>Applies one update to <paramref name="parameter"/> from its contiguous <paramref name="gradient"/>;
    /// <paramref name="slot"/>.Step already counts this update.</summary>
    protected abstract void Update(Tensor parameter, Tensor gradient, Slot slot, ParameterGroup group);

    /// <summary>One update of a step: a parameter, its contiguous gradient, its state (Step already counting this update)
    /// and its group.</summary>
    protected readonly record struct PendingUpdate(Tensor Parameter, Tensor Gradient, Slot Slot, ParameterGroup Group);

    /// <summary>Applies one step's updates, in parameter order. The default calls <see cref="Update"/> for each; an
    /// optimizer with a multi-tensor backend primitive overrides it to update many parameters per launch.</summary>
    protected virtual void UpdateAll(IReadOnlyList<PendingUpdate> updates)
    {
        foreach (var u in updates) Update(u.Parameter, u.Gradient, u.Slot, u.Group);
    }

    /// <summary>Updates every parameter that has a gradient; parameters without one are left alone (their state too).</summary>
    public void Step()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        StepCount++;
        int index = 0;
        var updates = new List<PendingUpdate>();
        var copies = new List<Tensor>();
        try
        {
            foreach (var group in groups)
                foreach (var p in group.Parameters)
                {
                    var grad = p.Grad;
                    int i = index++;
                    if (grad == null) continue;
                    p.ThrowIfDisposed();
                    if (!ShapeMath.SameShape(grad.Shape, p.Shape) || grad.DType != p.DType || !ReferenceEquals(grad.Backend, p.Backend))
                        throw new InvalidOperationException($"parameter {i} {ShapeMath.Format(p.Shape)} {p.DType} has a gradient of shape {ShapeMath.Format(grad.Shape)} {grad.DType} on {grad.Backend.Name}");
                    if (!slots.TryGetValue(p, out var slot)) slots[p] = slot = new Slot(0);
                    slot.Step++;
                    if (!grad.IsContiguous)
                    {
                        grad = Kernels.Copy(grad);
                        copies.Add(grad);
                    }
                    updates.Add(new PendingUpdate(p, grad, slot, group));
                }
            UpdateAll(updates);
        }
        finally
        {
            foreach (var copy in copies) copy.Dispose();
        }
    }

    /// <summary>Drops every parameter's gradient (set to none, like PyTorch's default).</summary>
    public void ZeroGrad()
    {
        foreach (var p in parameters) p.ZeroGrad();
    }

    /// <summary>A zero-filled buffer shaped like <paramref name="parameter"/>, owned by this optimizer (outside any scope).</summary>
    protected static Tensor NewBuffer(Tensor parameter)
    {
        using (DisposeScope.Suspend()) return Tensor.Zeros(parameter.Shape, parameter.DType, parameter.Backend);
    }

    /// <summary>The state to save. Its tensors are this optimizer's live buffers (not copies): read them, do not
    /// dispose them, and read them before the next <see cref="Step"/>.</summary>
    public OptimizerState StateDict() => new()
    {
        Algorithm = GetType().Name,
        StepCount = StepCount,
        HyperParameters = new Dictionary<string, double>(HyperParameters),
        Groups = groups.Select(g => new GroupSettings(g.LearningRate, g.WeightDecay, g.Parameters.Count)).ToArray(),
        Parameters = parameters.Select(p => slots.TryGetValue(p, out var s)
            ? new ParameterState(s.Step, new Dictionary<string, Tensor>(s.Buffers)) : null).ToArray(),
    };

    /// <summary>Replaces this optimizer's state with a copy of <paramref name="state"/> (saved by an optimizer of the same
    /// algorithm over parameters of the same shapes, grouped the same way). Everything is checked before anything
    /// changes; errors name the parameter index and buffer.</summary>
    public void LoadStateDict(OptimizerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ObjectDisposedException.ThrowIf(disposed, this);
        string algorithm = GetType().Name;
        if (state.Algorithm != algorithm)
            throw new ArgumentException($"optimizer state was saved by {state.Algorithm}, cannot load it into {algorithm}", nameof(state));
        var missing = HyperParameters.Keys.Where(k => !state.HyperParameters.ContainsKey(k)).ToList();
        if (missing.Count > 0)
            throw new ArgumentException($"{algorithm} state lacks hyper-parameter(s) {string.Join(", ", missing)}", nameof(state));
        if (state.Groups.Count != groups.Length || state.Groups.Zip(groups).Any(x => x.First.ParameterCount != x.Second.Parameters.Count))
            throw new ArgumentException($"{algorithm} state has parameter groups of sizes [{string.Join(", ", state.Groups.Select(g => g.ParameterCount))}], this optimizer has [{string.Join(", ", groups.Select(g => g.Parameters.Count))}]", nameof(state));
        if (state.Parameters.Count != parameters.Length)
            throw new ArgumentException($"{algorithm} state holds {state.Parameters.Count} parameter entries for groups totalling {state.Groups.Sum(g => g.ParameterCount)}", nameof(state));
        for (int i = 0; i < parameters.Length; i++)
        {
            if (state.Parameters[i] is not { } s) continue;
            if (s.Step < 0) throw new ArgumentException($"{algorithm} state of parameter {i} has a negative step count {s.Step}", nameof(state));
            foreach (var (name, buffer) in s.Buffers)
                if (!ShapeMath.SameShape(buffer.Shape, parameters[i].Shape))
                    throw new ArgumentException($"{algorithm} state buffer '{name}' of parameter {i} has shape {ShapeMath.Format(buffer.Shape)}, the parameter has {ShapeMath.Format(parameters[i].Shape)}", nameof(state));
        }

        foreach (var g in state.Groups)
        {
            CheckNonNegative(g.LearningRate, "learning rate", nameof(state));
            CheckNonNegative(g.WeightDecay, "weight decay", nameof(state));
        }
        if (state.StepCount < 0) throw new ArgumentException($"{algorithm} state has a negative step count {state.StepCount}", nameof(state));
        // The algorithm's checks run before it sets anything, so a bad value leaves this optimizer as it was.
        LoadHyperParameters(state.HyperParameters);

        // Copy before releasing the old buffers: the incoming ones may be this optimizer's own (a state dict it produced).
        var loaded = new Dictionary<Tensor, Slot>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < parameters.Length; i++)
        {
            if (state.Parameters[i] is not { } s) continue;
            var slot = new Slot(s.Step);
            foreach (var (name, buffer) in s.Buffers)
            {
                var own = NewBuffer(parameters[i]);
                TensorValues.Assign(own, buffer);
                slot.Buffers[name] = own;
            }
            loaded[parameters[i]] = slot;
        }
        DisposeSlots();
        foreach (var (p, slot) in loaded) slots[p] = slot;
        for (int g = 0; g < groups.Length; g++)
        {
            groups[g].LearningRate = state.Groups[g].LearningRate;
            groups[g].WeightDecay = state.Groups[g].WeightDecay;
        }
        StepCount = state.StepCount;
    }

    void DisposeSlots()
    {
        foreach (var slot in slots.Values)
            foreach (var buffer in slot.Buffers.Values) buffer.Dispose();
        slots.Clear();
    }

    /// <summary>Frees the optimizer's buffers (the parameters belong to the model).</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        DisposeSlots();
    }

    protected static void CheckNonNegative(double value, string what, string argument)
    {
        if (!(value >= 0) || double.IsInfinity(value)) throw new ArgumentOutOfRangeException(argument, value, $"{what} must be finite and >= 0");
    }
}
