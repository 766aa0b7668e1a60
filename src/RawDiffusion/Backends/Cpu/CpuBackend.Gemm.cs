namespace RawDiffusion.Backends.Cpu;

internal sealed partial class CpuBackend
{
    public void Gemm(bool transA, bool transB, int m, int n, int k, double alpha,
                     DeviceBuffer a, long aOffset, int lda, long strideA,
                     DeviceBuffer b, long bOffset, int ldb, long strideB,
                     double beta, DeviceBuffer c, long cOffset, int ldc, long strideC, int batch)
    {
        if (c.DType == DType.Float32)
        {
            var (aa, bb, cc) = (Cpu(a).Array<float>(), Cpu(b).Array<float>(), Cpu(c).Array<float>());
            Parallel.For(0, batch, i => NaiveGemm(transA, transB, m, n, k, (float)alpha, aa.AsSpan((int)(aOffset + i * strideA)), lda,
                bb.AsSpan((int)(bOffset + i * strideB)), ldb, (float)beta, cc.AsSpan((int)(cOffset + i * strideC)), ldc));
        }
        else if (c.DType == DType.Float64)
        {
            var (aa, bb, cc) = (Cpu(a).Array<double>(), Cpu(b).Array<double>(), Cpu(c).Array<double>());
            Parallel.For(0, batch, i => NaiveGemm(transA, transB, m, n, k, alpha, aa.AsSpan((int)(aOffset + i * strideA)), lda,
                bb.AsSpan((int)(bOffset + i * strideB)), ldb, beta, cc.AsSpan((int)(cOffset + i * strideC)), ldc));
        }
        else throw new ArgumentException("GEMM is not defined for Int32 tensors");
    }

    static void NaiveGemm<T>(bool ta, bool tb, int m, int n, int k, T alpha, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                T s = T.Zero;
                for (int p = 0; p < k; p++) s += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
                c[i * ldc + j] = beta == T.Zero ? alpha * s : alpha * s + beta * c[i * ldc + j];
            }
    }
}
