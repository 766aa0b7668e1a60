using RawDiffusion.Backends.Cpu;

namespace RawDiffusion.Tests.Gemm;

public class GemmArgumentTests
{
    [Theory]
    [InlineData(-1, 2, 2, "m")]
    [InlineData(2, -1, 2, "n")]
    [InlineData(2, 2, -1, "k")]
    public void NegativeSizesAreRejected(int m, int n, int k, string name)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() =>
            ManagedGemm.Sgemm(false, false, m, n, k, 1f, new float[4], 2, new float[4], 2, 0f, new float[4], 2));
        Assert.Equal(name, error.ParamName);
    }

    [Theory]
    [InlineData(false, false, 1, 2, 2, "lda")]
    [InlineData(true, false, 1, 2, 2, "lda")]
    [InlineData(false, false, 2, 1, 2, "ldb")]
    [InlineData(false, true, 2, 1, 2, "ldb")]
    [InlineData(false, false, 2, 2, 1, "ldc")]
    public void LeadingDimensionsSmallerThanTheRowAreRejected(bool transA, bool transB, int lda, int ldb, int ldc, string name)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() =>
            ManagedGemm.Sgemm(transA, transB, 2, 2, 2, 1f, new float[8], lda, new float[8], ldb, 0f, new float[8], ldc));
        Assert.Equal(name, error.ParamName);
    }

    [Fact]
    public void SpansTooShortForTheShapeAreRejected()
    {
        Assert.Equal("a", Assert.Throws<ArgumentException>(() =>
            ManagedGemm.Sgemm(false, false, 2, 2, 3, 1f, new float[5], 3, new float[6], 2, 0f, new float[4], 2)).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() =>
            ManagedGemm.Sgemm(false, true, 2, 2, 3, 1f, new float[6], 3, new float[5], 3, 0f, new float[4], 2)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() =>
            ManagedGemm.Sgemm(false, false, 2, 2, 2, 1f, new float[4], 2, new float[4], 2, 0f, new float[4], 3)).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentException>(() =>
            ManagedGemm.Dgemm(true, false, 2, 2, 3, 1, new double[5], 2, new double[6], 2, 0, new double[4], 2)).ParamName);
    }

    [Fact]
    public void OutputOverlappingAnInputIsRejected()
    {
        float[] shared = new float[8];
        var error = Assert.Throws<ArgumentException>(() =>
            ManagedGemm.Sgemm(false, false, 2, 2, 2, 1f, shared.AsSpan(0, 4), 2, new float[4], 2, 0f, shared.AsSpan(2, 4), 2));
        Assert.Equal("c", error.ParamName);
    }

    [Fact]
    public void BatchedArgumentsAreChecked()
    {
        float[] a = new float[8], b = new float[8];
        Assert.Equal("batch", Assert.ThrowsAny<ArgumentException>(() =>
            CpuGemm.SgemmBatched(false, false, 2, 2, 2, 1f, a, 2, 4, b, 2, 4, 0f, new float[8], 2, 4, -1)).ParamName);
        Assert.Equal("strideA", Assert.ThrowsAny<ArgumentException>(() =>
            CpuGemm.SgemmBatched(false, false, 2, 2, 2, 1f, a, 2, -4, b, 2, 4, 0f, new float[8], 2, 4, 2)).ParamName);
        Assert.Equal("strideC", Assert.Throws<ArgumentException>(() =>
            CpuGemm.SgemmBatched(false, false, 2, 2, 2, 1f, a, 2, 4, b, 2, 4, 0f, new float[8], 2, 3, 2)).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentException>(() =>
            CpuGemm.SgemmBatched(false, false, 2, 2, 2, 1f, a, 2, 5, b, 2, 4, 0f, new float[8], 2, 4, 2)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() =>
            CpuGemm.DgemmBatched(false, false, 2, 2, 2, 1, new double[8], 2, 4, new double[8], 2, 4, 0, new double[7], 2, 4, 2)).ParamName);
    }
}
