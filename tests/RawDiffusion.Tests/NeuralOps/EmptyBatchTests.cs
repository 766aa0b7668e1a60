using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.NeuralOps;

/// <summary>A batch of zero samples flows through forward and backward without touching memory it does not have.</summary>
public class EmptyBatchTests
{
    static Tensor EmptyLeaf(params int[] shape)
    {
        var t = Tensor.Zeros(shape, DType.Float64);
        t.RequiresGrad = true;
        return t;
    }

    [Fact]
    public void EmptyBatchesGiveEmptyResultsAndZeroParameterGradients()
    {
        var x = EmptyLeaf(0, 4);
        var w = Reference.Leaf(1, 3, 4);
        var b = Reference.Leaf(2, 3);
        var y = F.Linear(x, w, b);
        Assert.Equal([0, 3], y.ShapeArray);
        var nw = Reference.Leaf(3, 3);
        var normed = F.LayerNorm(F.Softmax(y), [3], nw, null);
        Assert.Equal([0, 3], normed.ShapeArray);
        var loss = F.CrossEntropy(normed, Tensor.FromArray(Array.Empty<int>(), 0), "sum");
        Assert.Equal(0, loss.Item());
        loss.Backward();
        Assert.All(w.Grad!.ToFloat64Array(), v => Assert.Equal(0, v));
        Assert.All(b.Grad!.ToFloat64Array(), v => Assert.Equal(0, v));
        Assert.All(nw.Grad!.ToFloat64Array(), v => Assert.Equal(0, v));
        Assert.Equal([0, 4], x.Grad!.ShapeArray);

        Assert.True(double.IsNaN(F.CrossEntropy(Tensor.Zeros([0, 3]), Tensor.FromArray(Array.Empty<int>(), 0)).Item()));
        Assert.Equal([0, 4, 2], F.GroupNorm(Tensor.Zeros([0, 4, 2]), 2).ShapeArray);
    }
}
