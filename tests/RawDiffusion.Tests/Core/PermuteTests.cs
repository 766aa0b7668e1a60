using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.Core;

public class PermuteTests
{
    [Fact]
    public void PermuteReordersElementsAndItsGradientIsTheInversePermutation()
    {
        var x = Reference.Leaf(1, 2, 3, 4);
        var p = x.Permute(2, 0, 1);
        Assert.Equal([4, 2, 3], p.ShapeArray);
        Assert.Same(x.Storage, p.Storage);
        var v = x.ToFloat64Array();
        var pv = p.ToFloat64Array();
        for (int k = 0; k < 4; k++) for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++)
            Assert.Equal(v[i * 12 + j * 4 + k], pv[k * 6 + i * 3 + j]);
        GradCheck.Check(t => t[0].Permute(2, 0, 1) * t[0].Permute(2, 0, 1), [x]);
        GradCheck.Check(t => t[0].Transpose(0, -1).Reshape(4, 6), [x]);
        Assert.Throws<ArgumentException>(() => x.Permute(0, 0, 1));
    }
}
