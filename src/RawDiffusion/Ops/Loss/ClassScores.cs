namespace RawDiffusion.Ops;

/// <summary>Argument checks and layout shared by the class-index losses: scores [N, C, d₁, …] (class axis 1) or [C].</summary>
internal static class ClassScores
{
    public static void CheckScores(Tensor scores, string op, string argument)
    {
        Kernels.RequireFloating(scores, op);
        if (scores.Rank == 0) throw new ArgumentException($"{op}: {argument} need a class axis, got a scalar", argument);
    }

    /// <summary>Targets are the scores' shape without the class axis (axis 1, or 0 for a single sample).</summary>
    public static void CheckTargets(Tensor scores, Tensor targets, string op)
    {
        var expected = scores.Rank == 1 ? [] : scores.ShapeArray.Where((_, i) => i != 1).ToArray();
        if (!ShapeMath.SameShape(targets.Shape, expected))
            throw new ArgumentException($"{op}: targets of shape {ShapeMath.Format(targets.Shape)} do not match scores of shape " +
                $"{ShapeMath.Format(scores.Shape)} (expected {ShapeMath.Format(expected)})", nameof(targets));
    }

    /// <summary>Scores as [rows, C] with the class axis last, rows in the targets' row-major order (in the graph).</summary>
    public static Tensor ToRows(Tensor scores)
    {
        if (scores.Rank == 1) return scores.Reshape(1, scores.Shape[0]);
        if (scores.Rank == 2) return scores;
        return scores.Permute(AxisRows.MoveToEnd(scores.Rank, 1)).Reshape(-1, scores.Shape[1]);
    }
}
