namespace RawDiffusion.Backends.Cpu;

/// <summary>Which implementation <see cref="CpuGemm"/> uses for matrix products.</summary>
public enum GemmProvider
{
    /// <summary>The managed kernel where it has AVX-512 (faster there than the BLAS builds distributions ship); elsewhere the
    /// system BLAS when one loads, else the managed kernel.</summary>
    Auto,

    /// <summary>The managed packed kernel in <see cref="ManagedGemm"/>.</summary>
    Managed,

    /// <summary>The system CBLAS library found by <see cref="Blas"/>; an error when none is loadable.</summary>
    Blas,
}
