using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.Elementwise;

public class RegressionLossTests
{
    public static TheoryData<string, string> Cases => new()
    {
        { "mse", "mean" }, { "mse", "sum" }, { "mse", "none" },
        { "l1", "mean" }, { "l1", "sum" }, { "l1", "none" },
    };

    static Tensor Loss(string loss, Tensor input, Tensor target, string reduction) =>
        loss == "mse" ? F.MseLoss(input, target, reduction) : F.L1Loss(input, target, reduction);

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardMatchesNaiveLoop(string loss, string reduction)
    {
        var input = Reference.Float(40, 4, 6).Transpose(0, 1);
        var target = Reference.Float(41, 6, 4);
        var iv = input.ToFloat64Array();
        var tv = target.ToFloat64Array();
        var terms = iv.Zip(tv, (a, b) => loss == "mse" ? (a - b) * (a - b) : Math.Abs(a - b)).ToArray();
        var y = Loss(loss, input, target, reduction);
        switch (reduction)
        {
            case "none":
                Assert.Equal([6, 4], y.ShapeArray);
                Reference.Close(terms, y.ToFloat64Array(), 1e-6, 1e-6);
                break;
            default:
                Assert.Equal(0, y.Rank);
                Assert.Equal(reduction == "mean" ? terms.Average() : terms.Sum(), y.Item(), 1e-5);
                break;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientsForInputAndTargetMatchFiniteDifferences(string loss, string reduction)
    {
        // Input and target far enough apart that |x − y| has no kink within the finite-difference step.
        var input = Reference.LeafInRange(42, 0.5, 1, 3, 4);
        var target = ElementwiseTestData.StridedLeaf(43, -1, 0.3, 3, 4);
        GradCheck.Check(t => Loss(loss, t[0], t[1], reduction), [input, target]);
        var constantTarget = Reference.Float(44, 3, 4);
        var floatInput = Tensor.FromArray(Array.ConvertAll(Reference.RandomArray(12, 45, 2, 3), v => (float)v), 3, 4);
        floatInput.RequiresGrad = true;
        Loss(loss, floatInput, constantTarget, reduction).Sum().Backward();
        Assert.NotNull(floatInput.Grad);
        Assert.False(constantTarget.RequiresGrad);
    }

    [Fact]
    public void L1GradientIsZeroWhereInputEqualsTarget()
    {
        var input = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, 4);
        var target = Tensor.FromArray(new double[] { 0, 2, 5, 4 }, 4);
        input.RequiresGrad = target.RequiresGrad = true;
        F.L1Loss(input, target, "sum").Backward();
        Assert.Equal(new double[] { 1, 0, -1, 0 }, input.Grad!.ToFloat64Array());
        Assert.Equal(new double[] { -1, 0, 1, 0 }, target.Grad!.ToFloat64Array());
        input.ZeroGrad();
        F.MseLoss(input, target).Backward();
        Assert.Equal(new double[] { 0.5, 0, -1, 0 }, input.Grad!.ToFloat64Array());
    }

    [Fact]
    public void MismatchedShapesAndUnknownReductionsAreRejectedClearly()
    {
        var a = Tensor.Zeros([4, 3]);
        var b = Tensor.Zeros([3]);
        var err = Assert.Throws<ArgumentException>(() => F.MseLoss(a, b));
        Assert.Contains("[4, 3]", err.Message);
        Assert.Contains("[3]", err.Message);
        Assert.Contains("MseLoss", err.Message);
        Assert.Contains("[4, 3]", Assert.Throws<ArgumentException>(() => F.L1Loss(b, a)).Message);
        var bad = Assert.Throws<ArgumentException>(() => F.L1Loss(a, a, "average"));
        Assert.Contains("average", bad.Message);
        Assert.Equal("reduction", bad.ParamName);
        Assert.Contains("dtype", Assert.Throws<ArgumentException>(() => F.MseLoss(a, Tensor.Zeros([4, 3], DType.Float64))).Message);
    }
}
