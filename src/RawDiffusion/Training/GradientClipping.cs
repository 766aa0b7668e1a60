using RawDiffusion.Backends;

namespace RawDiffusion.Training;

/// <summary>Gradient clipping with torch.nn.utils.clip_grad_norm_'s semantics.</summary>
public static class GradientClipping
{
    /// <summary>Computes the norm of all gradients together, as if concatenated into one vector
    /// (<paramref name="normType"/> p > 0, or +∞ for the largest magnitude), and when it exceeds
    /// <paramref name="maxNorm"/> scales every gradient in place by maxNorm / (norm + 1e-6). Parameters without a
    /// gradient are skipped. Returns the norm before clipping (NaN or ∞ when a gradient is not finite, in which
    /// case the gradients are scaled by that non-finite factor, as in PyTorch). The reductions run on the backend;
    /// only the final scalar comes back to the host.</summary>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm >= 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "maxNorm must be >= 0");
        if (!(normType > 0)) throw new ArgumentOutOfRangeException(nameof(normType), normType, "normType must be > 0 (or +infinity)");
        var grads = parameters.Select(p => p.Grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return 0;
        foreach (var g in grads)
            if (g.DType != grads[0].DType || !ReferenceEquals(g.Backend, grads[0].Backend))
                throw new ArgumentException($"ClipGradNorm needs all gradients on one backend with one dtype, got {grads[0].DType} on {grads[0].Backend.Name} and {g.DType} on {g.Backend.Name}", nameof(parameters));

        double total;
        using (DisposeScope.Enter())
        {
            // Accumulate sum |g|^p (or max |g|) over all gradients on the device, then read one scalar.
            bool infinity = double.IsPositiveInfinity(normType);
            Tensor? accumulator = null;
            foreach (var g in grads)
            {
                var magnitude = Kernels.Unary(UnaryOp.Abs, g);
                var powered = infinity || normType == 1 ? magnitude
                    : normType == 2 ? Kernels.Unary(UnaryOp.Square, magnitude)
                    : Kernels.Unary(UnaryOp.PowScalar, magnitude, normType);
                var partial = Kernels.Reduce(infinity ? ReduceOp.Max : ReduceOp.Sum, powered, [], keepDim: false);
                if (accumulator == null) accumulator = partial;
                else Kernels.BinaryInPlace(infinity ? BinaryOp.Maximum : BinaryOp.Add, accumulator, partial);
            }
            double reduced = accumulator!.Item();
            total = infinity ? reduced : normType == 1 ? reduced : normType == 2 ? Math.Sqrt(reduced) : Math.Pow(reduced, 1 / normType);
        }

        double coefficient = maxNorm / (total + 1e-6);
        // Multiplying by a clamped coefficient of 1 changes nothing, so only larger norms (or non-finite ones) pay for the pass.
        if (!(coefficient >= 1))
            foreach (var g in grads) g.Backend.Unary(UnaryOp.MulScalar, g.View, g.View, coefficient);
        return total;
    }
}
