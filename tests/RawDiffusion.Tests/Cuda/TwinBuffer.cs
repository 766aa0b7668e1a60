using RawDiffusion.Backends;
using RawDiffusion.Cuda;

namespace RawDiffusion.Tests.Cuda;

/// <summary>One operand of a backend-against-backend test: a CPU-backend buffer and a CUDA-backend buffer holding the
/// same values, so each primitive runs through IBackend on both and the results compare element by element.
/// Outputs are poisoned (NaN, or an impossible index) on both sides before a launch, so an element the GPU fails
/// to write cannot pass for a stale correct value.</summary>
internal sealed class TwinBuffer : IDisposable
{
    /// <summary>What Int32 outputs are poisoned with: no primitive writes it.</summary>
    public const int PoisonIndex = -123_456_789;

    TwinBuffer(CudaBackend gpu, DType dtype, int length)
    {
        Gpu = gpu.Allocate(dtype, length);
        Cpu = Backend.Cpu.Allocate(dtype, length);
        DType = dtype;
        Length = length;
    }

    public DeviceBuffer Cpu { get; }
    public DeviceBuffer Gpu { get; }
    public DType DType { get; }
    public int Length { get; }

    public static TwinBuffer Create(CudaBackend gpu, DType dtype, double[] values)
    {
        var twin = new TwinBuffer(gpu, dtype, values.Length);
        twin.Set(values);
        return twin;
    }

    /// <summary>Uniform values on [low, high) from a seeded generator: fresh inputs for every case.</summary>
    public static TwinBuffer Random(CudaBackend gpu, DType dtype, int length, int seed, double low = -1, double high = 1) =>
        Create(gpu, dtype, Testing.Reference.RandomArray(length, seed, low, high));

    public static TwinBuffer Indices(CudaBackend gpu, int[] values) => Create(gpu, DType.Int32, Array.ConvertAll(values, v => (double)v));

    /// <summary>An output: poisoned on both sides.</summary>
    public static TwinBuffer Output(CudaBackend gpu, DType dtype, int length)
    {
        var twin = new TwinBuffer(gpu, dtype, length);
        twin.Poison();
        return twin;
    }

    public void Set(double[] values)
    {
        if (values.Length != Length) throw new ArgumentException($"{values.Length} values for a buffer of {Length}");
        foreach (var buffer in new[] { Cpu, Gpu })
            switch (DType)
            {
                case DType.Float32: buffer.Backend.Upload<float>(Array.ConvertAll(values, v => (float)v), buffer, 0); break;
                case DType.Float64: buffer.Backend.Upload<double>(values, buffer, 0); break;
                default: buffer.Backend.Upload<int>(Array.ConvertAll(values, v => checked((int)v)), buffer, 0); break;
            }
    }

    public void Poison() => Set([.. Enumerable.Repeat(DType == DType.Int32 ? PoisonIndex : double.NaN, Length)]);

    public double[] CpuValues() => Read(Cpu);
    public double[] GpuValues() => Read(Gpu);

    double[] Read(DeviceBuffer buffer)
    {
        switch (DType)
        {
            case DType.Float32:
                var floats = new float[Length];
                buffer.Backend.Download<float>(buffer, 0, floats);
                return Array.ConvertAll(floats, v => (double)v);
            case DType.Float64:
                var doubles = new double[Length];
                buffer.Backend.Download<double>(buffer, 0, doubles);
                return doubles;
            default:
                var ints = new int[Length];
                buffer.Backend.Download<int>(buffer, 0, ints);
                return Array.ConvertAll(ints, v => (double)v);
        }
    }

    /// <summary>Asserts |gpu − cpu| ≤ atol + rtol·|cpu| element by element over [start, start + count) (everything by
    /// default). NaN matches NaN only where <paramref name="nanAllowed"/>: otherwise a NaN on the CPU side means the
    /// reference left an element unwritten, and one on the GPU side a missed or wrong element.</summary>
    public void AssertMatchesCpu(double atol, double rtol, string what, bool nanAllowed = false, int start = 0, int count = -1)
    {
        var expected = CpuValues();
        var actual = GpuValues();
        int end = count < 0 ? Length : start + count;
        for (int i = start; i < end; i++)
        {
            if (double.IsNaN(expected[i]) && double.IsNaN(actual[i]))
            {
                Assert.True(nanAllowed, $"{what}: element {i} is NaN on both sides (unwritten?)");
                continue;
            }
            if (DType == DType.Int32) Assert.NotEqual(PoisonIndex, actual[i]);
            double error = Math.Abs(expected[i] - actual[i]);
            Assert.True(error <= atol + rtol * Math.Abs(expected[i]),
                $"{what}: element {i} is {actual[i]:R} on the GPU and {expected[i]:R} on the CPU (error {error:E2})");
        }
    }

    /// <summary>The largest magnitude on the CPU side, to scale absolute tolerances of sums.</summary>
    public double CpuMaxAbs() => CpuValues().Where(v => !double.IsNaN(v)).Select(Math.Abs).DefaultIfEmpty(0).Max();

    public void Dispose()
    {
        Gpu.Dispose();
        Cpu.Dispose();
    }
}
