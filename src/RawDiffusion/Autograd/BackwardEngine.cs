namespace RawDiffusion;

/// <summary>Reverse-mode differentiation: an iterative topological sort of the graph below the output, then one
/// pass in reverse order that sums gradients per tensor and accumulates them into the leaves' <c>Grad</c>.
/// The graph is released afterwards unless asked to keep it.</summary>
internal static class BackwardEngine
{
    public static void Run(Tensor output, Tensor? gradOutput, bool retainGraph)
    {
        if (!output.RequiresGrad)
            throw new InvalidOperationException("Backward() called on a tensor that does not require grad (no input had RequiresGrad, or it was computed under GradMode.NoGrad)");
        if (gradOutput == null)
        {
            if (output.Numel != 1)
                throw new InvalidOperationException($"Backward() without a gradient needs a single-element output, got shape {ShapeMath.Format(output.Shape)}");
            gradOutput = Tensor.Full(output.Shape, 1.0, output.DType, output.Backend);
        }
        else if (!ShapeMath.SameShape(gradOutput.Shape, output.Shape))
            throw new ArgumentException($"gradient shape {ShapeMath.Format(gradOutput.Shape)} does not match output shape {ShapeMath.Format(output.Shape)}", nameof(gradOutput));

        var order = TopologicalOrder(output);
        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance) { [output] = gradOutput };
        using (GradMode.NoGrad())
        {
            for (int i = order.Count - 1; i >= 0; i--)
            {
                var tensor = order[i];
                if (!grads.Remove(tensor, out var grad)) continue;
                var fn = tensor.GradFn;
                if (fn == null)
                {
                    AccumulateLeaf(tensor, grad);
                    continue;
                }
                var inputGrads = fn.Backward(grad);
                for (int j = 0; j < fn.Inputs.Length; j++)
                {
                    var input = fn.Inputs[j];
                    var g = inputGrads[j];
                    if (g == null || !input.RequiresGrad) continue;
                    if (!ShapeMath.SameShape(g.Shape, input.Shape))
                        throw new InvalidOperationException($"{fn.Name}.Backward returned a gradient of shape {ShapeMath.Format(g.Shape)} for an input of shape {ShapeMath.Format(input.Shape)}");
                    grads[input] = grads.TryGetValue(input, out var existing) ? existing + g : g;
                }
                if (!retainGraph) tensor.ReleaseGraph();
            }
        }
    }

    static void AccumulateLeaf(Tensor leaf, Tensor grad)
    {
        if (leaf.Grad == null)
        {
            // The leaf's gradient outlives the step's scope and must not alias a tensor the graph still uses.
            using (DisposeScope.Suspend()) leaf.Grad = grad.Clone();
        }
        else
        {
            leaf.Grad.AddInPlace(grad);
        }
    }

    /// <summary>Post-order of the graph (inputs before the tensors computed from them), without recursion so deep
    /// graphs (long diffusion chains, many layers) cannot overflow the stack.</summary>
    static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor Tensor, int NextInput)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (tensor, next) = stack.Pop();
            var inputs = tensor.GradFn?.Inputs ?? [];
            if (next < inputs.Length)
            {
                stack.Push((tensor, next + 1));
                var input = inputs[next];
                if (input.RequiresGrad && visited.Add(input)) stack.Push((input, 0));
            }
            else
            {
                order.Add(tensor);
            }
        }
        return order;
    }
}
