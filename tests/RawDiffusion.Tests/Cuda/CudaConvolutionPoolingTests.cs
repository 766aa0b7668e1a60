using RawDiffusion.Backends;

namespace RawDiffusion.Tests.Cuda;

/// <summary>im2col/col2im and max/sum pooling through the CUDA backend against the CPU backend, on fresh random inputs
/// with poisoned outputs, for the geometries the kernels' index arithmetic distinguishes (padding, stride,
/// dilation, non-square and 1-D windows, overlapping windows). Skipped without a GPU.</summary>
[Collection(CudaDeviceCollection.Name)]
public class CudaConvolutionPoolingTests(CudaDeviceFixture fixture)
{
    static readonly IBackend Cpu = Backend.Cpu;

    static readonly Dictionary<string, Conv2dGeometry> Convolutions = new()
    {
        ["3x3, padding 1"] = new(3, 9, 11, 3, 3, 1, 1, 1, 1, 1, 1),
        ["5x5, stride 2, padding 2"] = new(2, 13, 10, 5, 5, 2, 2, 2, 2, 1, 1),
        ["3x3, dilation 2, padding 2"] = new(4, 8, 8, 3, 3, 1, 1, 2, 2, 2, 2),
        ["2x3, strides (2, 1), no padding"] = new(3, 7, 9, 2, 3, 2, 1, 0, 0, 1, 1),
        ["1-D, kernel 3, padding 1"] = new(5, 1, 40, 1, 3, 1, 1, 0, 1, 1, 1),
        ["1x1"] = new(6, 5, 5, 1, 1, 1, 1, 0, 0, 1, 1),
    };

    public static TheoryData<DType, string> ConvolutionCases()
    {
        var data = new TheoryData<DType, string>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            foreach (var name in Convolutions.Keys) data.Add(dtype, name);
        return data;
    }

    [Theory]
    [MemberData(nameof(ConvolutionCases))]
    public void Im2ColAndCol2ImMatchTheCpu(DType dtype, string name)
    {
        var gpu = fixture.RequireBackend();
        var g = Convolutions[name];
        const int images = 3;
        int pixels = (int)(images * g.Channels * g.InputPlane), entries = (int)(g.ColumnRows * images * g.OutputPlane);
        using var image = TwinBuffer.Random(gpu, dtype, pixels + 2, pixels);
        using var columns = TwinBuffer.Output(gpu, dtype, entries + 1);
        Cpu.Im2Col(image.Cpu, 2, columns.Cpu, 1, g, images);
        gpu.Im2Col(image.Gpu, 2, columns.Gpu, 1, g, images);
        // Copies and zeros only: identical.
        columns.AssertMatchesCpu(0, 0, $"im2col {name} {dtype}", start: 1, count: entries);

        using var gradColumns = TwinBuffer.Random(gpu, dtype, entries, entries);
        using var gradImage = TwinBuffer.Output(gpu, dtype, pixels + 3);
        Cpu.Col2Im(gradColumns.Cpu, 0, gradImage.Cpu, 3, g, images);
        gpu.Col2Im(gradColumns.Gpu, 0, gradImage.Gpu, 3, g, images);
        // Each pixel sums its taps in the CPU's order, so the sums agree to rounding (in practice to the bit).
        var (atol, rtol) = BackendTolerance.For(dtype, 1, g.KernelHeight * g.KernelWidth);
        gradImage.AssertMatchesCpu(atol, rtol, $"col2im {name} {dtype}", start: 3, count: pixels);
    }

    static readonly Dictionary<string, Pool2dGeometry> Pools = new()
    {
        ["2x2, stride 2"] = new(12, 10, 2, 2, 2, 2, 0, 0),
        ["2x2, stride 2, odd size"] = new(7, 9, 2, 2, 2, 2, 0, 0),
        ["3x3, stride 2, padding 1 (overlapping)"] = new(11, 9, 3, 3, 2, 2, 1, 1),
        ["3x2, strides (1, 2)"] = new(6, 8, 3, 2, 1, 2, 0, 0),
        ["1-D, kernel 4, stride 3, padding 2"] = new(1, 30, 1, 4, 1, 3, 0, 2),
    };

    public static TheoryData<DType, string> PoolCases()
    {
        var data = new TheoryData<DType, string>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            foreach (var name in Pools.Keys) data.Add(dtype, name);
        return data;
    }

