using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.Core;

public class AutogradTests
{
    [Fact]
    public void GradientsAccumulateWhenATensorIsUsedTwiceAndAcrossBackwardCalls()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 3 }, 3);
        x.RequiresGrad = true;
        (x * x + x).Sum().Backward();
        Assert.Equal(new double[] { 3, 5, 7 }, x.Grad!.ToFloat64Array());
        (x * 2).Sum().Backward();
        Assert.Equal(new double[] { 5, 7, 9 }, x.Grad!.ToFloat64Array());
        x.ZeroGrad();
        Assert.Null(x.Grad);
    }

    [Fact]
    public void GraphIsReleasedAfterBackwardUnlessRetained()
    {
        var x = Reference.Leaf(1, 4);
        var y = (x * x).Sum();
        y.Backward(retainGraph: true);
        Assert.NotNull(y.GradFn);
        y.Backward();
        Assert.Null(y.GradFn);
        Reference.Close(x.ToFloat64Array().Select(v => 4 * v).ToArray(), x.Grad!.ToFloat64Array(), 1e-12);
    }

    [Fact]
    public void NoGradAndDetachRecordNothing()
    {
        var x = Reference.Leaf(2, 3);
        using (GradMode.NoGrad())
        {
            var y = x * x;
            Assert.False(y.RequiresGrad);
            Assert.Null(y.GradFn);
        }
        var d = x.Detach();
        Assert.False(d.RequiresGrad);
        Assert.Same(x.Storage, d.Storage);
        var err = Assert.Throws<InvalidOperationException>(() => (d * 2).Sum().Backward());
        Assert.Contains("does not require grad", err.Message);
    }

    [Fact]
    public void DeepChainsDoNotOverflowTheStack()
    {
        var x = Reference.Leaf(3, 2);
        var y = x;
        for (int i = 0; i < 20000; i++) y = y * 1.0001;
        y.Sum().Backward();
        Assert.Equal(Math.Pow(1.0001, 20000), x.Grad!.ToFloat64Array()[0], 6);
    }

    [Fact]
    public void NonScalarBackwardNeedsAGradientOfTheOutputShape()
    {
        var x = Reference.Leaf(4, 2, 2);
        var y = x * 3;
        Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Throws<ArgumentException>(() => y.Backward(Tensor.Ones([3], DType.Float64)));
        y.Backward(Tensor.Ones([2, 2], DType.Float64));
        Assert.All(x.Grad!.ToFloat64Array(), v => Assert.Equal(3, v));
    }

    [Fact]
    public void DisposeScopeDisposesWhatWasCreatedInsideButKeepsLeafGradients()
    {
        var w = Reference.Leaf(5, 3);
        Tensor inner, kept;
        using (var scope = DisposeScope.Enter())
        {
            inner = w * 2;
            kept = scope.MoveToOuter(w + 1);
            inner.Sum().Backward();
        }
        Assert.True(inner.IsDisposed);
        Assert.False(kept.IsDisposed);
        Assert.False(w.Grad!.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => inner.ToFloat64Array());
    }

    [Fact]
    public void StorageIsFreedOnlyWhenTheLastViewIsDisposed()
    {
        var x = Tensor.Zeros([4]);
        var v = x.Reshape(2, 2);
        x.Dispose();
        Assert.False(v.Storage.IsFreed);
        v.Dispose();
        Assert.True(v.Storage.IsFreed);
    }
}
