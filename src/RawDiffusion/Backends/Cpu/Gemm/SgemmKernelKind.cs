namespace RawDiffusion.Backends.Cpu;

/// <summary>The single-precision micro-kernels <see cref="ManagedGemm"/> can run, fastest first.</summary>
internal enum SgemmKernelKind
{
    Avx512,
    Avx2Fma,
    PortableVector,
}
