namespace RawDiffusion.Tests.Gemm;

/// <summary>Tests that change the process-wide <c>CpuGemm.Provider</c> run alone, so no other test sees their setting.</summary>
[CollectionDefinition(nameof(GemmProviderStateCollection), DisableParallelization = true)]
public sealed class GemmProviderStateCollection;
