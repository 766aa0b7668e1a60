using RawDiffusion.Cuda;
using RawDiffusion.Cuda.Native;

namespace RawDiffusion.Tests.Cuda;

public class CudaExceptionTests
{
    [Theory]
    [InlineData("cuMemAlloc_v2(out pointer, (nuint)bytes)", "cuMemAlloc_v2")]
    [InlineData("Nvrtc.nvrtcCompileProgram(program, n, options)", "nvrtcCompileProgram")]
    [InlineData("CudaDriver.cuInit(0)", "cuInit")]
    [InlineData("cuInit", "cuInit")]
    public void TheCallIsNamedByItsFunction(string expression, string name) =>
        Assert.Equal(name, CudaException.CallName(expression));

    [Fact]
    public void CublasAndCurandErrorsCarryTheStatusEnumName()
    {
        var cublas = Assert.Throws<CudaException>(() => Cublas.Check(cublasStatus_t.CUBLAS_STATUS_INVALID_VALUE, "cublasSgemm_v2(handle, a, b)"));
        Assert.Equal("cuBLAS", cublas.Library);
        Assert.Equal("cublasSgemm_v2", cublas.Call);
        Assert.Equal(7, cublas.Code);
        Assert.Contains("cublasSgemm_v2 failed with CUBLAS_STATUS_INVALID_VALUE (7)", cublas.Message);

        var curand = Assert.Throws<CudaException>(() => Curand.Check(curandStatus_t.CURAND_STATUS_LENGTH_NOT_MULTIPLE, "curandGenerateNormal(g, p, 3, 0, 1)"));
        Assert.Equal("cuRAND: curandGenerateNormal failed with CURAND_STATUS_LENGTH_NOT_MULTIPLE (105)", curand.Message);

        var unknown = Assert.Throws<CudaException>(() => Cublas.Check((cublasStatus_t)12345, "cublasCreate_v2(out h)"));
        Assert.Contains("cublasStatus_t 12345", unknown.Message);
    }

    [Fact]
    public void NvrtcErrorsUseNvrtcGetErrorString()
    {
        NvrtcAvailability.Require();
        var e = Assert.Throws<CudaException>(() => Nvrtc.Check(nvrtcResult.NVRTC_ERROR_INVALID_OPTION, "nvrtcCompileProgram(p, 1, o)"));
        Assert.Equal("NVRTC: nvrtcCompileProgram failed with NVRTC_ERROR_INVALID_OPTION (5)", e.Message);
    }

    [Fact]
    public void DriverErrorsUseCuGetErrorName()
    {
        CudaDeviceFixture.RequireDriver();
        var e = Assert.Throws<CudaException>(() => CudaDriver.Check(CUresult.CUDA_ERROR_OUT_OF_MEMORY, "cuMemAlloc_v2(out p, n)"));
        Assert.Equal("CUDA driver: cuMemAlloc_v2 failed with CUDA_ERROR_OUT_OF_MEMORY (2)", e.Message);
    }
}
