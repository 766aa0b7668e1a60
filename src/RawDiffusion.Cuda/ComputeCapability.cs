namespace RawDiffusion.Cuda;

/// <summary>A GPU's compute capability, e.g. 9.0 for H100 and H200 (sm_90).</summary>
public readonly record struct ComputeCapability(int Major, int Minor)
{
    /// <summary>The number NVRTC architectures use: 90 for 9.0.</summary>
    public int Number => Major * 10 + Minor;

    public override string ToString() => $"{Major}.{Minor}";
}
