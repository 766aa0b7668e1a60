using RawDiffusion.Backends;

namespace RawDiffusion.Tests.Cuda;

/// <summary>Row-major strided-batched GEMM through cuBLAS against the CPU backend. Skipped without a GPU.</summary>
[Collection(CudaDeviceCollection.Name)]
public class CublasGemmTests(CudaDeviceFixture fixture)
{
    public static TheoryData<DType, bool, bool, int> Cases()
    {
        var data = new TheoryData<DType, bool, bool, int>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            foreach (var transA in new[] { false, true })
                foreach (var transB in new[] { false, true })
                    foreach (var batch in new[] { 1, 3 })
                        data.Add(dtype, transA, transB, batch);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GemmMatchesTheCpu(DType dtype, bool transA, bool transB, int batch)
    {
        var device = fixture.Require();
        const int m = 33, n = 65, k = 17;
        // Padded leading dimensions and offsets, so lda/ldb/ldc and the operand order are really exercised.
        int lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 2, ldc = n + 5;
        long strideA = (long)(transA ? k : m) * lda, strideB = (long)(transB ? n : k) * ldb, strideC = (long)m * ldc;
        using var a = MirroredBuffer.Random(device, dtype, (int)(strideA * batch) + 4, 1);
        using var b = MirroredBuffer.Random(device, dtype, (int)(strideB * batch) + 4, 2);
        foreach (var beta in new[] { 0.0, 0.5 })
        {
            using var c = MirroredBuffer.Random(device, dtype, (int)(strideC * batch) + 4, 3);
            Backend.Cpu.Gemm(transA, transB, m, n, k, 1.5, a.Cpu, 4, lda, strideA, b.Cpu, 4, ldb, strideB, beta, c.Cpu, 4, ldc, strideC, batch);
            fixture.RequireBackend().Gemm(dtype, transA, transB, m, n, k, 1.5, a.At(4), lda, strideA, b.At(4), ldb, strideB, beta, c.At(4), ldc, strideC, batch);
            c.AssertMatchesCpu(dtype == DType.Float32 ? 1e-5 : 1e-12, dtype == DType.Float32 ? 1e-5 : 1e-12,
                $"{dtype} transA={transA} transB={transB} batch={batch} beta={beta}");
        }
    }

    [Fact]
    public void Tf32GemmsStayWithinTf32Precision()
    {
        var device = fixture.Require();
        const int m = 64, n = 48, k = 128;
        using var a = MirroredBuffer.Random(device, DType.Float32, m * k, 4);
        using var b = MirroredBuffer.Random(device, DType.Float32, k * n, 5);
        using var c = MirroredBuffer.Random(device, DType.Float32, m * n, 6);
        Backend.Cpu.Gemm(false, false, m, n, k, 1, a.Cpu, 0, k, 0, b.Cpu, 0, n, 0, 0, c.Cpu, 0, n, 0, 1);
        device.Context.AllowTf32 = true;
        try
        {
            fixture.RequireBackend().Gemm(DType.Float32, false, false, m, n, k, 1, a.At(0), k, 0, b.At(0), n, 0, 0, c.At(0), n, 0, 1);
            // Inputs rounded to 10-bit mantissas: about 1e-3 relative per product, averaging down over k terms.
            c.AssertMatchesCpu(2e-2, 1e-2, "TF32");
        }
        finally
        {
            device.Context.AllowTf32 = false;
        }
    }

    [Fact]
    public void AnEmptyInnerDimensionScalesOrClearsC()
    {
        var device = fixture.Require();
        using var a = MirroredBuffer.Random(device, DType.Float32, 1, 7);
        using var c = MirroredBuffer.Random(device, DType.Float32, 12, 8);
        Backend.Cpu.Gemm(false, false, 3, 4, 0, 1, a.Cpu, 0, 1, 0, a.Cpu, 0, 4, 0, 0.5, c.Cpu, 0, 4, 0, 1);
        fixture.RequireBackend().Gemm(DType.Float32, false, false, 3, 4, 0, 1, a.At(0), 1, 0, a.At(0), 4, 0, 0.5, c.At(0), 4, 0, 1);
        c.AssertMatchesCpu(0, 0, "k = 0, beta = 0.5");
    }
}
