using RawDiffusion.Ops;

namespace RawDiffusion;

/// <summary>Selecting elements by Int32 index tensors.</summary>
public sealed partial class Tensor
{
    /// <summary>The entries of <paramref name="axis"/> listed by the 1-D Int32 <paramref name="index"/> (repeats allowed),
    /// in that order: the axis gets the index's length (torch.index_select). Indices must lie in [0, size).</summary>
    public Tensor IndexSelect(int axis, Tensor index) => IndexSelectFunction.Apply(this, axis, index);

    /// <summary>torch.gather: result[i][j][k] = this[i][index[i][j][k]][k] for axis 1 (likewise for other axes). The
    /// Int32 <paramref name="index"/> has this tensor's rank, may be smaller in the other dimensions, and gives the result's shape.</summary>
    public Tensor Gather(int axis, Tensor index) => GatherFunction.Apply(this, axis, index);
}