    [Theory]
    [MemberData(nameof(PoolCases))]
    public void MaxPoolingAndItsGradientMatchTheCpu(DType dtype, string name)
    {
        var gpu = fixture.RequireBackend();
        var g = Pools[name];
        const int planes = 6;
        int inputs = (int)(planes * g.InputPlane), outputs = (int)(planes * g.OutputPlane);
        // Values on a coarse grid so windows hold ties (the first maximum wins), and NaNs, which count as the maximum.
        var values = Testing.Reference.RandomArray(inputs, inputs + outputs, -2, 2).Select(v => Math.Round(v * 2) / 2).ToArray();
        values[inputs / 3] = values[inputs / 2] = values[inputs / 2 + 1] = double.NaN;
        using var x = TwinBuffer.Create(gpu, dtype, [0, .. values]);
        using var y = TwinBuffer.Output(gpu, dtype, outputs);
        using var indices = TwinBuffer.Output(gpu, DType.Int32, outputs + 2);
        Cpu.MaxPool2d(x.Cpu, 1, y.Cpu, 0, indices.Cpu, 2, g, planes);
        gpu.MaxPool2d(x.Gpu, 1, y.Gpu, 0, indices.Gpu, 2, g, planes);
        y.AssertMatchesCpu(0, 0, $"max pool {name} {dtype}", nanAllowed: true);
        indices.AssertMatchesCpu(0, 0, $"max pool indices {name} {dtype}", start: 2, count: outputs);

        using var gradY = TwinBuffer.Random(gpu, dtype, outputs, outputs);
        using var gradX = TwinBuffer.Output(gpu, dtype, inputs);
        Cpu.MaxPool2dBackward(gradY.Cpu, 0, indices.Cpu, 2, gradX.Cpu, 0, g, planes);
        gpu.MaxPool2dBackward(gradY.Gpu, 0, indices.Gpu, 2, gradX.Gpu, 0, g, planes);
        var (atol, rtol) = BackendTolerance.For(dtype, 1, g.KernelHeight * g.KernelWidth);
        gradX.AssertMatchesCpu(atol, rtol, $"max pool backward {name} {dtype}");
    }

    [Theory]
    [MemberData(nameof(PoolCases))]
    public void SumPoolingAndItsGradientMatchTheCpu(DType dtype, string name)
    {
        var gpu = fixture.RequireBackend();
        var g = Pools[name];
        const int planes = 5;
        int inputs = (int)(planes * g.InputPlane), outputs = (int)(planes * g.OutputPlane);
        double scale = 1.0 / (g.KernelHeight * g.KernelWidth);
        using var x = TwinBuffer.Random(gpu, dtype, inputs, inputs + 1);
        using var y = TwinBuffer.Output(gpu, dtype, outputs + 1);
        Cpu.SumPool2d(x.Cpu, 0, y.Cpu, 1, g, planes, scale);
        gpu.SumPool2d(x.Gpu, 0, y.Gpu, 1, g, planes, scale);
        var (atol, rtol) = BackendTolerance.For(dtype, 1, g.KernelHeight * g.KernelWidth);
        y.AssertMatchesCpu(atol, rtol, $"sum pool {name} {dtype}", start: 1, count: outputs);

        using var gradY = TwinBuffer.Random(gpu, dtype, outputs, outputs + 2);
        using var gradX = TwinBuffer.Output(gpu, dtype, inputs);
        Cpu.SumPool2dBackward(gradY.Cpu, 0, gradX.Cpu, 0, g, planes, scale);
        gpu.SumPool2dBackward(gradY.Gpu, 0, gradX.Gpu, 0, g, planes, scale);
        gradX.AssertMatchesCpu(atol, rtol, $"sum pool backward {name} {dtype}");
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void NearestUpsamplingIsTheSumPoolGradient(DType dtype)
    {
        var gpu = fixture.RequireBackend();
        // Upsampling 5x7 planes by 2: the backward of 2x2 sum pooling over the 10x14 result, scale 1.
        var g = new Pool2dGeometry(10, 14, 2, 2, 2, 2, 0, 0);
        const int planes = 4;
        using var small = TwinBuffer.Random(gpu, dtype, planes * 35, 61);
        using var large = TwinBuffer.Output(gpu, dtype, planes * 140);
        Cpu.SumPool2dBackward(small.Cpu, 0, large.Cpu, 0, g, planes, 1);
        gpu.SumPool2dBackward(small.Gpu, 0, large.Gpu, 0, g, planes, 1);
        large.AssertMatchesCpu(0, 0, $"nearest upsampling {dtype}");
    }
}
