namespace RawDiffusion.Backends.Cpu;

/// <summary>Reads the <see cref="GemmProvider"/> chosen through the environment.</summary>
internal static class GemmProviderSetting
{
    public const string EnvironmentVariable = "RAWDIFFUSION_GEMM";

    public static GemmProvider FromEnvironment() => Parse(Environment.GetEnvironmentVariable(EnvironmentVariable));

    /// <summary>Unset or empty means <see cref="GemmProvider.Auto"/>; otherwise auto, managed or blas in any letter case.</summary>
    public static GemmProvider Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => GemmProvider.Auto,
        "managed" => GemmProvider.Managed,
        "blas" => GemmProvider.Blas,
        _ => throw new InvalidOperationException(
            $"Environment variable {EnvironmentVariable} is '{value}', which is not a GEMM provider; use auto, managed or blas."),
    };
}
