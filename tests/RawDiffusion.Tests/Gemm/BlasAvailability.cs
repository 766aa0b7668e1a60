using RawDiffusion.Backends.Cpu;

namespace RawDiffusion.Tests.Gemm;

internal static class BlasAvailability
{
    public static void SkipUnlessLoaded()
    {
        if (!Blas.IsAvailable)
        {
            Assert.Skip($"no system BLAS found: tried {string.Join(", ", Blas.CandidateLibraryNames)}");
        }
    }
}
