using RawDiffusion.Cuda;
using RawDiffusion.Cuda.Memory;
using RawDiffusion.Cuda.Native;

namespace RawDiffusion.Tests.Cuda;

/// <summary>One GPU shared by the tests that need one, opened on first use. Where the driver or a device is missing
/// those tests are skipped with the reason; any other failure (a missing cuBLAS on a GPU machine, a kernel that does
/// not load) fails them.</summary>
public sealed class CudaDeviceFixture : IDisposable
{
    readonly Lazy<(CudaDevice? Device, string Reason)> opened = new(Open);
    CudaBackend? backend;

    /// <summary>The device, or a skip.</summary>
    internal CudaDevice Require()
    {
        var (device, reason) = opened.Value;
        if (device == null) Assert.Skip(reason);
        return device;
    }

    /// <summary>The CUDA backend on the shared device (which it does not own), or a skip.</summary>
    internal CudaBackend RequireBackend() => backend ??= new CudaBackend(Require(), ownsDevice: false);

    /// <summary>Skips unless the CUDA driver library loads (no device needed).</summary>
    public static void RequireDriver()
    {
        if (!CudaLibraries.TryLoad(CudaLibraries.Driver, out var failure)) Assert.Skip($"no CUDA device: {failure}");
    }

    static (CudaDevice?, string) Open()
    {
        if (!CudaLibraries.TryLoad(CudaLibraries.Driver, out var failure)) return (null, $"no CUDA device: {failure}");
        int count;
        try
        {
            count = CudaContext.DeviceCount();
        }
        catch (CudaException e)
        {
            return (null, $"no CUDA device: {e.Message}");
        }
        if (count == 0) return (null, "no CUDA device: the driver reports none");
        return (CudaDevice.Open(), "");
    }

    public void Dispose()
    {
        backend?.Dispose();
        if (opened.IsValueCreated) opened.Value.Device?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class CudaDeviceCollection : ICollectionFixture<CudaDeviceFixture>
{
    public const string Name = "CUDA device";
}

/// <summary>Copies between host arrays and device blocks for the GPU tests.</summary>
internal static class DeviceArrays
{
    public static DeviceBlock Upload<T>(CudaDevice device, T[] data) where T : unmanaged
    {
        var block = device.Allocator.Allocate((long)data.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        device.Context.CopyToDevice<T>(data, block.Pointer);
        return block;
    }

    public static DeviceBlock Allocate<T>(CudaDevice device, long count) where T : unmanaged =>
        device.Allocator.Allocate(count * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());

    public static T[] Download<T>(CudaDevice device, nint pointer, long count) where T : unmanaged
    {
        var data = new T[count];
        device.Context.CopyToHost<T>(pointer, data);
        return data;
    }
}
