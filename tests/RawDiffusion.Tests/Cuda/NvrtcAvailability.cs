using RawDiffusion.Cuda.Native;

namespace RawDiffusion.Tests.Cuda;

/// <summary>Skips a test where NVRTC does not load (CI installs it; see .ci/run).</summary>
internal static class NvrtcAvailability
{
    public static void Require()
    {
        if (!CudaLibraries.TryLoad(CudaLibraries.Nvrtc, out var failure)) Assert.Skip($"NVRTC not available: {failure}");
    }
}
