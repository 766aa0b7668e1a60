using RawDiffusion.Backends.Cpu;

namespace RawDiffusion.Tests.Gemm;

[Collection(nameof(GemmProviderStateCollection))]
public class GemmProviderTests
{
    [Theory]
    [InlineData(null, GemmProvider.Auto)]
    [InlineData("", GemmProvider.Auto)]
    [InlineData("auto", GemmProvider.Auto)]
    [InlineData("Managed", GemmProvider.Managed)]
    [InlineData(" BLAS ", GemmProvider.Blas)]
    public void ParsesTheEnvironmentSetting(string? value, GemmProvider expected) =>
        Assert.Equal(expected, GemmProviderSetting.Parse(value));

    [Theory]
    [InlineData("cuda")]
    [InlineData("openblas")]
    [InlineData("1")]
    public void RejectsUnknownSettingsNamingTheVariable(string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => GemmProviderSetting.Parse(value));
        Assert.Contains("RAWDIFFUSION_GEMM", error.Message);
        Assert.Contains($"'{value}'", error.Message);
        Assert.Contains("auto, managed or blas", error.Message);
    }

    [Fact]
    public void RejectsUndefinedProviderValues() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => CpuGemm.Provider = (GemmProvider)42);

    [Fact]
    public void ManagedProviderIsDescribedAsTheManagedKernel()
    {
        WithProvider(GemmProvider.Managed, () => Assert.Equal(ManagedGemm.Description, CpuGemm.ActiveProviderDescription));
    }

    [Fact]
    public void AutoPrefersTheAvx512KernelThenBlas()
    {
        string expected = Blas.IsAvailable && ManagedGemm.BestSgemmKernel != SgemmKernelKind.Avx512 ? Blas.Description : ManagedGemm.Description;
        WithProvider(GemmProvider.Auto, () => Assert.Equal(expected, CpuGemm.ActiveProviderDescription));
    }

    [Fact]
    public void BlasProviderWithoutALibraryFailsListingTheNamesTried()
    {
        if (Blas.IsAvailable)
        {
            WithProvider(GemmProvider.Blas, () => Assert.Equal(Blas.Description, CpuGemm.ActiveProviderDescription));
            return;
        }

        var error = Assert.Throws<InvalidOperationException>(() => CpuGemm.Provider = GemmProvider.Blas);
        Assert.Contains(Blas.CandidateLibraryNames[0], error.Message);
    }

    internal static void WithProvider(GemmProvider provider, Action action)
    {
        GemmProvider previous = CpuGemm.Provider;
        CpuGemm.Provider = provider;
        try
        {
            action();
        }
        finally
        {
            CpuGemm.Provider = previous;
        }
    }
}
