using RawDiffusion.Backends;
using RawDiffusion.Cuda;
using RawDiffusion.Cuda.Memory;

namespace RawDiffusion.Tests.Cuda;

/// <summary>The same values in a CPU-backend buffer and in device memory, so a CUDA primitive and the CPU reference
/// run on identical inputs and their results compare element by element.</summary>
internal sealed class MirroredBuffer : IDisposable
{
    readonly CudaDevice device;

    MirroredBuffer(CudaDevice device, DType dtype, DeviceBuffer cpu, DeviceBlock gpu)
    {
        this.device = device;
        DType = dtype;
        Cpu = cpu;
        Gpu = gpu;
    }

    public DType DType { get; }
    public DeviceBuffer Cpu { get; }
    public DeviceBlock Gpu { get; }
    public long Length => Cpu.Length;

    public static MirroredBuffer Create(CudaDevice device, DType dtype, double[] values)
    {
        var cpu = Backend.Cpu.Allocate(dtype, values.Length);
        var gpu = device.Allocator.Allocate((long)values.Length * dtype.SizeOf());
        switch (dtype)
        {
            case DType.Float32:
                var floats = Array.ConvertAll(values, v => (float)v);
                Backend.Cpu.Upload<float>(floats, cpu, 0);
                device.Context.CopyToDevice<float>(floats, gpu.Pointer);
                break;
            case DType.Float64:
                Backend.Cpu.Upload<double>(values, cpu, 0);
                device.Context.CopyToDevice<double>(values, gpu.Pointer);
                break;
            default:
                var ints = Array.ConvertAll(values, v => checked((int)v));
                Backend.Cpu.Upload<int>(ints, cpu, 0);
                device.Context.CopyToDevice<int>(ints, gpu.Pointer);
                break;
        }
        return new MirroredBuffer(device, dtype, cpu, gpu);
    }

    public static MirroredBuffer Random(CudaDevice device, DType dtype, int length, int seed, double low = -1, double high = 1) =>
        Create(device, dtype, Testing.Reference.RandomArray(length, seed, low, high));

    /// <summary>Device address of element <paramref name="offset"/>.</summary>
    public nint At(long offset) => Gpu.Pointer + (nint)(offset * DType.SizeOf());

    public double[] CpuValues() => DType switch
    {
        DType.Float32 => Array.ConvertAll(ReadCpu<float>(), v => (double)v),
        DType.Float64 => ReadCpu<double>(),
        _ => Array.ConvertAll(ReadCpu<int>(), v => (double)v),
    };

    public double[] GpuValues() => DType switch
    {
        DType.Float32 => Array.ConvertAll(DeviceArrays.Download<float>(device, Gpu.Pointer, Length), v => (double)v),
        DType.Float64 => DeviceArrays.Download<double>(device, Gpu.Pointer, Length),
        _ => Array.ConvertAll(DeviceArrays.Download<int>(device, Gpu.Pointer, Length), v => (double)v),
    };

    T[] ReadCpu<T>() where T : unmanaged
    {
        var values = new T[Length];
        Backend.Cpu.Download<T>(Cpu, 0, values);
        return values;
    }

    /// <summary>Asserts the device values equal the CPU values within the tolerances (NaN matches NaN).</summary>
    public void AssertMatchesCpu(double atol, double rtol, string what)
    {
        var expected = CpuValues();
        var actual = GpuValues();
        for (int i = 0; i < expected.Length; i++)
        {
            if (double.IsNaN(expected[i]) && double.IsNaN(actual[i])) continue;
            if (expected[i] == actual[i]) continue;
            double error = Math.Abs(expected[i] - actual[i]);
            Assert.True(error <= atol + rtol * Math.Abs(expected[i]),
                $"{what}: element {i} is {actual[i]:R} on the GPU and {expected[i]:R} on the CPU (error {error:E2})");
        }
    }

    public void Dispose() => device.Allocator.Free(Gpu);
}
