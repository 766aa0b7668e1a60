using System.Text.Json;
using RawDiffusion.Spectrum;

namespace RawDiffusion.Tests.Spectrum;

/// <summary>Scans of the fixtures written by Fixtures/spectrum/make_fixtures.py (numpy alone), against numpy's singular
/// values and Spectrum's SNR of the values as stored.</summary>
public sealed class CheckpointScanTests
{
    internal static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "spectrum");

    static readonly JsonElement Expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "expected.json"))).RootElement;

    [Theory]
    [InlineData("F32", "weights-f32.safetensors")]
    [InlineData("BF16", "weights-bf16.safetensors")]
    [InlineData("F16", "weights-f16.safetensors")]
    public void EveryStoredTypeMatchesNumpyOnTheValuesAsStored(string dtype, string file)
    {
        SpectrumReport report = Scan(Path.Combine(Folder, file));
        Assert.Equal(4, report.Matrices.Count);
        foreach (MatrixResult matrix in report.Matrices)
        {
            JsonElement expected = Expected.GetProperty(dtype).GetProperty(matrix.Tensor.Name);
            double[] values = expected.GetProperty("singular_values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            // The stored values are float32 or narrower, so float32 input's tolerance applies; both sides work in float64.
            SingularValuesTests.AssertMatches(values, matrix.SingularValues, 1e-6);
            // numpy's script writes null where nothing is at or below Spectrum's threshold (an infinite SNR).
            JsonElement snr = expected.GetProperty("spectrum_snr");
            if (snr.ValueKind == JsonValueKind.Null) Assert.Equal(double.PositiveInfinity, matrix.Spectrum.SpectrumSnr);
            else Assert.Equal(snr.GetDouble(), matrix.Spectrum.SpectrumSnr, 1e-9);
        }
        CheckpointTensor norm = Assert.Single(report.Skipped);
        Assert.Equal("model.norm.weight", norm.Name);
        Assert.Equal("1-D (bias or norm)", norm.SkipReason);
    }

    [Theory]
    [InlineData("weights-bf16.safetensors", 0.02)]
    [InlineData("weights-f16.safetensors", 0.002)]
    public void SixteenBitFilesGiveTheSnrOfTheirFloat32SourceWithinTheRounding(string file, double relative)
    {
        // BF16 keeps 8 significant bits (relative rounding 2^-9), F16 11 bits (2^-12); the SNRs are ratios of sums of
        // singular values, which move by about that much, with a margin for values near the threshold.
        SpectrumReport source = Scan(Path.Combine(Folder, "weights-f32.safetensors"));
        SpectrumReport rounded = Scan(Path.Combine(Folder, file));
        foreach (MatrixResult matrix in rounded.Matrices)
        {
            MatrixSpectrum reference = source.Matrices.Single(m => m.Tensor.Name == matrix.Tensor.Name).Spectrum;
            AssertClose(reference.SpectrumSnr, matrix.Spectrum.SpectrumSnr, relative);
            AssertClose(reference.PaperSnr!.Value, matrix.Spectrum.PaperSnr!.Value, relative);
            Assert.Equal(reference.Spikes, matrix.Spectrum.Spikes);
        }
    }

    [Fact]
    public void ShardedFolderGivesTheSameResultsAsTheSingleFile()
    {
        SpectrumReport single = Scan(Path.Combine(Folder, "weights-f32.safetensors"));
        SpectrumReport sharded = Scan(Path.Combine(Folder, "sharded"));
        Assert.Equal(single.Matrices.Select(m => m.Tensor.Name).Order(), sharded.Matrices.Select(m => m.Tensor.Name).Order());
        foreach (MatrixResult matrix in sharded.Matrices)
        {
            Assert.EndsWith(".safetensors", matrix.Tensor.File);
            Assert.Equal(single.Matrices.Single(m => m.Tensor.Name == matrix.Tensor.Name).SingularValues, matrix.SingularValues);
        }
    }

    [Fact]
    public void ConvolutionKernelIsReshapedToOutByInTimesKernel()
    {
        MatrixResult conv = Scan(Path.Combine(Folder, "weights-f32.safetensors")).Matrices.Single(m => m.Tensor.Name == "model.conv.weight");
        Assert.Equal([8L, 4, 3, 3], conv.Tensor.Shape);
        Assert.Equal((8, 36), (conv.Spectrum.Rows, conv.Spectrum.Columns));
        Assert.Equal(8, conv.SingularValues.Length);
    }

    [Fact]
    public void NonFiniteTensorErrorNamesTheTensorAndTheFile()
    {
        string path = Path.Combine(Folder, "nan.safetensors");
        var error = Assert.Throws<InvalidDataException>(() => Scan(path));
        Assert.Contains("'model.layers.0.mlp.up_proj.weight'", error.Message);
        Assert.Contains(Path.GetFullPath(path), error.Message);
        Assert.Contains("NaN at row 3, column 5", error.Message);
    }

    [Fact]
    public void LayersOptionKeepsOnlyTheFirstLayers()
    {
        SpectrumReport report = SpectrumScan.Run(CheckpointMatrices.Open(Path.Combine(Folder, "weights-f32.safetensors")), new CpuSingularValueSolver(), layers: 1);
        Assert.DoesNotContain(report.Matrices, m => m.Tensor.Module.Layer >= 1);
        Assert.Contains(report.Matrices, m => m.Tensor.Name == "model.conv.weight");
    }

    [Theory]
    [InlineData("model.layers.12.self_attn.q_proj.weight", "model.layers.12.self_attn.q_proj", "self_attn.q_proj", 12)]
    [InlineData("model.layers.3.mlp.down_proj.weight", "model.layers.3.mlp.down_proj", "mlp.down_proj", 3)]
    [InlineData("0.weight", "0", "#", 0)]
    [InlineData("model.2.weight", "model.2", "model.#", 2)]
    [InlineData("lm_head.weight", "lm_head", "lm_head", null)]
    public void ModulesAreGroupedBySuffixAfterTheLayerNumber(string tensor, string module, string group, int? layer)
    {
        Assert.Equal(new ModuleName(module, group, layer), ModuleName.Parse(tensor));
    }

    static void AssertClose(double expected, double actual, double relative)
    {
        if (double.IsPositiveInfinity(expected)) Assert.Equal(expected, actual);
        else Assert.InRange(actual / expected, 1 - relative, 1 + relative);
    }

    internal static SpectrumReport Scan(string path)
    {
        var checkpoint = CheckpointMatrices.Open(path);
        return SpectrumScan.Run(checkpoint, new CpuSingularValueSolver());
    }
}
