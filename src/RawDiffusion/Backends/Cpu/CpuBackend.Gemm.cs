namespace RawDiffusion.Backends.Cpu;

internal sealed partial class CpuBackend
{
    public void Gemm(bool transA, bool transB, int m, int n, int k, double alpha,
                     DeviceBuffer a, long aOffset, int lda, long strideA,
                     DeviceBuffer b, long bOffset, int ldb, long strideB,
                     double beta, DeviceBuffer c, long cOffset, int ldc, long strideC, int batch)
    {
        switch (c.DType)
        {
            case DType.Float32:
                CpuGemm.SgemmBatched(transA, transB, m, n, k, (float)alpha, Cpu(a).Array<float>().AsSpan((int)aOffset), lda, strideA,
                    Cpu(b).Array<float>().AsSpan((int)bOffset), ldb, strideB, (float)beta, Cpu(c).Array<float>().AsSpan((int)cOffset), ldc, strideC, batch);
                break;
            case DType.Float64:
                CpuGemm.DgemmBatched(transA, transB, m, n, k, alpha, Cpu(a).Array<double>().AsSpan((int)aOffset), lda, strideA,
                    Cpu(b).Array<double>().AsSpan((int)bOffset), ldb, strideB, beta, Cpu(c).Array<double>().AsSpan((int)cOffset), ldc, strideC, batch);
                break;
            default:
                throw new ArgumentException("GEMM is not defined for Int32 tensors");
        }
    }
}
