using RawDiffusion.Cuda;
using RawDiffusion.Spectrum;
using RawDiffusion.Tests.Spectrum;

namespace RawDiffusion.Tests.Cuda;

/// <summary>The spectrum's GPU parts against their CPU twins: the Jacobi kernel (kernels/spectrum.cu) against
/// <see cref="JacobiSingularValues"/>, and the cuBLAS Gram solver against <see cref="SingularValues"/>. Skipped without a GPU.</summary>
[Collection(CudaDeviceCollection.Name)]
public class CudaSpectrumTests(CudaDeviceFixture fixture)
{
    [Theory]
    [InlineData(17, 12, 27)]
    [InlineData(64, 32, 32)]
    [InlineData(5, 40, 9)]
    public void JacobiKernelMatchesTheCpuTwin(int batch, int rows, int columns)
    {
        var solver = new CudaSingularValueSolver(fixture.RequireBackend());
        float[] a = SingularValuesTests.Gaussian(batch * rows * columns, batch).Select(x => (float)x).ToArray();
        double[][] gpu = solver.ComputeBatched(a, batch, rows, columns);
        double[][] cpu = SingularValues.ComputeBatched(a, batch, rows, columns);
        for (int item = 0; item < batch; item++) SingularValuesTests.AssertMatches(cpu[item], gpu[item], 1e-12);
    }

    [Theory]
    [InlineData(300, 700)]
    [InlineData(900, 257)]
    public void GramSolverMatchesTheCpu(int rows, int columns)
    {
        var solver = new CudaSingularValueSolver(fixture.RequireBackend());
        double[] a = SingularValuesTests.Gaussian(rows * columns, rows);
        SingularValuesTests.AssertMatches(SingularValues.Compute(a, rows, columns), solver.Compute(new ArrayMatrix<double>(a, rows, columns)), 1e-10);
    }

    [Fact]
    public void ScanOnTheGpuMatchesTheCpuScan()
    {
        var solver = new CudaSingularValueSolver(fixture.RequireBackend());
        string path = Path.Combine(CheckpointScanTests.Folder, "weights-bf16.safetensors");
        var checkpoint = CheckpointMatrices.Open(path);
        SpectrumReport gpu = SpectrumScan.Run(checkpoint, solver);
        SpectrumReport cpu = CheckpointScanTests.Scan(path);
        foreach (MatrixResult matrix in gpu.Matrices)
            SingularValuesTests.AssertMatches(cpu.Matrices.Single(m => m.Tensor.Name == matrix.Tensor.Name).SingularValues, matrix.SingularValues, 1e-10);
    }
}
