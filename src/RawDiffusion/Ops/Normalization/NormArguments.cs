using RawDiffusion.Backends;

namespace RawDiffusion.Ops;

/// <summary>Checks and running-statistics updates shared by the layer, group and batch norm entry points.</summary>
internal static class NormArguments
{
    /// <summary>A normalisation's per-channel tensor (weight, bias, running statistic): the given shape, and the
    /// input's dtype and backend.</summary>
    public static void CheckPerChannel(Tensor? parameter, int[] shape, Tensor x, string op, string argument)
    {
        if (parameter == null) return;
        if (!ShapeMath.SameShape(parameter.Shape, shape))
            throw new ArgumentException($"{op}: {argument} must have shape {ShapeMath.Format(shape)} for input {ShapeMath.Format(x.Shape)}, got {ShapeMath.Format(parameter.Shape)}", argument);
        if (parameter.DType != x.DType || !ReferenceEquals(parameter.Backend, x.Backend))
            throw new ArgumentException($"{op}: {argument} is {parameter.DType} on {parameter.Backend.Name}, the input is {x.DType} on {x.Backend.Name}", argument);
    }

    /// <summary>running = (1 − momentum)·running + momentum·correction·batch, in place and outside the graph.</summary>
    public static void UpdateRunning(Tensor running, Tensor batch, double momentum, double correction)
    {
        var backend = running.Backend;
        backend.Unary(UnaryOp.MulScalar, running.View, running.View, 1 - momentum);
        var step = Kernels.Unary(UnaryOp.MulScalar, batch, momentum * correction);
        Kernels.BinaryInPlace(BinaryOp.Add, running, step);
        step.Dispose();
    }
}
